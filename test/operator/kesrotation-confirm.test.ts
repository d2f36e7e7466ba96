// A rotation completes only when the producer reports forging with the new certificate. A real forging
// poolfleet-node (a 1-pool devnet with 5-second KES periods) is the pool's producer: the StakePool is that devnet
// pool (its genesis in a custom-network ConfigMap, its keys in the pool's Secret), and the real operator
// (StakePool + KesRotation controllers, Auto mode, the Jobs run by the stand-in kubelet) rotates its KES key with
// the real clock. No kubelet or StatefulSet controller runs on envtest, so the test plays them for the producer:
// it reports the StatefulSet ready and the pod at 127.0.0.1 (where the node's /metrics are), and, when it chooses,
// "restarts the pod onto the new revision": writes the revision Secret's files over the node's key files and
// sends SIGHUP (the node reloads its keys, as `devnet rotate-kes` does). Until then the node's /metrics still say
// counter 0 and the rotation must stay open; afterwards they say 1 and it must complete, confirmed.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { KesRotationStatus } from "../../src/api/kesrotation.ts";
import { DEFAULT_KES_JOB_CLUSTERROLE, KES_JOB_RULES } from "../../src/operator/kesrotation/build-jobs.ts";
import { kesRotationController } from "../../src/operator/kesrotation/controller.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { ManagerMetrics } from "../../src/operator/manager/metrics.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { nodeFigures } from "../../src/operator/node-client/node-metrics.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { type JobStandIn, startJobStandIn } from "../helpers/job-standin.ts";
import { type RunningNode, startNode } from "../helpers/node-process.ts";
import { waitWithin } from "../helpers/wait.ts";

const NS = "kes-confirm";
const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let raw: KubeClient;
let standIn: JobStandIn;
let manager: Manager;
let node: RunningNode;
let devnet = "";
let kubelet: { stop: boolean; done?: Promise<void> } = { stop: false };

const waitFor = waitWithin(60_000);

type Rot = KubernetesObject & { status?: KesRotationStatus };
const getRotation = () =>
  custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: "kesrotations",
    name: "p-kes",
  }) as Promise<Rot>;
