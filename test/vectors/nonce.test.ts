// Nonce evolution against pallas's rolling-nonce chain (real Shelley mainnet blocks) and epoch-nonce examples.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyBlockNonce,
  combineNonces,
  epochNonce,
  evolveNonce,
  initialNonceState,
  stabilityWindow,
  tickToEpoch,
  tpraosNonceValue,
} from "../../src/consensus/nonce.ts";
import { fixtureFiles, hex, readFixtureJson, unhex } from "../helpers/fixtures.ts";

interface Vectors {
  pallas_tpraos_rolling_nonce: { initial_eta_v: string; eta_vrf_0: string[]; expected_eta_v: string[] };
  pallas_epoch_nonce: { cases: { nc: string; nh: string; extra_entropy: string | null; expected: string }[] };
}

for (const file of fixtureFiles("nonce", /\.json$/)) {
  const v = readFixtureJson<Vectors>("nonce", file);
  describe(`nonce vectors ${file}`, () => {
    it("the TPraos rolling nonce chain reproduces from the mainnet Shelley genesis hash", () => {
      const r = v.pallas_tpraos_rolling_nonce;
      assert.equal(r.eta_vrf_0.length, r.expected_eta_v.length);
      let eta: Uint8Array | null = unhex(r.initial_eta_v);
      r.eta_vrf_0.forEach((out, i) => {
        eta = evolveNonce(eta, tpraosNonceValue(unhex(out)));
        assert.equal(hex(eta!), r.expected_eta_v[i], `block ${i}`);
      });
    });
    for (const c of v.pallas_epoch_nonce.cases) {
      it(`epoch nonce from candidate ${c.nc.slice(0, 8)}… and last block hash ${c.nh.slice(0, 8)}…${c.extra_entropy ? " with extra entropy" : ""}`, () => {
        const got = epochNonce(unhex(c.nc), unhex(c.nh), c.extra_entropy ? unhex(c.extra_entropy) : null);
        assert.equal(hex(got!), c.expected);
      });
    }
  });
}

describe("nonce state machine", () => {
  it("the neutral nonce is the identity", () => {
    const a = new Uint8Array(32).fill(9);
    assert.equal(combineNonces(a, null), a);
    assert.equal(combineNonces(null, a), a);
    assert.equal(combineNonces(null, null), null);
  });
  it("stability windows: 3k/f before Conway, 4k/f from Conway (mainnet: 129600 and 172800)", () => {
    assert.equal(stabilityWindow(2160, { num: 1n, den: 20n }, false), 129600);
    assert.equal(stabilityWindow(2160, { num: 1n, den: 20n }, true), 172800);
  });
  it("the candidate freezes inside the stability window and the next epoch nonce comes from it", () => {
    const genesis = new Uint8Array(32).fill(7);
    let s = initialNonceState(genesis);
    const epochLength = 100;
    const window = 30;
    const eta = (i: number) => new Uint8Array(32).fill(i);
    const prev = (i: number) => new Uint8Array(32).fill(100 + i);
    s = applyBlockNonce(s, { slot: 10, prevHash: null, nonce: eta(1) }, epochLength, window);
    s = applyBlockNonce(s, { slot: 69, prevHash: prev(2), nonce: eta(2) }, epochLength, window);
    const frozen = s.candidate;
    assert.equal(hex(frozen!), hex(s.evolving!));
    s = applyBlockNonce(s, { slot: 70, prevHash: prev(3), nonce: eta(3) }, epochLength, window);
    assert.equal(hex(s.candidate!), hex(frozen!), "slot 70 + 30 is not before 100: candidate frozen");
    assert.notEqual(hex(s.evolving!), hex(frozen!));
    const next = tickToEpoch(s, 1);
    assert.equal(hex(next.epochNonce!), hex(frozen!), "lastEpochBlock is neutral at the first boundary");
    assert.equal(hex(next.lastEpochBlock!), hex(prev(3)));
    const after = tickToEpoch(applyBlockNonce(next, { slot: 110, prevHash: prev(4), nonce: eta(4) }, 200, window), 2);
    assert.equal(hex(after.epochNonce!), hex(combineNonces(after.candidate, prev(3))!));
  });
});
