// The manager on a real kube-apiserver + etcd, with the small probe controller (StakePool -> ConfigMap + status):
// it converges, a reconcile of an unchanged object writes nothing, informers recover from broken watches and
// 410 Gone, two managers elect exactly one leader and the standby takes over, a leader that cannot renew stops,
// and an operator process killed between two writes converges after restart.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CoordinationV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject } from "@kubernetes/client-node";
import pino from "pino";
import { GROUP, VERSION } from "../../src/api/common.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { Manager, type ManagerOptions } from "../../src/operator/manager/manager.ts";
import { type ControlPlane, installProjectCrds, startControlPlane } from "../helpers/envtest.ts";
import { GOOD } from "./crd-cases.ts";
import { FaultInjectingApi } from "./fixtures/fault-injecting-api.ts";
import { PROBE, probeConfigMap, probeController } from "./fixtures/probe-controller.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const log = pino({ level: process.env.POOLFLEET_TEST_LOG ?? "silent" });

let cp: ControlPlane;
let core: CoreV1Api;
let custom: CustomObjectsApi;

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function namespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

async function createPool(ns: string, name: string): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: "stakepools",
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "StakePool",
      metadata: { name, namespace: ns },
      spec: GOOD.StakePool,
    },
  });
}

type Pool = KubernetesObject & { status?: { phase?: string; observedGeneration?: number } };

const getPool = (ns: string, name: string) =>
  custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: "stakepools",
    name,
  }) as Promise<Pool>;

async function configMap(ns: string, name: string) {
  try {
    return await core.readNamespacedConfigMap({ namespace: ns, name });
  } catch {
    return undefined;
  }
}

async function converged(ns: string, pool: string, port = 3001) {
  await waitFor(`${ns}/${pool} converged`, async () => {
    const cm = await configMap(ns, probeConfigMap(pool));
    const p = await getPool(ns, pool);
    return cm?.data?.network === "preprod" && cm.data.port === String(port) && p.status?.phase === "Pending"
      ? true
      : undefined;
  });
}

/** Waits until the manager has nothing queued, running or scheduled, and stays so for a moment. */
async function idle(m: Manager): Promise<void> {
  let quietSince = 0;
  await waitFor("the manager to go idle", () => {
    if (m.pendingWork > 0) quietSince = 0;
    else if (!quietSince) quietSince = Date.now();
    return quietSince && Date.now() - quietSince > 500 ? true : undefined;
  });
}

const managers: Manager[] = [];
function manager(opts: Partial<ManagerOptions> & Pick<ManagerOptions, "controllers">): Manager {
  const m = new Manager({
    kc: cp.kc,
    log,
    informer: { backoffBaseMs: 50, backoffMaxMs: 500 },
    queue: { backoffBaseMs: 50, backoffMaxMs: 1000 },
    ...opts,
  });
  managers.push(m);
  return m;
}

before(
  async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    custom = cp.kc.makeApiClient(CustomObjectsApi);
    await installProjectCrds(cp.kc);
  },
  { timeout: 55 * 60_000 },
);

after(async () => {
  for (const m of managers) await m.stop();
  await cp?.stop();
});

describe("reconcile and idempotence", () => {
  test("an unchanged object's second reconcile sends no write; a change is applied", async () => {
    const ns = await namespace("idem");
    const probe = probeController();
    const m = manager({ controllers: [probe], namespaces: [ns] });
    const writes: string[] = [];
    m.onRequest((method, path) => method !== "GET" && writes.push(`${method} ${path}`));
    await m.start();
    await createPool(ns, "a");
    await converged(ns, "a");
    await idle(m);
    const cmRv = (await configMap(ns, probeConfigMap("a")))!.metadata!.resourceVersion;
    const poolRv = (await getPool(ns, "a")).metadata!.resourceVersion;
    const writesBefore = writes.length;
    const metricBefore = await m.metrics.writeCount(PROBE);
    assert.ok(metricBefore >= 2, "the first reconcile wrote the ConfigMap and the status");

    const reconciledBefore = probe.reconciled;
    m.enqueue(PROBE, { namespace: ns, name: "a" });
    await waitFor("a second reconcile", () => probe.reconciled > reconciledBefore || undefined);
    await idle(m);
    assert.deepEqual(writes.slice(writesBefore), [], "no request other than GET after the second reconcile");
    assert.equal(await m.metrics.writeCount(PROBE), metricBefore);
    assert.equal((await configMap(ns, probeConfigMap("a")))!.metadata!.resourceVersion, cmRv);
    assert.equal((await getPool(ns, "a")).metadata!.resourceVersion, poolRv);

    // A person edits a field the controller owns: the next reconcile puts it back (one write).
    await core.patchNamespacedConfigMap({
      namespace: ns,
      name: probeConfigMap("a"),
      body: [{ op: "replace", path: "/data/network", value: "edited" }],
    });
    await converged(ns, "a");
    // A spec change reaches the owned object.
    await custom.patchNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: "stakepools",
      name: "a",
      body: [{ op: "replace", path: "/spec/port", value: 3111 }],
    });
    await converged(ns, "a", 3111);
    await idle(m);
    assert.ok((await m.metrics.writeCount(PROBE)) > metricBefore);
    await m.stop();
  });
});

