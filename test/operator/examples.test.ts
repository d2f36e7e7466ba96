// examples/ applied for real to a real kube-apiserver with the operator's controllers running: the manifests are
// accepted as written, and the expected objects result: the Relay a StakePool asks for, and exactly each Relay's
// objects. The devnet fleet is loaded the way its README tells a person to: a devnet made by `poolfleet-cli genesis
// create`, its files in a ConfigMap and each pool's hot keys in a Secret, with the commands read from the README;
// each producer then becomes exactly its objects too. (preprod-pool has no key Secret here: its producer waits.)
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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
  PolicyV1Api,
} from "@kubernetes/client-node";
import pino from "pino";
import { parseTopology } from "../../src/formats/topology.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { runCli } from "../helpers/cli.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { waitWithin } from "../helpers/wait.ts";

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

const waitFor = waitWithin(20_000);

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
    {
      kind: "PodDisruptionBudget",
      items: (await cp.kc.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace: ns })).items,
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
    await installProjectCrds(cp.kc);
    m = new Manager({ kc: cp.kc, log, controllers: [stakePoolController(), relayController()] });
    await m.start();
  },
  { timeout: 55 * 60_000 },
);

let tmp: string | undefined;

after(async () => {
  await m?.stop();
  await cp?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * The devnet-fleet README's shell commands, read from the README so the test follows what a person is told: the
 * directory `genesis create` writes, the network ConfigMap made from it, and the files of each pool's key Secret.
 */
function devnetReadme() {
  const text = readFileSync(join(ROOT, "examples/devnet-fleet/README.md"), "utf8");
  const sh = /```sh\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
  const outDir = /poolfleet-cli genesis create --pools 2 --out-dir (\S+)/.exec(sh)?.[1];
  const configMap = /kubectl -n devnet create configmap (\S+) --from-file=(\S+)\/\n/.exec(sh);
  const secret = /kubectl -n devnet create secret generic \$p-keys((?:\s+(?:\\\n\s*)?--from-file=\S+)+)/.exec(sh);
  assert.ok(outDir && configMap && secret, `the README's commands are where the test expects them:\n${sh}`);
  const keyFiles = [...secret[1]!.matchAll(/--from-file=(\S+)/g)].map((f) => f[1]!);
  assert.equal(configMap[2], outDir, "the ConfigMap is made from the directory genesis create wrote");
  return { outDir, configMapName: configMap[1]!, keyFiles };
}

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

  test("devnet-fleet, loaded as its README says: each producer and each Relay become exactly their objects, wired to each other", async () => {
    const readme = devnetReadme();
    tmp = mkdtempSync(join(tmpdir(), "pf-examples-"));
    const out = join(tmp, readme.outDir);
    const made = await runCli(["genesis", "create", "--pools", "2", "--out-dir", out]);
    assert.equal(made.code, 0, made.stderr);
    const objs = manifests("devnet-fleet");
    // In the README's order: the namespace, the network ConfigMap, the key Secrets, then the pools and relays.
    assert.deepEqual(await apply(objs.filter((o) => o.kind === "Namespace")), ["Namespace/devnet"]);
    const core = cp.kc.makeApiClient(CoreV1Api);
    const network = configMapFromDir("devnet", readme.configMapName, out);
    assert.ok(network.data!["shelley-genesis.json"], "the genesis is in the network ConfigMap");
    await core.createNamespacedConfigMap({ namespace: "devnet", body: network });
    assert.deepEqual(readme.keyFiles, [
      `${readme.outDir}/pools/$p/kes.skey`,
      `${readme.outDir}/pools/$p/vrf.skey`,
      `${readme.outDir}/pools/$p/node.cert`,
    ]);
    for (const p of ["pool1", "pool2"]) {
      const files = readme.keyFiles.map((f) => join(tmp!, f.replace("$p", p)));
      await core.createNamespacedSecret({ namespace: "devnet", body: secretFromFiles("devnet", `${p}-keys`, files) });
    }
    const created = await apply(objs.filter((o) => o.kind !== "Namespace"));
    assert.deepEqual(created, [
      "StakePool/devnet/pool1",
      "StakePool/devnet/pool2",
      "Relay/devnet/pool1-relays",
      "Relay/devnet/pool2-relays",
    ]);

    // Each pool's keys pass the gate (against the devnet's own genesis) and its producer gets exactly its objects.
    const dry = KubernetesObjectApi.makeApiClient(cp.kc);
    const keysHash = (pool: string) =>
      waitFor(`${pool}'s keys accepted`, async () => {
        const p = (await dry.read({
          apiVersion: "poolfleet.io/v1alpha1",
          kind: "StakePool",
          metadata: { name: pool, namespace: "devnet" },
        })) as KubernetesObject & {
          status?: { conditions?: { type: string; status: string }[]; producer?: { keysHash?: string } };
        };
        const valid = p.status?.conditions?.find((c) => c.type === "KeysValid")?.status === "True";
        return valid ? p.status?.producer?.keysHash : undefined;
      });
    const hashes = { pool1: await keysHash("pool1"), pool2: await keysHash("pool2") };
    const expected = [
      ...(["pool1", "pool2"] as const).flatMap((p) => [
        `ConfigMap/${p}-producer-topology <- StakePool/${p}`,
        `NetworkPolicy/${p}-producer <- StakePool/${p}`,
        `PodDisruptionBudget/${p}-producer <- StakePool/${p}`,
        `Secret/${p}-keys-${hashes[p].slice(0, 8)} <- StakePool/${p}`,
        `Service/${p}-producer <- StakePool/${p}`,
        `StatefulSet/${p}-producer <- StakePool/${p}`,
      ]),
      ...["pool1-relays", "pool2-relays"].flatMap((r) => [
        `ConfigMap/${r}-topology <- Relay/${r}`,
        `NetworkPolicy/${r} <- Relay/${r}`,
        `Service/${r} <- Relay/${r}`,
        `Service/${r}-0 <- Relay/${r}`,
        `StatefulSet/${r} <- Relay/${r}`,
      ]),
    ].sort();
    await waitFor("the fleet's objects", async () => {
      const got = await operatorObjects("devnet");
      return got.length >= expected.length ? got : undefined;
    });
    const topology = await waitFor("pool1's producer in its relay's topology", async () => {
      const cm = await core.readNamespacedConfigMap({ namespace: "devnet", name: "pool1-relays-topology" });
      const t = parseTopology(cm.data!["pool1-relays-0.json"]!, "pool1-relays-0");
      return t.localRoots.length > 0 ? t : undefined;
    });
    assert.deepEqual(await operatorObjects("devnet"), expected);
    assert.deepEqual(topology.localRoots[0]!.accessPoints, [
      { address: "pool1-producer.devnet.svc.cluster.local", port: 3001 },
    ]);
    assert.deepEqual(topology.publicRoots[0]!.accessPoints, [
      { address: "pool2-relays-0.devnet.svc.cluster.local", port: 3001 },
    ]);
    assert.equal(topology.useLedgerAfterSlot, -1);

    // Each producer mounts its gated revision and reads only its own relay.
    const apps = cp.kc.makeApiClient(AppsV1Api);
    for (const p of ["pool1", "pool2"] as const) {
      const sts = await apps.readNamespacedStatefulSet({ namespace: "devnet", name: `${p}-producer` });
      const keys = sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!;
      assert.equal(keys.secretName, `${p}-keys-${hashes[p].slice(0, 8)}`);
      const revision = await core.readNamespacedSecret({ namespace: "devnet", name: keys.secretName! });
      assert.deepEqual(Object.keys(revision.data!).sort(), ["kes.skey", "node.cert", "vrf.skey"]);
      const cm = await core.readNamespacedConfigMap({ namespace: "devnet", name: `${p}-producer-topology` });
      const t = parseTopology(cm.data!["topology.json"]!, `${p}-producer`);
      assert.deepEqual(
        t.localRoots.flatMap((r) => r.accessPoints.map((a) => a.address)),
        [`${p}-relays-0.devnet.svc.cluster.local`],
      );
      assert.deepEqual(t.publicRoots, []);
    }
  });
});
