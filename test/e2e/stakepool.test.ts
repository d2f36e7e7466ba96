// A StakePool end to end: the real Manager running the real StakePool and Relay controllers against a control
// plane with kube-controller-manager, kube-scheduler and kwok, and key Secrets made from a real devnet
// (`poolfleet-cli genesis create`). The producer and relay StatefulSets get running pods and the pool reaches
// Ready; a key Secret rewritten into the seeds/003 incident (a new node.cert next to the old kes.skey) leaves the
// running pod alone, turns KeysValid False and says why in a Warning Event; deleting the pool lets the garbage
// collector remove every object the operator made for it, down to the Relay's. Skips (loudly) without the e2e
// binaries; .ci/run builds them.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  NetworkingV1Api,
  PolicyV1Api,
  type V1Pod,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import { parseEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope } from "../../src/formats/keys.ts";
import { poolIdBech32 } from "../../src/keys/secret-gate.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { runCli } from "../helpers/cli.ts";
import { type ControlPlane, e2eSkipReason, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { waitFor } from "../helpers/wait.ts";

const skip = await e2eSkipReason();
const NS = "e2e-pool";
const HOT = ["kes.skey", "vrf.skey", "node.cert"];

type Pool = KubernetesObject & { status?: StakePoolStatus };

describe("a StakePool end to end (scheduler, controllers, kwok)", { skip }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let raw: KubeClient;
  let manager: Manager;
  let dir: string;
  const poolDir = () => join(dir, "devnet", "pools", "pool1");

  const getPool = () =>
    custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "stakepools",
      name: "p1",
    }) as Promise<Pool>;
  const condition = (p: Pool, type: string) => p.status?.conditions?.find((c) => c.type === type);
  const readPod = (name: string) => core.readNamespacedPod({ name, namespace: NS }).catch(() => undefined);
  const runningReady = (p: V1Pod | undefined) =>
    p?.status?.phase === "Running" && p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  const keyRevisionOf = (p: V1Pod) => p.spec?.volumes?.find((v) => v.name === "keys")?.secret?.secretName;

  before(
    async () => {
      cp = await startControlPlane({ e2e: true });
      core = cp.kc.makeApiClient(CoreV1Api);
      apps = cp.kc.makeApiClient(AppsV1Api);
      custom = cp.kc.makeApiClient(CustomObjectsApi);
      raw = new KubeClient(cp.kc);
      await installProjectCrds(cp.kc);
      dir = mkdtempSync(join(tmpdir(), "pf-e2e-pool-"));
      const made = await runCli(["genesis", "create", "--pools", "1", "--out-dir", join(dir, "devnet")]);
      assert.equal(made.code, 0, made.stderr);

      const redactor = new SecretRedactor();
      manager = new Manager({
        kc: cp.kc,
        controllers: [stakePoolController({ pollMs: 500 }), relayController()],
        log: operatorLogger(process.env.POOLFLEET_TEST_LOG ?? "silent", redactor),
        redactor,
        queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
      });
      await manager.start();
    },
    { timeout: 5 * 60_000 },
  );
  after(async () => {
    await manager?.stop();
    raw?.close();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the producer and relay get running pods on the fake node and the StakePool is Ready", async () => {
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: configMapFromDir(NS, "devnet-network", join(dir, "devnet")),
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: {
        metadata: { name: "p1-cold" },
        data: { "cold.vkey": readFileSync(join(poolDir(), "cold.vkey"), "utf8") },
      },
    });
    await core.createNamespacedSecret({
      namespace: NS,
      body: secretFromFiles(
        NS,
        "p1-keys",
        HOT.map((f) => join(poolDir(), f)),
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

    const producer = await waitFor(
      "pod p1-producer-0 Running and Ready",
      async () => {
        const p = await readPod("p1-producer-0");
        return runningReady(p) ? p : undefined;
      },
      90_000,
    );
    assert.equal(producer.spec?.nodeName, cp.e2e?.nodeNames[0]);
    const relayPod = await waitFor(
      "pod p1-relay-0 Running and Ready",
      async () => {
        const p = await readPod("p1-relay-0");
        return runningReady(p) ? p : undefined;
      },
      90_000,
    );
    assert.equal(relayPod.spec?.nodeName, cp.e2e?.nodeNames[0]);

    const pool = await waitFor(
      "StakePool p1 Ready",
      async () => {
        const p = await getPool();
        return condition(p, "Ready")?.status === "True" ? p : undefined;
      },
      60_000,
    );
    const hash = pool.status!.producer!.keysHash!;
    assert.equal(keyRevisionOf(producer), `p1-keys-${hash.slice(0, 8)}`, "the pod mounts the gated revision");
    assert.equal(condition(pool, "KeysValid")?.status, "True");
    assert.equal(condition(pool, "KeysValid")?.reason, "GatePassed");
    assert.equal(condition(pool, "Ready")?.reason, "ProducerReady");
    assert.equal(pool.status?.producer?.ready, true);
    // Ready means a ready producer pod (stakepool-status.ts). Whether it forges comes from the node's own
    // /metrics, which a kwok pod does not serve: the operator says it could not read them, and no more.
    const forging = condition(pool, "Forging");
    assert.equal(forging?.status, "Unknown");
    assert.equal(forging?.reason, "MetricsUnavailable");
    assert.equal(pool.status?.phase, "Progressing", "not Forging: nothing confirmed it forges");
    assert.equal(pool.status?.tip, undefined);
    // The pool id is the devnet's: the hash of the cold key genesis create wrote.
    const cold = keyFromEnvelope(
      parseEnvelope(readFileSync(join(poolDir(), "cold.vkey"), "utf8"), "cold.vkey"),
      "cold.vkey",
      KEY_KINDS.coldVerification,
    );
    assert.equal(pool.status?.poolId, poolIdBech32(cold));
    assert.equal(pool.status?.kes?.counter, 0);
    await waitFor(
      "relay readiness in the pool's status",
      async () => {
        const p = await getPool();
        return p.status?.relays?.readyReplicas === 1 ? p : undefined;
      },
      30_000,
    );
  });

  test("keys rewritten into the seeds/003 incident: the pod keeps running, KeysValid False, a Warning says why", async () => {
    const before = (await readPod("p1-producer-0"))!;
    const revision = keyRevisionOf(before);
    // The incident with the real CLI: a new KES key is certified (counter 1), and the new node.cert is deployed
    // next to the old kes.skey.
    const work = join(dir, "rotate");
    const rotated = await runCli([
      "node",
      "key-gen-KES",
      "--verification-key-file",
      join(dir, "kes2.vkey"),
      "--signing-key-file",
      join(dir, "kes2.skey"),
    ]);
    assert.equal(rotated.code, 0, rotated.stderr);
    copyFileSync(join(poolDir(), "cold.counter"), `${work}.counter`);
    const cert = await runCli([
      "node",
      "issue-op-cert",
      "--kes-verification-key-file",
      join(dir, "kes2.vkey"),
      "--cold-signing-key-file",
      join(poolDir(), "cold.skey"),
      "--operational-certificate-issue-counter-file",
      `${work}.counter`,
      "--kes-period",
      "0",
      "--out-file",
      `${work}.node.cert`,
    ]);
    assert.equal(cert.code, 0, cert.stderr);
    const data = {
      ...secretFromFiles(NS, "p1-keys", [join(poolDir(), "kes.skey"), join(poolDir(), "vrf.skey")]).data,
      "node.cert": readFileSync(`${work}.node.cert`).toString("base64"),
    };
    await core.replaceNamespacedSecret({
      namespace: NS,
      name: "p1-keys",
      body: { metadata: { name: "p1-keys" }, data },
    });

    const pool = await waitFor(
      "KeysValid False",
      async () => {
        const p = await getPool();
        return condition(p, "KeysValid")?.status === "False" ? p : undefined;
      },
      30_000,
    );
    assert.equal(condition(pool, "KeysValid")?.reason, "KesKeyMismatch");
    assert.match(condition(pool, "KeysValid")!.message, /kes\.skey/);
    assert.equal(pool.status?.phase, "KeysInvalid");
    const warning = await waitFor("a KesKeyMismatch Warning Event", async () => {
      const list = await raw.request<{ items: { type: string; reason: string; note?: string }[] }>(
        "GET",
        `/apis/events.k8s.io/v1/namespaces/${NS}/events`,
      );
      return list.items.find((e) => e.type === "Warning" && e.reason === "KesKeyMismatch");
    });
    assert.match(warning.note ?? "", /kes\.skey/);
    assert.match(warning.note ?? "", new RegExp(`keeps running on key revision ${revision!.slice(-8)}`));

    // Several polls later (every 500 ms) the same pod runs on the same revision, still Ready.
    await new Promise((r) => setTimeout(r, 3000));
    const after = (await readPod("p1-producer-0"))!;
    assert.equal(after.metadata?.uid, before.metadata?.uid, "the same pod");
    assert.equal(keyRevisionOf(after), revision, "on the same key revision");
    assert.ok(runningReady(after), "still Running and Ready");
    const sts = await apps.readNamespacedStatefulSet({ namespace: NS, name: "p1-producer" });
    assert.equal(sts.status?.updateRevision, sts.status?.currentRevision, "no rollout under way");
    const now = await getPool();
    assert.equal(condition(now, "Ready")?.status, "True", "the running producer is still Ready");
    assert.equal(now.status?.producer?.keysHash?.slice(0, 8), revision!.slice(-8));
  });

  test("deleting the StakePool: the garbage collector removes every object the operator made for it", async () => {
    const pool = await getPool();
    // Everything owned by the pool, and by what the pool owns (its Relay -> the relays' objects; StatefulSets ->
    // pods), found by owner reference rather than by the names the test expects.
    const lists = async (): Promise<KubernetesObject[]> => {
      const net = cp.kc.makeApiClient(NetworkingV1Api);
      const policy = cp.kc.makeApiClient(PolicyV1Api);
      const tag = (kind: string, items: KubernetesObject[]) => items.map((o) => ({ ...o, kind }));
      const relays = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: "relays",
      })) as { items: KubernetesObject[] };
      return [
        ...tag("StatefulSet", (await apps.listNamespacedStatefulSet({ namespace: NS })).items),
        ...tag("Service", (await core.listNamespacedService({ namespace: NS })).items),
        ...tag("ConfigMap", (await core.listNamespacedConfigMap({ namespace: NS })).items),
        ...tag("Secret", (await core.listNamespacedSecret({ namespace: NS })).items),
        ...tag("NetworkPolicy", (await net.listNamespacedNetworkPolicy({ namespace: NS })).items),
        ...tag("PodDisruptionBudget", (await policy.listNamespacedPodDisruptionBudget({ namespace: NS })).items),
        ...tag("Pod", (await core.listNamespacedPod({ namespace: NS })).items),
        ...tag("Relay", relays.items),
      ];
    };
    const owned = (all: KubernetesObject[]) => {
      const uids = new Set([pool.metadata!.uid!]);
      for (let grew = true; grew;) {
        grew = false;
        for (const o of all) {
          if (!uids.has(o.metadata!.uid!) && o.metadata?.ownerReferences?.some((r) => uids.has(r.uid))) {
            uids.add(o.metadata!.uid!);
            grew = true;
          }
        }
      }
      return all.filter((o) => o.metadata!.uid !== pool.metadata!.uid && uids.has(o.metadata!.uid!));
    };
    const ids = (objs: KubernetesObject[]) => objs.map((o) => `${o.kind}/${o.metadata!.name}`).sort();
    const hash8 = pool.status!.producer!.keysHash!.slice(0, 8);
    assert.deepEqual(ids(owned(await lists())), [
      "ConfigMap/p1-producer-topology",
      "ConfigMap/p1-relay-topology",
      "NetworkPolicy/p1-producer",
      "NetworkPolicy/p1-relay",
      "Pod/p1-producer-0",
      "Pod/p1-relay-0",
      "PodDisruptionBudget/p1-producer",
      "Relay/p1-relay",
      `Secret/p1-keys-${hash8}`,
      "Service/p1-producer",
      "Service/p1-relay",
      "Service/p1-relay-0",
      "StatefulSet/p1-producer",
      "StatefulSet/p1-relay",
    ]);
    const everything = new Set((await lists()).map((o) => o.metadata!.uid!));
    const ownedUids = new Set(owned(await lists()).map((o) => o.metadata!.uid!));

    await custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: "stakepools",
      name: "p1",
    });
    await waitFor(
      "the StakePool gone",
      async () => {
        try {
          await getPool();
          return false;
        } catch (e) {
          if (e instanceof ApiException && e.code === 404) return true;
          throw e;
        }
      },
      30_000,
    );
    const left = await waitFor(
      "every owned object garbage-collected",
      async () => {
        const now = await lists();
        return now.some((o) => ownedUids.has(o.metadata!.uid!)) ? undefined : now;
      },
      120_000,
    );
    // What the person made stays: the key Secret, the network and cold key ConfigMaps (and the namespace's own).
    assert.deepEqual(ids(left.filter((o) => everything.has(o.metadata!.uid!))), [
      "ConfigMap/devnet-network",
      "ConfigMap/kube-root-ca.crt",
      "ConfigMap/p1-cold",
      "Secret/p1-keys",
    ]);
  });
});
