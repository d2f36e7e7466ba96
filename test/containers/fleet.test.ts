// The node image on a Docker network, as a pool runs it: one producer container behind two relay containers.
// The devnet genesis comes from `poolfleet-cli genesis create`; the producer runs with exactly the arguments the
// operator gives its pod (producerArgs) and the files where the operator mounts them (PATHS, KEY_FILES); its
// topology names only the two relays, each relay's names the producer and the other relay, by their DNS names on
// the network. The producer must forge, and the relays must hold the producer's chain: all three tips equal.
import assert from "node:assert/strict";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Network, type StartedNetwork } from "testcontainers";
import { stakePoolSpec } from "../../src/api/stakepool.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { KEY_FILES, PATHS, producerArgs } from "../../src/operator/builders/producer.ts";
import { NODE_UID } from "../../src/operator/names.ts";
import { runCli } from "../helpers/cli.ts";
import { containerTier } from "../helpers/docker.ts";
import {
  getJson,
  getMetric,
  METRICS_PORT,
  NODE_PORT,
  type NodeContainer,
  startNodeContainer,
} from "../helpers/node-containers.ts";
import { waitFor } from "../helpers/node-process.ts";

const tier = await containerTier();

interface Health {
  status: string;
  tip: { slot: string; blockNo: string; hash: string } | null;
  forging: { enabled: boolean; role: string };
}

const RELAYS = ["relay1", "relay2"] as const;

