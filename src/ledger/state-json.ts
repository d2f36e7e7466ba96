// The ledger state's JSON form for node snapshots (state.ts): hex for bytes, decimal strings for lovelace.
// Snapshots written before a field existed read with it empty.
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import { rational, type Rational } from "../crypto/rational.ts";
import type { DRep, PoolParams } from "./certs.ts";
import { type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";
import { type GovActionId, type GovPurpose, proposalFromJson, proposalToJson, type Ratified } from "./gov-state.ts";
import { LedgerState, type StakeSnapshot } from "./state.ts";
import { utxoEntryFromJson, utxoEntryToJson } from "./utxo-json.ts";

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
    committeeResignAnchors: mapJ(s.committeeResignAnchors, (a) => a),
    proposals: mapJ(s.proposals, proposalToJson),
    govRoots: [...s.govRoots],
    constitutionPolicy: s.constitutionPolicy,
    constitutionAnchor: s.constitutionAnchor,
    votes: [...s.votes],
    committeeThreshold: s.committeeThreshold && ratJ(s.committeeThreshold),
    paramChanges: bytesToHex(encodeCbor(new Map(s.paramChanges))),
    protocolVersion: s.protocolVersion,
    ratified: s.ratified,
    dormantEpochs: s.dormantEpochs,
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
    // Snapshots from before resignation anchors were kept have none.
    committeeResignAnchors: jMap(j.committeeResignAnchors ?? [], (v) => v as [string, string]),
    proposals: jMap(j.proposals ?? [], proposalFromJson),
    govRoots: new Map((j.govRoots ?? []) as [GovPurpose, GovActionId][]),
    constitutionPolicy: (j.constitutionPolicy ?? null) as string | null,
    constitutionAnchor: (j.constitutionAnchor ?? null) as [string, string] | null,
    votes: new Map((j.votes ?? []) as [string, number][]),
    committeeThreshold: j.committeeThreshold ? jRat(j.committeeThreshold) : null,
    paramChanges: j.paramChanges
      ? (decodeCbor(hexToBytes(j.paramChanges as string)) as Map<number, CborValue>)
      : new Map(),
    protocolVersion: (j.protocolVersion ?? null) as [number, number] | null,
    ratified: (j.ratified ?? null) as Ratified | null,
    dormantEpochs: (j.dormantEpochs ?? 0) as number,
  });
}
