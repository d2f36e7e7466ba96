// The operator's StakePool on the real cluster: the real Manager with the StakePool and Relay controllers, key
// Secrets from a real devnet (`poolfleet-cli genesis create`), and pods of the node image that really run
// poolfleet-node — the producer forging on its gated keys, on a local PersistentVolume, behind the operator's
// NetworkPolicies, and the relay following it over the operator's Services. Ready comes from the nodes' own /ready.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CoreV1Api, CustomObjectsApi, type KubernetesObject, type V1Pod } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { runCli } from "../helpers/cli.ts";
import { containerTier } from "../helpers/docker.ts";
import { installProjectCrds } from "../helpers/envtest.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { type RealCluster, startRealCluster, realClusterSkip } from "../helpers/real-cluster.ts";
import { waitWithin } from "../helpers/wait.ts";

const waitFor = waitWithin(180_000);
const NS = "pool";
const HOT = ["kes.skey", "vrf.skey", "node.cert"];
type Pool = KubernetesObject & { status?: StakePoolStatus };

describe("a StakePool on a real cluster", { timeout: 20 * 60_000, skip: realClusterSkip() }, () => {
  let rc: RealCluster;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let manager: Manager;
  let dir: string;

  const readPod = (name: string) => core.readNamespacedPod({ name, namespace: NS }).catch(() => undefined);
  const runningReady = (p: V1Pod | undefined) =>
    p?.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  const getPool = () =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "stakepools",
      name: "p1",
    }) as Promise<Pool>;

  before(async () => {
    const tier = await containerTier();
    if (!("image" in tier)) throw new Error(`the real-cluster tier needs the node image: ${tier.skip}`);
    rc = await startRealCluster({ images: [tier.image] });
    core = rc.kc.makeApiClient(CoreV1Api);
    custom = rc.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(rc.kc);
    dir = mkdtempSync(join(tmpdir(), "pf-rc-pool-"));
    const made = await runCli(["genesis", "create", "--pools", "1", "--out-dir", join(dir, "devnet")]);
    assert.equal(made.code, 0, made.stderr);
    const redactor = new SecretRedactor();
    // The operator runs here, on the host, not in a pod: its peer in the NetworkPolicies is the host's address on
    // the node's link (where its /metrics reads come from).
    const operatorPeer = { ipBlock: { cidr: `${rc.net.hostIp}/32` } };
    manager = new Manager({
      kc: rc.kc,
      controllers: [stakePoolController({ pollMs: 500, operatorPeer }), relayController({ operatorPeer })],
      log: operatorLogger(process.env.POOLFLEET_TEST_LOG ?? "silent", redactor),
      redactor,
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
    await rc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs the producer and its relay as real nodes: Ready, forging, the relay adopting the producer's blocks", async () => {
    const poolDir = join(dir, "devnet", "pools", "pool1");
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMapFromDir(NS, "devnet-network", join(dir, "devnet")),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "p1-cold" }, data: { "cold.vkey": readFileSync(join(poolDir, "cold.vkey"), "utf8") } },
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: secretFromFiles(
        NS,
        "p1-keys",
        HOT.map((f) => join(poolDir, f)),
      ),
    });
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "stakepools",
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "StakePool",
        metadata: { name: "p1", namespace: NS },
        spec: {
          network: { name: "custom", configMapRef: { name: "devnet-network" } },
          keys: { secretRef: { name: "p1-keys" }, coldVerificationKeyRef: { name: "p1-cold" } },
          relays: { replicas: 1 },
        },
      },
    });

    const logsOf = (name: string) => core.readNamespacedPodLog({ name, namespace: NS }).catch(() => "");
    const describePod = async (name: string) => {
      const p = await readPod(name);
      return `${name}: ${JSON.stringify(p?.status?.containerStatuses ?? p?.status?.conditions)}\n${(await logsOf(name)).slice(-2000)}`;
    };
    try {
      const producer = await waitFor("pod p1-producer-0 Running and Ready", async () => {
        const p = await readPod("p1-producer-0");
        return runningReady(p) ? p : undefined;
      });
      assert.equal(producer.spec?.nodeName, rc.nodeName);
      await waitFor("pod p1-relay-0 Running and Ready", async () => runningReady(await readPod("p1-relay-0")));
      const pool = await waitFor("StakePool p1 Ready", async () => {
        const p = await getPool();
        return p.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" ? p : undefined;
      });
      assert.equal(pool.status?.producer?.ready, true);
      // Blocks the producer forged reach the relay over the operator's Services, through its NetworkPolicies.
      const adopted = await waitFor("the relay adopting blocks from the producer", async () => {
        const line = (await logsOf("p1-relay-0")).split("\n").find((l) => l.includes('"event":"adopted"'));
        return line;
      });
      assert.match(adopted, /"blocks":[1-9]/);
      // The chain database is on a local PersistentVolume of the cluster's storage class, owned by the pod's fsGroup.
      const claim = await core.readNamespacedPersistentVolumeClaim({ name: "data-p1-producer-0", namespace: NS });
      assert.equal(claim.status?.phase, "Bound");
      assert.equal(claim.spec?.storageClassName, rc.storageClass);
      // Forging comes from the producer's own /metrics, read through its NetworkPolicy's operator rule.
      // The devnet's first block is block number 0, so a producer that has forged shows blocksForged >= 1 and a
      // tip past slot 0 (CI once read the status in the moment block 0 was its only block).
      const forging = await waitFor("StakePool p1 Forging, with a block forged", async () => {
        const p = await getPool();
        const on = p.status?.conditions?.find((c) => c.type === "Forging")?.status === "True";
        return on && (p.status?.blocksForged ?? 0) >= 1 ? p : undefined;
      });
      assert.equal(forging.status?.phase, "Forging");
      assert.ok((forging.status?.tip?.slot ?? 0) > 0, JSON.stringify(forging.status?.tip));
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      err.message += `\n${await describePod("p1-producer-0")}\n${await describePod("p1-relay-0")}`;
      throw err;
    }
  });
});
