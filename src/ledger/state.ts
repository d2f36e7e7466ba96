// The ledger state (the Shelley-family NewEpochState, restricted to what poolfleet models): the UTxO, stake
// accounts and delegations, registered pools, the pots (reserves, treasury, deposits, fees), the mark/set/go
// stake snapshots, blocks made per pool, the pending reward update and the pool distribution in force, and
// Conway's VState (cardano-ledger `VState`: DReps, the committee members' hot keys) with the enacted committee.
// It is mutated in place through a Journal (see journal.ts) and serialized whole to JSON for node snapshots.
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import { rational, type Rational } from "../crypto/rational.ts";
import { InputError } from "../formats/errors.ts";
import type { ShelleyGenesis } from "../formats/genesis.ts";
import type { DRep, KeyHash, PoolParams } from "./certs.ts";
import { type GovActionId, type GovPurpose, type Proposal, proposalFromJson, proposalToJson } from "./gov-state.ts";
import { rewardAccount } from "./certs.ts";
import type { LedgerParams } from "./params.ts";
import type { TxOutput } from "./tx.ts";
import { genesisUtxo, stakeCredentialOf } from "./utxo.ts";
import { utxoEntryFromJson, utxoEntryToJson } from "./utxo-json.ts";

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
  /** Proposed governance actions by id (gov-state.ts), the roots each purpose's next proposal follows, and the
   * constitution's guardrail script hash. */
  readonly proposals: Map<GovActionId, Proposal>;
  readonly govRoots: Map<GovPurpose, GovActionId>;
  constitutionPolicy: string | null;
  /** Votes cast, `action|voter` to 0 no, 1 yes, 2 abstain (votes.ts). */
  readonly votes: Map<string, number>;

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
    proposals?: Map<GovActionId, Proposal>;
    govRoots?: Map<GovPurpose, GovActionId>;
    constitutionPolicy?: string | null;
    votes?: Map<string, number>;
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
    this.proposals = init.proposals ?? new Map();
    this.govRoots = init.govRoots ?? new Map();
    this.constitutionPolicy = init.constitutionPolicy ?? null;
    this.votes = init.votes ?? new Map();
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

// ---- JSON form for node snapshots: hex for bytes, decimal strings for lovelace. ----

const big = (v: unknown): bigint => BigInt(v as string);
const ratJ = (r: Rational) => [`${r.num}`, `${r.den}`];
const jRat = (v: unknown): Rational => {
  const [n, d] = v as [string, string];
  return rational(BigInt(n), BigInt(d));
};

// Relays and metadata are not kept in snapshots: the ledger rules never read them.
function poolToJson(p: PoolParams): unknown {
  return { ...p, pledge: `${p.pledge}`, cost: `${p.cost}`, margin: ratJ(p.margin), relays: [], metadata: null };
}
function poolFromJson(v: unknown): PoolParams {
  const p = v as Record<string, unknown>;
  return {
    operator: p.operator as string,
    vrfKeyHash: p.vrfKeyHash as string,
    pledge: big(p.pledge),
    cost: big(p.cost),
    margin: jRat(p.margin),
    rewardAccount: p.rewardAccount as string,
    owners: p.owners as string[],
    relays: [],
    metadata: null,
  };
}
const mapJ = <V>(m: ReadonlyMap<string, V>, f: (v: V) => unknown) => [...m].map(([k, v]) => [k, f(v)]);
const jMap = <V>(v: unknown, f: (x: unknown) => V) => new Map((v as [string, unknown][]).map(([k, x]) => [k, f(x)]));
const str = (v: bigint) => `${v}`;

function snapshotToJson(s: StakeSnapshot): unknown {
  return { stake: mapJ(s.stake, str), delegations: mapJ(s.delegations, (v) => v), pools: mapJ(s.pools, poolToJson) };
}
function snapshotFromJson(v: unknown): StakeSnapshot {
  const s = v as Record<string, unknown>;
  return {
    stake: jMap(s.stake, big),
    delegations: jMap(s.delegations, (x) => x as string),
    pools: jMap(s.pools, poolFromJson),
  };
}

