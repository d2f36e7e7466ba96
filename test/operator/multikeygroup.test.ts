// The MultikeyGroup controller end to end on a real kube-apiserver, with real key sets through the gate: a 3-pool
// group gets exactly its objects (one producer mounting each pool's own immutable revision, relays, a relay-only
// NetworkPolicy) and per-pool status, read from the real node metrics registry once the producer is "ready"; a
// pool with a bad key set is refused alone; a 33rd pool is refused at admission; one pool id claimed by two main
// groups, or by a StakePool and a group, is refused for the later claimant with a message naming the first. A main
// and a backup group sharing pools: each gets a producer ServiceAccount with a lease-only Role (checked as that
// identity), no PoolClaimed, the backup is Standby while it forges nothing; a backup naming no main is refused.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  NetworkingV1Api,
  PolicyV1Api,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { MultikeyGroupStatus } from "../../src/api/multikeygroup.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { multikeyGroupController } from "../../src/operator/controllers/multikeygroup.ts";
import { bundleContents } from "../../src/operator/builders/group-producer.ts";
import { relayController } from "../../src/operator/controllers/relay.ts";
import { stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { createMetrics } from "../../src/node/metrics.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { newKes } from "../helpers/keyset.ts";
import { freePort } from "../helpers/node-process.ts";
import { waitWithin } from "../helpers/wait.ts";
import { poolKeys } from "./fixtures/pool-keys.ts";

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let raw: KubeClient;
let manager: Manager;
const waitFor = waitWithin(30_000);

type Group = KubernetesObject & { spec: Record<string, unknown>; status?: MultikeyGroupStatus };
type Pool = KubernetesObject & { status?: StakePoolStatus };
type Keys = Record<string, string>;

const crd = (plural: string) => ({ group: GROUP, version: VERSION, plural });

async function namespace(ns: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: ns } } });
}

async function secret(ns: string, name: string, data: Keys): Promise<void> {
  await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name, namespace: ns }, data } });
}

/** A group whose pools' key Secrets are `<group>-<pool>-src` with the given data (undefined: no Secret). */
async function createGroup(
  ns: string,
  name: string,
  pools: Record<string, Keys | undefined>,
  extra: Record<string, unknown> = {},
): Promise<void> {
  for (const [pool, data] of Object.entries(pools)) if (data) await secret(ns, `${name}-${pool}-src`, data);
  await custom.createNamespacedCustomObject({
    ...crd("multikeygroups"),
    namespace: ns,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "MultikeyGroup",
      metadata: { name, namespace: ns },
      spec: {
        network: { name: "preprod" },
        pools: Object.keys(pools).map((p) => ({ name: p, keys: { secretRef: { name: `${name}-${p}-src` } } })),
        ...extra,
      },
    },
  });
}

const getGroup = (ns: string, name: string) =>
  custom.getNamespacedCustomObject({ ...crd("multikeygroups"), namespace: ns, name }) as Promise<Group>;
const getPool = (ns: string, name: string) =>
  custom.getNamespacedCustomObject({ ...crd("stakepools"), namespace: ns, name }) as Promise<Pool>;
const condition = (o: Group | Pool, type: string) => o.status?.conditions?.find((c) => c.type === type);
const poolOf = (g: Group, name: string) => g.status?.pools?.find((p) => p.name === name);

async function readSts(ns: string, name: string) {
  try {
    return await apps.readNamespacedStatefulSet({ namespace: ns, name });
  } catch {
    return undefined;
  }
}

