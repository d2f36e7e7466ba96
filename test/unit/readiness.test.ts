// Readiness as a pure function of the node's figures and an injected clock (src/node/readiness.ts), the late leader
// checks after a stall (missed-slots.ts) and the chain density cardano-node reports (cardano-metrics.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chainDensity } from "../../src/node/cardano-metrics.ts";
import { lateLeaderSlots, MAX_LATE_CHECKS } from "../../src/node/missed-slots.ts";
import { type ReadinessInput, readiness } from "../../src/node/readiness.ts";

const NOW = Date.UTC(2026, 0, 1, 12);
const base: ReadinessInput = {
  now: NOW,
  tipTime: NOW - 30_000,
  systemStart: NOW - 86_400_000,
  maxCaughtUpAgeMs: 1_200_000,
  role: "relay",
  upstream: { configured: 2, connected: 2, atTip: 0 },
  peers: 2,
  storageHealthy: true,
  running: true,
};

describe("readiness", () => {
  it("a relay with a recent tip and a peer is ready", () => {
    const r = readiness(base);
    assert.deepEqual(r, { ready: true, caughtUp: true, tipAgeSeconds: 30 });
  });

  it("an old tip with no upstream connected is not caught up, and says why", () => {
    const r = readiness({ ...base, tipTime: NOW - 3_600_000, upstream: { configured: 2, connected: 0, atTip: 0 } });
    assert.equal(r.ready, false);
    assert.equal(r.caughtUp, false);
    assert.equal(r.tipAgeSeconds, 3600);
    assert.match(r.reason!, /not caught up: the tip is 3600 s old .*no upstream peer is connected/);
  });

  it("the bound is inclusive and configurable", () => {
    assert.equal(readiness({ ...base, tipTime: NOW - 1_200_000 }).caughtUp, true);
    assert.equal(readiness({ ...base, tipTime: NOW - 1_200_001 }).caughtUp, false);
    assert.equal(readiness({ ...base, tipTime: NOW - 5_000, maxCaughtUpAgeMs: 4_000 }).caughtUp, false);
  });

  it("an old tip is caught up when every connected upstream peer says we are at its tip", () => {
    const old = { ...base, tipTime: NOW - 3_600_000 };
    assert.equal(readiness({ ...old, upstream: { configured: 2, connected: 2, atTip: 2 } }).ready, true);
    const one = readiness({ ...old, upstream: { configured: 2, connected: 2, atTip: 1 } });
    assert.equal(one.ready, false);
    assert.match(one.reason!, /1 of 2 upstream peers are ahead/);
  });

  it("a lone producer (no upstream configured) is caught up; a lone relay is not ready without a peer", () => {
    const lone = { ...base, tipTime: NOW - 3_600_000, upstream: { configured: 0, connected: 0, atTip: 0 }, peers: 0 };
    assert.equal(readiness({ ...lone, role: "producer" }).ready, true);
    const relay = readiness(lone);
    assert.equal(relay.caughtUp, true);
    assert.equal(relay.ready, false);
    assert.equal(relay.reason, "a relay with no peer connected");
  });

  it("a producer needs no peer, but must be caught up", () => {
    const p = { ...base, role: "producer" as const, peers: 0, upstream: { configured: 1, connected: 0, atTip: 0 } };
    assert.equal(readiness(p).ready, true);
    assert.equal(readiness({ ...p, tipTime: NOW - 1_300_000 }).ready, false);
  });

  it("before the first block the network's start is the tip: a fresh devnet is caught up, an old network is not", () => {
    const fresh = { ...base, tipTime: undefined, systemStart: NOW - 10_000 };
    assert.deepEqual(readiness(fresh), { ready: true, caughtUp: true, tipAgeSeconds: 10 });
    assert.equal(readiness({ ...fresh, systemStart: NOW + 60_000 }).tipAgeSeconds, 0);
    assert.equal(readiness({ ...fresh, systemStart: NOW - 2_000_000 }).caughtUp, false);
  });

  it("failed storage and a node starting or stopping are not ready", () => {
    assert.equal(readiness({ ...base, storageHealthy: false }).reason, "storage failed");
    assert.equal(readiness({ ...base, running: false }).reason, "starting or stopping");
  });
});

describe("late leader checks after a stall", () => {
  it("checks every skipped slot and returns those led", () => {
    const r = lateLeaderSlots(10n, 20n, (s) => s % 3n === 0n);
    assert.deepEqual(r, { led: [12n, 15n, 18n], unchecked: 0 });
    assert.deepEqual(
      lateLeaderSlots(5n, 5n, () => true),
      { led: [], unchecked: 0 },
    );
  });

  it("counts slots it cannot judge, and bounds a long stall to its last slots", () => {
    assert.deepEqual(
      lateLeaderSlots(0n, 4n, (s) => (s < 2n ? undefined : true)),
      { led: [2n, 3n], unchecked: 2 },
    );
    let calls = 0;
    const r = lateLeaderSlots(0n, BigInt(MAX_LATE_CHECKS + 100), () => (calls++, false));
    assert.equal(calls, MAX_LATE_CHECKS);
    assert.equal(r.unchecked, 100);
  });
});

describe("chain density (cardano_node_metrics_density_real)", () => {
  const chainOf = (slots: number[]) => ({
    length: slots.length,
    entry: (i: number) => (i >= 0 && i < slots.length ? { slot: BigInt(slots[i]!) } : undefined),
  });

  it("is blocks per slot over the last k blocks, from genesis while the chain is shorter", () => {
    assert.equal(chainDensity(chainOf([]), 5), undefined);
    assert.equal(chainDensity(chainOf([3]), 5), undefined);
    // 4 blocks in slots 0..7: 4 / 8.
    assert.equal(chainDensity(chainOf([1, 3, 5, 7]), 5), 0.5);
    // k = 2: the last two blocks, slots 5..7 (3 slots).
    assert.equal(chainDensity(chainOf([1, 3, 5, 7]), 2), 2 / 3);
  });
});
