// The reward calculation against figures worked out by hand from the ledger spec's formulas (shown in each
// case), so a wrong floor, a swapped sigma or a missing pledge check shows up as a different number.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rational } from "../../src/crypto/rational.ts";
import type { PoolParams } from "../../src/ledger/certs.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import type { LedgerParams } from "../../src/ledger/params.ts";
import { createRewardUpdate } from "../../src/ledger/rewards.ts";
import type { StakeSnapshot } from "../../src/ledger/state.ts";

const OWNER = "aa".repeat(28);
const MEMBER = "bb".repeat(28);
const OPERATOR = "cc".repeat(28);
const POOL = "dd".repeat(28);

// rho 3/1000, tau 1/5, a0 3/10, nOpt 10 (z0 = 1/10); 100-slot epochs at f = 1/10: 10 blocks expected.
const params: LedgerParams = {
  minFeeA: 44n,
  minFeeB: 155381n,
  coinsPerUTxOByte: 4310n,
  maxValueSize: 5000,
  maxTxSize: 16384,
  maxBlockBodySize: 65536,
  keyDeposit: 2_000_000n,
  poolDeposit: 500_000_000n,
  minPoolCost: 340_000_000n,
  eMax: 18,
  nOpt: 10,
  a0: rational(3n, 10n),
  rho: rational(3n, 1000n),
  tau: rational(1n, 5n),
  maxLovelaceSupply: 20_000_000_000_000n,
  epochLength: 100,
  activeSlotsCoeff: rational(1n, 10n),
  mainnet: false,
};
// Reserves 10^13, so the circulation (total stake) is 10^13 too.
const reserves = 10_000_000_000_000n;
const fees = 1_000_000_000n;

function pool(overrides: Partial<PoolParams> = {}): PoolParams {
  return {
    operator: POOL,
    vrfKeyHash: "ee".repeat(32),
    pledge: 0n,
    cost: 340_000_000n,
    margin: rational(1n, 10n),
    rewardAccount: rewardAccount(OPERATOR),
    owners: [OWNER],
    relays: [],
    metadata: null,
    ...overrides,
  };
}

function snapshot(stake: [string, bigint][], p: PoolParams): StakeSnapshot {
  return {
    stake: new Map(stake),
    delegations: new Map(stake.map(([cred]) => [cred, POOL])),
    pools: new Map([[POOL, p]]),
  };
}

describe("reward calculation", () => {
  // eta = 1 (10 of 10 blocks); deltaR1 = 3/1000 * 10^13 = 3*10^10; pot = 3.1*10^10; deltaT = 6.2*10^9;
  // R = 2.48*10^10.
  it("takes the monetary expansion and the treasury cut", () => {
    const ru = createRewardUpdate({
      params,
      snapshot: snapshot([[MEMBER, 1_000_000_000_000n]], pool()),
      blocksMade: new Map([[POOL, 10]]),
      fees,
      reserves,
    });
    assert.equal(ru.monetaryExpansion, 30_000_000_000n);
    assert.equal(ru.rewardPot, 31_000_000_000n);
    assert.equal(ru.deltaT, 6_200_000_000n);
    assert.equal(ru.deltaF, -fees);
  });

  // sigma = 10^12/10^13 = 1/10 = z0, pledge 0: maxPool = floor(R/1.3 * 1/10) = floor(1907692307.69) = 1907692307.
  // All active stake is the pool's and it made every block: performance 1, poolR = 1907692307.
  // leader = 340000000 + floor(1567692307 * 1/10) = 496769230; member = floor(1567692307 * 9/10) = 1410923076.
  it("splits a pool's reward between operator and members by cost and margin", () => {
    const ru = createRewardUpdate({
      params,
      snapshot: snapshot([[MEMBER, 1_000_000_000_000n]], pool()),
      blocksMade: new Map([[POOL, 10]]),
      fees,
      reserves,
    });
    const [p] = ru.poolRewards;
    assert.equal(p!.maxPool, 1_907_692_307n);
    assert.equal(p!.poolReward, 1_907_692_307n);
    assert.equal(ru.rewards.get(OPERATOR), 496_769_230n);
    assert.equal(ru.rewards.get(MEMBER), 1_410_923_076n);
    // Undistributed: R - 1907692306 goes back; deltaR = -3*10^10 + (2.48*10^10 - 1907692306).
    assert.equal(ru.deltaR, -30_000_000_000n + 24_800_000_000n - 1_907_692_306n);
  });

  // Pledge 5*10^11 met by the owner's 5*10^11: p' = 1/20; factor2 = 1/10 + 1/20 * 3/10 * 1 = 0.115;
  // maxPool = floor(19076923076.92 * 0.115) = 2193846153. Owner share of the pool 1/2:
  // leader = 340000000 + floor(1853846153 * (1/10 + 9/10 * 1/2)) = 340000000 + 1019615384;
  // member = floor(1853846153 * 9/10 * 1/2) = 834230768. The owner gets no member reward.
  it("rewards pledge, and pays owners through the leader reward only", () => {
    const stake: [string, bigint][] = [
      [OWNER, 500_000_000_000n],
      [MEMBER, 500_000_000_000n],
    ];
    const ru = createRewardUpdate({
      params,
      snapshot: snapshot(stake, pool({ pledge: 500_000_000_000n })),
      blocksMade: new Map([[POOL, 10]]),
      fees,
      reserves,
    });
    assert.equal(ru.poolRewards[0]!.maxPool, 2_193_846_153n);
    assert.equal(ru.rewards.get(OPERATOR), 1_359_615_384n);
    assert.equal(ru.rewards.get(MEMBER), 834_230_768n);
    assert.equal(ru.rewards.has(OWNER), false);
  });

  it("pays nothing to a pool whose owners do not meet the pledge", () => {
    const ru = createRewardUpdate({
      params,
      snapshot: snapshot(
        [
          [OWNER, 400_000_000_000n],
          [MEMBER, 600_000_000_000n],
        ],
        pool({ pledge: 500_000_000_000n }),
      ),
      blocksMade: new Map([[POOL, 10]]),
      fees,
      reserves,
    });
    assert.equal(ru.poolRewards[0]!.pledgeMet, false);
    assert.equal(ru.rewards.size, 0);
    assert.equal(ru.deltaR, -30_000_000_000n + 24_800_000_000n, "all of R returns to the reserves");
  });

  // 5 of 10 expected blocks: eta = 1/2, deltaR1 = 1.5*10^10; pot = 1.6*10^10; R = 1.28*10^10;
  // maxPool = floor(1.28*10^10/1.3/10) = 984615384; performance 1 (all blocks were the pool's).
  it("scales the expansion by the network's performance", () => {
    const ru = createRewardUpdate({
      params,
      snapshot: snapshot([[MEMBER, 1_000_000_000_000n]], pool()),
      blocksMade: new Map([[POOL, 5]]),
      fees,
      reserves,
    });
    assert.equal(ru.monetaryExpansion, 15_000_000_000n);
    assert.equal(ru.poolRewards[0]!.poolReward, 984_615_384n);
  });

  it("a pool reward at or below its cost all goes to the operator", () => {
    const ru = createRewardUpdate({
      params,
      snapshot: snapshot([[MEMBER, 1_000_000_000_000n]], pool({ cost: 2_000_000_000n })),
      blocksMade: new Map([[POOL, 10]]),
      fees,
      reserves,
    });
    assert.equal(ru.rewards.get(OPERATOR), 1_907_692_307n);
    assert.equal(ru.rewards.has(MEMBER), false);
  });
});
