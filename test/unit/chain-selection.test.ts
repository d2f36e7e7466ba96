import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ChainSelectView,
  chooseFork,
  compareTips,
  CONWAY_TIEBREAKER,
  UNRESTRICTED,
} from "../../src/consensus/chain-selection.ts";

/** A block as these tests chain them: its hash, its predecessor's, and what chain selection reads of its header. */
interface BlockRef {
  readonly hash: Uint8Array;
  readonly prevHash: Uint8Array | null;
  readonly view: ChainSelectView;
}

const ISSUER_A = new Uint8Array(32).fill(1);
const ISSUER_B = new Uint8Array(32).fill(2);
let counter = 0;
function block(prev: BlockRef | null, over: Partial<BlockRef["view"]> = {}): BlockRef {
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setUint32(0, ++counter);
  return {
    hash,
    prevHash: prev ? prev.hash : null,
    view: {
      blockNo: prev ? prev.view.blockNo + 1n : 0n,
      slot: prev ? prev.view.slot + 10n : 0n,
      issuer: ISSUER_A,
      issueNo: 0n,
      vrfOutput: new Uint8Array(64).fill(0x80),
      ...over,
    },
  };
}
function chain(from: BlockRef | null, n: number, over: Partial<BlockRef["view"]> = {}): BlockRef[] {
  const out: BlockRef[] = [];
  let prev = from;
  for (let i = 0; i < n; i++) {
    prev = block(prev, over);
    out.push(prev);
  }
  return out;
}

describe("Praos tip comparison", () => {
  const base = block(null).view;
  it("the longer chain wins", () => assert.ok(compareTips({ ...base, blockNo: 5n }, { ...base, blockNo: 4n }) > 0));
  it("same issuer and slot: the higher opcert issue number wins", () => {
    assert.ok(
      compareTips({ ...base, issueNo: 3n, vrfOutput: new Uint8Array(64).fill(0xff) }, { ...base, issueNo: 2n }) > 0,
    );
  });
  it("otherwise the lower VRF output wins", () => {
    const low = { ...base, issuer: ISSUER_B, vrfOutput: new Uint8Array(64).fill(0x01) };
    assert.ok(compareTips(low, base) > 0);
    assert.ok(compareTips(base, low) < 0);
  });
  it("Conway restricts the VRF tiebreak to tips at most 5 slots apart", () => {
    const low = { ...base, issuer: ISSUER_B, slot: base.slot + 6n, vrfOutput: new Uint8Array(64).fill(0x01) };
    assert.equal(compareTips(low, base, CONWAY_TIEBREAKER), 0);
    assert.ok(compareTips(low, base, UNRESTRICTED) > 0);
    assert.ok(compareTips({ ...low, slot: base.slot + 5n }, base, CONWAY_TIEBREAKER) > 0);
  });
});

describe("chooseFork: the fork-choice rule ChainStore.adopt applies", () => {
  /** Our chain and a candidate fork from just after `keep` of our blocks, as the node hands them to the rule. */
  const decide = (ours: BlockRef[], keep: number, fork: BlockRef[], k: number, tiebreaker = CONWAY_TIEBREAKER) =>
    chooseFork({ ourLength: ours.length, keep, k, ours: ours.at(-1)?.view, candidate: fork.at(-1)!.view, tiebreaker });

  it("switches to a longer fork within k, and refuses one deeper than k even when longer", () => {
    const main = chain(null, 6);
    // A fork from block 3 (rolls back 2) that is longer: taken.
    const fork = chain(main[3]!, 3, { issuer: ISSUER_B });
    assert.deepEqual(decide(main, 4, fork, 3), { switch: true, rollback: 2 });
    // A fork from block 1 would roll back 5 > k = 3: refused, and the message says so.
    const deep = chain(main[1]!, 10);
    const refused = decide(main, 2, deep, 3);
    assert.equal(refused.switch, false);
    assert.equal(!refused.switch && refused.reason, "too-deep");
    assert.match(!refused.switch ? refused.message : "", /4 blocks deep, more than k = 3/);
    // ...and exactly k is allowed.
    assert.deepEqual(decide(main, 3, chain(main[2]!, 5), 3), { switch: true, rollback: 3 });
  });

  it("equal length: keeps ours unless the candidate wins the tiebreak; shorter never wins", () => {
    const main = chain(null, 3);
    const worse = chain(main[1]!, 1, { issuer: ISSUER_B, vrfOutput: new Uint8Array(64).fill(0xff) });
    assert.equal(decide(main, 2, worse, 10, UNRESTRICTED).switch, false);
    const better = chain(main[1]!, 1, { issuer: ISSUER_B, vrfOutput: new Uint8Array(64).fill(0x00) });
    assert.deepEqual(decide(main, 2, better, 10, UNRESTRICTED), { switch: true, rollback: 1 });
    const shorter = chain(main[0]!, 1, { vrfOutput: new Uint8Array(64).fill(0x00) });
    const r = decide(main, 1, shorter, 10, UNRESTRICTED);
    assert.equal(!r.switch && r.reason, "not-better");
  });

  it("a fork point past our tip is refused", () => {
    const main = chain(null, 3);
    const r = decide(main, 5, chain(null, 9), 10);
    assert.equal(!r.switch && r.reason, "beyond-tip");
  });
});
