// The ledger state (the Shelley-family NewEpochState, restricted to what poolfleet models): the UTxO, stake
// accounts and delegations, registered pools, the pots (reserves, treasury, deposits, fees), the mark/set/go
// stake snapshots, blocks made per pool, the pending reward update and the pool distribution in force, and
// Conway's VState (cardano-ledger `VState`: DReps, the committee members' hot keys) with the enacted committee.
// It is mutated in place through a Journal (see journal.ts) and serialized whole to JSON for node snapshots
// (state-json.ts).
import { hexToBytes } from "../crypto/bytes.ts";
import { rational, type Rational } from "../crypto/rational.ts";
import { InputError } from "../formats/errors.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import type { DRep, KeyHash, PoolParams } from "./certs.ts";
import type { GovActionId, GovPurpose, Proposal, Ratified } from "./gov-state.ts";
import type { CborValue } from "../codec/cbor.ts";
import { rewardAccount } from "./certs.ts";
import type { LedgerParams } from "./params.ts";
import type { TxOutput } from "./tx.ts";
import { genesisUtxo, stakeCredentialOf } from "./utxo.ts";

/** A pool's place in the leader-election distribution (the shape header validation reads as PoolView). */
export interface PoolDistrEntry {
  /** Stake relative to all active stake. */
  readonly stake: Rational;
  readonly vrfKeyHash: Uint8Array;
}

export interface Account {
  readonly reward: bigint;
  readonly deposit: bigint;
  readonly pool: string | null;
  /** The DRep the account delegates its votes to (Conway), if any. */
  readonly drep?: DRep | null;
}

/** cardano-ledger `DRepState`: the deposit paid, the epoch it expires after without activity, its anchor. */
export interface DRepState {
  readonly deposit: bigint;
  readonly expiry: number;
}

export interface StakeSnapshot {
  /** Stake (UTxO plus rewards) of each credential delegated to a registered pool. */
  readonly stake: ReadonlyMap<KeyHash, bigint>;
  readonly delegations: ReadonlyMap<KeyHash, string>;
  readonly pools: ReadonlyMap<string, PoolParams>;
}

export interface RewardUpdate {
  /** Change to the reserves (monetary expansion taken, undistributed rewards returned). */
  readonly deltaR: bigint;
  readonly deltaT: bigint;
  /** Minus the fees of the epoch the update distributes. */
  readonly deltaF: bigint;
  /** Rewards by stake credential (pool reward accounts included). */
  readonly rewards: ReadonlyMap<KeyHash, bigint>;
}

export interface Pots {
  reserves: bigint;
  treasury: bigint;
  /** Deposits held for stake registrations and pools. */
  deposited: bigint;
  /** Fees collected in the current epoch. */
  fees: bigint;
  /** Treasury donations (Conway body key 22) made in the current epoch; the treasury's at the epoch boundary. */
  donations: bigint;
}

export interface Snapshots {
  mark: StakeSnapshot;
  set: StakeSnapshot;
  go: StakeSnapshot;
  /** Fees of the epoch that ended when `mark` was taken. */
  fees: bigint;
}

export const emptySnapshot = (): StakeSnapshot => ({ stake: new Map(), delegations: new Map(), pools: new Map() });

export class LedgerState {
  epoch: number;
  readonly utxo: Map<string, TxOutput>;
  readonly accounts: Map<KeyHash, Account>;
  readonly pools: Map<string, PoolParams>;
  /** Re-registrations of existing pools, adopted at the next epoch boundary. */
  readonly futurePools: Map<string, PoolParams>;
  /** Pools announced to retire, with the epoch. */
  readonly retiring: Map<string, number>;
  readonly poolDeposits: Map<string, bigint>;
  readonly pots: Pots;
  snapshots: Snapshots;
  blocksCurrent: Map<string, number>;
  blocksPrev: Map<string, number>;
  rewardUpdate: RewardUpdate | null;
  /** The pool distribution used for leader election in `epoch`. */
  poolDistr: Map<string, PoolDistrEntry>;
  /** Registered DReps by credential. */
  readonly dreps: Map<KeyHash, DRepState>;
  /** The enacted constitutional committee: cold credential to the epoch its term ends. */
  readonly committee: Map<KeyHash, number>;
  /** `CommitteeState`: each cold credential's authorised hot credential, or null once it resigned. */
  readonly committeeHot: Map<KeyHash, KeyHash | null>;
  /** The anchor [url, data hash in hex] a member's resignation gave (`CommitteeMemberResigned (StrictMaybe Anchor)`),
   * for the members in `committeeHot` as resigned that gave one. */
  readonly committeeResignAnchors: Map<KeyHash, readonly [string, string]>;
  /** Proposed governance actions by id (gov-state.ts), the roots each purpose's next proposal follows, and the
   * constitution's guardrail script hash. */
  readonly proposals: Map<GovActionId, Proposal>;
  readonly govRoots: Map<GovPurpose, GovActionId>;
  constitutionPolicy: string | null;
  /** The constitution's anchor [url, data hash in hex] (`constitutionAnchor`), or null when not known (a ledger
   * without a Conway genesis, or a constitution enacted from a proposal kept before anchors were). */
  constitutionAnchor: readonly [string, string] | null;
  /** Votes cast, `action|voter` to 0 no, 1 yes, 2 abstain (votes.ts). */
  readonly votes: Map<string, number>;
  /** The enacted committee's quorum, or null when there is no committee (none yet, or after no confidence). */
  committeeThreshold: Rational | null;
  /** Parameter changes enacted by governance (ConwayPParams key to value), over the genesis parameters. */
  paramChanges: ReadonlyMap<number, CborValue>;
  /** The protocol version an enacted hard fork set, or null (the parameters' own). */
  protocolVersion: readonly [number, number] | null;
  /** The ratification computed at the last epoch boundary, enacted at the next (ratify.ts, enact.ts). */
  ratified: Ratified | null;
  /** Epochs that passed with no proposal open (`vsNumDormantEpochs`), not yet added to the DReps' expiries. */
  dormantEpochs: number;

