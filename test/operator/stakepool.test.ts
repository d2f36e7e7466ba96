// The StakePool controller end to end on a real kube-apiserver: real key sets through the gate, exactly the
// expected objects, no write on an unchanged reconcile, a bad key Secret that leaves the producer on its accepted
// revision, a good one that rolls it, a pool whose keys never passed getting no producer, a Secret made from a whole
// devnet pool directory (cold.skey in it by mistake) whose revision holds only the hot files, the operator process
// killed while reconciling converging to exactly what a clean run makes, and no secret byte (hot keys, cold, payment
// and stake signing keys) in any log line, Event, status or /metrics page.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  NetworkingV1Api,
  PolicyV1Api,
} from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import type { StakePoolStatus } from "../../src/api/stakepool.ts";
import { STAKEPOOL_CONTROLLER, stakePoolController } from "../../src/operator/controllers/stakepool.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { Manager } from "../../src/operator/manager/manager.ts";
import { SecretRedactor } from "../../src/operator/manager/redact.ts";
import { operatorLogger } from "../../src/operator/main.ts";
import { runCli } from "../helpers/cli.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { configMapFromDir, secretFromFiles } from "../helpers/from-file.ts";
import { newKes } from "../helpers/keyset.ts";
import { freePort } from "../helpers/node-process.ts";
import { currentKesPeriod, poolKeys, registerKeyFile, secretSpellings } from "./fixtures/pool-keys.ts";
import { poolObjects } from "./fixtures/pool-objects.ts";
import { waitWithin } from "../helpers/wait.ts";
import { poolKesMetricsRegistry } from "../../src/operator/controllers/stakepool-kes-metrics.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let custom: CustomObjectsApi;
let raw: KubeClient;
/** Every log line the operators wrote during the run (in-process and child processes). */
const logLines: string[] = [];
/** The operators' /metrics pages as served over HTTP, read before each operator stopped. */
const metricsPages: { where: string; text: string }[] = [];
/** The devnet cold.skey file that went into Secret pool-e/e-keys by mistake. */
let devnetColdSkey = "";

async function readMetrics(where: string, port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200, `${where} /metrics`);
  metricsPages.push({ where, text: await res.text() });
}

// ---- API helpers -------------------------------------------------------------------------------------------------

const waitFor = waitWithin(30_000);

async function setSecret(ns: string, name: string, data: Record<string, string>): Promise<void> {
  const body = { metadata: { name, namespace: ns }, data };
  try {
    await core.replaceNamespacedSecret({ namespace: ns, name, body });
  } catch {
    await core.createNamespacedSecret({ namespace: ns, body });
  }
}

async function createPool(ns: string, name: string, spec: Record<string, unknown>): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: "stakepools",
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: "StakePool", metadata: { name, namespace: ns }, spec },
  });
}

type Pool = KubernetesObject & { status?: StakePoolStatus };
const getPool = (ns: string, name: string) =>
  custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: "stakepools",
    name,
  }) as Promise<Pool>;
const condition = (p: Pool, type: string) => p.status?.conditions?.find((c) => c.type === type);

async function readSts(ns: string, name: string) {
  try {
    return await apps.readNamespacedStatefulSet({ namespace: ns, name });
  } catch {
    return undefined;
  }
}

/** A namespace with a pool's key Secret and cold key ConfigMap. */
async function poolNamespace(
  ns: string,
  pool: string,
  keys: ReturnType<typeof poolKeys>,
  extraSpec: Record<string, unknown> = {},
  data: Record<string, string> = keys.keySet(0),
) {
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: `${pool}-cold` }, data: { "cold.vkey": keys.coldText } },
  });
  await setSecret(ns, `${pool}-keys`, data);
  await createPool(ns, pool, {
    network: { name: "preprod" },
    keys: { secretRef: { name: `${pool}-keys` }, coldVerificationKeyRef: { name: `${pool}-cold` } },
    relays: { replicas: 2 },
    ...extraSpec,
  });
  return data;
}

