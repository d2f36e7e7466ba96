// The reward calculation (cardano-ledger's createRUpd / rewardOnePool, Babbage onwards with d = 0), in exact
// rationals with the ledger's floors at the same places:
//   eta      = min(1, blocks made / (epochLength * f))          performance of the whole network
//   deltaR1  = floor(eta * rho * reserves)                       monetary expansion
//   pot      = fees + deltaR1;  deltaT = floor(tau * pot);  R = pot - deltaT
//   per pool: maxPool (a0, nOpt, R, sigma, pledge) if the owners' stake meets the pledge, else 0;
//             poolR = floor(apparent performance * maxPool), performance = (n / N) / sigma_active
//             leader = c + floor((poolR - c) * (m + (1 - m) * ownerStake / poolStake)), all of poolR when ≤ c
//             member = floor((poolR - c) * (1 - m) * memberStake / poolStake), nothing when poolR ≤ c
//   undistributed rewards go back to the reserves (deltaR = -deltaR1 + (R - distributed)).
import type { Rational } from "../crypto/rational.ts";
import type { KeyHash, PoolParams } from "./certs.ts";
import { rewardAccountCredential } from "./certs.ts";
import type { LedgerParams } from "./params.ts";
import type { RewardUpdate, StakeSnapshot } from "./state.ts";
import { poolStakes } from "./state.ts";

/** An exact fraction with bigint parts (not reduced; denominators stay positive). */
interface Q {
  readonly n: bigint;
  readonly d: bigint;
}
const q = (n: bigint, d = 1n): Q => ({ n, d });
const fromR = (r: Rational): Q => q(r.num, r.den);
const add = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
const mul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
const div = (a: Q, b: Q): Q => (b.n < 0n ? q(-a.n * b.d, a.d * -b.n) : q(a.n * b.d, a.d * b.n));
const min = (a: Q, b: Q): Q => (a.n * b.d <= b.n * a.d ? a : b);
const floor = (a: Q): bigint => {
  const r = a.n / a.d;
  return a.n % a.d !== 0n && a.n < 0n ? r - 1n : r;
};

/** maxPool' of the ledger: the most a pool with relative stake sigma and relative pledge pr can earn. */
export function maxPool(params: Pick<LedgerParams, "a0" | "nOpt">, r: bigint, sigma: Q, pr: Q): bigint {
  const z0 = q(1n, BigInt(params.nOpt));
  const a0 = fromR(params.a0);
  const sigmaP = min(sigma, z0);
  const pP = min(pr, z0);
  const factor4 = div(sub(z0, sigmaP), z0);
  const factor3 = div(sub(sigmaP, mul(pP, factor4)), z0);
  const factor2 = add(sigmaP, mul(mul(pP, a0), factor3));
  const factor1 = div(q(r), add(q(1n), a0));
  return floor(mul(factor1, factor2));
}

export interface PoolReward {
  readonly poolId: string;
  readonly poolStake: bigint;
  readonly ownerStake: bigint;
  readonly pledgeMet: boolean;
  readonly maxPool: bigint;
  readonly poolReward: bigint;
  readonly leaderReward: bigint;
  readonly memberRewards: ReadonlyMap<KeyHash, bigint>;
}

export function poolReward(
  pool: PoolParams,
  poolStake: bigint,
  delegators: readonly [KeyHash, bigint][],
  ctx: {
    params: Pick<LedgerParams, "a0" | "nOpt">;
    r: bigint;
    totalStake: bigint;
    activeStake: bigint;
    blocks: number;
    totalBlocks: number;
  },
): PoolReward {
  const owners = new Set(pool.owners);
  const ownerStake = delegators.reduce((sum, [cred, s]) => (owners.has(cred) ? sum + s : sum), 0n);
  const pledgeMet = ownerStake >= pool.pledge;
  const sigma = q(poolStake, ctx.totalStake);
  const maxP = pledgeMet ? maxPool(ctx.params, ctx.r, sigma, q(pool.pledge, ctx.totalStake)) : 0n;
  // Apparent performance: share of blocks made over share of active stake.
  const beta = q(BigInt(ctx.blocks), BigInt(Math.max(1, ctx.totalBlocks)));
  const perf = div(beta, q(poolStake, ctx.activeStake));
  const poolR = floor(mul(perf, q(maxP)));
  const c = pool.cost;
  const m = fromR(pool.margin);
  const oneMinusM = sub(q(1n), m);
  const leaderReward =
    poolR <= c ? poolR : c + floor(mul(q(poolR - c), add(m, mul(oneMinusM, q(ownerStake, poolStake)))));
  const memberRewards = new Map<KeyHash, bigint>();
  if (poolR > c) {
    for (const [cred, s] of delegators) {
      if (owners.has(cred)) continue;
      const reward = floor(mul(mul(q(poolR - c), oneMinusM), q(s, poolStake)));
      if (reward > 0n) memberRewards.set(cred, reward);
    }
  }
  return {
    poolId: pool.operator,
    poolStake,
    ownerStake,
    pledgeMet,
    maxPool: maxP,
    poolReward: poolR,
    leaderReward,
    memberRewards,
  };
}

