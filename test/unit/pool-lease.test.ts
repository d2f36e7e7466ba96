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

/** A node's clocks: shared simulated time plus this node's wall-clock skew. */
function clockAt(time: { t: number }, skewMs = 0): LeaseClock {
  return { wallMs: () => 1_700_000_000_000 + time.t + skewMs, monoMs: () => time.t };
}

const D = 10_000;
const M = 3_000;

describe("pool lease", () => {
  it("mayTake: free, mine, held by another until duration + margin after its renewal", () => {
    assert.deepEqual(mayTake(undefined, "a", 0, M), { may: true, why: "free" });
    const rec = { holder: "a", renewedAtMs: 1000, durationMs: D, generation: 3 };
    assert.deepEqual(mayTake(rec, "a", 999_999, M), { may: true, why: "mine" });
    assert.deepEqual(mayTake(rec, "b", 1000 + D + M - 1, M), { may: false, holder: "a", freeAtMs: 1000 + D + M });
    assert.deepEqual(mayTake(rec, "b", 1000 + D + M, M), { may: true, why: "lapsed" });
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
  async function simulate(skewMs: number): Promise<{ overlap?: string; handovers: number }> {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const store = freshStore();
    const time = { t: 0 };
    const nodes = [+skewMs, -skewMs, 0].map(
      (skew, k) => new PoolLease(store, "p", `n${k}`, { durationMs: D, marginMs: M, clock: clockAt(time, skew) }),
    );
    const frozenUntil = [0, 0, 0];
    let handovers = 0;
    let lastHolder = -1;
    for (let step = 0; step < 1500; step++) {
      time.t += Math.floor(rand() * 600);
      const i = Math.floor(rand() * nodes.length);
      if (rand() < 0.08) frozenUntil[i] = time.t + Math.floor(rand() * 3 * D);
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

  it("with wall clocks skewed by less than the margin, two nodes' forging windows never overlap", async () => {
    const run = await simulate(1_400); // n0 and n1 differ by 2.8 s, under the 3 s margin
    assert.equal(run.overlap, undefined, `two nodes may forge at once: ${run.overlap}`);
    assert.ok(run.handovers >= 3, `the schedule should exercise takeovers (saw ${run.handovers})`);
  });

  it("the same schedule with skew beyond the margin does find an overlap (the documented failure case)", async () => {
    const run = await simulate(2_400); // 4.8 s apart, over the 3 s margin
    assert.ok(run.overlap, "the simulation must be able to see two forgers");
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
