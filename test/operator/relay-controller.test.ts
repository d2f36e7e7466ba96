// The Relay controller in the real manager on a real kube-apiserver: a Relay becomes exactly its topology
// ConfigMap, StatefulSet, shared and per-relay Services and NetworkPolicy; the pool's producer is wired in as a
// local root once the StakePool names the Relay; an unchanged Relay's second reconcile writes nothing; scaling
// down removes the relay's own Service; and a relay pod's tip is read from a real poolfleet-node's /metrics.
// (No kubelet runs here: the test writes the relay pod and its status itself, pointing at the node on loopback.)
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  NetworkingV1Api,
} from "@kubernetes/client-node";
import pino from "pino";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { RelayStatus } from "../../src/api/relay.ts";
import { parseTopology } from "../../src/formats/topology.ts";
import { RELAY_CONTROLLER, relayController } from "../../src/operator/controllers/relay.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { poolKeyArgs, runCli } from "../helpers/cli.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor as waitForNode, waitWithin } from "../helpers/wait.ts";

const log = pino({ level: process.env.POOLFLEET_TEST_LOG ?? "silent" });
const NS = "relays";

let cp: ControlPlane;
let core: CoreV1Api;
let custom: CustomObjectsApi;
let m: Manager;
let node: RunningNode | undefined;

const waitFor = waitWithin(20_000);

async function idle(): Promise<void> {
  let quietSince = 0;
  await waitFor("the manager to go idle", async () => {
    if (m.pendingWork > 0) quietSince = 0;
    else if (!quietSince) quietSince = Date.now();
    return quietSince && Date.now() - quietSince > 500 ? true : undefined;
  });
}

const cr = (plural: string) => ({ group: GROUP, version: VERSION, namespace: NS, plural });
type Relay = KubernetesObject & { status?: RelayStatus };
const getRelay = (name: string) => custom.getNamespacedCustomObject({ ...cr("relays"), name }) as Promise<Relay>;

/** Every object in the namespace with a controller owner reference to `uid`, as "Kind/name". */
async function ownedBy(uid: string): Promise<string[]> {
  const apps = cp.kc.makeApiClient(AppsV1Api);
  const net = cp.kc.makeApiClient(NetworkingV1Api);
  const lists: { kind: string; items: KubernetesObject[] }[] = [
    { kind: "ConfigMap", items: (await core.listNamespacedConfigMap({ namespace: NS })).items },
    { kind: "Service", items: (await core.listNamespacedService({ namespace: NS })).items },
    { kind: "Secret", items: (await core.listNamespacedSecret({ namespace: NS })).items },
    { kind: "StatefulSet", items: (await apps.listNamespacedStatefulSet({ namespace: NS })).items },
    { kind: "NetworkPolicy", items: (await net.listNamespacedNetworkPolicy({ namespace: NS })).items },
  ];
  return lists
    .flatMap(({ kind, items }) =>
      items
        .filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller))
        .map((o) => `${kind}/${o.metadata!.name}`),
    )
    .sort();
}

