// Conway RATIFY, run once per epoch boundary over what the DRep pulser snapshots there (cardano-ledger eras/conway/
// impl/src/Cardano/Ledger/Conway/Rules/Ratify.hs, Governance/DRepPulser.hs, Governance/Internal.hs for the
// thresholds). Everything it reads is fixed at the boundary, so poolfleet computes the outcome at once and enacts
// it at the next boundary (enact.ts), as EPOCH does with the completed pulser:
//   - the proposals in their order, sorted by priority (`reorderActions`: no confidence, committee update,
//     constitution, hard fork, parameter change, treasury withdrawal, info), with the votes cast so far;
//   - the DRep distribution (`computeDRepDistr`): for each registered stake credential delegating its vote, its
//     UTxO stake, reward balance and the deposits of proposals returning to it, to a registered DRep or a
//     built-in one; the pool distribution: the mark snapshot just taken plus the proposal deposits of credentials
//     delegated to a pool in it;
//   - an action is ratified when it follows its purpose's last enacted action (`prevActionAsExpected`), a committee
//     update's terms are within `committeeMaxTermLength` (`validCommitteeTerm`), no delaying action (no confidence,
//     committee update, constitution, hard fork) was enacted before it in this boundary, a treasury withdrawal fits
//     the treasury, and the committee (`committeeAccepted`), the pools (`spoAccepted`) and the DReps
//     (`dRepAccepted`) accept it; otherwise it expires when `gasExpiresAfter < reCurrentEpoch`.
// ENACT (Rules/Enact.hs) updates the enact state each ratified action leaves for the next: parameters, protocol
// version, withdrawals against the treasury, committee, constitution and the purpose's root.
import { decodeCbor, encodeCbor, type CborValue } from "../codec/cbor.ts";
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import { compareRational, parseRational, rational, type Rational } from "../crypto/rational.ts";
import { rewardAccountCredential } from "./certs.ts";
import { DREP_GROUP, type GovActionId, type GovPurpose, type Proposal, type Ratified } from "./gov-state.ts";
import { mergeParamChanges, overlayParams } from "./param-changes.ts";
import type { LedgerParams } from "./params.ts";
import { type LedgerState, poolStakes } from "./state.ts";
import { stakeCredentialOf } from "./utxo.ts";

const PRIORITY: Record<number, number> = { 3: 0, 4: 1, 5: 2, 1: 3, 0: 4, 2: 5, 6: 6 };
const DELAYING = new Set([1, 3, 4, 5]);
const ZERO = rational(0n, 1n);

/** The enact state as ratification threads it (cardano-ledger `EnactState`). */
interface Enact {
  committee: Map<string, number> | null;
  committeeThreshold: Rational | null;
  constitutionPolicy: string | null;
  constitutionAnchor: readonly [string, string] | null;
  changes: Map<number, CborValue>;
  pv: readonly [number, number] | null;
  treasury: bigint;
  withdrawals: Map<string, bigint>;
  roots: Map<GovPurpose, GovActionId>;
}

/** Stake by DRep (credential, "abstain", "no-confidence") and by pool, with the pools' total (`PoolDistr`). */
export interface VotingStake {
  readonly dreps: ReadonlyMap<string, bigint>;
  readonly pools: ReadonlyMap<string, bigint>;
  readonly poolTotal: bigint;
}

/** The DRep distribution and the pool distribution RATIFY sees at this boundary (DRepPulser.hs). */
export function votingStake(state: LedgerState): VotingStake {
  const utxoStake = new Map<string, bigint>();
  for (const o of state.utxo.values()) {
    const c = stakeCredentialOf(o.address);
    if (c !== null && state.accounts.has(c)) utxoStake.set(c, (utxoStake.get(c) ?? 0n) + o.coin);
  }
  const deposits = new Map<string, bigint>();
  for (const p of state.proposals.values()) {
    const c = rewardAccountCredential(p.returnAccount);
    if (c !== null) deposits.set(c, (deposits.get(c) ?? 0n) + p.deposit);
  }
  const pools = poolStakes(state.snapshots.mark);
  let poolTotal = [...pools.values()].reduce((a, b) => a + b, 0n);
  const dreps = new Map<string, bigint>();
  for (const [c, account] of state.accounts) {
    const deposit = deposits.get(c) ?? 0n;
    if (account.pool !== null && account.pool !== undefined && deposit > 0n && pools.has(account.pool)) {
      pools.set(account.pool, pools.get(account.pool)! + deposit);
      poolTotal += deposit;
    }
    const d = account.drep;
    if (d === null || d === undefined) continue;
    if (d !== "abstain" && d !== "no-confidence" && !state.dreps.has(d)) continue;
    dreps.set(d, (dreps.get(d) ?? 0n) + (utxoStake.get(c) ?? 0n) + account.reward + deposit);
  }
  return { dreps, pools, poolTotal };
}