export function ledgerStateToJson(s: LedgerState): unknown {
  return {
    epoch: s.epoch,
    utxo: [...s.utxo].map(([ref, o]) => utxoEntryToJson(ref, o)),
    accounts: mapJ(s.accounts, (a) => [`${a.reward}`, `${a.deposit}`, a.pool, a.drep ?? null]),
    pools: mapJ(s.pools, poolToJson),
    futurePools: mapJ(s.futurePools, poolToJson),
    retiring: mapJ(s.retiring, (e) => e),
    poolDeposits: mapJ(s.poolDeposits, str),
    pots: {
      reserves: str(s.pots.reserves),
      treasury: str(s.pots.treasury),
      deposited: str(s.pots.deposited),
      fees: str(s.pots.fees),
      donations: str(s.pots.donations),
    },
    snapshots: {
      mark: snapshotToJson(s.snapshots.mark),
      set: snapshotToJson(s.snapshots.set),
      go: snapshotToJson(s.snapshots.go),
      fees: str(s.snapshots.fees),
    },
    blocksCurrent: [...s.blocksCurrent],
    blocksPrev: [...s.blocksPrev],
    rewardUpdate: s.rewardUpdate && {
      deltaR: str(s.rewardUpdate.deltaR),
      deltaT: str(s.rewardUpdate.deltaT),
      deltaF: str(s.rewardUpdate.deltaF),
      rewards: mapJ(s.rewardUpdate.rewards, str),
    },
    poolDistr: mapJ(s.poolDistr, (p) => [ratJ(p.stake), bytesToHex(p.vrfKeyHash)]),
    dreps: mapJ(s.dreps, (d) => [str(d.deposit), d.expiry]),
    committee: mapJ(s.committee, (e) => e),
    committeeHot: mapJ(s.committeeHot, (h) => h),
    proposals: mapJ(s.proposals, proposalToJson),
    govRoots: [...s.govRoots],
    constitutionPolicy: s.constitutionPolicy,
    votes: [...s.votes],
  };
}

export function ledgerStateFromJson(json: unknown): LedgerState {
  const j = json as Record<string, unknown>;
  if (!j || typeof j !== "object" || typeof j.epoch !== "number" || !Array.isArray(j.utxo))
    throw new Error("not a ledger state snapshot");
  const pots = j.pots as Record<string, string>;
  const snaps = j.snapshots as Record<string, unknown>;
  const ru = j.rewardUpdate as Record<string, unknown> | null;
  return new LedgerState({
    epoch: j.epoch,
    utxo: new Map((j.utxo as unknown[]).map(utxoEntryFromJson)),
    accounts: jMap(j.accounts, (v) => {
      const [reward, deposit, pool, drep] = v as [string, string, string | null, DRep | null | undefined];
      return { reward: BigInt(reward), deposit: BigInt(deposit), pool, drep: drep ?? null };
    }),
    pools: jMap(j.pools, poolFromJson),
    futurePools: jMap(j.futurePools, poolFromJson),
    retiring: jMap(j.retiring, (v) => v as number),
    poolDeposits: jMap(j.poolDeposits, big),
    pots: {
      reserves: big(pots.reserves),
      treasury: big(pots.treasury),
      deposited: big(pots.deposited),
      fees: big(pots.fees),
      donations: big(pots.donations ?? "0"), // snapshots from before donations have none
    },
    snapshots: {
      mark: snapshotFromJson(snaps.mark),
      set: snapshotFromJson(snaps.set),
      go: snapshotFromJson(snaps.go),
      fees: big(snaps.fees),
    },
    blocksCurrent: new Map(j.blocksCurrent as [string, number][]),
    blocksPrev: new Map(j.blocksPrev as [string, number][]),
    rewardUpdate: ru && {
      deltaR: big(ru.deltaR),
      deltaT: big(ru.deltaT),
      deltaF: big(ru.deltaF),
      rewards: jMap(ru.rewards, big),
    },
    poolDistr: jMap(j.poolDistr, (v) => {
      const [stake, vrf] = v as [unknown, string];
      return { stake: jRat(stake), vrfKeyHash: hexToBytes(vrf) };
    }),
    // Snapshots from before Conway's governance state have none of it.
    dreps: jMap(j.dreps ?? [], (v) => {
      const [deposit, expiry] = v as [string, number];
      return { deposit: BigInt(deposit), expiry };
    }),
    committee: jMap(j.committee ?? [], (v) => v as number),
    committeeHot: jMap(j.committeeHot ?? [], (v) => v as string | null),
    proposals: jMap(j.proposals ?? [], proposalFromJson),
    govRoots: new Map((j.govRoots ?? []) as [GovPurpose, GovActionId][]),
    constitutionPolicy: (j.constitutionPolicy ?? null) as string | null,
    votes: new Map((j.votes ?? []) as [string, number][]),
  });
}
