// examples/ applied for real to a real kube-apiserver with the operator's controllers running: the manifests are
// accepted as written, and the expected objects result: the Relay a StakePool asks for, and exactly each Relay's
// objects. (No key Secrets exist here, so the StakePool controller mounts nothing: its gate is tested elsewhere.)
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  AppsV1Api,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  NetworkingV1Api,
} from "@kubernetes/client-node";
import pino from "pino";
import { parseTopology } from "../../src/formats/topology.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { type ControlPlane, installCrds, startControlPlane } from "../helpers/envtest.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const log = pino({ level: process.env.POOLFLEET_TEST_LOG ?? "silent" });

let cp: ControlPlane;
let m: Manager;

function manifests(example: string): KubernetesObject[] {
  const dir = join(ROOT, "examples", example);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), "utf8")) as KubernetesObject[]);
}

const id = (o: KubernetesObject) =>
  `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

async function apply(objs: KubernetesObject[]): Promise<string[]> {
  const api = KubernetesObjectApi.makeApiClient(cp.kc);
  const created: string[] = [];
  for (const o of objs) created.push(id(await api.create(o)));
  return created;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Objects in `ns` with an owner reference to a poolfleet.io object, as "Kind/name <- OwnerKind/owner". */
async function operatorObjects(ns: string): Promise<string[]> {
  const core = cp.kc.makeApiClient(CoreV1Api);
  const lists: { kind: string; items: KubernetesObject[] }[] = [
    { kind: "ConfigMap", items: (await core.listNamespacedConfigMap({ namespace: ns })).items },
    { kind: "Service", items: (await core.listNamespacedService({ namespace: ns })).items },
    { kind: "Secret", items: (await core.listNamespacedSecret({ namespace: ns })).items },
    {
      kind: "StatefulSet",
      items: (await cp.kc.makeApiClient(AppsV1Api).listNamespacedStatefulSet({ namespace: ns })).items,
    },
    {
      kind: "NetworkPolicy",
      items: (await cp.kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: ns })).items,
    },
  ];
  return lists
    .flatMap(({ kind, items }) =>
      items.flatMap((o) =>
        (o.metadata?.ownerReferences ?? [])
          .filter((r) => r.apiVersion.startsWith("poolfleet.io/"))
          .map((r) => `${kind}/${o.metadata!.name} <- ${r.kind}/${r.name}`),
      ),
    )
    .sort();
}

before(
  async () => {
    cp = await startControlPlane();
    const dir = join(ROOT, "crds");
    await installCrds(
      cp.kc,
      readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => readFileSync(join(dir, f), "utf8")),
    );
    m = new Manager({ kc: cp.kc, log, controllers: [stakePoolController(), relayController()] });
    await m.start();
  },
  { timeout: 55 * 60_000 },
);

after(async () => {
  await m?.stop();
  await cp?.stop();
});

describe("examples", () => {
  test("preprod-pool: the namespace, the cold key ConfigMap and the StakePool, accepted as written", async () => {
    const objs = manifests("preprod-pool");
    const dry = KubernetesObjectApi.makeApiClient(cp.kc);
    // The namespace must exist before anything in it can even be dry-run.
    assert.deepEqual(await apply(objs.filter((o) => o.kind === "Namespace")), ["Namespace/preprod-pool"]);
    for (const o of objs.filter((o) => o.kind !== "Namespace")) await dry.create(o, undefined, "All");
    assert.deepEqual(await apply(objs.filter((o) => o.kind !== "Namespace")), [
      "ConfigMap/preprod-pool/pool-a-cold",
      "StakePool/preprod-pool/pool-a",
    ]);
    const pool = (await dry.read({
      apiVersion: "poolfleet.io/v1alpha1",
      kind: "StakePool",
      metadata: { name: "pool-a", namespace: "preprod-pool" },
    })) as KubernetesObject & { spec: { relays: { replicas: number }; port: number } };
    assert.equal(pool.spec.relays.replicas, 2);
    assert.equal(pool.spec.port, 3001, "defaults filled in by the CRD");
    // The StakePool controller creates the pool's Relay; the Relay controller makes exactly its objects.
    const relayObjects = async () =>
      (await operatorObjects("preprod-pool")).filter((o) => o.endsWith("<- Relay/pool-a-relay"));
    await waitFor("the pool's relays", async () => ((await relayObjects()).length >= 6 ? true : undefined));
    assert.deepEqual(await relayObjects(), [
      "ConfigMap/pool-a-relay-topology <- Relay/pool-a-relay",
      "NetworkPolicy/pool-a-relay <- Relay/pool-a-relay",
      "Service/pool-a-relay <- Relay/pool-a-relay",
      "Service/pool-a-relay-0 <- Relay/pool-a-relay",
      "Service/pool-a-relay-1 <- Relay/pool-a-relay",
      "StatefulSet/pool-a-relay <- Relay/pool-a-relay",
    ]);
    const relay = (await dry.read({
      apiVersion: "poolfleet.io/v1alpha1",
      kind: "Relay",
      metadata: { name: "pool-a-relay", namespace: "preprod-pool" },
    })) as KubernetesObject & { spec: { replicas: number; poolRef: { name: string } } };
    assert.equal(relay.metadata?.ownerReferences?.[0]?.kind, "StakePool");
    assert.deepEqual([relay.spec.replicas, relay.spec.poolRef.name], [2, "pool-a"]);
  });

  test("devnet-fleet: two pools and two Relays; each Relay becomes exactly its objects, wired to its producer and the other pool", async () => {
    const created = await apply(manifests("devnet-fleet"));
    assert.deepEqual(created, [
      "Namespace/devnet",
      "StakePool/devnet/pool1",
      "StakePool/devnet/pool2",
      "Relay/devnet/pool1-relays",
      "Relay/devnet/pool2-relays",
    ]);
    const expected = ["pool1-relays", "pool2-relays"]
      .flatMap((r) => [
        `ConfigMap/${r}-topology <- Relay/${r}`,
        `NetworkPolicy/${r} <- Relay/${r}`,
        `Service/${r} <- Relay/${r}`,
        `Service/${r}-0 <- Relay/${r}`,
        `StatefulSet/${r} <- Relay/${r}`,
      ])
      .sort();
    await waitFor("the relays' objects", async () => {
      const got = (await operatorObjects("devnet")).filter((o) => o.includes("<- Relay/"));
      return got.length >= expected.length ? got : undefined;
    });
    const core = cp.kc.makeApiClient(CoreV1Api);
    const topology = await waitFor("pool1's producer in its relay's topology", async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: "devnet", name: "pool1-relays-topology" });
      const t = parseTopology(cm.data!["pool1-relays-0.json"]!, "pool1-relays-0");
      return t.localRoots.length > 0 ? t : undefined;
    });
    const relayOwned = async () => (await operatorObjects("devnet")).filter((o) => o.includes("<- Relay/"));
    assert.deepEqual(await relayOwned(), expected);
    assert.deepEqual(topology.localRoots[0]!.accessPoints, [
      { address: "pool1-producer.devnet.svc.cluster.local", port: 3001 },
    ]);
    assert.deepEqual(topology.publicRoots[0]!.accessPoints, [
      { address: "pool2-relays-0.devnet.svc.cluster.local", port: 3001 },
    ]);
    assert.equal(topology.useLedgerAfterSlot, -1);
  });
});