async function events(ns: string) {
  const list = await raw.request<{
    items: { reason: string; note?: string; type: string; series?: { count: number } }[];
  }>("GET", `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
  return list.items;
}

/** What a pool's status says, without times. */
const statusSummary = (p: Pool) => ({
  ...p.status,
  conditions: p.status?.conditions?.map(({ lastTransitionTime: _t, ...c }) => c),
});

// ---- the operator under test -------------------------------------------------------------------------------------

let manager: Manager;
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    logLines.push(...chunk.toString().split("\n").filter(Boolean));
    done();
  },
});

before(
  async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    apps = cp.kc.makeApiClient(AppsV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    raw = new KubeClient(cp.kc);
    await installProjectCrds(cp.kc);
  },
  { timeout: 55 * 60_000 },
);

after(async () => {
  await manager?.stop();
  raw?.close();
  await cp?.stop();
});

/** A sample of the StakePool controller's KES gauges (its default registry, which the operator serves). */
async function poolKesSample(name: string, namespace: string, pool: string): Promise<number | undefined> {
  const text = await poolKesMetricsRegistry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{namespace="${namespace}",pool="${pool}"} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("StakePool controller", () => {
  const ns = "pool-a";
  const keys = poolKeys();
  let firstHash = "";

  test("a pool with good keys gets exactly its producer objects, its relays and a truthful status", async () => {
    const redactor = new SecretRedactor();
    manager = new Manager({
      kc: cp.kc,
      controllers: [stakePoolController({ pollMs: 300 })],
      log: operatorLogger("debug", redactor, logSink),
      redactor,
      metricsAddr: "127.0.0.1:0",
      queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    });
    await manager.start();
    await poolNamespace(ns, "a", keys);
    const pool = await waitFor("KeysValid and a producer", async () => {
      const p = await getPool(ns, "a");
      return condition(p, "KeysValid")?.status === "True" && p.status?.producer?.keysHash ? p : undefined;
    });
    firstHash = pool.status!.producer!.keysHash!;
    const revision = `a-keys-${firstHash.slice(0, 8)}`;
    const uid = pool.metadata!.uid;
    const sel = { namespace: ns, labelSelector: "poolfleet.io/pool=a" };
    const namesOf = (items: KubernetesObject[]) => items.map((o) => o.metadata!.name).sort();

    const sts = (await apps.listNamespacedStatefulSet(sel)).items;
    assert.deepEqual(namesOf(sts), ["a-producer"]);
    assert.deepEqual(namesOf((await core.listNamespacedService(sel)).items), ["a-producer"]);
    const pdbs = (await cp.kc.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget(sel)).items;
    assert.deepEqual(namesOf(pdbs), ["a-producer"]);
    const nps = (await cp.kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy(sel)).items;
    assert.deepEqual(namesOf(nps), ["a-producer"]);
    assert.deepEqual(namesOf((await core.listNamespacedConfigMap(sel)).items), ["a-producer-topology"]);
    const relays = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: "relays",
      ...sel,
    })) as {
      items: (KubernetesObject & { spec: { replicas: number; poolRef: { name: string } } })[];
    };
    assert.deepEqual(namesOf(relays.items), ["a-relay"]);
    assert.equal(relays.items[0]!.spec.replicas, 2);
    assert.deepEqual(relays.items[0]!.spec.poolRef, { name: "a" });

    // The producer mounts the immutable revision, never the user's Secret.
    const rev = await core.readNamespacedSecret({ namespace: ns, name: revision });
    assert.equal(rev.immutable, true);
    const podSpec = sts[0]!.spec!.template.spec!;
    const keyVolume = podSpec.volumes!.find((v) => v.name === "keys")!;
    assert.equal(keyVolume.secret!.secretName, revision);
    assert.equal(sts[0]!.spec!.template.metadata!.annotations!["poolfleet.io/keys-hash"], firstHash);
    // NetworkPolicy: ingress from the relays only (the wire's "from", not client-node's "_from").
    assert.deepEqual(JSON.parse(JSON.stringify(nps[0]!.spec!.ingress![0]!._from)), [
      {
        podSelector: {
          matchLabels: {
            "app.kubernetes.io/name": "poolfleet-node",
            "app.kubernetes.io/instance": "a-relay",
            "app.kubernetes.io/component": "relay",
          },
        },
      },
    ]);
    for (const o of [...sts, ...pdbs, ...nps, rev, ...relays.items]) {
      const ref = o.metadata!.ownerReferences?.[0];
      assert.equal(ref?.uid, uid, `${o.kind ?? ""} ${o.metadata!.name} is owned by the pool`);
      assert.equal(ref?.controller, true);
    }

    const st = pool.status!;
    assert.equal(st.phase, "Progressing", "a producer that is not ready yet (no kubelet here)");
    assert.equal(st.observedGeneration, pool.metadata!.generation);
    assert.match(st.poolId!, /^pool1/);
    assert.equal(st.kes!.startPeriod, currentKesPeriod());
    assert.equal(st.kes!.periodsLeft, st.kes!.endPeriod! - st.kes!.currentPeriod!);
    assert.equal(st.kes!.counter, 0);
    // KES expiry as a metric for every StakePool, this one without a KesRotation: what the chart's alerts read.
    const kesSample = await poolKesSample("poolfleet_stakepool_kes_expiration_timestamp_seconds", ns, "a");
    assert.equal(Math.floor(kesSample!), Date.parse(st.kes!.expiresAt!) / 1000);
    assert.equal(await poolKesSample("poolfleet_stakepool_kes_periods_remaining", ns, "a"), st.kes!.periodsLeft);
    for (const c of st.conditions!) {
      assert.equal(c.observedGeneration, pool.metadata!.generation);
      assert.ok(c.lastTransitionTime);
    }
    assert.equal(condition(pool, "Ready")?.reason, "ProducerNotReady");
    const accepted = (await events(ns)).filter((e) => e.reason === "KeysAccepted");
    assert.equal(accepted.length, 1);
  });

  test("reconciling an unchanged pool writes nothing", async () => {
    const rv = async () => [
      (await getPool(ns, "a")).metadata!.resourceVersion,
      (await readSts(ns, "a-producer"))!.metadata!.resourceVersion,
    ];
    // The pool polls every 300 ms: let it settle, then watch several reconciles.
    await new Promise((r) => setTimeout(r, 1000));
    const before = await manager.metrics.writeCount(STAKEPOOL_CONTROLLER);
    const rvBefore = await rv();
    const reconciles = async () => (await manager.metrics.reconciles.get()).values.reduce((a, v) => a + v.value, 0);
    const n = await reconciles();
    await waitFor("five more reconciles", async () => ((await reconciles()) >= n + 5 ? true : undefined));
    assert.equal(await manager.metrics.writeCount(STAKEPOOL_CONTROLLER), before, "no write");
    assert.deepEqual(await rv(), rvBefore);
  });

  test("a key Secret that fails the gate leaves the StatefulSet on its accepted revision", async () => {
    const stsBefore = (await readSts(ns, "a-producer"))!;
    // seeds/003: a new certificate deployed next to a KES key it does not certify.
    const stray = newKes();
    await setSecret(ns, "a-keys", keys.keySet(1, stray.vkey));
    const pool = await waitFor("KeysValid False", async () => {
      const p = await getPool(ns, "a");
      return condition(p, "KeysValid")?.status === "False" ? p : undefined;
    });
    assert.equal(condition(pool, "KeysValid")?.reason, "KesKeyMismatch");
    assert.match(condition(pool, "KeysValid")!.message, /kes\.skey/);
    assert.equal(pool.status?.phase, "KeysInvalid");
    assert.equal(pool.status?.producer?.keysHash, firstHash, "status names the revision still running");
    assert.equal(pool.status?.kes?.counter, 0, "and its certificate");
    await new Promise((r) => setTimeout(r, 1000)); // several polls
    const stsAfter = (await readSts(ns, "a-producer"))!;
    assert.equal(stsAfter.metadata!.resourceVersion, stsBefore.metadata!.resourceVersion, "StatefulSet untouched");
    const warnings = (await events(ns)).filter((e) => e.type === "Warning" && e.reason === "KesKeyMismatch");
    assert.equal(warnings.length, 1, "one Event, repeats counted in its series");
    assert.match(warnings[0]!.note!, /keeps running on key revision/);
  });

  test("a key Secret that passes again rolls the producer onto a new revision", async () => {
    await setSecret(ns, "a-keys", keys.keySet(1));
    const pool = await waitFor("KeysValid True again", async () => {
      const p = await getPool(ns, "a");
      return condition(p, "KeysValid")?.status === "True" && p.status?.producer?.keysHash !== firstHash ? p : undefined;
    });
    const hash = pool.status!.producer!.keysHash!;
    const sts = (await readSts(ns, "a-producer"))!;
    assert.equal(
      sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName,
      `a-keys-${hash.slice(0, 8)}`,
    );
    assert.equal(pool.status?.kes?.counter, 1);
    assert.equal(pool.status?.phase, "Progressing");
  });

  test("a pool whose keys never passed gets its network objects but no producer", async () => {
    const nsB = "pool-b";
    await core.createNamespace({ body: { metadata: { name: nsB } } });
    await createPool(nsB, "b", { network: { name: "preprod" }, keys: { secretRef: { name: "absent" } } });
    const pool = await waitFor("KeysValid False", async () => {
      const p = await getPool(nsB, "b");
      return condition(p, "KeysValid")?.status === "False" ? p : undefined;
    });
    assert.equal(condition(pool, "KeysValid")?.reason, "KeySecretNotFound");
    assert.equal(condition(pool, "Ready")?.reason, "WaitingForKeys");
    assert.equal(pool.status?.phase, "KeysInvalid");
    assert.equal(await readSts(nsB, "b-producer"), undefined);
    assert.equal(await poolKesSample("poolfleet_stakepool_kes_expiration_timestamp_seconds", nsB, "b"), undefined);
    const nps = await cp.kc.makeApiClient(NetworkingV1Api).listNamespacedNetworkPolicy({ namespace: nsB });
    assert.deepEqual(
      nps.items.map((n) => n.metadata!.name),
      ["b-producer"],
      "the producer is fenced before it exists",
    );
  });
});

describe("a Secret made from a whole devnet pool directory", () => {
  test("cold.skey in the user's Secret by mistake: the revision the producer mounts holds only the hot files", async () => {
    // `kubectl create secret generic e-keys --from-file=devnet/pools/pool1/` takes every file there, the cold,
    // payment and stake signing keys included. The gate reads only the hot files, and only they are copied.
    const dir = mkdtempSync(join(tmpdir(), "pf-devnet-keys-"));
    try {
      const made = await runCli(["genesis", "create", "--pools", "1", "--out-dir", join(dir, "devnet")]);
      assert.equal(made.code, 0, made.stderr);
      const poolDir = join(dir, "devnet", "pools", "pool1");
      const files = readdirSync(poolDir).sort();
      for (const f of files.filter((f) => f.endsWith(".skey"))) registerKeyFile(join(poolDir, f));
      const ns = "pool-e";
      await core.createNamespace({ body: { metadata: { name: ns } } });
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: configMapFromDir(ns, "devnet-network", join(dir, "devnet")),
      });
      const secret = secretFromFiles(
        ns,
        "e-keys",
        files.map((f) => join(poolDir, f)),
      );
      assert.ok(secret.data!["cold.skey"], "the mistake is made");
      await core.createNamespacedSecret({ namespace: ns, body: secret });
      await createPool(ns, "e", {
        network: { name: "custom", configMapRef: { name: "devnet-network" } },
        keys: { secretRef: { name: "e-keys" } },
        relays: { replicas: 1 },
      });
      const pool = await waitFor("KeysValid and a producer", async () => {
        const p = await getPool(ns, "e");
        return condition(p, "KeysValid")?.status === "True" && p.status?.producer?.keysHash ? p : undefined;
      });
      const revision = await core.readNamespacedSecret({
        namespace: ns,
        name: `e-keys-${pool.status!.producer!.keysHash!.slice(0, 8)}`,
      });
      assert.deepEqual(Object.keys(revision.data!).sort(), ["kes.skey", "node.cert", "vrf.skey"]);
      const cold = readFileSync(join(poolDir, "cold.skey"), "utf8");
      devnetColdSkey = cold;
      const coldPayload = JSON.parse(cold).cborHex as string;
      assert.ok(!JSON.stringify(revision).includes(b64(cold)), "no cold.skey file in the revision");
      const decoded = Object.values(revision.data!).map((v) => Buffer.from(v, "base64").toString("utf8"));
      assert.ok(!decoded.some((t) => t.includes(coldPayload)), "nor its payload in any file there");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a ready producer", () => {
  test("its own /metrics give the status tip, blocks forged and Forging", async () => {
    // There is no kubelet here: the test plays it, marking the StatefulSet ready and giving the pod an IP, and a
    // stand-in for the node serves poolfleet-node's metric names on loopback.
    const port = await freePort();
    const node = createServer((_req, res) =>
      res.end(
        "# TYPE poolfleet_tip_slot gauge\npoolfleet_tip_slot 98765\npoolfleet_tip_block 4321\n" +
          "poolfleet_blocks_forged_total 12\npoolfleet_forging_enabled 1\n",
      ),
    );
    await new Promise<void>((r) => node.listen(port, "127.0.0.1", r));
    try {
      const ns = "pool-d";
      await poolNamespace(ns, "d", poolKeys(), { metrics: { port } });
      const sts = await waitFor("the producer StatefulSet", () => readSts(ns, "d-producer"));
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: "d-producer-0", labels: sts.spec!.selector.matchLabels },
          spec: { containers: [{ name: "node", image: "poolfleet/poolfleet-node:0.1.0" }] },
        },
      });
      await raw.request("PATCH", `/api/v1/namespaces/${ns}/pods/d-producer-0/status`, {
        contentType: "application/merge-patch+json",
        body: { status: { phase: "Running", podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
      });
      await raw.request("PATCH", `/apis/apps/v1/namespaces/${ns}/statefulsets/d-producer/status`, {
        contentType: "application/merge-patch+json",
        body: { status: { replicas: 1, readyReplicas: 1, observedGeneration: sts.metadata!.generation } },
      });
      const pool = await waitFor("phase Forging", async () => {
        const p = await getPool(ns, "d");
        return p.status?.phase === "Forging" ? p : undefined;
      });
      assert.deepEqual(pool.status?.tip, { slot: 98765, blockNo: 4321 });
      assert.equal(pool.status?.blocksForged, 12);
      assert.equal(condition(pool, "Ready")?.status, "True");
      assert.equal(condition(pool, "Forging")?.reason, "Forging");
    } finally {
      node.close();
    }
  });
});

describe("operator process", () => {
  test("killed while reconciling a new pool, it converges after restart", async () => {
    await readMetrics("in-process manager", manager.ports[0]!);
    await manager.stop(); // only the process reconciles from here
    const dir = mkdtempSync(join(tmpdir(), "poolfleet-op-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, cp.kc.exportConfig(), { mode: 0o600 });
    const start = async (): Promise<{ child: ChildProcess; started: Promise<void>; metricsPort: number }> => {
      const metricsPort = await freePort();
      const child = spawn(
        process.execPath,
        [
          join(ROOT, "bin/poolfleet-operator.js"),
          "--kubeconfig",
          kubeconfig,
          "--metrics-addr",
          `127.0.0.1:${metricsPort}`,
          "--health-addr",
          "127.0.0.1:0",
          "--log-level",
          "debug",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let partial = "";
      let onStarted: () => void;
      const started = new Promise<void>((r) => (onStarted = r));
      child.stdout!.on("data", (d: Buffer) => {
        const parts = (partial + d.toString()).split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts.filter(Boolean)) {
          logLines.push(line);
          if (line.includes('"msg":"started"')) onStarted();
        }
      });
      child.stderr!.on("data", (d: Buffer) => logLines.push(d.toString()));
      return { child, started, metricsPort };
    };
    try {
      // Kill the process the moment its first write for a new pool (the key revision Secret) appears; the rest
      // of that reconcile never happens. Up to three pools, in case a kill lands after the reconcile finished.
      let ns = "";
      let cut = false;
      let keys = poolKeys();
      let data = keys.keySet(0);
      for (let attempt = 0; attempt < 3 && !cut; attempt++) {
        ns = `pool-c${attempt}`;
        const { child: first, started } = await start();
        await started;
        const ac = new AbortController();
        const firstWrite = raw.watch(
          `/api/v1/namespaces/${ns}/secrets`,
          {},
          (e) => {
            if (e.type === "ADDED" && e.object.metadata?.name?.startsWith("c-keys-")) {
              first.kill("SIGKILL");
              ac.abort();
            }
          },
          ac.signal,
        );
        keys = poolKeys();
        data = keys.keySet(0);
        await poolNamespace(ns, "c", keys, {}, data);
        await waitFor("the first write", () => first.exitCode !== null || first.signalCode !== null || undefined);
        await firstWrite.catch(() => undefined);
        const pool = await getPool(ns, "c");
        cut = pool.status?.phase === undefined;
      }
      assert.ok(cut, "a process was killed before it wrote the pool's status");
      const { child: second, started, metricsPort } = await start();
      await started;
      const converged = (at: string) =>
        waitFor(`convergence in ${at}`, async () => {
          const p = await getPool(at, "c");
          return p.status?.phase === "Progressing" && p.status.producer?.keysHash ? p : undefined;
        });
      const pool = await converged(ns);
      const cut_ = await waitFor("the relays' objects", async () => {
        const a = await poolObjects(cp.kc, ns, "c");
        return a.length >= 13 ? a : undefined;
      });
      // A clean run for comparison: the same pool with the same keys in a fresh namespace, never interrupted. One
      // pool id has one claimant in the cluster (pool-claims.ts), so the interrupted pool goes first.
      await custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: "stakepools",
        name: "c",
      });
      await waitFor("the interrupted pool gone", async () =>
        (await getPool(ns, "c").catch(() => undefined)) ? undefined : true,
      );
      const clean = "pool-c-clean";
      await poolNamespace(clean, "c", keys, {}, data);
      const cleanPool = await converged(clean);
      assert.deepEqual(statusSummary(pool), statusSummary(cleanPool));
      await waitFor("the relays' objects in the clean run", async () =>
        (await poolObjects(cp.kc, clean, "c")).length === cut_.length ? true : undefined,
      );
      assert.deepEqual(
        cut_.map((o) => o.id),
        [
          "ConfigMap/c-producer-topology",
          "ConfigMap/c-relay-topology",
          "NetworkPolicy/c-producer",
          "NetworkPolicy/c-relay",
          "PodDisruptionBudget/c-producer",
          "Relay/c-relay",
          `Secret/c-keys-${pool.status!.producer!.keysHash!.slice(0, 8)}`,
          "Service/c-producer",
          "Service/c-relay",
          "Service/c-relay-0",
          "Service/c-relay-1",
          "StatefulSet/c-producer",
          "StatefulSet/c-relay",
        ],
      );
      assert.deepEqual(
        cut_,
        await poolObjects(cp.kc, clean, "c"),
        "the interrupted run made exactly what a clean run makes",
      );
      const sts = (await readSts(ns, "c-producer"))!;
      assert.equal(
        sts.spec!.template.spec!.volumes!.find((v) => v.name === "keys")!.secret!.secretName,
        `c-keys-${pool.status!.producer!.keysHash!.slice(0, 8)}`,
      );
      await readMetrics("operator process", metricsPort);
      second.kill("SIGTERM");
      const code = await new Promise((r) => second.once("exit", (c) => r(c)));
      assert.equal(code, 0, "a graceful stop on SIGTERM");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("secrets", () => {
  test("no secret key byte appears in any log line, Event, status or metric of this run", async () => {
    assert.ok(logLines.length > 50, `the operators logged (${logLines.length} lines)`);
    assert.ok(secretSpellings.size >= 20);
    // The spellings are the ones that really travel: the user's Secret as stored holds some of them.
    const stored = JSON.stringify(await core.readNamespacedSecret({ namespace: "pool-a", name: "a-keys" }));
    assert.ok(
      [...secretSpellings].some((s) => stored.includes(s)),
      "the detector finds the bytes where they are",
    );
    const storedE = JSON.stringify(await core.readNamespacedSecret({ namespace: "pool-e", name: "e-keys" }));
    assert.ok(devnetColdSkey && storedE.includes(b64(devnetColdSkey)), "the cold key is in the user's Secret");
    assert.ok(secretSpellings.has(b64(devnetColdSkey)), "and its spellings are looked for");
    const texts: { where: string; text: string }[] = logLines.map((l, i) => ({ where: `log line ${i}`, text: l }));
    for (const ns of ["pool-a", "pool-b", "pool-d", "pool-e", "pool-c0", "pool-c1", "pool-c2", "pool-c-clean"]) {
      for (const e of await events(ns).catch(() => []))
        texts.push({ where: `Event in ${ns}`, text: JSON.stringify(e) });
      const pools = (await custom
        .listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: "stakepools", namespace: ns })
        .catch(() => ({ items: [] }))) as { items: Pool[] };
      for (const p of pools.items)
        texts.push({ where: `status of ${ns}/${p.metadata!.name}`, text: JSON.stringify(p.status) });
    }
    assert.deepEqual(
      metricsPages.map((p) => p.where),
      ["in-process manager", "operator process"],
    );
    assert.ok(
      metricsPages.every((p) => p.text.includes("poolfleet_operator_")),
      "real /metrics pages",
    );
    texts.push(...metricsPages.map((p) => ({ where: `/metrics of the ${p.where}`, text: p.text })));
    texts.push({ where: "metrics", text: await manager.metrics.registry.metrics() });
    for (const { where, text } of texts) {
      for (const s of secretSpellings) assert.ok(!text.includes(s), `${where} contains secret bytes`);
    }
  });
});
