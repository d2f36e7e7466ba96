// A main and a backup poolfleet-node fenced by coordination.k8s.io Leases (--pool-lease-namespace) on a real
// kube-apiserver, as processes on loopback reaching it through KUBECONFIG the way a pod reaches it through its
// service account: the main holds its pool's Lease (holderIdentity on the API server names it), is frozen with
// SIGSTOP, the backup takes the pool over only after the lease lapsed, and the woken main forges nothing for it.
// Also: the node refuses both lease stores at once, and a kubeconfig it cannot use, with one line each.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { poolIdOf, readOperationalCertificate } from "../../src/formats/opcert.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { createDevnet } from "../helpers/cli.ts";
import { type ControlPlane, startControlPlane } from "../helpers/envtest.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-kubelease-"));
const devnet = join(root, "devnet");
const kubeconfig = join(root, "kubeconfig");
const running: RunningNode[] = [];
const NS = "default";
let cp: ControlPlane | undefined;
let api: KubeClient | undefined;

const forgedBy = (node: RunningNode, from = 0) =>
  node.logs
    .slice(from)
    .filter((l) => l.includes('"forged and adopted block"'))
    .map((l) => JSON.parse(l) as { poolId: string; slot: string });
const tookOver = (node: RunningNode) => node.logs.some((l) => l.includes('"taking over the pool'));