describe("informer supervision", () => {
  test("watches that break or fail are restarted with a relist, and changes made meanwhile are reconciled", async () => {
    const ns = await namespace("faults");
    const faulty = new FaultInjectingApi(new KubeClient(cp.kc));
    const m = manager({ controllers: [probeController()], namespaces: [ns], api: faulty });
    await m.start();
    await createPool(ns, "before");
    await converged(ns, "before");
    const relists = () => m.informerStats().reduce((a, s) => a + s.relists, 0);
    const restarts = () => m.informerStats().reduce((a, s) => a + s.restarts, 0);
    const relistsBefore = relists();

    faulty.failNextWatches(3);
    assert.ok(faulty.breakActiveWatches() >= 2, "a StakePool watch and a ConfigMap watch were open");
    await createPool(ns, "during");
    await converged(ns, "during");
    assert.ok(restarts() >= 2, `informers restarted (${restarts()})`);
    assert.ok(relists() > relistsBefore, "and relisted");

    // 410 Gone: relist at once, no failure counted.
    const restartsBefore = restarts();
    const relistsBefore410 = relists();
    faulty.goneOnNextWatches(2);
    faulty.breakActiveWatches();
    await waitFor("the relists after 410", () => relists() >= relistsBefore410 + 2 || undefined);
    await createPool(ns, "after-gone");
    await converged(ns, "after-gone");
    // breaking the watches counted as failures; the 410s themselves did not add more than those breaks
    assert.ok(restarts() - restartsBefore <= 2, `410 is not treated as a failure (${restarts() - restartsBefore})`);
    await m.stop();
  });
});