/** The threshold a body must meet: a ratio (zero means accepted without votes), or null when it cannot accept. */
type Threshold = Rational | null;

function thresholds(p: Proposal, params: LedgerParams, enact: Enact, state: LedgerState, epoch: number) {
  const gov = params.governance!;
  const r = gov.ratification!;
  const bootstrap = gov.protocolMajor <= 9;
  const elected = enact.committee !== null;
  // votingCommitteeThreshold: none for info; zero (not asked) for no confidence and committee updates.
  let committee: Threshold = null;
  if (p.action === 3 || p.action === 4) committee = ZERO;
  else if (p.action !== 6 && enact.committee !== null && enact.committeeThreshold !== null) {
    let active = 0;
    for (const [cold, term] of enact.committee) {
      const hot = state.committeeHot.get(cold);
      if (hot !== undefined && hot !== null && epoch <= term) active++;
    }
    if (bootstrap || active >= r.committeeMinSize) committee = enact.committeeThreshold;
  }
  // votingStakePoolThreshold.
  const pt = r.poolThresholds;
  const pool: Threshold =
    p.action === 3
      ? pt[0]!
      : p.action === 4
        ? elected
          ? pt[1]!
          : pt[2]!
        : p.action === 1
          ? pt[3]!
          : p.action === 0
            ? p.security
              ? pt[4]!
              : ZERO
            : p.action === 6
              ? null
              : ZERO;
  // votingDRepThreshold: all zero in the bootstrap phase; a parameter change takes its groups' largest.
  const dt = bootstrap ? r.drepThresholds.map(() => ZERO) : r.drepThresholds;
  let drep: Threshold = null;
  if (p.action === 3) drep = dt[0]!;
  else if (p.action === 4) drep = elected ? dt[1]! : dt[2]!;
  else if (p.action === 5) drep = dt[3]!;
  else if (p.action === 1) drep = dt[4]!;
  else if (p.action === 2) drep = dt[9]!;
  else if (p.action === 0) {
    drep = ZERO;
    const update = p.update ? (decodeCbor(hexToBytes(p.update)) as Map<CborValue, CborValue>) : new Map();
    for (const k of update.keys()) {
      const group = DREP_GROUP.get(Number(k));
      if (group !== undefined && compareRational(dt[group]!, drep) > 0) drep = dt[group]!;
    }
  }
  return { committee, pool, drep };
}

const atLeast = (ratio: Rational, t: Rational) => compareRational(ratio, t) >= 0;

function committeeAccepted(id: string, t: Threshold, enact: Enact, state: LedgerState, epoch: number): boolean {
  if (t === null) return false;
  if (t.num === 0n) return true;
  let yes = 0n;
  let total = 0n;
  for (const [cold, term] of enact.committee ?? []) {
    if (epoch > term) continue;
    const hot = state.committeeHot.get(cold);
    if (hot === undefined || hot === null) continue;
    const vote = state.votes.get(`${id}|committee:${hot}`);
    if (vote === 2) continue;
    total++;
    if (vote === 1) yes++;
  }
  return atLeast(total === 0n ? ZERO : rational(yes, total), t);
}

function poolsAccepted(id: string, p: Proposal, t: Threshold, stake: VotingStake, state: LedgerState, pv: number) {
  if (t === null) return false;
  if (t.num === 0n) return true;
  let yes = 0n;
  let abstain = 0n;
  for (const [pool, s] of stake.pools) {
    const vote = state.votes.get(`${id}|pool:${pool}`);
    if (vote === 1) yes += s;
    else if (vote === 2) abstain += s;
    else if (vote === undefined && p.action !== 1) {
      if (pv <= 9) abstain += s;
      else {
        // defaultStakePoolVote: the DRep the pool's reward account delegates to.
        const reward = state.pools.get(pool)?.rewardAccount;
        const credential = reward === undefined ? null : rewardAccountCredential(reward);
        const drep = credential === null ? undefined : state.accounts.get(credential)?.drep;
        if (drep === "abstain") abstain += s;
        else if (drep === "no-confidence" && p.action === 3) yes += s;
      }
    }
  }
  const total = stake.poolTotal === 0n ? 1n : stake.poolTotal;
  return atLeast(abstain === total ? ZERO : rational(yes, total - abstain), t);
}

