// Voting procedures by cardano-ledger's GOV rule (votes.ts): who may vote (authorised hot keys of the enacted
// committee, registered DReps and pools), on what (proposed, unexpired actions; the committee not on
// no-confidence or committee updates, pools only on those, hard forks and info), DRep votes refused in the
// bootstrap phase, the voters' keys needed as witnesses, votes kept and a voting DRep kept active.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hexToBytes } from "../../src/crypto/bytes.ts";
import type { CborValue } from "../../src/codec/cbor.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { Journal } from "../../src/ledger/journal.ts";
import type { LedgerParams } from "../../src/ledger/params.ts";
import { applyProposals } from "../../src/ledger/proposals.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { applyVotes, type VoteFailure } from "../../src/ledger/votes.ts";
import { devnetLedger } from "../helpers/ledger.ts";

const DEPOSIT = 100_000_000_000n;
const h = (b: number) => new Uint8Array(28).fill(b);
const hex = (b: number) => Buffer.from(h(b)).toString("hex");

function setup(protocolMajor = 10) {
  const { state, params: base, owners, poolIds } = devnetLedger();
  const params: LedgerParams = {
    ...base,
    governance: {
      protocolMajor,
      protocolMinor: 0,
      drepDeposit: 500_000_000n,
      drepActivity: 20,
      govActionDeposit: DEPOSIT,
      govActionLifetime: 6,
    },
  };
  state.committee.set(hex(1), 90);
  state.committeeHot.set(hex(1), hex(2)); // member 1 authorised hot key 2
  state.committeeHot.set(hex(3), hex(4)); // hot key 4 of cold 3, who is not an elected member
  state.dreps.set(hex(5), { deposit: 500_000_000n, expiry: 0 });
  const account = hexToBytes(rewardAccount(owners[0]!.stakeHash));
  const txId = new Uint8Array(32).fill(9);
  const propose = (action: CborValue) =>
    applyProposals(state, txId, [[DEPOSIT, account, action, ["u", new Uint8Array(32)]]], params, new Journal(), []);
  propose([6]); // 0909..#0, an info action
  const info: CborValue = [txId, 0];
  const vote = (voter: CborValue, on: CborValue = info) => {
    const failures: VoteFailure[] = [];
    const needed = new Set<string>();
    applyVotes(state, new Map([[voter, new Map([[on, [1, null]]])]]), params, new Journal(), failures, needed);
    return { kinds: failures.map((f) => f.kind), needed };
  };
  return { state, params, vote, propose, info, txId, poolId: poolIds[0]! };
}

describe("voting procedures (GOV)", () => {
  it("an elected member's hot key, a registered DRep and a pool vote on an info action", () => {
    const { state, vote, poolId, info } = setup();
    const cc = vote([0, h(2)]);
    assert.deepEqual(cc.kinds, []);
    assert.deepEqual([...cc.needed], [hex(2)], "the hot key signs");
    assert.deepEqual(vote([2, h(5)]).kinds, []);
    assert.equal(state.dreps.get(hex(5))?.expiry, state.epoch + 20, "a DRep that votes stays active");
    assert.deepEqual(vote([4, hexToBytes(poolId)]).kinds, []);
    assert.equal(state.votes.get(`${Buffer.from((info as Uint8Array[])[0]!).toString("hex")}#0|drep:${hex(5)}`), 1);
    const copy = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    assert.deepEqual(copy.votes, state.votes, "votes survive a snapshot");
  });

  it("unknown voters, unelected hot keys and unknown actions are refused by name", () => {
    // Before protocol version 11 only the MEMPOOL rule refuses unelected committee voters; GOV does from 11.
    assert.deepEqual(setup(10).vote([0, h(4)]).kinds, [], "protocol version 10: GOV accepts an unelected voter");
    const { vote, txId } = setup(11);
    assert.deepEqual(vote([0, h(4)]).kinds, ["UnelectedCommitteeVoters"]);
    assert.deepEqual(vote([0, h(7)]).kinds, ["UnelectedCommitteeVoters", "VotersDoNotExist"]);
    assert.deepEqual(vote([2, h(8)]).kinds, ["VotersDoNotExist"]);
    assert.deepEqual(vote([4, h(8)]).kinds, ["VotersDoNotExist"]);
    assert.deepEqual(vote([2, h(5)], [txId, 1]).kinds, ["GovActionsDoNotExist"]);
    assert.deepEqual(vote([3, h(5)]).kinds, ["UnsupportedFeature"], "script voters are not judged yet");
  });

  it("the committee may not vote on no-confidence, pools not on a new constitution", () => {
    const { vote, propose, txId, poolId } = setup();
    propose([3, null]); // replaces #0 with a no-confidence action under the same id
    assert.deepEqual(vote([0, h(2)], [txId, 0]).kinds, ["DisallowedVoters"]);
    assert.deepEqual(vote([4, hexToBytes(poolId)], [txId, 0]).kinds, []);
    propose([5, null, [["u", new Uint8Array(32)], null]]);
    assert.deepEqual(vote([4, hexToBytes(poolId)], [txId, 0]).kinds, ["DisallowedVoters"]);
  });

  it("no DRep votes in the bootstrap phase, and none on expired actions", () => {
    assert.deepEqual(setup(9).vote([2, h(5)]).kinds, ["DisallowedVotesDuringBootstrap"]);
    const { state, vote } = setup();
    state.epoch += 7;
    assert.deepEqual(vote([2, h(5)]).kinds, ["VotingOnExpiredGovAction"]);
  });
});
