// The leader schedule behind /api/leader-schedule (issue 15, defect 2), on a real devnet's genesis and pool keys:
// the same slots as evaluating every slot at once, one computation shared by concurrent queries and cached for
// repeated ones, and timers running between its chunks.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork, type Network } from "../../src/node/config.ts";
import { leaderSlots } from "../../src/node/forge.ts";
import { CHUNK_SLOTS, LeaderSchedule, type ScheduleInputs } from "../../src/node/leader-schedule.ts";
import { loadProducerKeys } from "../../src/node/producer-keys.ts";
import { createDevnet } from "../helpers/cli.ts";

const root = mkdtempSync(join(tmpdir(), "pf-schedule-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("leader schedule", () => {
  let net: Network;
  let inputs: ScheduleInputs;
  before(async () => {
    await createDevnet(root, { activeSlotCoeff: "0.5", epochLength: 1000 });
    net = loadNetwork(join(root, "config.json"));
    const chain = NodeChain.genesis(net);
    const pool = (f: string) => join(root, "pools", "pool1", f);
    const gate = loadProducerKeys(
      { kes: pool("kes.skey"), vrf: pool("vrf.skey"), opcert: pool("node.cert") },
      net.clock,
      (id) => chain.registeredVrfKeyHash(id),
      (id) => chain.state.counters.get(id),
      new Date(),
    );
    assert.ok(gate.forging, "the devnet pool's keys pass the gate");
    // The genesis distribution for the genesis epoch; no other epoch is known.
    const stake = chain.ledger.poolDistr;
    inputs = {
      state: chain.state,
      rules: net.rules,
      stakeFor: (e) => (e === chain.ledger.epoch ? stake : undefined),
      keys: gate.keys,
    };
  });

  it("lists the slots a one-at-once evaluation lists, and says when an epoch was unknown", async () => {
    const schedule = new LeaderSchedule();
    const want = leaderSlots(10n, 500, inputs.state, inputs.rules, inputs.stakeFor, inputs.keys);
    assert.ok(want.slots.length > 100, `f = 0.5 leads about half: ${want.slots.length}`);
    assert.deepEqual(await schedule.slots(10n, 500, inputs), want);
    // Past the end of epoch 0 the distribution is unknown: incomplete, and only epoch 0's slots.
    const across = await schedule.slots(900n, 200, inputs);
    assert.equal(across.complete, false);
    assert.deepEqual(
      across.slots,
      leaderSlots(900n, 100, inputs.state, inputs.rules, inputs.stakeFor, inputs.keys).slots,
    );
  });

  it("concurrent queries share one computation, repeated ones hit the cache, and timers run in between", async () => {
    const schedule = new LeaderSchedule();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const results = await Promise.all(Array.from({ length: 40 }, () => schedule.slots(0n, 1000, inputs)));
    clearInterval(timer);
    const chunks = Math.ceil(1000 / CHUNK_SLOTS);
    assert.equal(schedule.chunksComputed, chunks, "each chunk of the epoch evaluated once for 40 queries");
    for (const r of results) assert.deepEqual(r, results[0]);
    assert.ok(ticks >= chunks / 2, `a 1 ms timer ran between the chunks: ${ticks} ticks over ${chunks} chunks`);
    await schedule.slots(100n, 300, inputs);
    assert.equal(schedule.chunksComputed, chunks, "a later query inside the epoch computes nothing new");
    // Other keys (a SIGHUP that changed them) are not served from the cache.
    await schedule.slots(0n, 1000, { ...inputs, keys: { ...inputs.keys } });
    assert.equal(schedule.chunksComputed, 2 * chunks);
  });
});