describe("node image: a producer behind two relays on a Docker network", { skip: "skip" in tier && tier.skip }, () => {
  const root = mkdtempSync(join(tmpdir(), "pf-containers-"));
  let network: StartedNetwork | undefined;
  const nodes = new Map<string, NodeContainer>();
  const node = (name: string) => nodes.get(name)!;
  const logs = () => [...nodes.values()].map((n) => n.logTail()).join("\n");

  /** A directory the image's user (uid NODE_UID) can read: temp directories are created owner-only. */
  const dir = (...parts: string[]) => {
    const d = join(root, ...parts);
    mkdirSync(d, { recursive: true });
    chmodSync(d, 0o755);
    return d;
  };

  before(async () => {
    if (!("image" in tier)) return;
    chmodSync(root, 0o755);
    // Slots of 0.2 s and f = 0.25: a block every 0.8 s or so, slow enough to catch all three tips equal.
    const genesis = join(root, "genesis");
    const created = await runCli([
      "genesis",
      "create",
      "--pools",
      "1",
      "--out-dir",
      genesis,
      "--slot-length",
      "0.2",
      "--active-slot-coeff",
      "0.25",
    ]);
    assert.equal(created.code, 0, created.stderr);

    // The network files (a custom network's ConfigMap in the operator's terms), without the pools' key folders.
    const networkDir = dir("network");
    for (const f of ["config.json", "shelley-genesis.json", "alonzo-genesis.json", "conway-genesis.json"]) {
      copyFileSync(join(genesis, f), join(networkDir, f));
      chmodSync(join(networkDir, f), 0o644);
    }
    // The producer's hot keys as the operator mounts its Secret: the three files, group-readable by the node
    // user (Kubernetes' fsGroup). Without root to chown them, the throwaway devnet keys are made world-readable.
    const keys = dir("keys");
    for (const f of Object.values(KEY_FILES)) {
      copyFileSync(join(genesis, "pools", "pool1", f), join(keys, f));
      if (process.getuid?.() === 0) {
        chownSync(join(keys, f), 0, NODE_UID);
        chmodSync(join(keys, f), 0o440);
      } else chmodSync(join(keys, f), 0o444);
    }
    const topology = (name: string, peers: string[]) => {
      const d = dir("topology", name);
      writeFileSync(join(d, "topology.json"), topologyJson(peers.map((address) => ({ address, port: NODE_PORT }))));
      chmodSync(join(d, "topology.json"), 0o644);
      return d;
    };

    network = await new Network().start();
    const spec = stakePoolSpec.parse({
      network: { name: "custom", configMapRef: { name: "devnet" } },
      keys: { secretRef: { name: "pool1-keys" } },
      port: NODE_PORT,
      metrics: { port: METRICS_PORT },
    });
    const image = tier.image;
    const started = await Promise.all([
      startNodeContainer({
        image,
        name: "producer",
        network,
        command: producerArgs(spec),
        mounts: {
          [networkDir]: PATHS.customNetwork,
          [keys]: PATHS.keys,
          [topology("producer", [...RELAYS])]: PATHS.topology,
        },
      }),
      // Relays lean on the image's defaults (listen on 0.0.0.0, ports 3001/12798, /data/db, /ipc/node.socket).
      ...RELAYS.map((name) =>
        startNodeContainer({
          image,
          name,
          network: network!,
          command: [
            "run",
            "--config",
            `${PATHS.customNetwork}/config.json`,
            "--topology",
            `${PATHS.topology}/topology.json`,
          ],
          mounts: {
            [networkDir]: PATHS.customNetwork,
            [topology(name, ["producer", ...RELAYS.filter((r) => r !== name)])]: PATHS.topology,
          },
        }),
      ),
    ]);
    for (const n of started) nodes.set(n.name, n);
  });

  after(async () => {
    await Promise.allSettled([...nodes.values()].map((n) => n.container.stop()));
    await network?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("the producer forges; the relays, without keys, do not", async () => {
    const forged = await waitFor(
      "the producer to forge 3 blocks",
      async () => {
        const n = await getMetric(node("producer").http, "poolfleet_blocks_forged_total");
        return n !== null && n >= 3 ? n : undefined;
      },
      60_000,
    ).catch((error: Error) => assert.fail(`${error.message}\n${logs()}`));
    assert.ok(forged >= 3);
    const producer = await getJson<Health>(`${node("producer").http}/health`);
    assert.equal(producer.forging.enabled, true);
    assert.equal(producer.status, "ok");
    for (const name of RELAYS) {
      const relay = await getJson<Health>(`${node(name).http}/health`);
      assert.equal(relay.forging.role, "relay", name);
      assert.equal(await getMetric(node(name).http, "poolfleet_blocks_forged_total"), 0, name);
    }
  });

  it("both relays hold the producer's chain: the three tips are the same block", async () => {
    // Blocks keep coming, so the three tips are read together until they agree on a block past the third.
    const tips = await waitFor(
      "the relays' tips to equal the producer's",
      async () => {
        const health = await Promise.all(["producer", ...RELAYS].map((n) => getJson<Health>(`${node(n).http}/health`)));
        const [producer, ...relays] = health.map((h) => h.tip);
        if (!producer || Number(producer.blockNo) < 3) return undefined;
        return relays.every((t) => t?.hash === producer.hash) ? { producer, relays } : undefined;
      },
      90_000,
    ).catch(async (error: Error) => {
      const now = await Promise.all(
        ["producer", ...RELAYS].map(
          async (n) => `${n}: ${JSON.stringify((await getJson<Health>(`${node(n).http}/health`)).tip)}`,
        ),
      ).catch(() => ["(tips unavailable)"]);
      return assert.fail(`${error.message}\n${now.join("\n")}\n${logs()}`);
    });
    assert.ok(Number(tips.producer.blockNo) >= 3);
    for (const t of tips.relays) assert.deepEqual(t, tips.producer);
  });

  it("the node runs as the image's non-root user on a read-only root filesystem", async () => {
    const r = await node("producer").container.exec([
      "sh",
      "-c",
      "id -u; touch /probe 2>&1 || true; touch /data/probe",
    ]);
    const [uid, ...rest] = r.output.trim().split("\n");
    assert.equal(uid, String(NODE_UID));
    assert.match(rest.join("\n"), /Read-only file system/);
    assert.equal(r.exitCode, 0, "the database volume is writable");
  });
});
