// Ratification and enactment at the epoch boundary (ratify.ts, enact.ts): an action proposed and voted on in epoch
// e is ratified at the boundary into e + 1 and enacted at the boundary into e + 2 (as the DRep pulser does), its
// deposit returns, its effects reach the parameters the ledger then uses, and the pending outcome survives a node
// snapshot taken between the two boundaries. The Haskell vectors (ledger-conformance.test.ts) check the rules in
// depth; this checks poolfleet's wiring of them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Tag } from "cbor-x";
import { hexToBytes } from "../../src/crypto/bytes.ts";
import { rational } from "../../src/crypto/rational.ts";
import type { CborValue } from "../../src/codec/cbor.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { tickToEpoch } from "../../src/ledger/epoch.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { currentParams } from "../../src/ledger/param-changes.ts";
import type { LedgerParams } from "../../src/ledger/params.ts";
import { applyProposals } from "../../src/ledger/proposals.ts";
import { votingStake } from "../../src/ledger/ratify.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { devnetLedger } from "../helpers/ledger.ts";

const DEPOSIT = 1_000_000n;
const half = rational(1n, 2n);

function setup() {
  const { state, params: base, owners, poolIds } = devnetLedger();
  const params: LedgerParams = {
    ...base,
    governance: {
      protocolMajor: 10,
      protocolMinor: 0,
      drepDeposit: 500_000_000n,
      drepActivity: 20,
      govActionDeposit: DEPOSIT,
      govActionLifetime: 6,
      ratification: {
        poolThresholds: [half, half, half, half, half],
        drepThresholds: Array.from({ length: 10 }, () => half),
        committeeMinSize: 0,
        committeeMaxTermLength: 100,
      },
    },
  };
  const owner = owners[0]!.stakeHash;
  const account = hexToBytes(rewardAccount(owner));
  // One DRep holding the owner's vote, a committee of one with an authorised hot key.
  state.dreps.set("d1".repeat(28), { deposit: 500_000_000n, expiry: 100 });
  state.accounts.set(owner, { ...state.accounts.get(owner)!, drep: "d1".repeat(28) });
  state.committee.set("c1".repeat(28), 50);
  state.committeeThreshold = half;
  state.committeeHot.set("c1".repeat(28), "c2".repeat(28));
  const propose = (action: CborValue, txByte: number) => {
    const failures: { kind: string }[] = [];
    applyProposals(
      state,
      new Uint8Array(32).fill(txByte),
      [[DEPOSIT, account, action, ["https://example.org", new Uint8Array(32)]]],
      params,
      new Journal(),
      failures,
    );
    state.pots.deposited += DEPOSIT; // as a transaction would pay it: from outside the pots, here the reserves
    state.pots.reserves -= DEPOSIT;
    assert.deepEqual(failures, []);
    return `${Buffer.from(new Uint8Array(32).fill(txByte)).toString("hex")}#0`;
  };
  return { state, params, propose, owner, poolId: poolIds[0]! };
}

describe("ratification and enactment (RATIFY, ENACT, EPOCH)", () => {
  it("a parameter change the committee and DReps accept is enacted two boundaries on, and the ledger uses it", () => {
    const { state, params, propose, owner, poolId } = setup();
    const id = propose([0, null, new Map([[0, 99]]), null], 1); // minFeeA 99: economic and security groups
    state.votes.set(`${id}|committee:${"c2".repeat(28)}`, 1);
    state.votes.set(`${id}|drep:${"d1".repeat(28)}`, 1);
    tickToEpoch(state, params, state.epoch + 1, new Journal());
    assert.deepEqual(state.ratified?.enacted, [], "the security group needs the pools too");
    state.votes.set(`${id}|pool:${poolId}`, 1);
    const before = state.accounts.get(owner)!.reward;
    const epoch = state.epoch;
    tickToEpoch(state, params, epoch + 1, new Journal());
    assert.deepEqual(state.ratified?.enacted, [id], "ratified at the first boundary");
    assert.equal(currentParams(params, state).minFeeA, params.minFeeA, "not enacted yet");
    // A node snapshot between the boundaries keeps the outcome.
    const copy = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    for (const s of [state, copy]) {
      tickToEpoch(s, params, epoch + 2, new Journal());
      assert.equal(currentParams(params, s).minFeeA, 99n, "the fee parameter governance set");
      assert.equal(s.proposals.size, 0, "the enacted action leaves the proposals");
      assert.equal(s.govRoots.get("pparams"), id, "and becomes its purpose's root");
      assert.equal(s.accounts.get(owner)!.reward, before + DEPOSIT, "its deposit returns");
    }
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply, "the supply invariant holds");
  });

  it("without the committee's yes an action stays open, then expires and returns its deposit", () => {
    const { state, params, propose, owner } = setup();
    const id = propose([0, null, new Map([[0, 99]]), null], 2);
    state.votes.set(`${id}|drep:${"d1".repeat(28)}`, 1);
    state.votes.set(`${id}|committee:${"c2".repeat(28)}`, 0);
    const start = state.epoch;
    tickToEpoch(state, params, start + 7, new Journal());
    assert.ok(state.proposals.has(id), "still open within its lifetime");
    const before = state.accounts.get(owner)!.reward;
    tickToEpoch(state, params, start + 9, new Journal());
    assert.ok(!state.proposals.has(id), "expired");
    assert.equal(state.accounts.get(owner)!.reward, before + DEPOSIT);
    assert.equal(currentParams(params, state).minFeeA, params.minFeeA);
  });

  it("a treasury withdrawal larger than the treasury is not ratified; a committee update replaces members", () => {
    const { state, params, propose, owner } = setup();
    const account = hexToBytes(rewardAccount(owner));
    state.constitutionPolicy = null;
    const big = propose([2, new Map([[account, state.pots.treasury + 1n]]), null], 3);
    state.votes.set(`${big}|committee:${"c2".repeat(28)}`, 1);
    state.votes.set(`${big}|drep:${"d1".repeat(28)}`, 1);
    const member: CborValue = [0, hexToBytes("c3".repeat(28))];
    const update = propose(
      [
        4,
        null,
        [[0, hexToBytes("c1".repeat(28))]],
        new Map([[member, state.epoch + 10]]),
        new Tag([2, 3], 30) as unknown as CborValue,
      ],
      4,
    );
    state.votes.set(`${update}|drep:${"d1".repeat(28)}`, 1);
    state.votes.set(`${update}|pool:${[...state.pools.keys()][0]!}`, 1);
    tickToEpoch(state, params, state.epoch + 2, new Journal());
    assert.ok(state.proposals.has(big), "the withdrawal exceeds the treasury");
    assert.deepEqual([...state.committee.keys()], ["c3".repeat(28)], "c1 removed, c3 added");
    assert.deepEqual(state.committeeThreshold, rational(2n, 3n));
    assert.equal(state.committeeHot.has("c1".repeat(28)), false, "a removed member's hot key is forgotten");
  });

  it("DRep stake counts UTxO, rewards and proposal deposits of the accounts delegating to it", () => {
    const { state, propose, owner } = setup();
    const stake = votingStake(state).dreps.get("d1".repeat(28)) ?? 0n;
    propose([6], 5);
    assert.equal(votingStake(state).dreps.get("d1".repeat(28)), stake + DEPOSIT);
    assert.ok(stake > state.accounts.get(owner)!.reward, "the owner's UTxO counts");
  });
});
