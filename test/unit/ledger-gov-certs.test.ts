// Conway's governance certificates (cardano-ledger Conway GOVCERT and DELEG): DRep registration, update and
// retirement with their deposits, committee hot-key authorisation and resignation, vote delegation and the
// combined delegation certificates. Each refusal is named after its predicate failure with the figures, a refused
// transaction changes nothing, deposits feed conservation, the certificates need their credentials' signatures,
// and the state survives a node snapshot.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyTx, type LedgerFailure } from "../../src/ledger/apply-tx.ts";
import type { Certificate } from "../../src/ledger/certs.ts";
import { decodeCertificate, encodeCertificate } from "../../src/ledger/certs.ts";
import { Journal } from "../../src/ledger/journal.ts";
import type { LedgerParams } from "../../src/ledger/params.ts";
import { ledgerStateFromJson, ledgerStateToJson } from "../../src/ledger/state-json.ts";
import { devnetLedger, spend, wallet } from "../helpers/ledger.ts";

type Cert = Exclude<Certificate, { kind: "Unsupported" }>;

function setup(protocolMajor = 10) {
  const { state, params: base, owners, poolIds } = devnetLedger();
  const params: LedgerParams = {
    ...base,
    governance: {
      protocolMajor,
      protocolMinor: 0,
      drepDeposit: 500_000_000n,
      drepActivity: 20,
      govActionDeposit: 100_000_000_000n,
      govActionLifetime: 6,
    },
  };
  const alice = owners[0]!;
  const drep = wallet();
  const member = wallet();
  state.committee.set(member.stakeHash, 50);
  const apply = (certificates: Cert[], netDeposit: bigint, signers: Uint8Array[]): LedgerFailure[] => {
    const tx = spend(state, params, alice, { certificates, netDeposit }, signers);
    return applyTx(state, tx, { slot: 5n, params }, new Journal());
  };
  return { state, params, alice, drep, member, poolId: poolIds[0]!, apply };
}

const kinds = (f: LedgerFailure[]) => f.map((x) => x.kind);

