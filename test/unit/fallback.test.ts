// Per-pool fallback (src/node/fallback.ts): a backup takes a pool over after L·k of its leader slots in a row went
// EMPTY; the pool's own block resets the count; another pool's block in the slot (a slot battle, or the main
// forging another pool of its group there) is neutral, so a healthy main is never taken over for it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PoolStandby } from "../../src/node/fallback.ts";

const P = "pool-p";
describe("per-pool fallback", () => {
  it("the main is active at once; a backup after level x k empty leader slots in a row, decided after the grace", () => {
    assert.equal(new PoolStandby({ level: 0, missesPerLevel: 3, graceSlots: 5 }).active, true);
    const b = new PoolStandby({ level: 2, missesPerLevel: 2, graceSlots: 5 });
    assert.equal(b.threshold, 4);
    for (const s of [10n, 20n, 30n, 40n]) b.led(s);
    assert.equal(b.decide(44n, P, () => undefined).tookOver, false, "slot 40 is inside its grace");
    assert.equal(b.misses, 3);
    const last = b.decide(45n, P, () => undefined);
    assert.deepEqual(last.decided, [{ slot: 40n, outcome: "missed", missed: true }]);
    assert.equal(last.tookOver, true);
    assert.equal(b.active, true);
  });

  it("the pool's own block resets the count; another pool's block in its slot is neutral", () => {
    const b = new PoolStandby({ level: 1, missesPerLevel: 3, graceSlots: 1 });
    const chain = new Map<bigint, string>([
      [2n, P],
      [4n, "pool-q"],
      [5n, "pool-q"],
      [6n, "pool-q"],
    ]);
    for (const s of [1n, 2n, 3n, 4n, 5n, 6n]) b.led(s);
    const r = b.decide(100n, P, (s) => chain.get(s));
    assert.deepEqual(
      r.decided.map((d) => d.outcome),
      ["missed", "forged", "missed", "other", "other", "other"],
    );
    assert.equal(b.misses, 1, "one empty slot since the pool's last block");
    assert.equal(r.tookOver, false, "a main that keeps filling slots with its other pools is alive");
  });

  it("refuses a bad level or threshold", () => {
    assert.throws(() => new PoolStandby({ level: -1, missesPerLevel: 3, graceSlots: 1 }), /redundancy level/);
    assert.throws(() => new PoolStandby({ level: 1, missesPerLevel: 0, graceSlots: 1 }), /at least 1/);
  });
});
