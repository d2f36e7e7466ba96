// Pool leases on a real kube-apiserver (src/node/fencing/kube-store.ts): the API server's resourceVersion is the
// compare-and-swap, so of many writers exactly one wins a generation; a backup takes a pool only after the
// holder went quiet for duration + margin; and a node identity allowed only get/create/update on Leases (what
// the node's ServiceAccount gets) can run the whole protocol. Clocks are injected to keep it short.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KubeClient } from "../../src/kube/client.ts";
import { KubeLeaseStore } from "../../src/node/fencing/kube-store.ts";
import { type LeaseClock, PoolLease } from "../../src/node/fencing/lease.ts";
import { type ControlPlane, startControlPlane } from "../helpers/envtest.ts";

let cp: ControlPlane;
const clients: KubeClient[] = [];
const NS = "default";
const D = 10_000;
const M = 3_000;

function client(kc: ConstructorParameters<typeof KubeClient>[0] = cp.kc): KubeClient {
  const c = new KubeClient(kc);
  clients.push(c);
  return c;
}
const clockAt = (time: { t: number }): LeaseClock => ({ wallMs: () => Date.now() + time.t, monoMs: () => time.t });

describe("pool leases on the API server", () => {
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    for (const c of clients) c.close();
    await cp?.stop();
  });

  it("a backup takes the pool only after the holder went quiet for duration + margin; the old holder cannot renew", async () => {
    const time = { t: 0 };
    const main = new PoolLease(new KubeLeaseStore(client(), { namespace: NS }), "poola", "main", {
      durationMs: D,
      marginMs: M,
      clock: clockAt(time),
    });
    const backup = new PoolLease(new KubeLeaseStore(client(), { namespace: NS }), "poola", "backup", {
      durationMs: D,
      marginMs: M,
      clock: clockAt(time),
    });
    assert.equal((await main.acquireOrRenew()).held, true);
    for (let i = 0; i < 3; i++) {
      time.t += 4_000;
      assert.equal((await main.acquireOrRenew()).held, true);
      assert.equal((await backup.acquireOrRenew()).held, false);
    }
    const lease = await client().request<{ spec: { holderIdentity: string; leaseDurationSeconds: number } }>(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/pool-lease-poola`,
    );
    assert.equal(lease.spec.holderIdentity, "main", "kubectl get lease shows who forges");
    assert.equal(lease.spec.leaseDurationSeconds, 10);
    time.t += D + M - 1;
    assert.equal((await backup.acquireOrRenew()).held, false);
    time.t += 1;
    assert.equal((await backup.acquireOrRenew()).held, true);
    const woke = await main.acquireOrRenew();
    assert.equal(woke.held, false);
    assert.equal(!woke.held && woke.holder, "backup");
  });

  it("of many writers racing for a free pool, exactly one wins; so it is for a lapsed one", async () => {
    const time = { t: 0 };
    const leases = Array.from(
      { length: 8 },
      (_, k) =>
        new PoolLease(new KubeLeaseStore(client(), { namespace: NS }), "poolrace", `n${k}`, {
          durationMs: D,
          marginMs: M,
          clock: clockAt(time),
        }),
    );
    const first = await Promise.all(leases.map((l) => l.acquireOrRenew()));
    assert.equal(first.filter((o) => o.held).length, 1);
    const winner = first.findIndex((o) => o.held);
    // The losers look once (a loser of the create race has not read the record yet), the winner goes quiet,
    // and once the record has been unchanged for duration + margin they all race again.
    const others = leases.filter((_, k) => k !== winner);
    for (const o of await Promise.all(others.map((l) => l.acquireOrRenew()))) assert.equal(o.held, false);
    time.t += D + M;
    const second = await Promise.all(others.map((l) => l.acquireOrRenew()));
    assert.equal(second.filter((o) => o.held).length, 1);
    // A loser either lost the write itself (409) or read the new winner's record first and now waits it out.
    const newHolder = `n${leases.indexOf(others[second.findIndex((o) => o.held)]!)}`;
    for (const o of second) if (!o.held) assert.ok(o.lostRace === true || o.holder === newHolder, JSON.stringify(o));
  });

  it("works for an identity allowed only get, create and update on Leases", async () => {
    const admin = client();
    await admin.request("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: "pool-lease", namespace: NS },
        rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }],
      },
    });
    await admin.request("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "pool-lease", namespace: NS },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "pool-lease" },
        subjects: [{ kind: "User", name: "producer-0", apiGroup: "rbac.authorization.k8s.io" }],
      },
    });
    const node = client(await cp.userConfig("producer-0"));
    const time = { t: 0 };
    const lease = new PoolLease(new KubeLeaseStore(node, { namespace: NS }), "poolrbac", "producer-0", {
      durationMs: D,
      marginMs: M,
      clock: clockAt(time),
    });
    assert.equal((await lease.acquireOrRenew()).held, true);
    time.t += 1_000;
    assert.equal((await lease.acquireOrRenew()).held, true);
    await lease.release();
    // The same identity cannot read Secrets: the fence needs no more than Leases.
    await assert.rejects(
      node.request("GET", `/api/v1/namespaces/${NS}/secrets`),
      (e: { code?: number }) => e.code === 403,
    );
  });

  it("refuses a Lease that is not a pool lease, naming it", async () => {
    await client().request("POST", `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, {
      body: {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "pool-lease-foreign", namespace: NS },
        spec: { holderIdentity: "someone" },
      },
    });
    const store = new KubeLeaseStore(client(), { namespace: NS });
    await assert.rejects(store.read("foreign"), /Lease default\/pool-lease-foreign: not a pool lease/);
  });
});
