// Pool-lease fencing (src/node/fencing): the rules that keep two nodes from forging for one pool, on the real
// file store in a temporary directory. Clocks are injected (the lease's own LeaseClock seam), so a "frozen" node
// is one whose clock jumps while it did nothing, exactly what SIGSTOP looks like from inside the process; a
// separate test races real child processes on the store.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { FileLeaseStore } from "../../src/node/fencing/file-store.ts";
import { type LeaseClock, mayTake, PoolLease } from "../../src/node/fencing/lease.ts";

const root = mkdtempSync(join(tmpdir(), "pf-lease-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshStore = () => new FileLeaseStore(join(root, `s${++n}`));

/**
 * A node's clocks over shared simulated time: its wall clock is off by `skewMs` (never compared, so any value is
 * safe), its monotonic clock runs at `rate` (1: true time).
 */
function clockAt(time: { t: number }, skewMs = 0, rate = 1): LeaseClock {
  return { wallMs: () => 1_700_000_000_000 + time.t + skewMs, monoMs: () => time.t * rate };
}

const D = 10_000;
const M = 3_000;

describe("pool lease", () => {
  it("mayTake: free, mine, released, held by another until watched unchanged for duration + margin", () => {
    assert.deepEqual(mayTake(undefined, "a", undefined, 0, M), { may: true, why: "free" });
    const rec = { holder: "a", renewedAtMs: 1000, durationMs: D, generation: 3 };
    assert.deepEqual(mayTake(rec, "a", undefined, 0, M), { may: true, why: "mine" });
    assert.deepEqual(mayTake({ ...rec, durationMs: 0 }, "b", undefined, 0, M), { may: true, why: "released" });
    const seen = { generation: 3, atMonoMs: 500 };
    assert.deepEqual(mayTake(rec, "b", seen, 500 + D + M - 1, M), { may: false, holder: "a", waitMs: 1 });
    assert.deepEqual(mayTake(rec, "b", seen, 500 + D + M, M), { may: true, why: "lapsed" });
    // A record first seen now must be watched for the full time, however old its renewedAtMs says it is.
    assert.deepEqual(mayTake(rec, "b", { generation: 2, atMonoMs: 0 }, 99_999, M), {
      may: false,
      holder: "a",
      waitMs: D + M,
    });
  });

  it("a holder that keeps renewing keeps the pool; a backup takes it only after duration + margin of silence", async () => {
    const store = freshStore();
    const time = { t: 0 };
    const main = new PoolLease(store, "poolA", "main", { durationMs: D, marginMs: M, clock: clockAt(time) });
    const backup = new PoolLease(store, "poolA", "backup", { durationMs: D, marginMs: M, clock: clockAt(time) });
    assert.deepEqual(await main.acquireOrRenew(), { held: true, generation: 1, took: true });
    for (let i = 0; i < 5; i++) {
      time.t += D / 2;
      assert.equal((await main.acquireOrRenew()).held, true);
      const b = await backup.acquireOrRenew();
      assert.equal(b.held, false);
      assert.equal(backup.holds(), false);
      assert.equal(main.holds(), true);
    }
    const lastRenewal = time.t;
    time.t = lastRenewal + D; // main's right to forge ends here, by its own clock
    assert.equal(main.holds(), false);
    time.t = lastRenewal + D + M - 1;
    assert.equal((await backup.acquireOrRenew()).held, false, "the margin is waited out in full");
    time.t = lastRenewal + D + M;
    const took = await backup.acquireOrRenew();
    assert.equal(took.held, true);
    assert.equal(took.held && took.took, true);
    assert.equal(backup.holds(), true);
    // The old holder wakes up: its window is over and the record is not its own any more.
    const woke = await main.acquireOrRenew();
    assert.equal(woke.held, false);
    assert.equal(!woke.held && woke.holder, "backup");
    assert.equal(main.holds(), false);
  });

  it("a frozen holder never forges on waking, even before the backup took over", async () => {
    const store = freshStore();
    const time = { t: 0 };
    const main = new PoolLease(store, "p", "main", { durationMs: D, marginMs: M, clock: clockAt(time) });
    await main.acquireOrRenew();
    time.t += D + 1; // SIGSTOP for longer than the window
    assert.equal(main.holds(), false, "the window ran out while frozen");
    assert.equal(main.remainingMs(), 0);
    // Nobody took it: renewing is safe and restores the right to forge.
    assert.equal((await main.acquireOrRenew()).held, true);
    assert.equal(main.holds(), true);
  });

  it("the time a write takes counts against the holder's window", async () => {
    const base = freshStore();
    const time = { t: 0 };
    const slow = {
      read: (p: string) => base.read(p),
      write: async (p: string, r: Parameters<typeof base.write>[1], e: number) => {
        time.t += 4_000; // the store took 4 s to answer
        return base.write(p, r, e);
      },
    };
    const lease = new PoolLease(slow, "p", "main", { durationMs: D, marginMs: M, clock: clockAt(time) });
    await lease.acquireOrRenew();
    assert.equal(lease.remainingMs(), D - 4_000);
  });

  it("release lets a backup take the pool at once", async () => {
    const store = freshStore();
    const time = { t: 0 };
    const main = new PoolLease(store, "p", "main", { durationMs: D, marginMs: M, clock: clockAt(time) });
    const backup = new PoolLease(store, "p", "backup", { durationMs: D, marginMs: M, clock: clockAt(time) });
    await main.acquireOrRenew();
    await main.release();
    assert.equal(main.holds(), false);
    assert.equal((await backup.acquireOrRenew()).held, true);
  });

  /** A bounded random schedule: each step advances time and one node (if not frozen) renews or tries to take. */
  async function simulate(skewMs: number, rates = [1, 1, 1]): Promise<{ overlap?: string; handovers: number }> {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const store = freshStore();
    const time = { t: 0 };
    const nodes = [+skewMs, -skewMs, 0].map(
      (skew, k) =>
        new PoolLease(store, "p", `n${k}`, { durationMs: D, marginMs: M, clock: clockAt(time, skew, rates[k]) }),
    );
    const frozenUntil = [0, 0, 0];
    let handovers = 0;
    let lastHolder = -1;
    for (let step = 0; step < 2000; step++) {
      time.t += Math.floor(rand() * 500);
      const i = Math.floor(rand() * nodes.length);
      if (rand() < 0.15) frozenUntil[i] = time.t + Math.floor(rand() * 3 * D);
      if (time.t >= frozenUntil[i]!) await nodes[i]!.acquireOrRenew();
      const holding = nodes.map((l, k) => (l.holds() ? k : -1)).filter((k) => k >= 0);
      if (holding.length > 1)
        return { overlap: `step ${step} at ${time.t} ms: nodes ${holding.join(", ")}`, handovers };
      if (holding.length === 1 && holding[0] !== lastHolder) {
        if (lastHolder >= 0) handovers++;
        lastHolder = holding[0]!;
      }
    }
    return { handovers };
  }

  it("under random freezes, with wall clocks hours apart, two nodes' forging windows never overlap", async () => {
    const run = await simulate(3 * 3600_000, [1, 1.1, 0.9]); // clock rates 10% apart: drift within the margin
    assert.equal(run.overlap, undefined, `two nodes may forge at once: ${run.overlap}`);
    assert.ok(run.handovers >= 2, `the schedule should exercise takeovers (saw ${run.handovers})`);
  });

  it("the limit: a taker whose clock runs fast by more than the margin can overlap (documented)", async () => {
    // The holder renews and freezes at once; a backup whose clock runs 60% fast reads the record 1 ms later and
    // tries every 100 ms: 13 s of lease on its clock are 8.1 s of real time, inside the holder's 10 s window.
    const time = { t: 0 };
    const store = freshStore();
    const holder = new PoolLease(store, "p", "holder", { durationMs: D, marginMs: M, clock: clockAt(time) });
    const fast = new PoolLease(store, "p", "fast", { durationMs: D, marginMs: M, clock: clockAt(time, 0, 1.6) });
    await holder.acquireOrRenew();
    time.t += 1;
    let overlapAt: number | undefined;
    while (time.t < 2 * D && overlapAt === undefined) {
      await fast.acquireOrRenew();
      if (fast.holds() && holder.holds()) overlapAt = time.t;
      time.t += 100;
    }
    assert.ok(overlapAt !== undefined && overlapAt < D, "a fast clock beyond the margin breaks the fence");
    // The same backup with an honest clock takes the pool only after the holder's window closed.
    const time2 = { t: 0 };
    const store2 = freshStore();
    const holder2 = new PoolLease(store2, "p", "holder", { durationMs: D, marginMs: M, clock: clockAt(time2) });
    const honest = new PoolLease(store2, "p", "honest", { durationMs: D, marginMs: M, clock: clockAt(time2, 0, 1.1) });
    await holder2.acquireOrRenew();
    time2.t += 1;
    while (time2.t < 3 * D && !honest.holds()) {
      await honest.acquireOrRenew();
      assert.ok(!(honest.holds() && holder2.holds()), `overlap at ${time2.t} ms`);
      time2.t += 100;
    }
    assert.ok(honest.holds(), "the honest backup takes over in the end");
  });

  it("wall clocks are never compared: a holder whose wall clock is hours behind is still waited out in full", async () => {
    const time = { t: 0 };
    const store = freshStore();
    const holder = new PoolLease(store, "p", "holder", {
      durationMs: D,
      marginMs: M,
      clock: clockAt(time, -5 * 3600_000),
    });
    const backup = new PoolLease(store, "p", "backup", { durationMs: D, marginMs: M, clock: clockAt(time) });
    await holder.acquireOrRenew();
    const first = await backup.acquireOrRenew();
    assert.equal(first.held, false);
    assert.equal(!first.held && first.waitMs, D + M);
    time.t += D + M - 1;
    assert.equal((await backup.acquireOrRenew()).held, false);
    time.t += 1;
    assert.equal((await backup.acquireOrRenew()).held, true);
  });

  it("a writer that read an old generation loses, even after its generation's file was pruned", async () => {
    const store = freshStore();
    const rec = (g: number) => ({ holder: "x", renewedAtMs: g, durationMs: D, generation: g });
    for (let g = 1; g <= 10; g++) assert.equal(await store.write("p", rec(g), g - 1), true);
    assert.equal(await store.write("p", rec(5), 4), false);
    assert.equal(await store.write("p", rec(10), 9), false);
    assert.equal((await store.read("p"))?.generation, 10);
    assert.ok(readdirSync(join(root, `s${n}`, "p")).length <= 5, "old generations are pruned");
  });

  it("refuses a damaged record and a pool name that is not a plain name, saying where", async () => {
    const store = freshStore();
    await store.write("p", { holder: "x", renewedAtMs: 1, durationMs: D, generation: 1 }, 0);
    writeFileSync(join(root, `s${n}`, "p", "000000000002.json"), "{ not json");
    await assert.rejects(store.read("p"), /000000000002\.json: not a lease record/);
    await assert.rejects(store.read("../etc"), /is not a plain name/);
  });

  it("of several processes racing for a free lease, exactly one wins", async () => {
    const dir = join(root, "race");
    const script = `
      import { FileLeaseStore } from ${JSON.stringify(new URL("../../src/node/fencing/file-store.ts", import.meta.url).href)};
      import { PoolLease } from ${JSON.stringify(new URL("../../src/node/fencing/lease.ts", import.meta.url).href)};
      const lease = new PoolLease(new FileLeaseStore(${JSON.stringify(dir)}), "p", process.argv[1], { durationMs: 60000, marginMs: 1000 });
      const at = Number(process.argv[2]);
      while (Date.now() < at) {}
      const out = await lease.acquireOrRenew();
      process.stdout.write(out.held ? "won" : "lost");`;
    const run = promisify(execFile);
    for (let round = 0; round < 3; round++) {
      rmSync(dir, { recursive: true, force: true });
      const start = Date.now() + 1_500;
      const outs = await Promise.all(
        Array.from({ length: 6 }, (_, k) =>
          run(process.execPath, ["--input-type=module", "-e", script, `r${round}n${k}`, String(start)], {
            timeout: 30_000,
          }),
        ),
      );
      const won = outs.filter((o) => o.stdout === "won").length;
      assert.equal(won, 1, `round ${round}: ${won} processes won`);
    }
  });
});
