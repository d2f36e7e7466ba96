// Proposal procedures by cardano-ledger's GOV rule (proposals.ts): deposits, return accounts, the bootstrap phase,
// hard-fork versions, committee updates, treasury withdrawals and their guardrail script, and each purpose's chain
// of actions — every refusal named after its predicate failure; accepted proposals are kept, with their expiry,
// through a node snapshot.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bytesToHex, hexToBytes } from "../../src/crypto/bytes.ts";
import type { CborValue } from "../../src/codec/cbor.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { Journal } from "../../src/ledger/journal.ts";
import type { LedgerParams } from "../../src/ledger/params.ts";
import { DataB, DataConstr, DataI, DataList, DataMap, DataPair } from "@harmoniclabs/plutus-data";
import { Tag } from "cbor-x";
import { expireInfoProposals, ratificationNeeded } from "../../src/ledger/gov-epoch.ts";
import { ContextError } from "../../src/ledger/plutus/data.ts";
import { proposalProcedure, transVotes } from "../../src/ledger/plutus/proposals.ts";
import { proposalPolicy } from "../../src/ledger/proposals.ts";
import { applyProposals, type ProposalFailure } from "../../src/ledger/proposals.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { devnetLedger, wallet } from "../helpers/ledger.ts";

const DEPOSIT = 100_000_000_000n;
const GUARDRAIL = "fa".repeat(28);

function setup(protocolMajor = 10) {
  const { state, params: base, owners } = devnetLedger();
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
  state.constitutionPolicy = GUARDRAIL;
  const registered = hexToBytes(rewardAccount(owners[0]!.stakeHash));
  const propose = (actions: CborValue[], txByte = 1, deposit = DEPOSIT, account = registered) => {
    const failures: ProposalFailure[] = [];
    const txId = new Uint8Array(32).fill(txByte);
    const deposits = applyProposals(
      state,
      txId,
      actions.map((a) => [deposit, account, a, ["https://example.org", new Uint8Array(32)]]),
      params,
      new Journal(),
      failures,
    );
    return { kinds: failures.map((f) => f.kind), failures, deposits, id: (i: number) => [txId, i] as CborValue };
  };
  return { state, params, propose, registered };
}

const registeredOf = (state: ReturnType<typeof devnetLedger>["state"]): Uint8Array =>
  hexToBytes(rewardAccount([...state.accounts.keys()][0]!));