  constructor(init: {
    epoch: number;
    utxo: Map<string, TxOutput>;
    accounts: Map<KeyHash, Account>;
    pools: Map<string, PoolParams>;
    futurePools?: Map<string, PoolParams>;
    retiring?: Map<string, number>;
    poolDeposits?: Map<string, bigint>;
    pots: Pots;
    snapshots?: Snapshots;
    blocksCurrent?: Map<string, number>;
    blocksPrev?: Map<string, number>;
    rewardUpdate?: RewardUpdate | null;
    poolDistr?: Map<string, PoolDistrEntry>;
    dreps?: Map<KeyHash, DRepState>;
    committee?: Map<KeyHash, number>;
    committeeHot?: Map<KeyHash, KeyHash | null>;
    committeeResignAnchors?: Map<KeyHash, readonly [string, string]>;
    proposals?: Map<GovActionId, Proposal>;
    govRoots?: Map<GovPurpose, GovActionId>;
    constitutionPolicy?: string | null;
    constitutionAnchor?: readonly [string, string] | null;
    votes?: Map<string, number>;
    committeeThreshold?: Rational | null;
    paramChanges?: ReadonlyMap<number, CborValue>;
    protocolVersion?: readonly [number, number] | null;
    ratified?: Ratified | null;
    dormantEpochs?: number;
  }) {
    this.epoch = init.epoch;
    this.utxo = init.utxo;
    this.accounts = init.accounts;
    this.pools = init.pools;
    this.futurePools = init.futurePools ?? new Map();
    this.retiring = init.retiring ?? new Map();
    this.poolDeposits = init.poolDeposits ?? new Map();
    this.pots = init.pots;
    this.snapshots = init.snapshots ?? { mark: emptySnapshot(), set: emptySnapshot(), go: emptySnapshot(), fees: 0n };
    this.blocksCurrent = init.blocksCurrent ?? new Map();
    this.blocksPrev = init.blocksPrev ?? new Map();
    this.rewardUpdate = init.rewardUpdate ?? null;
    this.poolDistr = init.poolDistr ?? new Map();
    this.dreps = init.dreps ?? new Map();
    this.committee = init.committee ?? new Map();
    this.committeeHot = init.committeeHot ?? new Map();
    this.committeeResignAnchors = init.committeeResignAnchors ?? new Map();
    this.proposals = init.proposals ?? new Map();
    this.govRoots = init.govRoots ?? new Map();
    this.constitutionPolicy = init.constitutionPolicy ?? null;
    this.constitutionAnchor = init.constitutionAnchor ?? null;
    this.votes = init.votes ?? new Map();
    this.committeeThreshold = init.committeeThreshold ?? null;
    this.paramChanges = init.paramChanges ?? new Map();
    this.protocolVersion = init.protocolVersion ?? null;
    this.ratified = init.ratified ?? null;
    this.dormantEpochs = init.dormantEpochs ?? 0;
  }

  /** Total lovelace the ledger accounts for; always equals maxLovelaceSupply (a checked invariant). */
  totalLovelace(): bigint {
    let sum = this.pots.reserves + this.pots.treasury + this.pots.deposited + this.pots.fees + this.pots.donations;
    for (const o of this.utxo.values()) sum += o.coin;
    for (const a of this.accounts.values()) sum += a.reward;
    return sum;
  }
}

