// The StakePool status from observations: phase and conditions for each situation, figures from the node's own
// /metrics, and lastTransitionTime that moves only when a condition flips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type PoolObservation, stakePoolStatus } from "../../src/operator/controllers/stakepool-status.ts";

const passed = {
  passed: true,
  checks: [],
  keysHash: "ab".repeat(32),
  poolId: "pool1xyz",
  opcert: { counter: 2, kesPeriod: 5 },
};
const base: PoolObservation = {
  generation: 3,
  previous: undefined,
  now: new Date("2026-01-01T00:00:00.250Z"),
  secretName: "a-keys",
  gate: passed,
  acceptedHash: passed.keysHash,
  facts: passed,
  producerName: "a-producer",
  statefulSetExists: true,
  ready: true,
  scrape: { ok: true, figures: { forgingEnabled: 1, tipSlot: 1234, tipBlock: 56, blocksForged: 7 } },
  relays: { name: "a-relay", readyReplicas: 2 },
};
const cond = (s: ReturnType<typeof stakePoolStatus>, type: string) => s.conditions!.find((c) => c.type === type)!;

test("a ready producer that says it forges: phase Forging, with tip and blocks forged", () => {
  const s = stakePoolStatus(base);
  assert.equal(s.phase, "Forging");
  assert.deepEqual(s.tip, { slot: 1234, blockNo: 56 });
  assert.equal(s.blocksForged, 7);
  assert.deepEqual(s.kes, { startPeriod: 5, counter: 2 });
  assert.equal(cond(s, "Forging").status, "True");
  assert.equal(cond(s, "Ready").status, "True");
  assert.equal(cond(s, "KeysValid").observedGeneration, 3);
  assert.equal(cond(s, "KeysValid").lastTransitionTime, "2026-01-01T00:00:00Z");
});

test("the counter on chain the producer reports goes into status.kes beside the certificate's", () => {
  const s = stakePoolStatus({
    ...base,
    scrape: { ok: true, figures: { forgingEnabled: 1, chainOpcertCounter: 1 } },
  });
  assert.deepEqual(s.kes, { startPeriod: 5, counter: 2, counterOnChain: 1 });
  const garbage = stakePoolStatus({ ...base, scrape: { ok: true, figures: { chainOpcertCounter: -1 } } });
  assert.deepEqual(garbage.kes, { startPeriod: 5, counter: 2 }, "a nonsense figure is left out");
});

test("the certificate the producer says it forges with goes into status.producer.opcertCounter", () => {
  const s = stakePoolStatus({ ...base, scrape: { ok: true, figures: { forgingEnabled: 1, opcertCounter: 3 } } });
  assert.equal(s.producer?.opcertCounter, 3, "what a KesRotation waits for before it completes");
  assert.equal(stakePoolStatus(base).producer?.opcertCounter, undefined, "not reported: absent");
  const unread = stakePoolStatus({ ...base, scrape: { ok: false, error: "timed out" } });
  assert.equal(unread.producer?.opcertCounter, undefined);
  const garbage = stakePoolStatus({ ...base, scrape: { ok: true, figures: { opcertCounter: 1.5 } } });
  assert.equal(garbage.producer?.opcertCounter, undefined, "a nonsense figure is left out");
});

test("ready but not forging is Degraded; unreadable metrics leave Forging Unknown and the phase Progressing", () => {
  const notForging = stakePoolStatus({ ...base, scrape: { ok: true, figures: { forgingEnabled: 0 } } });
  assert.equal(notForging.phase, "Degraded");
  assert.equal(cond(notForging, "Forging").reason, "NotForging");
  const failed = stakePoolStatus({ ...base, scrape: { ok: false, error: "http://10.0.0.9:12798/metrics: timed out" } });
  assert.equal(failed.phase, "Progressing");
  assert.equal(cond(failed, "Forging").status, "Unknown");
  assert.match(cond(failed, "Forging").message, /timed out/);
  assert.equal(failed.tip, undefined);
});

test("a failed gate is KeysInvalid whatever runs; no accepted keys means no producer", () => {
  const failing = {
    passed: false,
    checks: [],
    failure: { check: "kes-key" as const, reason: "KesKeyMismatch", message: "m" },
  };
  const s = stakePoolStatus({ ...base, gate: failing });
  assert.equal(s.phase, "KeysInvalid");
  assert.equal(cond(s, "KeysValid").reason, "KesKeyMismatch");
  assert.equal(s.producer?.keysHash, passed.keysHash, "the running revision is still reported");
  const none = stakePoolStatus({
    ...base,
    gate: failing,
    acceptedHash: undefined,
    facts: undefined,
    statefulSetExists: false,
    ready: false,
    scrape: undefined,
  });
  assert.equal(cond(none, "Ready").reason, "WaitingForKeys");
  assert.equal(none.poolId, undefined);
});

test("lastTransitionTime moves only when a condition's status flips", () => {
  const first = stakePoolStatus(base);
  const later = new Date("2026-01-02T00:00:00Z");
  const same = stakePoolStatus({ ...base, previous: first.conditions, now: later });
  assert.deepEqual(same.conditions, first.conditions, "nothing changed: identical conditions (no write)");
  const flipped = stakePoolStatus({ ...base, previous: first.conditions, now: later, ready: false });
  assert.equal(cond(flipped, "Ready").lastTransitionTime, "2026-01-02T00:00:00Z");
  assert.equal(cond(flipped, "KeysValid").lastTransitionTime, "2026-01-01T00:00:00Z");
});