export interface RewardInputs {
  readonly params: LedgerParams;
  /** The "go" snapshot: stake two epochs back. */
  readonly snapshot: StakeSnapshot;
  /** Blocks made per pool in the epoch being rewarded. */
  readonly blocksMade: ReadonlyMap<string, number>;
  /** Fees collected in that epoch. */
  readonly fees: bigint;
  readonly reserves: bigint;
}

export interface RewardCalculation extends RewardUpdate {
  readonly eta: Q;
  readonly monetaryExpansion: bigint;
  readonly rewardPot: bigint;
  readonly poolRewards: readonly PoolReward[];
}

export function createRewardUpdate(inputs: RewardInputs): RewardCalculation {
  const { params, snapshot, blocksMade, fees, reserves } = inputs;
  const totalBlocks = [...blocksMade.values()].reduce((a, b) => a + b, 0);
  const f = fromR(params.activeSlotsCoeff);
  const expected = mul(q(BigInt(params.epochLength)), f);
  const eta = min(q(1n), div(q(BigInt(totalBlocks)), expected));
  const deltaR1 = floor(mul(mul(eta, fromR(params.rho)), q(reserves)));
  const rewardPot = fees + deltaR1;
  const deltaT1 = floor(mul(fromR(params.tau), q(rewardPot)));
  const r = rewardPot - deltaT1;
  const totalStake = params.maxLovelaceSupply - reserves;
  const stakes = poolStakes(snapshot);
  const activeStake = [...stakes.values()].reduce((a, b) => a + b, 0n);
  const byPool = new Map<string, [KeyHash, bigint][]>();
  for (const [cred, pool] of snapshot.delegations) {
    let list = byPool.get(pool);
    if (!list) byPool.set(pool, (list = []));
    list.push([cred, snapshot.stake.get(cred) ?? 0n]);
  }
  const rewards = new Map<KeyHash, bigint>();
  const credit = (cred: KeyHash, amount: bigint) => {
    if (amount > 0n) rewards.set(cred, (rewards.get(cred) ?? 0n) + amount);
  };
  const poolRewards: PoolReward[] = [];
  let distributed = 0n;
  for (const [poolId, pool] of snapshot.pools) {
    const poolStake = stakes.get(poolId) ?? 0n;
    const blocks = blocksMade.get(poolId) ?? 0;
    if (poolStake === 0n || blocks === 0 || totalStake <= 0n) continue;
    const result = poolReward(pool, poolStake, byPool.get(poolId) ?? [], {
      params,
      r,
      totalStake,
      activeStake,
      blocks,
      totalBlocks,
    });
    poolRewards.push(result);
    // A leader reward to a script reward account cannot be credited; it stays undistributed.
    const leaderAccount = rewardAccountCredential(pool.rewardAccount);
    if (leaderAccount !== null) {
      credit(leaderAccount, result.leaderReward);
      distributed += result.leaderReward;
    }
    for (const [cred, amount] of result.memberRewards) {
      credit(cred, amount);
      distributed += amount;
    }
  }
  return {
    deltaR: -deltaR1 + (r - distributed),
    deltaT: deltaT1,
    deltaF: -fees,
    rewards,
    eta,
    monetaryExpansion: deltaR1,
    rewardPot,
    poolRewards,
  };
}