describe("leader election", () => {
  const lease = (ns: string) => ({ namespace: ns, leaseDurationMs: 2000, renewDeadlineMs: 1500, retryPeriodMs: 200 });

  test("two managers elect exactly one leader; the standby takes over when the leader stops", async () => {
    const ns = await namespace("election");
    const probes = [probeController(), probeController()];
    const [m1, m2] = probes.map((p, i) =>
      manager({ controllers: [p], namespaces: [ns], leaderElection: { ...lease(ns), identity: `op-${i}` } }),
    );
    await Promise.all([m1!.start(), m2!.start()]);
    const leader = await waitFor("a leader", () => [m1!, m2!].find((m) => m.isLeader));
    const standby = leader === m1 ? m2! : m1!;
    for (let i = 0; i < 15; i++) {
      assert.equal([m1!, m2!].filter((m) => m.isLeader).length, 1, "exactly one leader");
      await new Promise((r) => setTimeout(r, 100));
    }
    const coord = cp.kc.makeApiClient(CoordinationV1Api);
    const held = await coord.readNamespacedLease({ namespace: ns, name: "poolfleet-operator" });
    assert.equal(held.spec?.holderIdentity, leader.identity);

    await createPool(ns, "one");
    await converged(ns, "one");
    const standbyProbe = probes[standby === m1 ? 0 : 1]!;
    assert.equal(standbyProbe.reconciled, 0, "the standby reconciles nothing");
    assert.equal((await standby.metrics.leader.get()).values[0]?.value, 0);

    const stoppedAt = Date.now();
    await leader.stop();
    await waitFor("the standby to lead", () => standby.isLeader || undefined, 10_000);
    // A released lease is taken without waiting for it to expire.
    assert.ok(Date.now() - stoppedAt < 2000, `took over in ${Date.now() - stoppedAt} ms`);
    await createPool(ns, "two");
    await converged(ns, "two");
    assert.ok(standbyProbe.reconciled > 0);
    await standby.stop();
  });

  test("a leader that cannot renew its lease stops reconciling and reports the loss", async () => {
    const ns = await namespace("lost");
    const m = manager({
      controllers: [probeController()],
      namespaces: [ns],
      leaderElection: { ...lease(ns), identity: "op-a" },
    });
    await m.start();
    await waitFor("leadership", () => m.isLeader || undefined);
    // Someone else takes the lease (as after a partition during which it expired).
    // (raw JSON: client-node's model writes renewTime with milliseconds, which a Lease's MicroTime refuses)
    const raw = new KubeClient(cp.kc);
    const path = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/poolfleet-operator`;
    const l = await raw.request<{ spec: Record<string, unknown> }>("GET", path);
    l.spec.holderIdentity = "intruder";
    l.spec.leaseDurationSeconds = 3600;
    l.spec.renewTime = new Date().toISOString().replace("Z", "000Z");
    await raw.request("PUT", path, { body: l });
    raw.close();
    const end = await Promise.race([m.done, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
    assert.equal(end, "lost");
    assert.equal(m.isLeader, false);
    assert.equal((await m.metrics.leader.get()).values[0]?.value, 0);
    await m.stop();
  });
});

describe("crash-only", () => {
  test("an operator process killed between two writes converges after restart; one that loses its lease exits 1", async () => {
    const ns = await namespace("crash");
    const dir = mkdtempSync(join(tmpdir(), "poolfleet-op-"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, cp.kc.exportConfig(), { mode: 0o600 });
    const output: string[] = [];
    const startOperator = (pauseMs: number): ChildProcess => {
      const child = spawn(
        process.execPath,
        [
          join(ROOT, "test/operator/fixtures/probe-operator.ts"),
          "--kubeconfig",
          kubeconfig,
          "--namespace",
          ns,
          "--leader-elect",
          "--lease-namespace",
          ns,
          "--lease-duration",
          "2",
          "--renew-deadline",
          "1.5",
          "--retry-period",
          "0.2",
          "--metrics-addr",
          "127.0.0.1:0",
          "--health-addr",
          "127.0.0.1:0",
        ],
        { env: { ...process.env, POOLFLEET_TEST_PROBE_PAUSE_MS: String(pauseMs) }, stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout!.on("data", (d: Buffer) => output.push(d.toString()));
      child.stderr!.on("data", (d: Buffer) => output.push(d.toString()));
      return child;
    };
    try {
      const first = startOperator(60_000);
      await createPool(ns, "crashy");
      await waitFor("the first write", () => configMap(ns, probeConfigMap("crashy")), 30_000);
      first.kill("SIGKILL");
      await new Promise((r) => first.once("exit", r));
      assert.equal((await getPool(ns, "crashy")).status?.phase, undefined, "killed before the status write");

      const second = startOperator(0);
      await converged(ns, "crashy");
      const cms = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: "poolfleet.io/pool=crashy" });
      assert.equal(cms.items.length, 1);

      // Someone else holds the lease for longer than the renew deadline: the process stops and exits 1.
      const raw = new KubeClient(cp.kc);
      const path = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/poolfleet-operator`;
      const stolen = await raw.request<{ spec: Record<string, unknown> }>("GET", path);
      stolen.spec.holderIdentity = "intruder";
      stolen.spec.leaseDurationSeconds = 3;
      stolen.spec.renewTime = new Date().toISOString().replace("Z", "000Z");
      await raw.request("PUT", path, { body: stolen });
      raw.close();
      const lostCode = await new Promise((r) => second.once("exit", (c) => r(c)));
      assert.equal(lostCode, 1, `exit 1 on leadership lost; output:\n${output.join("").slice(-3000)}`);

      const third = startOperator(0);
      await waitFor("the third process to lead", async () => {
        const l = await cp.kc
          .makeApiClient(CoordinationV1Api)
          .readNamespacedLease({ namespace: ns, name: "poolfleet-operator" });
        return l.spec?.holderIdentity && l.spec.holderIdentity !== "intruder" ? true : undefined;
      });
      third.kill("SIGTERM");
      const code = await new Promise((r) => third.once("exit", (c) => r(c)));
      assert.equal(code, 0, `graceful exit; output:\n${output.join("").slice(-3000)}`);
      const coord = cp.kc.makeApiClient(CoordinationV1Api);
      const l = await coord.readNamespacedLease({ namespace: ns, name: "poolfleet-operator" });
      assert.equal(l.spec?.holderIdentity ?? "", "", "the lease is released on SIGTERM");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
