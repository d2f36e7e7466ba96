// Proposal procedures (Conway body key 20) by cardano-ledger's GOV rule, eras/conway/impl/src/Cardano/Ledger/
// Conway/Rules/Gov.hs `conwayGovTransition`, proposal by proposal in body order, every check reported:
//   DisallowedProposalDuringBootstrap  protocol version 9 allows parameter changes, hard forks and info only
//   ProposalCantFollow                 a hard fork's version follows the one before it (`pvCanFollow`)
//   MalformedProposal                  a parameter change is well formed (`ppuWellFormed`)
//   ProposalReturnAccountDoesNotExist, TreasuryWithdrawalReturnAccountsDoNotExist   (after the bootstrap phase)
//   ProposalDepositIncorrect           the deposit is govActionDeposit
//   ProposalProcedureNetworkIdMismatch, TreasuryWithdrawalsNetworkIdMismatch
//   InvalidPolicyHash                  a parameter change or treasury withdrawal names the constitution's guardrail
//                                      script
//   ZeroTreasuryWithdrawals            (after the bootstrap phase)
//   ConflictingCommitteeUpdate, ExpirationEpochTooSmall   a committee update adds no member it removes, and each
//                                      new term ends after the current epoch
//   InvalidPrevGovActionId             the action follows its purpose's root or a proposal of that purpose
// An accepted proposal is kept with its deposit, return account and expiry (govActionLifetime epochs on); its
// deposit is counted in value conservation as stated (`conwayProposalsDeposits`). A treasury withdrawal's guardrail
// script is a script the transaction needs (phase-one-scripts.ts) and runs in phase 2 on its `propose` purpose
// (plutus/proposals.ts), a parameter change's too.
import { asArray, asBytes, asUint, type CborValue, encodeCbor } from "../codec/cbor.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { rewardAccountCredential, setItems } from "./certs.ts";
import { type GovActionId, type GovPurpose, SECURITY_GROUP } from "./gov-state.ts";
import type { Journal } from "./journal.ts";
import type { LedgerParams } from "./params.ts";
import type { F } from "./rules/failure.ts";
import type { LedgerState } from "./state.ts";

export type ProposalFailure =
  | F<"DisallowedProposalDuringBootstrap", { index: number; action: number }>
  | F<"ProposalCantFollow", { index: number; supplied: string; expected: string }>
  | F<"MalformedProposal", { index: number }>
  | F<"ProposalReturnAccountDoesNotExist", { account: string }>
  | F<"TreasuryWithdrawalReturnAccountsDoNotExist", { accounts: string[] }>
  | F<"ProposalDepositIncorrect", { supplied: bigint; expected: bigint }>
  | F<"ProposalProcedureNetworkIdMismatch", { account: string; expected: number }>
  | F<"TreasuryWithdrawalsNetworkIdMismatch", { accounts: string[]; expected: number }>
  | F<"InvalidPolicyHash", { supplied: string | null; expected: string | null }>
  | F<"ZeroTreasuryWithdrawals", { index: number }>
  | F<"ConflictingCommitteeUpdate", { members: string[] }>
  | F<"ExpirationEpochTooSmall", { members: string[]; epoch: number }>
  | F<"InvalidPrevGovActionId", { index: number; prev: string | null }>
  | F<"UnsupportedFeature", { features: string[] }>;

const PURPOSE: Record<number, GovPurpose | null> = {
  0: "pparams",
  1: "hardFork",
  2: null,
  3: "committee",
  4: "committee",
  5: "constitution",
  6: null,
};

const actionId = (v: CborValue, what: string): GovActionId | null => {
  if (v === null || v === undefined) return null;
  const [txId, index] = asArray(v, what, 2);
  return `${bytesToHex(asBytes(txId, `${what} transaction id`, 32))}#${asUint(index, `${what} index`)}`;
};
const credential = (v: CborValue, what: string): string => {
  const [type, hash] = asArray(v, what, 2);
  return `${type === 1 ? "script:" : ""}${bytesToHex(asBytes(hash, what, 28))}`;
};
const entriesOf = (v: CborValue): [CborValue, CborValue][] =>
  v instanceof Map ? [...(v as Map<CborValue, CborValue>)] : [];
/** A committee quorum (a unit interval, tag 30 as Conway writes it, or a bare pair) as `n/d`. */
const quorum = (v: CborValue, what: string): string => {
  const t = v as unknown as { tag?: number; value?: CborValue };
  const pair = t?.tag === 30 ? t.value : v;
  if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`${what}: the committee quorum must be a rational`);
  const [n, d] = [asUint(pair[0], what), asUint(pair[1], what)];
  if (d === 0n || n > d) throw new Error(`${what}: the committee quorum ${n}/${d} is not in [0, 1]`);
  return `${n}/${d}`;
};
/** A constitution [anchor, script hash / null]'s guardrail script. */
const constitutionPolicyOf = (v: CborValue): string | null => {
  const hash = Array.isArray(v) ? v[1] : null;
  return hash instanceof Uint8Array ? bytesToHex(hash) : null;
};
/** A constitution [anchor, script hash / null]'s anchor [url, data hash in hex]. */
const constitutionAnchorOf = (v: CborValue): [string, string] | null => {
  const anchor = Array.isArray(v) ? v[0] : null;
  if (!Array.isArray(anchor) || typeof anchor[0] !== "string" || !(anchor[1] instanceof Uint8Array)) return null;
  return [anchor[0], bytesToHex(anchor[1])];
};
const networkOf = (account: string) => parseInt(account.slice(0, 2), 16) & 0x0f;

