// Certificates, deposits, withdrawals and the epoch boundary: a pool registered after genesis enters the mark
// snapshot at the next boundary and leads two epochs after registration; updates and retirements take effect
// at boundaries; every rule violation is refused by name; the ledger's lovelace always sums to the supply.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rational } from "../../src/crypto/rational.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { rewardAccount } from "../../src/ledger/certs.ts";
import { tickToEpoch } from "../../src/ledger/epoch.ts";
import { Journal } from "../../src/ledger/journal.ts";
import { type LedgerState, poolDistribution } from "../../src/ledger/state.ts";
import { devnetLedger, newPool, spend, wallet } from "../helpers/ledger.ts";

type Built = ReturnType<typeof spend>;

function apply(state: LedgerState, params: Parameters<typeof applyTx>[2]["params"], tx: Built, slot = 5n) {
  return applyTx(state, tx, { slot, params }, new Journal()).map((f) => f.kind);
}

describe("certificates and the epoch boundary", () => {
  it("a pool registered after genesis is in the mark snapshot after one boundary and leads after two", () => {
    const { state, params, owners, poolIds } = devnetLedger();
    const alice = owners[0]!;
    const operator = wallet();
    const pool = newPool(operator);
    const tx = spend(
      state,
      params,
      alice,
      {
        certificates: [
          { kind: "PoolRegistration", pool: pool.params },
          { kind: "StakeRegistration", credential: operator.stakeHash },
          { kind: "StakeDelegation", credential: operator.stakeHash, poolId: pool.poolId },
        ],
        outputs: [{ address: operator.address, coin: 400_000_000_000n }],
        netDeposit: params.poolDeposit + params.keyDeposit,
      },
      [pool.coldSeed, operator.stakeSeed],
    );
    assert.deepEqual(apply(state, params, tx), []);
    assert.equal(state.pools.get(pool.poolId)?.vrfKeyHash, pool.vrfKeyHash);
    assert.equal(state.accounts.get(operator.stakeHash)?.pool, pool.poolId);
    assert.equal(state.pots.deposited, params.poolDeposit + params.keyDeposit);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    assert.deepEqual([...state.poolDistr.keys()], poolIds, "epoch 0 leads from the genesis distribution");

    const journal = new Journal();
    tickToEpoch(state, params, 1, journal);
    assert.equal(state.snapshots.mark.stake.get(operator.stakeHash), 400_000_000_000n, "mark has the new stake");
    assert.equal(state.poolDistr.has(pool.poolId), false, "epoch 1 still uses the genesis distribution");
    // The forger's forecast of the next epoch's distribution (node.ts #stakeForecast) without ticking the ledger.
    const forecast = poolDistribution(state.snapshots.mark);
    tickToEpoch(state, params, 2, journal);
    assert.deepEqual(state.poolDistr, forecast, "the next epoch's distribution is the mark snapshot's");
    const entry = state.poolDistr.get(pool.poolId);
    assert.ok(entry, "epoch 2 uses the snapshot taken at the end of epoch 0");
    // 400k of the 1M genesis ada moved to the new pool; the rest, less fee and deposits, stays with pool 1.
    const rest = state.snapshots.set.stake.get(alice.stakeHash)!;
    assert.equal(rest, 600_000_000_000n - tx.body.fee - params.poolDeposit - params.keyDeposit);
    assert.deepEqual(entry.stake, rational(400_000_000_000n, 400_000_000_000n + rest));
    assert.deepEqual(state.poolDistr.get(poolIds[0]!)!.stake, rational(rest, 400_000_000_000n + rest));
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
    journal.rollback();
    assert.equal(state.epoch, 0, "the journal undoes whole epoch boundaries");
    assert.equal(state.poolDistr.has(pool.poolId), false);
  });

  it("refuses each rule violation by name", () => {
    const { state, params, owners, poolIds } = devnetLedger();
    const alice = owners[0]!;
    const stranger = wallet();
    const pool = newPool(stranger);
    const cases: [string, Built, string[]][] = [
      [
        "registering a registered stake key",
        spend(
          state,
          params,
          alice,
          { certificates: [{ kind: "StakeRegistration", credential: alice.stakeHash }], netDeposit: params.keyDeposit },
          [],
        ),
        ["StakeKeyRegisteredDELEG", "ValueNotConservedUTxO"],
      ],
      [
        "delegating an unregistered stake key",
        spend(
          state,
          params,
          alice,
          { certificates: [{ kind: "StakeDelegation", credential: stranger.stakeHash, poolId: poolIds[0]! }] },
          [stranger.stakeSeed],
        ),
        ["StakeKeyNotRegisteredDELEG"],
      ],
      [
        "delegating to a pool that is not registered",
        spend(
          state,
          params,
          alice,
          { certificates: [{ kind: "StakeDelegation", credential: alice.stakeHash, poolId: pool.poolId }] },
          [alice.stakeSeed],
        ),
        ["DelegateeNotRegisteredDELEG"],
      ],
      [
        "a stake delegation nobody signed with the stake key",
        spend(state, params, alice, {
          certificates: [{ kind: "StakeDelegation", credential: alice.stakeHash, poolId: poolIds[0]! }],
        }),
        ["MissingVKeyWitnessesUTXOW"],
      ],
      [
        "a pool cost below the minimum",
        spend(
          state,
          params,
          alice,
          {
            certificates: [{ kind: "PoolRegistration", pool: { ...pool.params, cost: params.minPoolCost - 1n } }],
            netDeposit: params.poolDeposit,
          },
          [pool.coldSeed, stranger.stakeSeed],
        ),
        ["StakePoolCostTooLowPOOL", "ValueNotConservedUTxO"],
      ],
      [
        "a pool registration the cold key did not sign",
        spend(
          state,
          params,
          alice,
          { certificates: [{ kind: "PoolRegistration", pool: pool.params }], netDeposit: params.poolDeposit },
          [stranger.stakeSeed],
        ),
        ["MissingVKeyWitnessesUTXOW"],
      ],
      [
        "a pool whose reward account is on another network (mainnet)",
        spend(
          state,
          params,
          alice,
          {
            certificates: [
              {
                kind: "PoolRegistration",
                pool: { ...pool.params, rewardAccount: rewardAccount(stranger.stakeHash, true) },
              },
            ],
            netDeposit: params.poolDeposit,
          },
          [pool.coldSeed, stranger.stakeSeed],
        ),
        ["WrongNetworkPOOL"],
      ],
      [
        "a pool registration without its deposit",
        spend(state, params, alice, { certificates: [{ kind: "PoolRegistration", pool: pool.params }] }, [
          pool.coldSeed,
          stranger.stakeSeed,
        ]),
        ["ValueNotConservedUTxO"],
      ],
      [
        "a pool reusing another pool's VRF key",
        spend(
          state,
          params,
          alice,
          {
            certificates: [
              {
                kind: "PoolRegistration",
                pool: { ...pool.params, vrfKeyHash: state.pools.get(poolIds[0]!)!.vrfKeyHash },
              },
            ],
            netDeposit: params.poolDeposit,
          },
          [pool.coldSeed, stranger.stakeSeed],
        ),
        ["VRFKeyHashAlreadyRegistered", "ValueNotConservedUTxO"],
      ],
      [
        "retiring in the current epoch",
        spend(state, params, alice, { certificates: [{ kind: "PoolRetirement", poolId: poolIds[0]!, epoch: 0 }] }),
        ["StakePoolRetirementWrongEpochPOOL", "MissingVKeyWitnessesUTXOW"],
      ],
      [
        "retiring beyond eMax",
        spend(state, params, alice, {
          certificates: [{ kind: "PoolRetirement", poolId: poolIds[0]!, epoch: params.eMax + 1 }],
        }),
        ["StakePoolRetirementWrongEpochPOOL", "MissingVKeyWitnessesUTXOW"],
      ],
      [
        "retiring a pool that is not registered",
        spend(
          state,
          params,
          alice,
          { certificates: [{ kind: "PoolRetirement", poolId: pool.poolId, epoch: params.eMax + 1 }] },
          [pool.coldSeed],
        ),
        ["StakePoolNotRegisteredOnKeyPOOL"],
      ],
      [
        "a Conway registration stating the wrong deposit",
        spend(
          state,
          params,
          alice,
          {
            certificates: [{ kind: "StakeRegistration", credential: stranger.stakeHash, deposit: 1n }],
            netDeposit: 1n,
          },
          [stranger.stakeSeed],
        ),
        ["IncorrectDepositDELEG", "ValueNotConservedUTxO"],
      ],
      [
        "withdrawing more than the reward balance",
        spend(state, params, alice, { withdrawals: new Map([[rewardAccount(alice.stakeHash), 5n]]) }, [
          alice.stakeSeed,
        ]),
        ["WithdrawalsNotInRewardsCERTS", "ValueNotConservedUTxO"],
      ],
    ];
    for (const [what, tx, expected] of cases) assert.deepEqual(apply(state, params, tx), expected, what);

    const vote = spend(state, params, alice, {});
    const withVote = { ...vote, body: { ...vote.body, certificates: [[9, [0, new Uint8Array(28)], [2]]] } };
    const failures = applyTx(state, withVote, { slot: 5n, params }, new Journal());
    assert.deepEqual(
      failures.map((f) => f.message),
      ["the ledger is given no DRep deposit or activity, so it cannot judge a VoteDelegation certificate"],
    );
  });

  it("a pool update takes effect at the next boundary, and a retirement returns the deposit to the reward account", () => {
    const { state, params, owners } = devnetLedger();
    const alice = owners[0]!;
    const pool = newPool(alice, { rewardAccount: rewardAccount(alice.stakeHash) });
    assert.deepEqual(
      apply(
        state,
        params,
        spend(
          state,
          params,
          alice,
          { certificates: [{ kind: "PoolRegistration", pool: pool.params }], netDeposit: params.poolDeposit },
          [pool.coldSeed, alice.stakeSeed],
        ),
      ),
      [],
    );
    const updated = { ...pool.params, cost: 500_000_000n };
    const update = spend(
      state,
      params,
      alice,
      {
        certificates: [
          { kind: "PoolRegistration", pool: updated },
          { kind: "PoolRetirement", poolId: pool.poolId, epoch: 2 },
        ],
      },
      [pool.coldSeed, alice.stakeSeed],
    );
    assert.deepEqual(apply(state, params, update, 6n), [], "a re-registration takes no second deposit");
    assert.equal(state.pools.get(pool.poolId)!.cost, 340_000_000n, "parameters unchanged until the boundary");
    assert.equal(state.futurePools.get(pool.poolId)!.cost, 500_000_000n);
    assert.equal(state.retiring.get(pool.poolId), 2);
    const journal = new Journal();
    tickToEpoch(state, params, 1, journal);
    assert.equal(state.pools.get(pool.poolId)!.cost, 500_000_000n, "adopted at the boundary");
    const rewardBefore = state.accounts.get(alice.stakeHash)!.reward;
    const [report] = tickToEpoch(state, params, 2, journal);
    assert.deepEqual(report!.retiredPools, [pool.poolId]);
    assert.equal(state.pools.has(pool.poolId), false);
    assert.equal(state.accounts.get(alice.stakeHash)!.reward, rewardBefore + params.poolDeposit, "deposit refunded");
    assert.equal(state.pots.deposited, 0n);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
  });

  it("rewards reach the pool's reward account two epochs after the blocks, and can be withdrawn with a deregistration", () => {
    const { state, params, owners, poolIds } = devnetLedger();
    const alice = owners[0]!;
    const journal = new Journal();
    tickToEpoch(state, params, 1, journal);
    // Blocks made in epoch 1 are rewarded from the stake of the genesis snapshot.
    journal.set(state.blocksCurrent, poolIds[0]!, 10);
    const reserves = state.pots.reserves;
    tickToEpoch(state, params, 2, journal);
    const update = state.rewardUpdate!;
    assert.ok(update.rewards.get(alice.stakeHash)! > 0n, "the owner's reward account is credited");
    assert.equal(state.accounts.get(alice.stakeHash)!.reward, 0n, "not before the next boundary");
    tickToEpoch(state, params, 3, journal);
    const reward = state.accounts.get(alice.stakeHash)!.reward;
    assert.equal(reward, update.rewards.get(alice.stakeHash));
    assert.ok(state.pots.treasury > 0n, "the treasury took its cut");
    assert.ok(state.pots.reserves < reserves, "monetary expansion came from the reserves");
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);

    const tx = spend(
      state,
      params,
      alice,
      {
        withdrawals: new Map([[rewardAccount(alice.stakeHash), reward]]),
        certificates: [{ kind: "StakeDeregistration", credential: alice.stakeHash }],
      },
      [alice.stakeSeed],
    );
    assert.deepEqual(apply(state, params, tx, 310n), []);
    assert.equal(state.accounts.has(alice.stakeHash), false);
    assert.equal(state.totalLovelace(), params.maxLovelaceSupply);
  });
});
