// Leader cases: [{ vrfOutputHex | headerCborHex (+ epochNonceHex), relativeStake, activeSlotCoeff, expectLeader }].
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeHeader } from "../../src/chain/header.ts";
import { praosLeaderValue, praosVrfInput } from "../../src/consensus/vrf-input.ts";
import { activeSlotCoeff, checkLeaderNatValue } from "../../src/crypto/leader.ts";
import { parseRational } from "../../src/crypto/rational.ts";
import { vrfVerify } from "../../src/crypto/vrf.ts";
import { fixtureFiles, readFixtureJson, unhex } from "../helpers/fixtures.ts";

interface LeaderCase {
  id?: string;
  vrfOutputHex?: string;
  headerCborHex?: string;
  epochNonceHex?: string;
  relativeStake: string;
  activeSlotCoeff: string;
  expectLeader: boolean;
}

for (const file of fixtureFiles("leader", /\.json$/)) {
  describe(`leader cases ${file}`, () => {
    const cases = readFixtureJson<LeaderCase[]>("leader", file);
    it("covers both sides of the threshold", () => {
      assert.ok(cases.some((c) => c.expectLeader) && cases.some((c) => !c.expectLeader));
    });
    cases.forEach((c, i) => {
      it(`${c.id ?? `#${i}`}: ${c.expectLeader ? "leads" : "does not lead"}`, () => {
        let output: Uint8Array;
        if (c.headerCborHex) {
          const header = decodeHeader(unhex(c.headerCborHex));
          output = header.body.leaderVrf.output;
          if (c.epochNonceHex) {
            const certified = vrfVerify(
              header.body.vrfVkey,
              header.body.leaderVrf.proof,
              praosVrfInput(header.body.slot, unhex(c.epochNonceHex)),
            );
            assert.ok(certified, "the header's VRF proof verifies");
          }
        } else {
          output = unhex(c.vrfOutputHex!);
        }
        const f = activeSlotCoeff(parseRational(c.activeSlotCoeff));
        assert.equal(checkLeaderNatValue(praosLeaderValue(output), parseRational(c.relativeStake), f), c.expectLeader);
      });
    });
  });
}