before(
  async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(cp.kc);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    m = new Manager({
      kc: cp.kc,
      log,
      controllers: [relayController({ tipIntervalMs: 500, scrapeTimeoutMs: 2000 })],
      namespaces: [NS],
      informer: { backoffBaseMs: 50, backoffMaxMs: 500 },
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await m.start();
  },
  { timeout: 55 * 60_000 },
);

after(async () => {
  await m?.stop();
  await node?.stop();
  await cp?.stop();
});

describe("Relay controller", () => {
  let uid = "";

  test("a Relay becomes exactly its objects; the pool's producer joins the topology once the pool names it", async () => {
    const relay = (await custom.createNamespacedCustomObject({
      ...cr("relays"),
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Relay",
        metadata: { name: "pool-a-relay" },
        spec: { network: { name: "preprod" }, poolRef: { name: "pool-a" }, replicas: 2 },
      },
    })) as Relay;
    uid = relay.metadata!.uid!;
    await waitFor("status", async () => (await getRelay("pool-a-relay")).status?.phase === "Pending");
    await idle();
    assert.deepEqual(await ownedBy(uid), [
      "ConfigMap/pool-a-relay-topology",
      "NetworkPolicy/pool-a-relay",
      "Service/pool-a-relay",
      "Service/pool-a-relay-0",
      "Service/pool-a-relay-1",
      "StatefulSet/pool-a-relay",
    ]);
    let status = (await getRelay("pool-a-relay")).status!;
    assert.equal(status.readyReplicas, 0);
    assert.equal(status.serviceType, "ClusterIP");
    assert.deepEqual(
      status.relays?.map((r) => r.name),
      ["pool-a-relay-0", "pool-a-relay-1"],
    );
    const linked = status.conditions?.find((c) => c.type === "PoolLinked");
    assert.equal(linked?.status, "False", "the pool does not exist yet");
    const topo = async () =>
      parseTopology(
        (await core.readNamespacedConfigMap({ namespace: NS, name: "pool-a-relay-topology" })).data![
          "pool-a-relay-0.json"
        ]!,
        "relay 0",
      );
    assert.ok(!(await topo()).localRoots.some((g) => g.accessPoints.some((a) => a.address.includes("producer"))));

    await custom.createNamespacedCustomObject({
      ...cr("stakepools"),
      body: {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "StakePool",
        metadata: { name: "pool-a" },
        spec: { network: { name: "preprod" }, keys: { secretRef: { name: "pool-a-keys" } }, port: 3005 },
      },
    });
    await waitFor("the producer as a local root", async () =>
      (await topo()).localRoots[0]?.accessPoints[0]?.address === "pool-a-producer.relays.svc.cluster.local"
        ? true
        : undefined,
    );
    assert.equal((await topo()).localRoots[0]!.accessPoints[0]!.port, 3005);
    await waitFor("PoolLinked", async () => {
      status = (await getRelay("pool-a-relay")).status!;
      return status.conditions?.find((c) => c.type === "PoolLinked")?.status === "True" || undefined;
    });
  });

  test("an unchanged Relay's second reconcile writes nothing", async () => {
    await idle();
    const before = await m.metrics.writeCount(RELAY_CONTROLLER);
    const rv = (await getRelay("pool-a-relay")).metadata!.resourceVersion;
    m.enqueue(RELAY_CONTROLLER, { namespace: NS, name: "pool-a-relay" });
    await new Promise((r) => setTimeout(r, 300));
    await idle();
    assert.equal(await m.metrics.writeCount(RELAY_CONTROLLER), before);
    assert.equal((await getRelay("pool-a-relay")).metadata!.resourceVersion, rv);
  });

  test("scaled to one, the second relay's Service and topology file go", async () => {
    await custom.patchNamespacedCustomObject({
      ...cr("relays"),
      name: "pool-a-relay",
      body: [{ op: "replace", path: "/spec/replicas", value: 1 }],
    });
    await waitFor("one relay Service", async () =>
      (await ownedBy(uid)).includes("Service/pool-a-relay-1") ? undefined : true,
    );
    const cm = await core.readNamespacedConfigMap({ namespace: NS, name: "pool-a-relay-topology" });
    assert.deepEqual(Object.keys(cm.data!), ["pool-a-relay-0.json"]);
    const sts = await cp.kc.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ namespace: NS, name: "pool-a-relay" });
    assert.equal(sts.spec?.replicas, 1);
  });

  test("a ready relay pod: readyReplicas, phase Ready, and its tip read from a real node's /metrics", async () => {
    const root = mkdtempSync(join(tmpdir(), "pf-relayctl-"));
    const devnet = join(root, "devnet");
    const r = await runCli(["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"]);
    assert.equal(r.code, 0, r.stderr);
    node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(root, "db"),
      ...poolKeyArgs(devnet),
    ]);
    const running = node;
    await waitForNode("a tip", async () => ((await running.metric("poolfleet_tip_slot")) ?? 0) > 0);
    // The Relay's metrics port is the node's; the pod (written here, no kubelet) has the loopback address.
    await custom.patchNamespacedCustomObject({
      ...cr("relays"),
      name: "pool-a-relay",
      body: [{ op: "add", path: "/spec/metrics", value: { port: running.port } }],
    });
    const sts = await cp.kc.makeApiClient(AppsV1Api).readNamespacedStatefulSet({ namespace: NS, name: "pool-a-relay" });
    const labels = sts.spec!.template.metadata!.labels!;
    await core.createNamespacedPod({
      namespace: NS,
      body: {
        metadata: {
          name: "pool-a-relay-0",
          labels: { ...labels, "statefulset.kubernetes.io/pod-name": "pool-a-relay-0" },
        },
        spec: { containers: [{ name: "node", image: "poolfleet/poolfleet-node:0.1.0" }] },
      },
    });
    // What a kubelet would report: running, ready, on the loopback address (read-modify-write keeps the labels).
    const pod = await core.readNamespacedPod({ namespace: NS, name: "pool-a-relay-0" });
    pod.status = {
      phase: "Running",
      podIP: "127.0.0.1",
      conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date() }],
    };
    await core.replaceNamespacedPodStatus({ namespace: NS, name: "pool-a-relay-0", body: pod });
    let seen: RelayStatus | undefined;
    const status = await waitFor("a tip in status", async () => {
      const s = (seen = (await getRelay("pool-a-relay")).status);
      return s?.tip && s.phase === "Ready" ? s : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; last status ${JSON.stringify(seen)}`);
    });
    assert.equal(status.readyReplicas, 1);
    assert.equal(status.conditions?.find((c) => c.type === "Ready")?.status, "True");
    assert.deepEqual(status.relays?.[0]?.tip, status.tip);
    const nodeTip = (await running.metric("poolfleet_tip_slot"))!;
    assert.ok(status.tip!.slot > 0 && status.tip!.slot <= nodeTip, `${status.tip!.slot} vs node ${nodeTip}`);
    // Tips move on: the controller polls while the pod exists.
    const first = status.tip!.slot;
    await waitFor("a newer tip", async () => ((await getRelay("pool-a-relay")).status?.tip?.slot ?? 0) > first);
  });
});