/** Who the API server says holds the pool's Lease (undefined before the first write). */
async function holderOf(poolId: string): Promise<string | undefined> {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/pool-lease-${poolId.slice(0, 52)}`;
  try {
    return (await api!.request<{ spec: { holderIdentity?: string } }>("GET", path)).spec.holderIdentity;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

/** Start a node that must refuse to start: its exit code (null if it still ran after 30 s) and its stderr lines. */
async function refused(args: string[], env: NodeJS.ProcessEnv = {}) {
  const node = await startNode(["--config", join(devnet, "config.json"), "--database-path", join(root, "x"), ...args], {
    KUBECONFIG: kubeconfig,
    ...env,
  });
  running.push(node);
  const code = await Promise.race([node.exited, new Promise<null>((r) => setTimeout(() => r(null), 30_000))]);
  if (code === null) node.child.kill("SIGKILL");
  return { code, errors: node.logs.filter((l) => l.trim() !== "" && !l.startsWith("{")) };
}

before(async () => {
  // One pool with all the stake, 0.1 s slots, f = 1/2: it leads about every other slot.
  await createDevnet(devnet, { pools: 1, slotLength: "0.1", epochLength: 300, activeSlotCoeff: "0.5" });
  cp = await startControlPlane();
  writeFileSync(kubeconfig, cp.kc.exportConfig(), { mode: 0o600 });
  api = new KubeClient(cp.kc);
});
after(async () => {
  for (const n of running) n.child.kill("SIGKILL");
  api?.close();
  await cp?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("pool leases as coordination.k8s.io Leases, between processes", () => {
  it("the main holds its pool's Lease; frozen, it loses the pool to the backup after the lease lapsed and on waking forges nothing", async () => {
    const pool = bytesToHex(poolIdOf(readOperationalCertificate(join(devnet, "pools", "pool1", "node.cert")).coldVkey));
    const home = join(root, "pair");
    mkdirSync(home);
    const ports = [await freePort(), await freePort()];
    const nodes: RunningNode[] = [];
    for (const [i, role] of (["main", "backup"] as const).entries()) {
      const topology = join(home, `${role}-topology.json`);
      writeFileSync(topology, topologyJson([{ address: "127.0.0.1", port: ports[1 - i]! }]));
      const node = await startNode(
        [
          ...["--config", join(devnet, "config.json"), "--database-path", join(home, `${role}-db`)],
          ...["--topology", topology, "--port", String(ports[i])],
          ...["--shelley-key-bundle", join(devnet, "pools"), "--node-name", role],
          ...["--redundancy-level", role === "main" ? "0" : "1", "--takeover-after-missed-slots", "3"],
          ...["--pool-lease-seconds", "1"],
        ],
        // The namespace from the environment, the API server from KUBECONFIG, as a pod gets them.
        { KUBECONFIG: kubeconfig, POOLFLEET_POOL_LEASE_NAMESPACE: NS },
      );
      running.push(node);
      nodes.push(node);
    }
    const [main, backup] = nodes as [RunningNode, RunningNode];

    await waitFor("the main forges", async () => forgedBy(main).length >= 3 || undefined, 60_000);
    const mainHolder = await holderOf(pool);
    assert.match(mainHolder ?? "", /^main-[0-9a-f]{8}$/, "the API server names the main (one identity per process)");
    assert.equal(tookOver(backup), false, "a healthy main keeps its pool");
    assert.deepEqual(forgedBy(backup), [], "the backup forges nothing while the main holds the Lease");

    main.child.kill("SIGSTOP");
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300)); // what the main wrote before the stop has arrived
    const mainLinesAtStop = main.logs.length;
    await waitFor("the backup forges for the pool", async () => forgedBy(backup).length > 0 || undefined, 120_000);
    // The lease is 1 s and a taker waits a third more on its own clock: no takeover can come sooner.
    assert.ok(Date.now() - stoppedAt > 1_333, "the backup forged before the main's lease could have lapsed");
    const backupHolder = await holderOf(pool);
    assert.match(backupHolder ?? "", /^backup-[0-9a-f]{8}$/, "the Lease passed to the backup");

    main.child.kill("SIGCONT");
    await waitFor(
      "the woken main sees the backup holds the pool",
      async () =>
        main.logs.slice(mainLinesAtStop).some((l) => l.includes("another node holds the pool's lease")) || undefined,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3_000)); // thirty slots, about fifteen of them the pool's
    assert.deepEqual(forgedBy(main, mainLinesAtStop), [], "the woken main forged for a pool it no longer holds");
    assert.equal(await holderOf(pool), backupHolder, "the backup keeps the Lease");
    const mainSlots = new Set(forgedBy(main).map((f) => f.slot));
    for (const f of forgedBy(backup)) assert.ok(!mainSlots.has(f.slot), `two blocks for the pool in slot ${f.slot}`);
    await main.stop();
    await backup.stop();
  });

  it("both lease stores at once, by flag or environment, are refused with one line", async () => {
    for (const [args, env] of [
      [["--pool-lease-dir", join(root, "leases"), "--pool-lease-namespace", NS], {}],
      [["--pool-lease-dir", join(root, "leases")], { POOLFLEET_POOL_LEASE_NAMESPACE: NS }],
    ] as const) {
      const r = await refused([...args, "--redundancy-level", "1"], env);
      assert.equal(r.code, 1, `exit 1 (stderr: ${r.errors.join(" | ")})`);
      assert.equal(r.errors.length, 1, `one line on stderr: ${r.errors.join(" | ")}`);
      assert.match(r.errors[0]!, /--pool-lease-namespace: is given with --pool-lease-dir/);
    }
  });

  it("a bad namespace name or a kubeconfig that cannot be read fails the start with one line naming the flag", async () => {
    const bad = await refused(["--pool-lease-namespace", "Not_A_Namespace"]);
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.errors.length, 1, bad.errors.join(" | "));
    assert.match(bad.errors[0]!, /--pool-lease-namespace: "Not_A_Namespace" is not a namespace name/);
    const missing = join(root, "no-such-kubeconfig");
    const r = await refused(["--pool-lease-namespace", NS, "--redundancy-level", "1"], { KUBECONFIG: missing });
    assert.equal(r.code, 1, `exit 1 (stderr: ${r.errors.join(" | ")})`);
    assert.equal(r.errors.length, 1, `one line on stderr: ${r.errors.join(" | ")}`);
    assert.match(r.errors[0]!, /--pool-lease-namespace: no API server to keep the Leases on: .*no-such-kubeconfig/);
  });
});
