import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type BlockRef,
  ChainSelector,
  compareTips,
  CONWAY_TIEBREAKER,
  UNRESTRICTED,
} from "../../src/consensus/chain-selection.ts";

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

describe("ChainSelector", () => {
  it("extends, switches to a longer fork within k, and refuses one deeper than k", () => {
    const sel = new ChainSelector(3);
    const main = chain(null, 6);
    assert.ok(sel.consider(main).switched);
    assert.equal(sel.tip, main[5]);
    // A fork from block 3 (rolls back 2) that is longer: taken.
    const fork = chain(main[3]!, 3, { issuer: ISSUER_B });
    const r = sel.consider(fork);
    assert.ok(r.switched);
    assert.equal(r.switched && r.rollback, 2);
    assert.equal(sel.tip, fork[2]);
    assert.equal(sel.chain.length, 7);
    // A fork from block 1 would roll back 5 > k = 3, even though it is longer: refused.
    const deep = chain(main[1]!, 10);
    const refused = sel.consider(deep);
    assert.equal(refused.switched, false);
    assert.equal(!refused.switched && refused.reason, "fork-too-deep");
    assert.equal(sel.tip, fork[2]);
  });

  it("equal length: keeps ours unless the candidate wins the tiebreak", () => {
    const sel = new ChainSelector(10, UNRESTRICTED);
    const main = chain(null, 3);
    sel.consider(main);
    const worse = chain(main[1]!, 1, { issuer: ISSUER_B, vrfOutput: new Uint8Array(64).fill(0xff) });
    assert.equal(sel.consider(worse).switched, false);
    const better = chain(main[1]!, 1, { issuer: ISSUER_B, vrfOutput: new Uint8Array(64).fill(0x00) });
    assert.ok(sel.consider(better).switched);
    assert.equal(sel.tip, better[0]);
  });

  it("refuses candidates that do not connect", () => {
    const sel = new ChainSelector(5);
    sel.consider(chain(null, 3));
    const stray = chain(block(null), 5);
    assert.equal(sel.consider(stray).switched, false);
  });
});