describe("proposal procedures (GOV)", () => {
  it("an info action with the deposit and a registered return account is kept until it expires", () => {
    const { state, propose } = setup();
    const r = propose([[6]]);
    assert.deepEqual(r.kinds, []);
    assert.equal(r.deposits, DEPOSIT);
    const kept = state.proposals.get(`${"01".repeat(32)}#0`);
    assert.equal(kept?.expiresAfter, state.epoch + 6);
    assert.equal(kept?.deposit, DEPOSIT);
    const copy = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    assert.deepEqual(copy.proposals, state.proposals, "proposals survive a snapshot");
  });

  it("the deposit, the return account and its network are checked", () => {
    const { propose } = setup();
    const wrong = propose([[6]], 2, 5n);
    assert.deepEqual(wrong.kinds, ["ProposalDepositIncorrect"]);
    assert.deepEqual(
      { supplied: (wrong.failures[0] as { supplied: bigint }).supplied, deposits: wrong.deposits },
      { supplied: 5n, deposits: 5n },
      "the stated deposit is what conservation counts",
    );
    const stranger = hexToBytes(rewardAccount(wallet().stakeHash));
    assert.deepEqual(propose([[6]], 3, DEPOSIT, stranger).kinds, ["ProposalReturnAccountDoesNotExist"]);
    const onMainnet = hexToBytes(rewardAccount(wallet().stakeHash, true));
    assert.deepEqual(propose([[6]], 4, DEPOSIT, onMainnet).kinds, [
      "ProposalReturnAccountDoesNotExist",
      "ProposalProcedureNetworkIdMismatch",
    ]);
  });

  it("the bootstrap phase allows parameter changes, hard forks and info only, and does not ask for accounts", () => {
    const { propose } = setup(9);
    assert.deepEqual(propose([[3, null]]).kinds, ["DisallowedProposalDuringBootstrap"]);
    const stranger = hexToBytes(rewardAccount(wallet().stakeHash));
    assert.deepEqual(propose([[6]], 2, DEPOSIT, stranger).kinds, []);
  });

  it("a hard fork follows the protocol version, or the hard fork it names; chains follow their roots", () => {
    const { propose } = setup();
    assert.deepEqual(propose([[1, null, [12, 0]]]).kinds, ["ProposalCantFollow"]);
    const first = propose([[1, null, [11, 0]]], 2);
    assert.deepEqual(first.kinds, []);
    assert.deepEqual(propose([[1, first.id(0), [11, 1]]], 3).kinds, [], "follows the proposed 11.0");
    assert.deepEqual(propose([[1, first.id(0), [10, 1]]], 4).kinds, ["ProposalCantFollow"]);
    assert.deepEqual(propose([[3, first.id(0)]], 5).kinds, ["InvalidPrevGovActionId"], "another purpose's action");
    assert.deepEqual(propose([[5, first.id(7), [["u", new Uint8Array(32)], null]]], 6).kinds, [
      "InvalidPrevGovActionId",
    ]);
  });

  it("committee updates add no member they remove, with terms ending after this epoch", () => {
    const { state, propose } = setup();
    const member = [0, new Uint8Array(28).fill(7)];
    const update = (term: number) => [4, null, [member], new Map([[member, term]]), [1, 2]];
    assert.deepEqual(propose([update(state.epoch)]).kinds, ["ConflictingCommitteeUpdate", "ExpirationEpochTooSmall"]);
    assert.deepEqual(propose([[4, null, [], new Map([[member, state.epoch + 5]]), [1, 2]]], 2).kinds, []);
  });

  it("treasury withdrawals name the constitution's guardrail script and withdraw something", () => {
    const { propose, registered } = setup();
    const none = propose([[2, new Map([[registered, 0n]]), null]]);
    assert.deepEqual(none.kinds, ["InvalidPolicyHash", "ZeroTreasuryWithdrawals"]);
    const { supplied, expected } = none.failures[0] as { supplied: string | null; expected: string | null };
    assert.deepEqual({ supplied, expected }, { supplied: null, expected: GUARDRAIL });
    const guarded = propose([[2, new Map([[registered, 5n]]), hexToBytes(GUARDRAIL)]], 2);
    assert.deepEqual(guarded.kinds, [], "GOV accepts it; its guardrail script runs in phase 2 (the propose purpose)");
  });

  it("an info action expires at the boundary after its last epoch and its deposit goes home", () => {
    const { state, propose, registered } = setup(9); // the bootstrap phase accepts an unregistered return account
    const owner = state.accounts.get(Buffer.from(registered.subarray(1)).toString("hex"))!;
    const stranger = hexToBytes(rewardAccount(wallet().stakeHash));
    assert.deepEqual(propose([[6]], 1).kinds, []);
    assert.deepEqual(propose([[6]], 2, DEPOSIT, stranger).kinds, []);
    assert.deepEqual(propose([[1, null, [10, 0]]], 3).kinds, []);
    state.pots.deposited += 3n * DEPOSIT; // what the proposing transactions would have deposited
    const supply = state.totalLovelace();
    const { treasury } = state.pots;
    const last = state.epoch + 6;
    assert.deepEqual(expireInfoProposals(state, last + 1, new Journal()), [], "not while it may be ratified");
    const expired = expireInfoProposals(state, last + 2, new Journal());
    assert.deepEqual(expired.sort(), [`${"01".repeat(32)}#0`, `${"02".repeat(32)}#0`]);
    assert.equal(
      state.accounts.get(Buffer.from(registered.subarray(1)).toString("hex"))!.reward,
      owner.reward + DEPOSIT,
    );
    assert.equal(state.pots.treasury, treasury + DEPOSIT, "an unregistered return account's deposit is the treasury's");
    assert.equal(state.pots.deposited, DEPOSIT, "the hard fork's deposit stays: it waits for ratification");
    assert.equal(state.proposals.size, 1);
    assert.equal(state.totalLovelace(), supply);
  });

  it("a treasury withdrawal as PlutusV3 sees it: deposit, return credential, withdrawals in ledger order, policy", () => {
    const key = hexToBytes(`e0${"22".repeat(28)}`);
    const script = hexToBytes(`f0${"11".repeat(28)}`);
    const raw: CborValue = [
      DEPOSIT,
      key,
      [
        2,
        new Map([
          [key, 5n],
          [script, 7n],
        ]),
        hexToBytes(GUARDRAIL),
      ],
      ["u", new Uint8Array(32)],
    ];
    assert.equal(proposalPolicy(raw), GUARDRAIL, "the guardrail script is needed");
    const [deposit, returnTo, action] = (proposalProcedure(raw) as DataConstr).fields as [
      DataI,
      DataConstr,
      DataConstr,
    ];
    assert.equal(deposit.int, DEPOSIT);
    assert.equal(returnTo.constr, 0n, "a key credential");
    assert.equal(action.constr, 2n, "TreasuryWithdrawals");
    const [withdrawals, policy] = action.fields as [DataMap<DataConstr, DataI>, DataConstr];
    assert.deepEqual(
      withdrawals.map.map((p) => [Number(p.fst.constr), p.snd.int]),
      [
        [1, 7n],
        [0, 5n],
      ],
      "script credentials before key credentials, as the ledger orders reward accounts",
    );
    assert.equal(policy.constr, 0n, "Just the policy");
    assert.equal(bytesToHex((policy.fields[0] as DataB).bytes), GUARDRAIL);
    const update: CborValue = [4, null, [], new Map(), [1, 2]];
    assert.throws(
      () => proposalProcedure([DEPOSIT, key, update, ["u", new Uint8Array(32)]]),
      (e: unknown) => e instanceof ContextError && e.unsupported,
      "committee updates are not translated yet",
    );
  });

  it("a parameter change must be well formed and name the guardrail script; scripts see its fields by key", () => {
    const { state, propose } = setup();
    const guard = hexToBytes(GUARDRAIL);
    assert.deepEqual(propose([[0, null, new Map(), guard]]).kinds, ["MalformedProposal"], "changes nothing");
    assert.deepEqual(propose([[0, null, new Map([[3, 0]]), guard]], 2).kinds, ["MalformedProposal"], "maxTxSize 0");
    assert.deepEqual(propose([[0, null, new Map([[8, 100]]), null]], 3).kinds, ["InvalidPolicyHash"]);
    assert.deepEqual(propose([[0, null, new Map([[8, 100]]), guard]], 4).kinds, []);
    assert.equal(state.proposals.get(`${"04".repeat(32)}#0`)?.security, false, "nOpt is not in the security group");
    assert.deepEqual(propose([[0, null, new Map([[1, 100]]), guard]], 5).kinds, [], "follows the pparams root");
    assert.equal(state.proposals.get(`${"05".repeat(32)}#0`)?.security, true, "minFeeB is");
    const update = new Map<CborValue, CborValue>([
      [19, [new Tag([577, 10000], 30), new Tag([721, 10000000], 30)] as unknown as CborValue],
      [1, 155381],
    ]);
    const action = (
      proposalProcedure([
        DEPOSIT,
        registeredOf(state),
        [0, null, update, guard],
        ["u", new Uint8Array(32)],
      ]) as DataConstr
    ).fields[2] as DataConstr;
    const changed = action.fields[1] as DataMap<DataI, DataI | DataList>;
    assert.deepEqual(
      changed.map.map((p) => p.fst.int),
      [1n, 19n],
      "by field key",
    );
    const prices = changed.map[1]!.snd as DataList;
    assert.deepEqual(
      prices.list.map((r) => (r as DataList).list.map((x) => (x as DataI).int)),
      [
        [577n, 10000n],
        [721n, 10000000n],
      ],
      "prices as [numerator, denominator] pairs",
    );
  });

  it("a boundary needs ratification unless every open action awaits a committee that has not said yes", () => {
    const { state, propose } = setup();
    assert.deepEqual(propose([[5, null, [["u", new Uint8Array(32)], null]]], 1).kinds, []);
    const next = state.epoch + 1;
    const all = { committee: true, drepNoConfidence: true, drepCommittee: true, protocolMajor: 10 };
    assert.equal(ratificationNeeded(state, next, all), null, "a new constitution without committee votes");
    assert.match(ratificationNeeded(state, next, { ...all, committee: false }) ?? "", /may be ratified/);
    assert.match(ratificationNeeded(state, state.epoch + 8, all) ?? "", /expires/);
    const id = `${"01".repeat(32)}#0`;
    state.votes.set(`${id}|committee:${"ab".repeat(28)}`, 0);
    assert.equal(ratificationNeeded(state, next, all), null, "a no vote changes nothing");
    state.votes.set(`${id}|committee:${"ab".repeat(28)}`, 1);
    assert.match(ratificationNeeded(state, next, all) ?? "", /may be ratified/, "the committee said yes");
    state.votes.clear();
    assert.deepEqual(propose([[3, null]], 2).kinds, []);
    assert.equal(ratificationNeeded(state, next, all), null, "no DRep voted yes on no-confidence");
    assert.match(ratificationNeeded(state, next, { ...all, protocolMajor: 9 }) ?? "", /may be ratified/, "bootstrap");
    const [cred, account] = [...state.accounts][0]!;
    state.accounts.set(cred, { ...account, drep: "no-confidence" });
    assert.match(ratificationNeeded(state, next, all) ?? "", /may be ratified/, "stake that always says yes");
    state.accounts.set(cred, account);
    state.votes.set(`${"02".repeat(32)}#0|drep:${"cd".repeat(28)}`, 1);
    assert.match(ratificationNeeded(state, next, all) ?? "", /may be ratified/, "a DRep said yes");
  });

  it("votes as PlutusV3 sees them (txInfoVotes): voters and actions in the ledger's order", () => {
    const id = (b: number, i: number): CborValue => [new Uint8Array(32).fill(b), i];
    const yes: CborValue = [1, null];
    const raw = new Map<CborValue, CborValue>([
      [[4, new Uint8Array(28).fill(1)], new Map([[id(2, 0), [2, null]]])],
      [
        [2, new Uint8Array(28).fill(9)],
        new Map([
          [id(5, 1), yes],
          [id(5, 0), [0, null]],
        ]),
      ],
      [[3, new Uint8Array(28).fill(9)], new Map([[id(1, 0), yes]])],
      [[0, new Uint8Array(28).fill(3)], new Map([[id(1, 0), yes]])],
    ]);
    const h = (b: number) => new DataB(new Uint8Array(28).fill(b));
    const gaid = (b: number, i: number) => new DataConstr(0, [new DataB(new Uint8Array(32).fill(b)), new DataI(i)]);
    const expected = new DataMap(
      [
        // CommitteeVoter (key), then DRepVoter with the script credential before the key one, then StakePoolVoter.
        [new DataConstr(0, [new DataConstr(0, [h(3)])]), [[gaid(1, 0), new DataConstr(1, [])]]],
        [new DataConstr(1, [new DataConstr(1, [h(9)])]), [[gaid(1, 0), new DataConstr(1, [])]]],
        [
          new DataConstr(1, [new DataConstr(0, [h(9)])]),
          [
            [gaid(5, 0), new DataConstr(0, [])],
            [gaid(5, 1), new DataConstr(1, [])],
          ],
        ],
        [new DataConstr(2, [h(1)]), [[gaid(2, 0), new DataConstr(2, [])]]],
      ].map(
        ([k, vs]) =>
          new DataPair(
            k as DataConstr,
            new DataMap((vs as [DataConstr, DataConstr][]).map(([a, v]) => new DataPair(a, v))),
          ),
      ),
    );
    assert.deepEqual(transVotes(raw), expected);
  });
});
