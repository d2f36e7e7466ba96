// The node image on a Docker network, as a pool runs it: one producer container behind two relay containers.
// The devnet genesis comes from `poolfleet-cli genesis create`; each node runs with exactly the arguments the
// operator gives its pod (producerArgs, relayArgs) and the files where the operator mounts them (PATHS,
// KEY_FILES). The producer's topology names only the two relays, each relay's names the producer and the other
// relay, by their DNS names on the network. The producer must forge and talk to its relays only, and the relays
// must hold the producer's chain: all three tips equal.
import assert from "node:assert/strict";
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Network, type StartedNetwork } from "testcontainers";
import { relaySpec } from "../../src/api/relay.ts";
import { stakePoolSpec } from "../../src/api/stakepool.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { KEY_FILES, PATHS, producerArgs } from "../../src/operator/builders/producer.ts";
import { relayArgs } from "../../src/operator/builders/relay.ts";
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
import { waitFor } from "../helpers/wait.ts";

const tier = await containerTier();

interface Health {
  status: string;
  tip: { slot: string; blockNo: string; hash: string } | null;
  forging: { enabled: boolean; role: string };
}

interface Conn {
  local: string;
  remote: string;
}

const RELAYS = ["relay1", "relay2"] as const;

describe("node image: a producer behind two relays on a Docker network", { skip: "skip" in tier && tier.skip }, () => {
  let root = "";
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
    root = mkdtempSync(join(tmpdir(), "pf-containers-"));
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
    const topology = (name: string, file: string, peers: string[]) => {
      const d = dir("topology", name);
      writeFileSync(join(d, file), topologyJson(peers.map((address) => ({ address, port: NODE_PORT }))));
      chmodSync(join(d, file), 0o644);
      return d;
    };

    network = await new Network().start();
    const runtime = {
      network: { name: "custom" as const, configMapRef: { name: "devnet" } },
      port: NODE_PORT,
      metrics: { port: METRICS_PORT },
    };
    const producer = stakePoolSpec.parse({ ...runtime, keys: { secretRef: { name: "pool1-keys" } } });
    const relay = relaySpec.parse({ ...runtime, poolRef: { name: "pool1" } });
    const image = tier.image;
    const started = await Promise.all([
      startNodeContainer({
        image,
        name: "producer",
        network,
        command: producerArgs(producer),
        mounts: {
          [networkDir]: PATHS.customNetwork,
          [keys]: PATHS.keys,
          [topology("producer", "topology.json", [...RELAYS])]: PATHS.topology,
        },
      }),
      // The relays' arguments name their topology file after the pod ($(POD_NAME), which Kubernetes expands).
      ...RELAYS.map((name) =>
        startNodeContainer({
          image,
          name,
          network: network!,
          command: relayArgs(relay).map((a) => a.replace("$(POD_NAME)", name)),
          mounts: {
            [networkDir]: PATHS.customNetwork,
            [topology(name, `${name}.json`, ["producer", ...RELAYS.filter((r) => r !== name)])]: PATHS.topology,
          },
        }),
      ),
    ]);
    for (const n of started) nodes.set(n.name, n);
  });

  after(async () => {
    await Promise.allSettled([...nodes.values()].map((n) => n.container.stop()));
    await network?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
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

  it("the producer's every connection is to one of its relays", async () => {
    const relayIps = await Promise.all(RELAYS.map((r) => node(r).container.getIpAddress(network!.getName())));
    const peers = await waitFor(
      "the producer to be connected to both relays",
      async () => {
        const p = await getJson<{ inbound: Conn[]; outbound: Conn[] }>(`${node("producer").api}/api/peers`);
        const all = [...p.inbound, ...p.outbound];
        const ips = new Set(all.map((c) => c.remote.slice(0, c.remote.lastIndexOf(":"))));
        return relayIps.every((ip) => ips.has(ip)) ? all : undefined;
      },
      30_000,
    ).catch((error: Error) => assert.fail(`${error.message}\n${logs()}`));
    for (const c of peers) {
      assert.ok(relayIps.includes(c.remote.slice(0, c.remote.lastIndexOf(":"))), `${c.remote} is not a relay`);
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