const cond = (o: Rot, type: string) => o.status?.conditions?.find((c) => c.type === type);
const nodeMetrics = async () => nodeFigures((await node.get("/metrics")).body);
async function events(reason: string) {
  const list = await raw.request<{ items: { reason: string; note?: string; type: string }[] }>(
    "GET",
    `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
  );
  return list.items.filter((e) => e.reason === reason);
}

/**
 * The StatefulSet controller and kubelet, as far as the producer goes: the StatefulSet reports one ready replica
 * of its current generation, and pod p-producer-0 exists at 127.0.0.1 (the node's metrics are on loopback).
 */
function playStatefulSet(): { stop: boolean; done?: Promise<void> } {
  const state: { stop: boolean; done?: Promise<void> } = { stop: false };
  state.done = (async () => {
    let podMade = false;
    while (!state.stop) {
      try {
        const sts = await apps.readNamespacedStatefulSet({ namespace: NS, name: "p-producer" });
        const gen = sts.metadata!.generation!;
        if (sts.status?.observedGeneration !== gen)
          await apps.replaceNamespacedStatefulSetStatus({
            namespace: NS,
            name: "p-producer",
            body: {
              ...sts,
              status: {
                replicas: 1,
                readyReplicas: 1,
                availableReplicas: 1,
                updatedReplicas: 1,
                observedGeneration: gen,
              },
            },
          });
        if (!podMade) {
          const pod = await core.createNamespacedPod({
            namespace: NS,
            body: {
              metadata: { name: "p-producer-0" },
              spec: { containers: [{ name: "node", image: sts.spec!.template.spec!.containers[0]!.image! }] },
            },
          });
          await core.replaceNamespacedPodStatus({
            namespace: NS,
            name: "p-producer-0",
            body: { ...pod, status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
          });
          podMade = true;
        }
      } catch {
        // not there yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return state;
}

before(
  async () => {
    const root = mkdtempSync(join(tmpdir(), "pf-kes-confirm-"));
    devnet = join(root, "devnet");
    // 0.2 s slots, 25 slots per KES period: a new period every 5 s, so the rotation is due within seconds.
    await createDevnet(devnet, { slotLength: "0.2", activeSlotCoeff: "0.5", slotsPerKesPeriod: 25 });
    node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(root, "db"),
      ...poolKeyArgs(devnet),
    ]);
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    apps = cp.kc.makeApiClient(AppsV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    raw = new KubeClient(cp.kc);
    await installProjectCrds(cp.kc);
    await cp.kc.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
      body: { metadata: { name: DEFAULT_KES_JOB_CLUSTERROLE }, rules: KES_JOB_RULES },
    });
    standIn = startJobStandIn(cp.kc, { namespaces: [NS] });
    const redactor = new SecretRedactor();
    const metrics = new ManagerMetrics();
    manager = new Manager({
      kc: cp.kc,
      controllers: [
        stakePoolController({ pollMs: 200 }), // scrapes the producer's /metrics: the real node's
        kesRotationController({ pollMs: 200, registry: metrics.registry }),
      ],
      log: operatorLogger("warn", redactor),
      redactor,
      metrics,
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await manager.start();
  },
  { timeout: 10 * 60_000 },
);

after(async () => {
  kubelet.stop = true;
  await kubelet.done;
  await manager?.stop();
  await standIn?.stop();
  await node?.stop();
  raw?.close();
  await cp?.stop();
});

describe("forging confirmation with a real producer", () => {
  test("the rotation stays open until the node's /metrics report the new counter, then completes confirmed", async () => {
    await waitFor("the node forging", async () => ((await nodeMetrics()).forgingEnabled === 1 ? true : undefined));
    assert.equal((await nodeMetrics()).opcertCounter, 0);
    const pool = (f: string) => readFileSync(join(devnet, "pools", "pool1", f), "utf8");
    const file = (f: string) => readFileSync(join(devnet, f), "utf8");
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: {
        metadata: { name: "devnet" },
        data: {
          "config.json": file("config.json"),
          "shelley-genesis.json": file("shelley-genesis.json"),
          "alonzo-genesis.json": file("alonzo-genesis.json"),
          "conway-genesis.json": file("conway-genesis.json"),
        },
      },
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "p-cold" }, data: { "cold.vkey": pool("cold.vkey") } },
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: {
        metadata: { name: "p-keys" },
        data: {
          "kes.skey": b64(pool("kes.skey")),
          "vrf.skey": b64(pool("vrf.skey")),
          "node.cert": b64(pool("node.cert")),
        },
      },
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: { metadata: { name: "p-cold-skey" }, data: { "cold.skey": b64(pool("cold.skey")) } },
    });
    const create = (plural: string, kind: string, name: string, spec: Record<string, unknown>) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name, namespace: NS }, spec },
      });
    await create("stakepools", "StakePool", "p", {
      network: { name: "custom", configMapRef: { name: "devnet" } },
      keys: { secretRef: { name: "p-keys" }, coldVerificationKeyRef: { name: "p-cold" } },
      relays: { replicas: 1 },
      metrics: { port: node.port },
    });
    kubelet = playStatefulSet();
    await create("kesrotations", "KesRotation", "p-kes", {
      poolRef: { name: "p" },
      mode: "Auto",
      auto: { coldKeySecretRef: { name: "p-cold-skey" }, acknowledgeColdKeyInCluster: true },
      renewBefore: 61, // KES periods: due one period (5 s) after the certificate's start
      leaderSlotMarginMinutes: 0, // this producer leads a slot every second or so
    });

    // Swapped and running the new revision, but the producer still forges with issue number 0.
    const waiting = await waitFor("the rotation waiting for the producer", async () => {
      const r = await getRotation();
      return cond(r, "Issuing")?.reason === "WaitingForForging" && /opcert counter 0/.test(cond(r, "Issuing")!.message)
        ? r
        : undefined;
    });
    assert.equal(waiting.status!.rotation!.step, "Swapped");
    assert.equal(waiting.status!.rotation!.counter, 1);
    assert.ok(waiting.status!.rotation!.runningSince);
    assert.match(cond(waiting, "Issuing")!.message, /Forging=True \(Forging\), opcert counter 0/);
    assert.equal(cond(waiting, "ForgingConfirmed")?.status, "Unknown");
    const sts = await apps.readNamespacedStatefulSet({ namespace: NS, name: "p-producer" });
    const revision = sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName!;
    assert.equal(revision, `p-keys-${waiting.status!.rotation!.newKeysHash!.slice(0, 8)}`);
    // It stays open while the node says 0 (several reconciles and scrapes at 200 ms).
    await new Promise((r) => setTimeout(r, 2000));
    const still = await getRotation();
    assert.equal(still.status!.lastRotation, undefined, "not completed while the producer reports counter 0");
    assert.equal(still.status!.rotation!.step, "Swapped");
    assert.equal((await nodeMetrics()).opcertCounter, 0);

    // The "pod restarts" onto the new revision: its files over the node's key files, then SIGHUP.
    const secret = await core.readNamespacedSecret({ namespace: NS, name: revision });
    const keyDir = join(devnet, "pools", "pool1");
    for (const f of ["kes.skey", "node.cert"])
      writeFileSync(join(keyDir, f), Buffer.from(secret.data![f]!, "base64"), { mode: 0o600 });
    node.child.kill("SIGHUP");
    await waitFor("the node to report issue number 1", async () =>
      (await nodeMetrics()).opcertCounter === 1 ? true : undefined,
    );
    const done = await waitFor("the rotation to complete", async () => {
      const r = await getRotation();
      return r.status?.lastRotation ? r : undefined;
    });
    // With 5-second periods and renewBefore 61 periods the next renewal is due at once, so another rotation may
    // already have started (with issue number 1 again: no block has carried 1 yet, and the chain's counter wins).
    assert.notEqual(done.status!.rotation?.startedAt, waiting.status!.rotation!.startedAt, "this rotation is closed");
    assert.equal(done.status!.lastRotation!.counter, 1);
    assert.equal(done.status!.lastRotation!.forgingConfirmed, true);
    assert.equal(cond(done, "ForgingConfirmed")?.status, "True");
    assert.equal((await nodeMetrics()).forgingEnabled, 1, "the node forges with the new keys");
    assert.equal((await events("ForgingNotConfirmed")).length, 0);
    const rotated = await events("Rotated");
    assert.equal(rotated.length, 1);
    assert.match(rotated[0]!.note!, /its producer forges with it/);
  });
});
