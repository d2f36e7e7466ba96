// Conway EPOCH's handling of proposals that expired (cardano-ledger eras/conway/impl/src/Cardano/Ledger/Conway/
// Rules/Epoch.hs `returnProposalDeposits`, Rules/Ratify.hs: a proposal expires when `gasExpiresAfter <
// reCurrentEpoch`, the epoch the ratification that ends at this boundary began in, i.e. the new epoch minus one).
// Its deposit goes back to its return account when that is registered, to the treasury otherwise, and its votes
// go with it. This is the whole of it only when the ledger is given no ratification thresholds (then only info
// actions, which are never ratified, expire); with them, ratify.ts and enact.ts expire and enact every action.
// `ratificationNeeded` is what the conformance replay used before ratification existed. The DReps' dormant
// epochs (`vsNumDormantEpochs`) are counted and added here too.
import { rewardAccountCredential } from "./certs.ts";
import type { Journal } from "./journal.ts";
import type { LedgerState } from "./state.ts";

/** Expire the info actions whose time ran out at the boundary into `epoch`; returns their ids. */
export function expireInfoProposals(state: LedgerState, epoch: number, journal: Journal): string[] {
  const expired: string[] = [];
  for (const [id, p] of state.proposals) {
    if (p.action !== 6 || !(p.expiresAfter < epoch - 1)) continue;
    expired.push(id);
    journal.delete(state.proposals, id);
    for (const key of state.votes.keys()) if (key.startsWith(`${id}|`)) journal.delete(state.votes, key);
    const credential = rewardAccountCredential(p.returnAccount);
    const account = credential === null ? undefined : state.accounts.get(credential);
    if (account) journal.set(state.accounts, credential!, { ...account, reward: account.reward + p.deposit });
    else journal.assign(state.pots, "treasury", state.pots.treasury + p.deposit);
    journal.assign(state.pots, "deposited", state.pots.deposited - p.deposit);
  }
  return expired;
}

/** Actions the constitutional committee must accept (all but no-confidence, committee updates and info). */
const COMMITTEE_RATIFIES = new Set([0, 1, 2, 5]);

/** Which of the thresholds that can hold an action back are above zero. */
export interface Thresholds {
  /** The enacted committee's. */
  readonly committee: boolean;
  /** DReps' `motionNoConfidence`. */
  readonly drepNoConfidence: boolean;
  /** DReps' `committeeNormal` and `committeeNoConfidence`. */
  readonly drepCommittee: boolean;
  readonly protocolMajor: number;
}

/**
 * Why the boundary into `epoch` might ratify or expire a proposal other than an info action — which poolfleet's
 * boundary cannot do yet — or null when it provably does neither (cardano-ledger Ratify.hs): every such proposal
 * is still open after the boundary (`gasExpiresAfter >= epoch - 1`), and a body it needs has a threshold above zero
 * and a yes ratio of zero — the committee (`committeeAccepted`) that has not voted yes on it, or, after the
 * bootstrap phase, the DReps (`dRepAccepted`) of whom none voted yes on a committee update, nor on a motion of no
 * confidence while no stake is delegated to the always-no-confidence DRep.
 */
export function ratificationNeeded(state: LedgerState, epoch: number, t: Thresholds): string | null {
  const yes = (id: string, voter: string) => {
    for (const [key, vote] of state.votes) if (vote === 1 && key.startsWith(`${id}|${voter}:`)) return true;
    return false;
  };
  const noConfidenceStake = () => [...state.accounts.values()].some((a) => a.drep === "no-confidence");
  for (const [id, p] of state.proposals) {
    if (p.action === 6) continue;
    if (p.expiresAfter < epoch - 1) return `proposal ${id} expires`;
    const heldByCommittee = COMMITTEE_RATIFIES.has(p.action) && t.committee && !yes(id, "committee");
    const heldByDReps =
      t.protocolMajor >= 10 &&
      !yes(id, "drep") &&
      ((p.action === 4 && t.drepCommittee) || (p.action === 3 && t.drepNoConfidence && !noConfidenceStake()));
    if (!heldByCommittee && !heldByDReps) return `proposal ${id} may be ratified`;
  }
  return null;
}

/**
 * `updateDormantDRepExpiry` (cardano-ledger Conway/Rules/Certs.hs): the epochs that passed with no proposal to vote
 * on (`vsNumDormantEpochs`) are added to every DRep's expiry (unless that would still leave it in the past) and
 * the count starts again, when a transaction brings proposals.
 */
export function endDormantEpochs(state: LedgerState, journal: Journal): void {
  const dormant = state.dormantEpochs;
  if (dormant === 0) return;
  for (const [credential, drep] of state.dreps)
    if (drep.expiry + dormant >= state.epoch)
      journal.set(state.dreps, credential, { ...drep, expiry: drep.expiry + dormant });
  journal.assign(state, "dormantEpochs", 0);
}

/** `computeDRepExpiry`: a DRep registering, updating or voting now stays active `drepActivity` epochs, less the
 * dormant epochs not yet added to every expiry. */
export const drepExpiry = (state: LedgerState, drepActivity: number): number =>
  Math.max(0, state.epoch + drepActivity - state.dormantEpochs);

/** `updateNumDormantEpochs` (Rules/Epoch.hs): an epoch boundary into `epoch` leaving no proposal open counts. */
export function countDormantEpoch(state: LedgerState, epoch: number, journal: Journal): void {
  for (const p of state.proposals.values()) if (epoch <= p.expiresAfter) return;
  journal.assign(state, "dormantEpochs", state.dormantEpochs + 1);
}