/** The stake distribution now: UTxO at base addresses plus reward balances, for delegated registered keys. */
export function takeSnapshot(state: LedgerState): StakeSnapshot {
  const stake = new Map<KeyHash, bigint>();
  const delegations = new Map<KeyHash, string>();
  for (const [credential, account] of state.accounts) {
    if (account.pool === null || !state.pools.has(account.pool)) continue;
    delegations.set(credential, account.pool);
    stake.set(credential, account.reward);
  }
  for (const output of state.utxo.values()) {
    const credential = stakeCredentialOf(output.address);
    if (credential === null) continue;
    const current = stake.get(credential);
    if (current !== undefined) stake.set(credential, current + output.coin);
  }
  return { stake, delegations, pools: new Map(state.pools) };
}

/** Stake per pool in a snapshot. */
export function poolStakes(snapshot: StakeSnapshot): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [credential, pool] of snapshot.delegations) {
    out.set(pool, (out.get(pool) ?? 0n) + (snapshot.stake.get(credential) ?? 0n));
  }
  return out;
}

/** Leader-election view of a snapshot: each pool's stake relative to all active stake, and its VRF key hash. */
export function poolDistribution(snapshot: StakeSnapshot): Map<string, PoolDistrEntry> {
  const stakes = poolStakes(snapshot);
  const total = [...stakes.values()].reduce((a, b) => a + b, 0n);
  const out = new Map<string, PoolDistrEntry>();
  for (const [poolId, lovelace] of stakes) {
    const params = snapshot.pools.get(poolId);
    if (!params || lovelace === 0n) continue;
    out.set(poolId, {
      stake: total === 0n ? rational(0n, 1n) : rational(lovelace, total),
      vrfKeyHash: hexToBytes(params.vrfKeyHash),
    });
  }
  return out;
}

interface GenesisPool {
  cost?: number;
  margin?: number;
  pledge?: number;
  owners?: string[];
  publicKey?: string;
  vrf?: string;
  rewardAccount?: { credential?: { "key hash"?: string } };
}

function genesisPoolParams(
  poolId: string,
  p: GenesisPool,
  genesis: ShelleyGenesis,
  mainnet: boolean,
  where: string,
): PoolParams {
  const marginText = genesis.exactNumber(["staking", "pools", poolId, "margin"]);
  const rewardKey = p.rewardAccount?.credential?.["key hash"];
  if (!/^[0-9a-f]{56}$/.test(poolId))
    throw new InputError(where, `staking.pools key ${poolId} is not a 28-byte pool id in hex`);
  if (typeof p.vrf !== "string" || !/^[0-9a-f]{64}$/.test(p.vrf))
    throw new InputError(where, `staking.pools.${poolId}.vrf must be a 32-byte VRF key hash in hex`);
  return {
    operator: poolId,
    vrfKeyHash: p.vrf,
    pledge: BigInt(p.pledge ?? 0),
    cost: BigInt(p.cost ?? 0),
    margin: marginText ?? rational(0n, 1n),
    rewardAccount: rewardAccount(rewardKey ?? poolId, mainnet),
    owners: p.owners ?? [],
    relays: [],
    metadata: null,
  };
}

/**
 * The ledger at the start of a Shelley-genesis network: initial funds as UTxO, the rest of the supply in the
 * reserves, the genesis pools registered and stake keys delegated (no deposits are taken for genesis staking),
 * and the initial stake distribution as the mark snapshot and the pool distribution of epoch 0 — as
 * cardano-ledger's registerInitialStaking does, so genesis pools lead in epochs 0 and 1.
 */
export function genesisLedgerState(
  genesis: ShelleyGenesis,
  params: LedgerParams,
  where = "Shelley genesis",
): LedgerState {
  const doc = genesis.document;
  const utxo = genesisUtxo((doc.initialFunds ?? {}) as Record<string, number | string>);
  let funds = 0n;
  for (const o of utxo.values()) funds += o.coin;
  const staking = (doc.staking ?? {}) as { pools?: Record<string, GenesisPool>; stake?: Record<string, string> };
  const pools = new Map(
    Object.entries(staking.pools ?? {}).map(([id, p]) => [
      id,
      genesisPoolParams(id, p, genesis, params.mainnet, where),
    ]),
  );
  const accounts = new Map<KeyHash, Account>(
    Object.entries(staking.stake ?? {}).map(([credential, pool]) => [credential, { reward: 0n, deposit: 0n, pool }]),
  );
  const state = new LedgerState({
    epoch: 0,
    utxo,
    accounts,
    pools,
    pots: { reserves: params.maxLovelaceSupply - funds, treasury: 0n, deposited: 0n, fees: 0n, donations: 0n },
  });
  const mark = takeSnapshot(state);
  state.snapshots = { mark, set: emptySnapshot(), go: emptySnapshot(), fees: 0n };
  state.poolDistr = poolDistribution(mark);
  return state;
}
