// The epoch boundary in cardano-ledger's order (NEWEPOCH, then EPOCH: SNAP, pool parameter adoption,
// POOLREAP), with the reward update for the epoch that just ended computed right after — the ledger computes
// it during the new epoch from values that do not change within it, so the result is the same:
//   1. apply the pending reward update (rewards to registered accounts, the rest to the treasury; reserves,
//      treasury and fees move by its deltas);
//   2. SNAP: go <- set <- mark <- the stake distribution now; the epoch's fees are set aside with it;
//   3. adopt re-registered pool parameters;
//   4. POOLREAP: pools retiring in the new epoch leave, their deposits go back to their reward accounts (or the
//      treasury when unregistered) and delegations to them end; Conway EPOCH: the ratification computed at the
//      boundary before is enacted (enact.ts), an epoch with no proposal open counts as dormant, the epoch's
//      treasury donations join the treasury, and RATIFY runs over what this boundary leaves (ratify.ts), to be
//      enacted at the next;
//   5. compute the next reward update from the go snapshot, the blocks made in the ended epoch, its fees and
//      the reserves;
//   6. blocks made roll over and the pool distribution for the new epoch comes from the set snapshot.
import { applyRatified, type EnactReport } from "./enact.ts";
import { countDormantEpoch, expireInfoProposals } from "./gov-epoch.ts";
import { currentParams } from "./param-changes.ts";
import { ratify } from "./ratify.ts";
import type { Journal } from "./journal.ts";
import type { LedgerParams } from "./params.ts";
import { createRewardUpdate } from "./rewards.ts";
import { rewardAccountCredential } from "./certs.ts";
import { type LedgerState, poolDistribution, takeSnapshot } from "./state.ts";

export interface EpochReport {
  readonly epoch: number;
  readonly rewardsPaid: bigint;
  readonly rewardsToTreasury: bigint;
  readonly retiredPools: string[];
  readonly adoptedPoolUpdates: string[];
  /** The governance actions enacted, removed and expired at this boundary (enact.ts). */
  readonly governance?: EnactReport;
}

export function applyEpochBoundary(state: LedgerState, base: LedgerParams, journal: Journal): EpochReport {
  const next = state.epoch + 1;
  const params = currentParams(base, state);
  const pots = state.pots;
  // 1. The pending reward update.
  let rewardsPaid = 0n;
  let rewardsToTreasury = 0n;
  const ru = state.rewardUpdate;
  if (ru) {
    for (const [cred, amount] of ru.rewards) {
      const account = state.accounts.get(cred);
      if (account) {
        journal.set(state.accounts, cred, { ...account, reward: account.reward + amount });
        rewardsPaid += amount;
      } else rewardsToTreasury += amount;
    }
    journal.assign(pots, "reserves", pots.reserves + ru.deltaR);
    journal.assign(pots, "treasury", pots.treasury + ru.deltaT + rewardsToTreasury);
    journal.assign(pots, "fees", pots.fees + ru.deltaF);
    journal.assign(state, "rewardUpdate", null);
  }
  // 2. SNAP.
  const old = state.snapshots;
  journal.assign(state, "snapshots", { mark: takeSnapshot(state), set: old.mark, go: old.set, fees: pots.fees });
  // 3. Re-registrations take effect.
  const adoptedPoolUpdates = [...state.futurePools.keys()];
  for (const [poolId, params2] of state.futurePools) {
    journal.set(state.pools, poolId, params2);
    journal.delete(state.futurePools, poolId);
  }
  // 4. POOLREAP.
  const retiredPools = [...state.retiring].filter(([, epoch]) => epoch === next).map(([poolId]) => poolId);
  for (const poolId of retiredPools) {
    const pool = state.pools.get(poolId)!;
    const deposit = state.poolDeposits.get(poolId) ?? 0n;
    const owner = rewardAccountCredential(pool.rewardAccount);
    const account = owner === null ? undefined : state.accounts.get(owner);
    if (account && owner !== null) journal.set(state.accounts, owner, { ...account, reward: account.reward + deposit });
    else journal.assign(pots, "treasury", pots.treasury + deposit);
    journal.assign(pots, "deposited", pots.deposited - deposit);
    journal.delete(state.pools, poolId);
    journal.delete(state.retiring, poolId);
    journal.delete(state.poolDeposits, poolId);
  }
  if (retiredPools.length > 0) {
    const retired = new Set(retiredPools);
    for (const [cred, account] of state.accounts) {
      if (account.pool !== null && retired.has(account.pool))
        journal.set(state.accounts, cred, { ...account, pool: null });
    }
  }
  // Conway EPOCH: the ratification of the boundary before is enacted (enact.ts); without the parameters
  // ratification needs, expired info actions still return their deposits (gov-epoch.ts).
  const ratifying = params.governance?.ratification !== undefined;
  const governance = ratifying ? applyRatified(state, journal) : undefined;
  if (!ratifying) expireInfoProposals(state, next, journal);
  if (params.governance) countDormantEpoch(state, next, journal);
  // Conway EPOCH: the epoch's treasury donations join the treasury.
  if (pots.donations > 0n) {
    journal.assign(pots, "treasury", pots.treasury + pots.donations);
    journal.assign(pots, "donations", 0n);
  }
  // RATIFY over what this boundary leaves, enacted at the next (ratify.ts).
  if (ratifying) journal.assign(state, "ratified", ratify(state, currentParams(base, state), next));
  // 5. The reward update for the epoch that just ended.
  const calc = createRewardUpdate({
    params,
    snapshot: state.snapshots.go,
    blocksMade: state.blocksCurrent,
    fees: state.snapshots.fees,
    reserves: pots.reserves,
  });
  journal.assign(state, "rewardUpdate", {
    deltaR: calc.deltaR,
    deltaT: calc.deltaT,
    deltaF: calc.deltaF,
    rewards: calc.rewards,
  });
  // 6. Roll over.
  journal.assign(state, "blocksPrev", state.blocksCurrent);
  journal.assign(state, "blocksCurrent", new Map());
  journal.assign(state, "poolDistr", poolDistribution(state.snapshots.set));
  journal.assign(state, "epoch", next);
  return {
    epoch: next,
    rewardsPaid,
    rewardsToTreasury,
    retiredPools,
    adoptedPoolUpdates,
    ...(governance && { governance }),
  };
}

/** Apply every epoch boundary up to `epoch` (a chain may skip whole epochs without a block). */
export function tickToEpoch(state: LedgerState, params: LedgerParams, epoch: number, journal: Journal): EpochReport[] {
  const reports: EpochReport[] = [];
  while (state.epoch < epoch) reports.push(applyEpochBoundary(state, params, journal));
  return reports;
}