function drepsAccepted(id: string, p: Proposal, t: Threshold, stake: VotingStake, state: LedgerState, epoch: number) {
  if (t === null) return false;
  if (t.num === 0n) return true;
  let yes = 0n;
  let total = 0n;
  for (const [drep, s] of stake.dreps) {
    if (drep === "abstain") continue;
    if (drep === "no-confidence") {
      total += s;
      if (p.action === 3) yes += s;
      continue;
    }
    const registered = state.dreps.get(drep);
    if (!registered || epoch > registered.expiry) continue;
    const vote = state.votes.get(`${id}|drep:${drep}`);
    if (vote === 2) continue;
    total += s;
    if (vote === 1) yes += s;
  }
  return atLeast(total === 0n ? ZERO : rational(yes, total), t);
}

function enactOne(id: GovActionId, p: Proposal, e: Enact): void {
  if (p.action === 0 && p.update)
    e.changes = mergeParamChanges(e.changes, decodeCbor(hexToBytes(p.update)) as Map<number, CborValue>);
  else if (p.action === 1 && p.protocolVersion) e.pv = p.protocolVersion;
  else if (p.action === 2)
    for (const [account, amount] of p.withdrawals ?? []) {
      const c = rewardAccountCredential(account);
      if (c !== null) e.withdrawals.set(c, (e.withdrawals.get(c) ?? 0n) + BigInt(amount));
      e.treasury -= BigInt(amount);
    }
  else if (p.action === 3) {
    e.committee = null;
    e.committeeThreshold = null;
  } else if (p.action === 4) {
    const members = new Map(e.committee ?? []);
    for (const c of p.removed ?? []) members.delete(c);
    for (const [i, c] of (p.members ?? []).entries()) members.set(c, p.terms![i]!);
    e.committee = members;
    e.committeeThreshold = parseRational(p.threshold!);
  } else if (p.action === 5) {
    e.constitutionPolicy = p.policy ?? null;
    e.constitutionAnchor = p.constitutionAnchor ?? null;
  }
  if (p.purpose !== null) e.roots.set(p.purpose, id);
}

/**
 * RATIFY at the boundary into `epoch` (`reCurrentEpoch`), over `state` as that boundary leaves it and the
 * parameters in force (`params`, governance's changes applied). Null when the parameters carry no thresholds.
 */
export function ratify(state: LedgerState, base: LedgerParams, epoch: number): Ratified | null {
  if (!base.governance?.ratification) return null;
  const stake = votingStake(state);
  const enact: Enact = {
    committee: state.committeeThreshold === null ? null : new Map(state.committee),
    committeeThreshold: state.committeeThreshold,
    constitutionPolicy: state.constitutionPolicy,
    constitutionAnchor: state.constitutionAnchor,
    changes: new Map(state.paramChanges),
    pv: state.protocolVersion,
    treasury: state.pots.treasury,
    withdrawals: new Map(),
    roots: new Map(state.govRoots),
  };
  const order = [...state.proposals].sort(([, a], [, b]) => PRIORITY[a.action]! - PRIORITY[b.action]!);
  const enacted: GovActionId[] = [];
  const expired: GovActionId[] = [];
  let delayed = false;
  for (const [id, p] of order) {
    const params = overlayParams(base, enact.changes, enact.pv);
    const r = params.governance!.ratification!;
    const follows = p.purpose === null || p.prev === (enact.roots.get(p.purpose) ?? null);
    const termsValid = p.action !== 4 || (p.terms ?? []).every((t) => t <= epoch + r.committeeMaxTermLength);
    const withdrawn = (p.withdrawals ?? []).reduce((a, [, n]) => a + BigInt(n), 0n);
    const t = thresholds(p, params, enact, state, epoch);
    if (
      follows &&
      termsValid &&
      !delayed &&
      withdrawn <= enact.treasury &&
      committeeAccepted(id, t.committee, enact, state, epoch) &&
      poolsAccepted(id, p, t.pool, stake, state, params.governance!.protocolMajor) &&
      drepsAccepted(id, p, t.drep, stake, state, epoch)
    ) {
      enactOne(id, p, enact);
      enacted.push(id);
      delayed = DELAYING.has(p.action);
    } else if (p.expiresAfter < epoch) expired.push(id);
  }
  return {
    epoch,
    enacted,
    expired,
    committee: enact.committee && [...enact.committee],
    committeeThreshold: enact.committeeThreshold && `${enact.committeeThreshold.num}/${enact.committeeThreshold.den}`,
    constitutionPolicy: enact.constitutionPolicy,
    constitutionAnchor: enact.constitutionAnchor,
    paramChanges: bytesToHex(encodeCbor(enact.changes)),
    protocolVersion: enact.pv,
    withdrawals: [...enact.withdrawals].map(([c, n]) => [c, `${n}`] as const),
    roots: [...enact.roots],
  };
}