describe("Conway governance certificates", () => {
  it("every governance certificate encodes and decodes to itself", () => {
    const c = "ab".repeat(28);
    const certs: Cert[] = [
      { kind: "VoteDelegation", credential: c, drep: "abstain" },
      { kind: "VoteDelegation", credential: c, drep: `script:${"cd".repeat(28)}`, poolId: "01".repeat(28) },
      { kind: "VoteRegistrationDelegation", credential: c, drep: "no-confidence", deposit: 2n },
      { kind: "VoteRegistrationDelegation", credential: c, drep: c, poolId: "01".repeat(28), deposit: 2n },
      { kind: "DRepRegistration", credential: c, deposit: 5n, anchor: null },
      { kind: "DRepDeregistration", credential: c, refund: 5n },
      { kind: "DRepUpdate", credential: c, anchor: null },
      { kind: "CommitteeHotAuth", cold: c, hot: `script:${c}` },
      { kind: "CommitteeResignation", cold: c, anchor: null },
    ];
    for (const cert of certs) assert.deepEqual(decodeCertificate(encodeCertificate(cert), 0), cert);
  });

  it("a DRep registers with drepDeposit, updates, and retires for exactly its deposit", () => {
    const { state, params, drep, apply } = setup();
    const cred = drep.stakeHash;
    const deposited = state.pots.deposited;
    // cardano-ledger counts drepDeposit for a registration whatever it states: the transaction balances with it.
    const wrong = apply([{ kind: "DRepRegistration", credential: cred, deposit: 1n, anchor: null }], 500_000_000n, [
      drep.stakeSeed,
    ]);
    assert.deepEqual(wrong, [
      {
        kind: "ConwayDRepIncorrectDeposit",
        credential: cred,
        supplied: 1n,
        expected: 500_000_000n,
        message: `DRep registration of ${cred} states a deposit of 1; the deposit is 500000000`,
      },
    ]);
    assert.equal(state.dreps.size, 0, "a refused transaction changes nothing");
    const register: Cert = { kind: "DRepRegistration", credential: cred, deposit: 500_000_000n, anchor: null };
    assert.deepEqual(kinds(apply([register], 500_000_000n, [])), ["MissingVKeyWitnessesUTXOW"], "the DRep signs");
    assert.deepEqual(kinds(apply([register], 500_000_000n, [drep.stakeSeed])), []);
    assert.deepEqual(state.dreps.get(cred), { deposit: 500_000_000n, expiry: state.epoch + 20 });
    assert.equal(state.pots.deposited, deposited + 500_000_000n);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    assert.deepEqual(kinds(apply([register], 500_000_000n, [drep.stakeSeed])), ["ConwayDRepAlreadyRegistered"]);
    assert.deepEqual(kinds(apply([{ kind: "DRepUpdate", credential: cred, anchor: null }], 0n, [drep.stakeSeed])), []);
    const refund = (n: bigint): Cert => ({ kind: "DRepDeregistration", credential: cred, refund: n });
    const bad = apply([refund(1n)], -500_000_000n, [drep.stakeSeed]);
    assert.deepEqual(kinds(bad), ["ConwayDRepIncorrectRefund"]);
    assert.equal((bad[0] as { expected: bigint }).expected, 500_000_000n);
    assert.deepEqual(kinds(apply([refund(500_000_000n)], -500_000_000n, [drep.stakeSeed])), []);
    assert.equal(state.dreps.has(cred), false);
    assert.equal(state.pots.deposited, deposited);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    // Nothing is refunded for a DRep that is not registered (cardano-ledger finds no deposit to return).
    assert.deepEqual(kinds(apply([refund(500_000_000n)], 0n, [drep.stakeSeed])), ["ConwayDRepNotRegistered"]);
    assert.deepEqual(kinds(apply([{ kind: "DRepUpdate", credential: cred, anchor: null }], 0n, [drep.stakeSeed])), [
      "ConwayDRepNotRegistered",
    ]);
  });

  it("committee members authorise hot keys until they resign; strangers are unknown", () => {
    const { state, member, drep, apply } = setup();
    const hot = wallet().stakeHash;
    const auth = (cold: string): Cert => ({ kind: "CommitteeHotAuth", cold, hot });
    assert.deepEqual(kinds(apply([auth(drep.stakeHash)], 0n, [drep.stakeSeed])), ["ConwayCommitteeIsUnknown"]);
    state.proposals.set(`${"07".repeat(32)}#0`, {
      action: 4,
      purpose: "committee",
      prev: null,
      deposit: 1n,
      returnAccount: "",
      expiresAfter: 99,
      members: [drep.stakeHash],
    });
    assert.deepEqual(kinds(apply([auth(drep.stakeHash)], 0n, [drep.stakeSeed])), [], "a member a proposal adds");
    state.proposals.clear();
    assert.deepEqual(kinds(apply([auth(member.stakeHash)], 0n, [member.stakeSeed])), []);
    assert.equal(state.committeeHot.get(member.stakeHash), hot);
    const resign: Cert = { kind: "CommitteeResignation", cold: member.stakeHash, anchor: null };
    assert.deepEqual(kinds(apply([resign], 0n, [member.stakeSeed])), []);
    assert.equal(state.committeeHot.get(member.stakeHash), null);
    assert.deepEqual(kinds(apply([auth(member.stakeHash)], 0n, [member.stakeSeed])), [
      "ConwayCommitteeHasPreviouslyResigned",
    ]);
    const copy = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    assert.deepEqual(copy.committeeHot, state.committeeHot, "the committee state survives a snapshot");
    assert.deepEqual(copy.committee, state.committee);
  });

  it("votes go to registered DReps (any DRep in the bootstrap phase), alone or with a stake delegation", () => {
    const { state, params, drep, apply, poolId } = setup();
    const holder = wallet();
    const regDeleg = (d: string): Cert => ({
      kind: "VoteRegistrationDelegation",
      credential: holder.stakeHash,
      drep: d,
      poolId,
      deposit: params.keyDeposit,
    });
    const refused = apply([regDeleg(drep.stakeHash)], 0n, [holder.stakeSeed]);
    assert.deepEqual(kinds(refused), ["DelegateeDRepNotRegisteredDELEG"]);
    assert.equal(state.accounts.has(holder.stakeHash), false, "nothing registered");
    const register: Cert = {
      kind: "DRepRegistration",
      credential: drep.stakeHash,
      deposit: 500_000_000n,
      anchor: null,
    };
    assert.deepEqual(kinds(apply([register], 500_000_000n, [drep.stakeSeed])), []);
    assert.deepEqual(kinds(apply([regDeleg(drep.stakeHash)], params.keyDeposit, [holder.stakeSeed])), []);
    assert.deepEqual(state.accounts.get(holder.stakeHash), {
      reward: 0n,
      deposit: params.keyDeposit,
      pool: poolId,
      drep: drep.stakeHash,
    });
    const vote: Cert = { kind: "VoteDelegation", credential: holder.stakeHash, drep: "abstain" };
    assert.deepEqual(kinds(apply([vote], 0n, [holder.stakeSeed])), []);
    assert.equal(state.accounts.get(holder.stakeHash)?.drep, "abstain");
    assert.equal(state.accounts.get(holder.stakeHash)?.pool, poolId, "a vote delegation keeps the pool");
    const stranger: Cert = { kind: "VoteDelegation", credential: wallet().stakeHash, drep: "abstain" };
    assert.ok(kinds(apply([stranger], 0n, [])).includes("StakeKeyNotRegisteredDELEG"));
    const copy = ledgerStateFromJson(JSON.parse(JSON.stringify(ledgerStateToJson(state))));
    assert.deepEqual(copy.dreps, state.dreps, "DReps survive a snapshot");
    assert.equal(copy.accounts.get(holder.stakeHash)?.drep, "abstain");

    const boot = setup(9);
    const other = wallet();
    const unregistered: Cert = { kind: "VoteDelegation", credential: other.stakeHash, drep: drep.stakeHash };
    const reg: Cert = { kind: "StakeRegistration", credential: other.stakeHash, deposit: params.keyDeposit };
    assert.deepEqual(kinds(boot.apply([reg, unregistered], params.keyDeposit, [other.stakeSeed])), [], "version 9");
  });

  it("without Conway's governance parameters a governance certificate is not judged", () => {
    const { state, params, owners } = devnetLedger();
    const drep = wallet();
    const register: Cert = { kind: "DRepRegistration", credential: drep.stakeHash, deposit: 1n, anchor: null };
    const tx = spend(state, params, owners[0]!, { certificates: [register], netDeposit: 0n }, [drep.stakeSeed]);
    assert.deepEqual(kinds(applyTx(state, tx, { slot: 5n, params }, new Journal())), ["UnsupportedFeature"]);
    assert.equal(state.dreps.size, 0);
  });
});