async function events(ns: string) {
  const list = await raw.request<{ items: { reason: string; note?: string; type: string }[] }>(
    "GET",
    `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
  );
  return list.items;
}

/** The pools the StatefulSet's bundle volume mounts, in order, and each one's file paths. */
function bundleOf(sts: Awaited<ReturnType<typeof readSts>>) {
  const vol = sts!.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!;
  const byPool = new Map<string, string[]>();
  for (const i of vol.secret!.items!) {
    const pool = i.path.split("/")[0]!;
    byPool.set(pool, [...(byPool.get(pool) ?? []), i.path]);
  }
  return [...byPool].map(([pool, paths]) => ({ pool, paths }));
}

/** The revision each pool's files in the group's bundle Secret were copied from. */
async function heldRevisions(ns: string, group: string) {
  const secret = await core.readNamespacedSecret({ namespace: ns, name: `${group}-producer-keys` });
  return new Map([...bundleContents(secret)].map(([pool, p]) => [pool, p.secretName]));
}

before(
  async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    apps = cp.kc.makeApiClient(AppsV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    raw = new KubeClient(cp.kc);
    await installProjectCrds(cp.kc);
    const redactor = new SecretRedactor();
    manager = new Manager({
      kc: cp.kc,
      controllers: [multikeyGroupController({ pollMs: 300 }), stakePoolController({ pollMs: 300 }), relayController()],
      log: operatorLogger("warn", redactor),
      redactor,
      metricsAddr: "127.0.0.1:0",
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await manager.start();
  },
  { timeout: 55 * 60_000 },
);

after(async () => {
  await manager?.stop();
  raw?.close();
  await cp?.stop();
});

describe("a MultikeyGroup with 3 pools", () => {
  const ns = "mkg-a";
  let metricsPort = 0;

  test("gets one producer mounting each pool's own revision, relays, a relay-only policy and per-pool status", async () => {
    metricsPort = await freePort();
    await namespace(ns);
    const sets = { alpha: poolKeys().keySet(0), beta: poolKeys().keySet(0), gamma: poolKeys().keySet(0) };
    await createGroup(ns, "g", sets, { metrics: { port: metricsPort } });
    const group = await waitFor("3 pools with valid keys and a producer", async () => {
      const g = await getGroup(ns, "g");
      return g.status?.pools?.filter((p) => p.keysValid).length === 3 && (await readSts(ns, "g-producer"))
        ? g
        : undefined;
    });
    const uid = group.metadata!.uid;
    // The producer's objects; the relay controller (also running) makes the relays' own.
    const sel = { namespace: ns, labelSelector: "poolfleet.io/pool=g,app.kubernetes.io/component=producer" };
    const namesOf = (items: KubernetesObject[]) => items.map((o) => o.metadata!.name).sort();

    const sts = (await apps.listNamespacedStatefulSet(sel)).items;
    assert.deepEqual(namesOf(sts), ["g-producer"]);
    assert.equal(sts[0]!.spec!.replicas, 1, "one forger");
    assert.deepEqual(namesOf((await core.listNamespacedService(sel)).items), ["g-producer"]);
    const pdbs = (await cp.kc.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget(sel)).items;
    assert.deepEqual(namesOf(pdbs), ["g-producer"]);
    const nps = (await cp.kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy(sel)).items;
    assert.deepEqual(namesOf(nps), ["g-producer"]);
    assert.deepEqual(
      JSON.parse(JSON.stringify(nps[0]!.spec!.ingress![0]!._from)),
      [
        {
          podSelector: {
            matchLabels: {
              "app.kubernetes.io/name": "poolfleet-node",
              "app.kubernetes.io/instance": "g-relay",
              "app.kubernetes.io/component": "relay",
            },
          },
        },
      ],
      "node-to-node only from the group's relays",
    );
    assert.deepEqual(namesOf((await core.listNamespacedConfigMap(sel)).items), ["g-producer-topology"]);
    const relays = (await custom.listNamespacedCustomObject({
      ...crd("relays"),
      namespace: ns,
      labelSelector: "poolfleet.io/pool=g",
    })) as {
      items: (KubernetesObject & { spec: { replicas: number; poolRef: { name: string } } })[];
    };
    assert.deepEqual(namesOf(relays.items), ["g-relay"]);
    assert.deepEqual(relays.items[0]!.spec.poolRef, { name: "g" });

    // Each pool its own immutable revision, projected into <pool>/<file> in the node's (sorted) bundle order.
    const revisions = (
      await core.listNamespacedSecret({ namespace: ns, labelSelector: "poolfleet.io/pool=g,poolfleet.io/key-revision" })
    ).items;
    assert.equal(revisions.length, 3);
    const bundle = bundleOf(sts[0]);
    const held = await heldRevisions(ns, "g");
    assert.deepEqual(
      bundle.map((b) => b.paths),
      ["alpha", "beta", "gamma"].map((p) => [`${p}/kes.skey`, `${p}/vrf.skey`, `${p}/node.cert`]),
    );
    for (const [i, pool] of ["alpha", "beta", "gamma"].entries()) {
      const rev = revisions.find((r) => r.metadata!.labels!["poolfleet.io/group-pool"] === pool)!;
      assert.match(rev.metadata!.name!, new RegExp(`^g-${pool}-keys-[0-9a-f]{8}$`));
      assert.equal(rev.immutable, true);
      assert.equal(bundle[i]!.pool, pool);
      assert.equal(held.get(pool), rev.metadata!.name);
      assert.deepEqual(Object.keys(rev.data!).sort(), ["kes.skey", "node.cert", "vrf.skey"]);
    }
    const vol = sts[0]!.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!;
    assert.equal(vol.secret!.secretName, "g-producer-keys");
    assert.equal(vol.secret!.defaultMode, 0o400);
    const container = sts[0]!.spec!.template.spec!.containers[0]!;
    assert.equal(container.volumeMounts!.find((m) => m.name === "keys")!.readOnly, true);
    const args = container.args!;
    assert.deepEqual(args.slice(args.indexOf("--shelley-key-bundle"), args.indexOf("--shelley-key-bundle") + 4), [
      "--shelley-key-bundle",
      "/keys",
      "--node-name",
      "g",
    ]);
    assert.ok(!args.includes("--shelley-kes-key"));
    for (const o of [...sts, ...pdbs, ...nps, ...revisions, ...relays.items]) {
      assert.equal(
        o.metadata!.ownerReferences?.[0]?.uid,
        uid,
        `${o.kind ?? ""} ${o.metadata!.name} is owned by the group`,
      );
    }

    const st = group.status!;
    assert.equal(st.poolCount, 3);
    assert.equal(st.role, "Main");
    assert.equal(st.phase, "Progressing", "a producer that is not ready yet (no kubelet here)");
    assert.equal(st.forgingPools, 0);
    for (const p of st.pools!) {
      assert.match(p.poolId!, /^pool1/);
      assert.ok(p.kesPeriodsLeft! > 0, `${p.name} has KES periods left`);
      assert.equal(p.forgingNow, undefined, "not known before the producer's metrics are read");
    }
    assert.equal(new Set(st.pools!.map((p) => p.poolId)).size, 3);
    assert.equal(condition(group, "KeysValid")?.status, "True");
    assert.equal(condition(group, "PoolClaims")?.status, "True");
    assert.equal(condition(group, "Ready")?.reason, "ProducerNotReady");
    const accepted = (await events(ns)).filter((e) => e.reason === "KeysAccepted");
    assert.deepEqual(accepted.map((e) => e.note!.split(":")[0]).sort(), ["Pool alpha", "Pool beta", "Pool gamma"]);
  });

  test("the group's relays have its producer as a local root", async () => {
    const cm = await waitFor("the relays' topology naming the producer", async () => {
      const c = await core.readNamespacedConfigMap({ namespace: ns, name: "g-relay-topology" }).catch(() => undefined);
      return c?.data?.["g-relay-0.json"]?.includes("g-producer.mkg-a.svc") ? c : undefined;
    });
    assert.match(cm.data!["g-relay-1.json"]!, /g-producer\.mkg-a\.svc\.cluster\.local/);
    const relay = await waitFor("PoolLinked", async () => {
      const r = (await custom.getNamespacedCustomObject({ ...crd("relays"), namespace: ns, name: "g-relay" })) as Group;
      return condition(r, "PoolLinked")?.status === "True" ? r : undefined;
    });
    assert.equal(
      condition(relay, "PoolLinked")?.message,
      "the producer of MultikeyGroup g is a local root of every relay",
    );
  });

  test("once ready, per-pool status comes from the producer's poolfleet_pool_* metrics", async () => {
    // No kubelet here: the test plays it (StatefulSet ready, pod IP on loopback), and the node's own metrics
    // registry (src/node/metrics.ts) serves the per-pool series a bundle node exports, named <group>-<index>.
    const m = createMetrics();
    m.tipSlot.set(5000);
    m.tipBlock.set(77);
    for (const [i, forging] of [1, 1, 0].entries()) {
      m.poolKeysValid.set({ pool: `g-${i}` }, 1);
      m.poolForgingNow.set({ pool: `g-${i}` }, forging);
      m.poolKesPeriodsRemaining.set({ pool: `g-${i}` }, 40 + i);
      m.poolOpcertCounter.set({ pool: `g-${i}` }, 3 + i);
    }
    m.poolChainOpcertCounter.set({ pool: "g-0" }, 2); // beta and gamma have no block on the chain yet
    m.poolBlocksForged.inc({ pool: "g-0" }, 5);
    m.poolBlocksForged.inc({ pool: "g-1" }, 2);
    m.poolBlocksForged.inc({ pool: "g-2" }, 0);
    const node = createServer((_req, res) => void m.registry.metrics().then((t) => res.end(t)));
    await new Promise<void>((r) => node.listen(metricsPort, "127.0.0.1", r));
    try {
      const sts = (await readSts(ns, "g-producer"))!;
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: "g-producer-0", labels: sts.spec!.selector.matchLabels },
          spec: { containers: [{ name: "node", image: "poolfleet/poolfleet-node:0.1.0" }] },
        },
      });
      await raw.request("PATCH", `/api/v1/namespaces/${ns}/pods/g-producer-0/status`, {
        contentType: "application/merge-patch+json",
        body: { status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
      });
      await raw.request("PATCH", `/apis/apps/v1/namespaces/${ns}/statefulsets/g-producer/status`, {
        contentType: "application/merge-patch+json",
        body: { status: { replicas: 1, readyReplicas: 1, observedGeneration: sts.metadata!.generation } },
      });
      const group = await waitFor("per-pool figures", async () => {
        const g = await getGroup(ns, "g");
        return g.status?.forgingPools === 2 ? g : undefined;
      });
      assert.deepEqual(
        group.status!.pools!.map((p) => [p.name, p.forgingNow, p.blocksForged, p.kesPeriodsLeft, p.forgedBy]),
        [
          ["alpha", true, 5, 40, "g-producer-0 (g-0)"],
          ["beta", true, 2, 41, "g-producer-0 (g-1)"],
          ["gamma", false, 0, 42, undefined],
        ],
      );
      // What a KesRotation of a pool in the group reads: the certificate in use and the chain's counter.
      assert.deepEqual(
        group.status!.pools!.map((p) => [p.opcertCounter, p.counterOnChain]),
        [
          [3, 2],
          [4, undefined],
          [5, undefined],
        ],
      );
      assert.ok(
        group.status!.pools!.every((p) => /^[0-9a-f]{64}$/.test(p.keysHash ?? "")),
        "keysHash of each pool",
      );
      assert.equal(poolOf(group, "gamma")?.reason, "NotForging");
      assert.equal(group.status!.phase, "Degraded", "ready, but one pool does not forge");
      assert.equal(condition(group, "Forging")?.message, "the producer forges for 2 of the 3 pools it holds");
      assert.deepEqual(group.status!.tip, { slot: 5000, blockNo: 77 });
    } finally {
      node.close();
    }
  });
});

describe("refusals", () => {
  test("a pool with a bad key set is refused alone; the producer runs with the others", async () => {
    const ns = "mkg-b";
    await namespace(ns);
    const bad = poolKeys().keySet(0, newKes().vkey); // seeds/003: a certificate for another KES key
    await createGroup(ns, "h", { alpha: poolKeys().keySet(0), beta: bad, gamma: undefined });
    const group = await waitFor("KeysValid False and a producer", async () => {
      const g = await getGroup(ns, "h");
      return condition(g, "KeysValid")?.status === "False" && (await readSts(ns, "h-producer")) ? g : undefined;
    });
    assert.deepEqual(
      bundleOf(await readSts(ns, "h-producer")).map((b) => b.paths[0]),
      ["alpha/kes.skey"],
      "only the pool that passed is mounted",
    );
    assert.equal(poolOf(group, "alpha")?.keysValid, true);
    assert.equal(poolOf(group, "beta")?.keysValid, false);
    assert.equal(poolOf(group, "beta")?.reason, "KesKeyMismatch");
    assert.equal(poolOf(group, "gamma")?.reason, "KeySecretNotFound");
    assert.equal(condition(group, "KeysValid")?.reason, "PoolsRefused");
    assert.match(condition(group, "KeysValid")!.message, /2 of 3 pools refused.*pool beta: KesKeyMismatch/);
    const revisions = (
      await core.listNamespacedSecret({ namespace: ns, labelSelector: "poolfleet.io/pool=h,poolfleet.io/key-revision" })
    ).items;
    assert.deepEqual(
      revisions.map((r) => r.metadata!.labels!["poolfleet.io/group-pool"]),
      ["alpha"],
      "no revision of a refused key set",
    );
    const warning = (await events(ns)).find((e) => e.type === "Warning" && e.reason === "KesKeyMismatch");
    assert.match(warning!.note!, /^Pool beta refused \(KesKeyMismatch\): .*kes\.skey/);
    assert.match(warning!.note!, /the group's other pools are not affected/);
  });

  test("a 33rd pool is refused at admission, saying why", async () => {
    const ns = "mkg-c";
    await namespace(ns);
    const pools = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, undefined]));
    await assert.rejects(createGroup(ns, "big", pools), (e: Error & { body?: string }) => {
      const text = String(e.body ?? e.message);
      assert.match(text, /at most 32 pools \(seeds\/002's advice/);
      return true;
    });
  });

  test("two main groups claiming one pool: the later one is refused for it, naming the first", async () => {
    const shared = poolKeys().keySet(0);
    await namespace("claims-1");
    await namespace("claims-2");
    await createGroup("claims-1", "m1", { shared });
    await waitFor("m1 to publish its pool id", async () => poolOf(await getGroup("claims-1", "m1"), "shared")?.poolId);
    await createGroup("claims-2", "m2", { own: poolKeys().keySet(0), dup: shared });
    const m2 = await waitFor("m2 refused for dup", async () => {
      const g = await getGroup("claims-2", "m2");
      return condition(g, "PoolClaims")?.status === "False" && (await readSts("claims-2", "m2-producer"))
        ? g
        : undefined;
    });
    assert.equal(condition(m2, "PoolClaims")?.reason, "PoolClaimed");
    assert.match(
      condition(m2, "PoolClaims")!.message,
      /pool dup: PoolClaimed: pool pool1\S+ is already claimed by MultikeyGroup claims-1\/m1/,
    );
    assert.equal(poolOf(m2, "dup")?.claimedBy, "MultikeyGroup claims-1/m1");
    assert.equal(poolOf(m2, "dup")?.keysValid, true, "its keys are fine; its claim is not");
    assert.deepEqual(
      bundleOf(await readSts("claims-2", "m2-producer")).map((b) => b.paths[0]),
      ["own/kes.skey"],
      "the claimed pool is not mounted",
    );
    const ev = (await events("claims-2")).find((e) => e.reason === "PoolClaimed");
    assert.match(ev!.note!, /MultikeyGroup claims-1\/m1/);
    const m1 = await getGroup("claims-1", "m1");
    assert.equal(condition(m1, "PoolClaims")?.status, "True", "the first claimant keeps its pool");
  });

  test("a StakePool and a group claiming one pool: whichever came later is refused", async () => {
    const first = poolKeys().keySet(0);
    const second = poolKeys().keySet(0);
    await namespace("claims-3");
    await namespace("claims-4");
    // A group first, then a StakePool with the same pool's keys.
    await createGroup("claims-3", "s1", { p: first });
    await waitFor("s1 to publish its pool id", async () => poolOf(await getGroup("claims-3", "s1"), "p")?.poolId);
    // A StakePool first (it claims `second`), then a group holding it.
    await secret("claims-4", "sp-keys", first);
    await secret("claims-4", "sp2-keys", second);
    const createPool = (name: string) =>
      custom.createNamespacedCustomObject({
        ...crd("stakepools"),
        namespace: "claims-4",
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "StakePool",
          metadata: { name, namespace: "claims-4" },
          spec: { network: { name: "preprod" }, keys: { secretRef: { name: `${name}-keys` } } },
        },
      });
    await createPool("sp");
    await createPool("sp2");
    await waitFor("sp2 to publish its pool id", async () => (await getPool("claims-4", "sp2")).status?.poolId);

    const sp = await waitFor("sp refused", async () => {
      const p = await getPool("claims-4", "sp");
      return condition(p, "KeysValid")?.reason === "PoolClaimed" ? p : undefined;
    });
    assert.match(
      condition(sp, "KeysValid")!.message,
      /already claimed by MultikeyGroup claims-3\/s1, created before StakePool claims-4\/sp/,
    );
    assert.equal(await readSts("claims-4", "sp-producer"), undefined, "no producer for the later claimant");
    assert.ok(
      (await events("claims-4")).some((e) => e.reason === "PoolClaimed" && /MultikeyGroup claims-3\/s1/.test(e.note!)),
    );

    // creationTimestamp has whole seconds; within one, the tie goes to namespace/name (claims-3 < claims-4), so
    // the later claimant is made in a later second.
    await new Promise((r) => setTimeout(r, 1100));
    await createGroup("claims-3", "s2", { q: second });
    const s2 = await waitFor("s2 refused for q", async () => {
      const g = await getGroup("claims-3", "s2");
      return condition(g, "PoolClaims")?.status === "False" ? g : undefined;
    });
    assert.equal(poolOf(s2, "q")?.claimedBy, "StakePool claims-4/sp2");
    assert.equal(s2.status?.phase, "KeysInvalid", "no pool of s2 can run");
    assert.equal(await readSts("claims-3", "s2-producer"), undefined);
    assert.equal(condition(await getPool("claims-4", "sp2"), "KeysValid")?.status, "True", "the StakePool keeps it");
  });
});

describe("a main and a backup group", () => {
  const ns = "mkg-d";
  let backupMetrics = 0;

  test("both get a lease-only producer identity and the fence flags; they share pools without a PoolClaimed", async () => {
    backupMetrics = await freePort();
    await namespace(ns);
    const alpha = poolKeys().keySet(0);
    const beta = poolKeys().keySet(0);
    await createGroup(ns, "m", { alpha, beta });
    await waitFor("m to publish its pool ids", async () => {
      const g = await getGroup(ns, "m");
      return g.status?.pools?.filter((p) => p.poolId).length === 2 ? g : undefined;
    });
    // seeds/002: a backup holds a superset of its main's keys.
    await createGroup(
      ns,
      "bk",
      { alpha, beta, gamma: poolKeys().keySet(0) },
      {
        redundancy: { level: 1, mainGroupRef: { name: "m" }, takeoverAfterMissedSlots: 4 },
        metrics: { port: backupMetrics },
      },
    );
    const bk = await waitFor("bk with 3 valid pools and a producer", async () => {
      const g = await getGroup(ns, "bk");
      return g.status?.pools?.filter((p) => p.keysValid).length === 3 && (await readSts(ns, "bk-producer"))
        ? g
        : undefined;
    });
    assert.equal(bk.status?.role, "Backup");
    assert.equal(condition(bk, "PoolClaims")?.status, "True", "the main's pools are the backup's to hold");
    assert.deepEqual(
      bundleOf(await readSts(ns, "bk-producer")).map((b) => b.paths[0]),
      ["alpha/kes.skey", "beta/kes.skey", "gamma/kes.skey"],
    );
    assert.ok(!(await events(ns)).some((e) => e.reason === "PoolClaimed" || e.reason === "StandbyNotSupported"));
    const m = await getGroup(ns, "m");
    assert.equal(m.status?.role, "Main");
    assert.equal(condition(m, "PoolClaims")?.status, "True");

    const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
    for (const [group, level, k] of [
      ["m", "0", "3"],
      ["bk", "1", "4"],
    ] as const) {
      const name = `${group}-producer`;
      const uid = (await getGroup(ns, group)).metadata!.uid;
      const sa = await core.readNamespacedServiceAccount({ namespace: ns, name });
      const role = await rbac.readNamespacedRole({ namespace: ns, name });
      const binding = await rbac.readNamespacedRoleBinding({ namespace: ns, name });
      for (const o of [sa, role, binding]) assert.equal(o.metadata!.ownerReferences![0]!.uid, uid, `${name} owner`);
      assert.deepEqual(JSON.parse(JSON.stringify(role.rules)), [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
      ]);
      assert.deepEqual(JSON.parse(JSON.stringify(binding.roleRef)), {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name,
      });
      assert.deepEqual(JSON.parse(JSON.stringify(binding.subjects)), [{ kind: "ServiceAccount", name, namespace: ns }]);
      // The node reaches the API server for its Leases through the group's otherwise closed egress.
      const np = await cp.kc.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ namespace: ns, name });
      const egress = np.spec!.egress!.map((e) => [e.to?.length ?? 0, e.ports!.map((p) => `${p.protocol}/${p.port}`)]);
      assert.deepEqual(
        egress.find(([to]) => to === 0),
        [0, ["TCP/443", "TCP/6443"]],
        `${name}: egress to the API server (${JSON.stringify(egress)})`,
      );
      const pod = (await readSts(ns, name))!.spec!.template.spec!;
      assert.equal(pod.serviceAccountName, name);
      assert.equal(pod.automountServiceAccountToken, true);
      const args = pod.containers[0]!.args!;
      const r = args.indexOf("--redundancy-level");
      assert.deepEqual(args.slice(r, r + 6), [
        "--redundancy-level",
        level,
        "--takeover-after-missed-slots",
        k,
        "--pool-lease-namespace",
        ns,
      ]);
    }
  });

  test("the producer's ServiceAccount may update a Lease in its namespace, and cannot read Secrets", async () => {
    // The API server authorizes a ServiceAccount by its user name; a client certificate with that name and the
    // ServiceAccount groups is that identity to RBAC.
    const as = await cp.userConfig(`system:serviceaccount:${ns}:bk-producer`, [
      "system:serviceaccounts",
      `system:serviceaccounts:${ns}`,
    ]);
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
    const client = new KubeClient(as);
    try {
      const body = {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "pool-lease-test", namespace: ns },
        spec: { holderIdentity: "bk-1", leaseDurationSeconds: 30 },
      };
      await client.request("POST", leases, { body });
      const lease = await client.request<typeof body & { metadata: { resourceVersion: string } }>(
        "GET",
        `${leases}/pool-lease-test`,
      );
      const updated = await client.request<typeof body>("PUT", `${leases}/pool-lease-test`, {
        body: { ...lease, spec: { ...lease.spec, holderIdentity: "bk-2" } },
      });
      assert.equal(updated.spec.holderIdentity, "bk-2");
      const refused = async (method: "GET" | "DELETE", path: string) =>
        assert.rejects(client.request(method, path), (e: Error & { code?: number }) => {
          assert.equal(e.code, 403, `${method} ${path}: ${e.message}`);
          return true;
        });
      await secret(ns, "not-yours", { x: "eA==" });
      await refused("GET", `/api/v1/namespaces/${ns}/secrets/not-yours`);
      await refused("GET", `/api/v1/namespaces/${ns}/secrets`);
      await refused("DELETE", `${leases}/pool-lease-test`);
      await refused("GET", `/apis/coordination.k8s.io/v1/namespaces/mkg-a/leases/pool-lease-test`);
    } finally {
      client.close();
    }
  });

  test("the backup is Standby while its producer forges nothing", async () => {
    // No kubelet here: the test plays it, as for the main group above, and the node's own registry says no pool forges.
    const m = createMetrics();
    for (let i = 0; i < 3; i++) {
      m.poolKeysValid.set({ pool: `bk-${i}` }, 1);
      m.poolForgingNow.set({ pool: `bk-${i}` }, 0);
    }
    const node = createServer((_req, res) => void m.registry.metrics().then((t) => res.end(t)));
    await new Promise<void>((r) => node.listen(backupMetrics, "127.0.0.1", r));
    try {
      const sts = (await readSts(ns, "bk-producer"))!;
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: "bk-producer-0", labels: sts.spec!.selector.matchLabels },
          spec: { containers: [{ name: "node", image: "poolfleet/poolfleet-node:0.1.0" }] },
        },
      });
      await raw.request("PATCH", `/api/v1/namespaces/${ns}/pods/bk-producer-0/status`, {
        contentType: "application/merge-patch+json",
        body: { status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
      });
      await raw.request("PATCH", `/apis/apps/v1/namespaces/${ns}/statefulsets/bk-producer/status`, {
        contentType: "application/merge-patch+json",
        body: { status: { replicas: 1, readyReplicas: 1, observedGeneration: sts.metadata!.generation } },
      });
      const bk = await waitFor("bk Standby", async () => {
        const g = await getGroup(ns, "bk");
        return g.status?.phase === "Standby" ? g : undefined;
      });
      assert.deepEqual(
        bk.status!.pools!.map((p) => [p.name, p.forgingNow, p.reason]),
        [
          ["alpha", false, undefined],
          ["beta", false, undefined],
          ["gamma", false, undefined],
        ],
      );
      assert.equal(condition(bk, "Forging")?.reason, "Standby");
      assert.equal(bk.status!.forgingPools, 0);
    } finally {
      node.close();
    }
  });

  test("a backup whose mainGroupRef names no group is refused, saying so, and runs no producer", async () => {
    await namespace("mkg-e");
    await createGroup(
      "mkg-e",
      "orphan",
      { alpha: poolKeys().keySet(0) },
      { redundancy: { level: 1, mainGroupRef: { name: "nowhere" } } },
    );
    const g = await waitFor("MainGroupNotFound", async () => {
      const o = await getGroup("mkg-e", "orphan");
      return condition(o, "Ready")?.reason === "MainGroupNotFound" ? o : undefined;
    });
    assert.equal(condition(g, "Ready")?.status, "False");
    assert.match(
      condition(g, "Ready")!.message,
      /mainGroupRef names MultikeyGroup mkg-e\/nowhere, which does not exist/,
    );
    assert.equal(g.status?.role, "Backup");
    assert.equal(await readSts("mkg-e", "orphan-producer"), undefined);
    assert.ok((await events("mkg-e")).some((e) => e.type === "Warning" && e.reason === "MainGroupNotFound"));
  });
});