/**
 * `ppuWellFormed` (Conway PParams.hs): a parameter change changes something, and sets none of the block, transaction
 * and header size limits, the value size, the collateral percentage, the committee term, the action lifetime or
 * the pool, action and DRep deposits to zero (nor, after the bootstrap phase, the price of a UTxO byte).
 */
function wellFormed(update: CborValue, protocolMajor: number): boolean {
  if (!(update instanceof Map) || update.size === 0) return false;
  const nonZero = [2, 3, 4, 22, 23, 28, 29, 6, 30, 31, ...(protocolMajor > 9 ? [17] : [])];
  return nonZero.every((k) => !update.has(k) || BigInt(update.get(k) as number | bigint) !== 0n);
}

/** The guardrail script a parameter change or treasury withdrawal names (`getConwayScriptsNeeded`), or null. */
export function proposalPolicy(raw: CborValue): string | null {
  const action = Array.isArray(raw) && Array.isArray(raw[2]) ? raw[2] : [];
  const v = action[0] === 0 ? action[3] : action[0] === 2 ? action[2] : null;
  return v instanceof Uint8Array ? bytesToHex(v) : null;
}

/** GOV for a transaction's proposals; returns the deposits they state. `failures` takes every failure. */
export function applyProposals(
  state: LedgerState,
  txId: Uint8Array,
  raw: readonly CborValue[],
  params: LedgerParams,
  journal: Journal,
  failures: { push(...items: ProposalFailure[]): number },
): bigint {
  const gov = params.governance;
  const unsupported = (feature: string): bigint => (
    failures.push({
      kind: "UnsupportedFeature",
      features: [feature],
      message: `poolfleet's ledger does not judge ${feature} yet`,
    }),
    0n
  );
  if (!gov) return unsupported("proposal procedures without Conway's governance parameters");
  const bootstrap = gov.protocolMajor <= 9;
  const expected = params.mainnet ? 1 : 0;
  let deposits = 0n;
  for (const [index, p] of raw.entries()) {
    const what = `proposal ${index}`;
    const [depositV, accountV, actionV] = asArray(p, what, 4);
    const deposit = asUint(depositV, `${what} deposit`);
    const returnAccount = bytesToHex(asBytes(accountV, `${what} return account`, 29));
    const action = asArray(actionV!, `${what} action`);
    const tag = Number(asUint(action[0], `${what} action tag`));
    if (!(tag in PURPOSE)) throw new Error(`${what}: governance action ${tag} does not exist`);
    const policy = proposalPolicy(p);
    deposits += deposit;
    const purpose = PURPOSE[tag]!;
    const prev = purpose === null ? null : actionId(action[1]!, `${what} previous action`);
    const id: GovActionId = `${bytesToHex(txId)}#${index}`;
    const push = (f: ProposalFailure) => failures.push(f);
    if (bootstrap && tag !== 1 && tag !== 6)
      push({
        kind: "DisallowedProposalDuringBootstrap",
        index,
        action: tag,
        message: `proposal ${index}: only parameter changes, hard forks and info actions may be proposed in the bootstrap phase`,
      });
    let version: [number, number] | undefined;
    let members: string[] | undefined;
    let committeeUpdate: { removed: string[]; terms: number[]; threshold: string } | undefined;
    if (tag === 1) {
      const [major, minor] = asArray(action[2]!, `${what} protocol version`, 2).map((x) => Number(asUint(x, what)));
      version = [major!, minor!];
      const before =
        prev === (state.govRoots.get("hardFork") ?? null)
          ? ([gov.protocolMajor, gov.protocolMinor] as const)
          : prev !== null && state.proposals.get(prev)?.action === 1
            ? state.proposals.get(prev)!.protocolVersion!
            : null;
      const follows = (a: readonly [number, number], b: readonly [number, number]) =>
        (b[0] === a[0] + 1 && b[1] === 0) || (b[0] === a[0] && b[1] === a[1] + 1);
      if (before && !follows(before, version))
        push({
          kind: "ProposalCantFollow",
          index,
          supplied: version.join("."),
          expected: before.join("."),
          message: `proposal ${index}: protocol version ${version.join(".")} cannot follow ${before.join(".")}`,
        });
    }
    if (tag === 0 && !wellFormed(action[2]!, gov.protocolMajor))
      push({
        kind: "MalformedProposal",
        index,
        message: `proposal ${index} changes no parameter, or sets one that must not be zero to zero`,
      });
    const withdrawals =
      tag === 2
        ? entriesOf(action[1]!).map(([a, n]) => [bytesToHex(asBytes(a, what, 29)), asUint(n, what)] as const)
        : [];
    if (!bootstrap) {
      const cred = rewardAccountCredential(returnAccount);
      if (cred === null || !state.accounts.has(cred))
        push({
          kind: "ProposalReturnAccountDoesNotExist",
          account: returnAccount,
          message: `proposal ${index} returns its deposit to ${returnAccount}, which is not a registered stake address`,
        });
      const unknown = withdrawals.map(([a]) => a).filter((a) => !state.accounts.has(rewardAccountCredential(a) ?? ""));
      if (unknown.length > 0)
        push({
          kind: "TreasuryWithdrawalReturnAccountsDoNotExist",
          accounts: unknown,
          message: `proposal ${index} withdraws to unregistered stake addresses ${unknown.join(", ")}`,
        });
    }
    if (deposit !== gov.govActionDeposit)
      push({
        kind: "ProposalDepositIncorrect",
        supplied: deposit,
        expected: gov.govActionDeposit,
        message: `proposal ${index} deposits ${deposit}; the deposit is ${gov.govActionDeposit}`,
      });
    if (networkOf(returnAccount) !== expected)
      push({
        kind: "ProposalProcedureNetworkIdMismatch",
        account: returnAccount,
        expected,
        message: `proposal ${index}'s return account ${returnAccount} is not on network ${expected}`,
      });
    if (tag === 2) {
      const foreign = withdrawals.map(([a]) => a).filter((a) => networkOf(a) !== expected);
      if (foreign.length > 0)
        push({
          kind: "TreasuryWithdrawalsNetworkIdMismatch",
          accounts: foreign,
          expected,
          message: `proposal ${index} withdraws to ${foreign.join(", ")}, not on network ${expected}`,
        });
      if (policy !== state.constitutionPolicy)
        push({
          kind: "InvalidPolicyHash",
          supplied: policy,
          expected: state.constitutionPolicy,
          message: `proposal ${index} names guardrail script ${policy ?? "none"}; the constitution's is ${state.constitutionPolicy ?? "none"}`,
        });
      if (!bootstrap && withdrawals.every(([, n]) => n === 0n))
        push({
          kind: "ZeroTreasuryWithdrawals",
          index,
          message: `proposal ${index} withdraws nothing from the treasury`,
        });
    }
    if (tag === 0 && policy !== state.constitutionPolicy)
      push({
        kind: "InvalidPolicyHash",
        supplied: policy,
        expected: state.constitutionPolicy,
        message: `proposal ${index} names guardrail script ${policy ?? "none"}; the constitution's is ${state.constitutionPolicy ?? "none"}`,
      });
    if (tag === 4) {
      const removed = new Set(
        setItems(action[2]!, `${what} members removed`).map((c) => credential(c, `${what} member`)),
      );
      const added = entriesOf(action[3]!).map(
        ([c, e]) => [credential(c, `${what} member`), Number(asUint(e, what))] as const,
      );
      members = added.map(([c]) => c);
      committeeUpdate = { removed: [...removed], terms: added.map(([, e]) => e), threshold: quorum(action[4]!, what) };
      const conflicting = added.map(([c]) => c).filter((c) => removed.has(c));
      if (conflicting.length > 0)
        push({
          kind: "ConflictingCommitteeUpdate",
          members: conflicting,
          message: `proposal ${index} both adds and removes committee members ${conflicting.join(", ")}`,
        });
      const early = added.filter(([, e]) => e <= state.epoch).map(([c]) => c);
      if (early.length > 0)
        push({
          kind: "ExpirationEpochTooSmall",
          members: early,
          epoch: state.epoch,
          message: `proposal ${index}: the terms of ${early.join(", ")} must end after the current epoch ${state.epoch}`,
        });
    }
    // `proposalsAddAction`: a purpose's action follows its root or a pending proposal of the same purpose.
    const follows =
      purpose === null ||
      prev === (state.govRoots.get(purpose) ?? null) ||
      (prev !== null && state.proposals.get(prev)?.purpose === purpose);
    if (!follows) {
      push({
        kind: "InvalidPrevGovActionId",
        index,
        prev,
        message: `proposal ${index} follows ${prev ?? "the root"}, which is neither the last enacted ${purpose} action nor a proposal of that purpose`,
      });
      continue;
    }
    journal.set(state.proposals, id, {
      action: tag,
      purpose,
      prev,
      deposit,
      returnAccount,
      expiresAfter: state.epoch + gov.govActionLifetime,
      ...(version && { protocolVersion: version }),
      ...(members && { members }),
      ...(tag === 0 && {
        security: [...(action[2] as Map<CborValue, CborValue>).keys()].some((k) => SECURITY_GROUP.has(Number(k))),
        update: bytesToHex(encodeCbor(action[2]!)),
      }),
      ...(tag === 2 && { withdrawals: withdrawals.map(([a, n]) => [a, `${n}`] as const) }),
      ...committeeUpdate,
      ...(tag === 5 && {
        policy: constitutionPolicyOf(action[2]!),
        constitutionAnchor: constitutionAnchorOf(action[2]!),
      }),
    });
  }
  return deposits;
}
