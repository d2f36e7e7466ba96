// Reads the Haskell ledger's conformance vectors (test/fixtures/ledger-conformance, format in its README) and
// replays what poolfleet's ledger can judge: each vector's initial UTxO and protocol parameters, then its
// events in order while every transaction uses only what the ledger implements (multi-asset values, mints under
// native scripts, datums, reference inputs and scripts, collateral, the phase-1 rules of Plutus scripts,
// donations, vkey witnesses, metadata, stake and pool certificates, withdrawals). A transaction the ledger
// refuses as UnsupportedFeature is not judged (so one needing a Plutus script run stops the replay). The vectors start with no registered stake keys or pools (the
// reader checks that), so certificates apply from the same empty state as in Haskell. A vector stops being
// replayed at the first event it cannot follow, because the Haskell state after it is no longer known.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { cborArrayItems, cborMapEntries } from "../../src/codec/cbor-raw.ts";
import { rational, type Rational } from "../../src/crypto/rational.ts";
import { asBytes, asUint, type CborValue, decodeCbor } from "../../src/codec/cbor.ts";
import { applyTx } from "../../src/ledger/apply-tx.ts";
import { decodeCertificate, rewardAccountCredential, scriptCredential } from "../../src/ledger/certs.ts";
import { tickToEpoch } from "../../src/ledger/epoch.ts";
import type { Thresholds } from "../../src/ledger/gov-epoch.ts";
import { Journal } from "../../src/ledger/journal.ts";
import type { LedgerParams } from "../../src/ledger/params.ts";
import type { SlotTime } from "../../src/ledger/plutus/time.ts";
import { type DRepState, LedgerState } from "../../src/ledger/state.ts";
import { decodeTx, decodeTxOutput, type TxOutput } from "../../src/ledger/tx.ts";
import { outRef } from "../../src/ledger/utxo.ts";
import { fixturePath, hex, readFixture } from "./fixtures.ts";

export type ConformanceEvent =
  | { readonly kind: "tx"; readonly bytes: Uint8Array; readonly success: boolean; readonly slot: bigint }
  | { readonly kind: "slot"; readonly slot: bigint }
  | { readonly kind: "epochs"; readonly count: number };

export interface ConformanceVector {
  readonly file: string;
  readonly title: string;
  readonly epoch: number;
  readonly utxo: Map<string, TxOutput>;
  /** The UTxO after all events, as the Haskell ledger left it. */
  readonly finalUtxo: Map<string, TxOutput>;
  /** The treasury and reserves at the start (`AccountState`). */
  readonly treasury: bigint;
  readonly reserves: bigint;
  /** The constitution's guardrail script hash at the start, or null. */
  readonly constitutionPolicy: string | null;
  /** Which thresholds that can hold an action back are above zero (the committee's, the DReps'). */
  readonly thresholds: Thresholds;
  /** The enacted committee at the start: cold credential to the epoch its term ends, and its quorum (null: none). */
  readonly committee: Map<string, number>;
  readonly committeeThreshold: Rational | null;
  /** The DReps registered after all events, with their deposits, as the Haskell ledger left them. */
  readonly finalDReps: Map<string, bigint>;
  /** The governance state and treasury after all events, as the Haskell ledger left them (`FinalGov`). */
  readonly finalGov: FinalGov;
  /** The epoch of the final state: the dumps stop at the last transaction's epoch in some vectors, whose later
   * boundaries the final state does not show. */
  readonly finalEpoch: number;
  /**
   * Why the final state shows changes no event made (the ImpSpec test changed the state directly between events),
   * so the governance figures cannot be compared; null when it does not.
   */
  readonly changedOutsideEvents: string | null;
  readonly params: LedgerParams;
  readonly events: ConformanceEvent[];
}

const FOLDER = "ledger-conformance";

export function conformanceFiles(): string[] {
  const root = fixturePath(FOLDER, "Conway");
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(fixturePath(FOLDER), path));
    }
  };
  walk(root);
  return files;
}

/** A tag-30 rational (cbor-x gives it as a Tag with value [num, den]). */
function tagged(value: unknown, what: string): Rational {
  const v = (value as { tag?: number; value?: [CborValue, CborValue] } | null) ?? {};
  if (v.tag !== 30 || !Array.isArray(v.value)) throw new Error(`${what} must be a tag-30 rational`);
  return rational(asUint(v.value[0], what), asUint(v.value[1], what));
}

/**
 * The ImpSpec tests' slot-to-time conversion: `fixedEpochInfo` with the Shelley genesis's 1 s slots
 * (cardano-ledger Test.Cardano.Ledger.Shelley.ImpTest, `sgSlotLength = 1`) from its systemStart, which the
 * vector's config carries last as a UTCTime [year, day of the year, picoseconds into the day].
 */
function impSlotTime(config: CborValue[]): SlotTime {
  const [year, day, picos] = (config[12] as CborValue[]).map((x, i) => asUint(x, `config systemStart[${i}]`));
  const startOfYear = BigInt(Date.UTC(Number(year), 0, 1));
  const systemStartMs = startOfYear + (day! - 1n) * 86_400_000n + picos! / 1_000_000_000n;
  return { systemStartMs, byronSlots: 0n, byronSlotLengthMs: 0n, slotLengthMs: 1000n };
}

/** Conway's protocol parameters in their CBOR array order (cardano-ledger ConwayPParams), as LedgerParams. */
function conwayParams(pp: CborValue[], config: CborValue[]): LedgerParams {
  const n = (i: number) => asUint(pp[i], `pparams[${i}]`);
  return {
    minFeeA: n(0),
    minFeeB: n(1),
    maxBlockBodySize: Number(n(2)),
    maxTxSize: Number(n(3)),
    keyDeposit: n(5),
    poolDeposit: n(6),
    eMax: Number(n(7)),
    nOpt: Number(n(8)),
    a0: tagged(pp[9], "a0"),
    rho: tagged(pp[10], "rho"),
    tau: tagged(pp[11], "tau"),
    minPoolCost: n(13),
    coinsPerUTxOByte: n(14),
    maxValueSize: Number(n(19)),
    maxLovelaceSupply: asUint(config[9], "config maxLovelaceSupply"),
    epochLength: Number(asUint(config[2], "config epoch length")),
    activeSlotsCoeff: tagged(config[10], "config active slot coefficient"),
    mainnet: false, // the ImpSpec tests run on Testnet
    plutus: {
      protocolMajor: Number(asUint((pp[12] as CborValue[])[0], "protocol version")),
      costModels: new Map(
        // Keyed by cardano-ledger's language index (0 PlutusV1 .. 2 PlutusV3); poolfleet keys by version.
        [...(pp[15] as Map<CborValue, CborValue[]>)].map(([k, v]) => [
          Number(k) + 1,
          v.map((x) => BigInt(x as number)),
        ]),
      ),
      prices: {
        mem: tagged((pp[16] as CborValue[])[0], "memory price"),
        steps: tagged((pp[16] as CborValue[])[1], "step price"),
      },
      maxTxExUnits: {
        mem: asUint((pp[17] as CborValue[])[0], "maxTxExUnits memory"),
        steps: asUint((pp[17] as CborValue[])[1], "maxTxExUnits steps"),
      },
      collateralPercentage: n(20),
      maxCollateralInputs: Number(n(21)),
      minFeeRefScriptCostPerByte: tagged(pp[30], "minFeeRefScriptCostPerByte"),
      time: impSlotTime(config),
    },
    governance: {
      protocolMajor: Number(asUint((pp[12] as CborValue[])[0], "protocol version")),
      drepDeposit: n(28),
      drepActivity: Number(n(29)),
      protocolMinor: Number(asUint((pp[12] as CborValue[])[1], "protocol version")),
      govActionDeposit: n(27),
      govActionLifetime: Number(n(26)),
      ratification: {
        poolThresholds: (pp[22] as CborValue[]).map((r, i) => tagged(r, `pool threshold ${i}`)),
        drepThresholds: (pp[23] as CborValue[]).map((r, i) => tagged(r, `DRep threshold ${i}`)),
        committeeMinSize: Number(n(24)),
        committeeMaxTermLength: Number(n(25)),
      },
    },
  };
}

/** A serialised UTxO (map of [txid, index] to output) as the ledger keeps it. */
function utxoOf(map: Uint8Array): Map<string, TxOutput> {
  const utxo = new Map<string, TxOutput>();
  for (const [k, v] of cborMapEntries(map)) {
    const [txId, index] = decodeCbor(k) as [CborValue, CborValue];
    const { bytes: _, ...output } = decodeTxOutput(v, utxo.size);
    utxo.set(outRef(asBytes(txId, "utxo txid", 32), Number(asUint(index, "utxo index"))), output);
  }
  return utxo;
}

/** A credential as cardano-ledger encodes it ([0, key hash] or [1, script hash]) in poolfleet's form. */
function credentialOf(v: CborValue): string {
  const [type, hash] = v as [number, Uint8Array];
  return type === 1 ? scriptCredential(hex(hash)) : hex(hash);
}

/** Whether a decoded value holds nothing but empty maps (and plain numbers) at any depth. */
function onlyEmptyMaps(value: CborValue): boolean {
  if (value instanceof Map) return value.size === 0;
  if (Array.isArray(value)) return value.every(onlyEmptyMaps);
  return typeof value === "number" || typeof value === "bigint";
}

export function readConformanceVector(file: string): ConformanceVector {
  const items = cborArrayItems(readFixture(FOLDER, file));
  const config = decodeCbor(items[0]!) as CborValue[];
  const nes = cborArrayItems(items[1]!);
  const [certState, ledgerState] = cborArrayItems(cborArrayItems(nes[3]!)[1]!) as [Uint8Array, Uint8Array];
  // [vState, pState, dState]: DReps and committee, pools, stake keys. The replay starts them empty.
  if (!onlyEmptyMaps(decodeCbor(certState)))
    throw new Error(
      `${file}: the initial state has registered stake keys, pools or DReps, which the reader does not read`,
    );
  const utxoState = cborArrayItems(ledgerState);
  const ppHash = asBytes(decodeCbor(cborArrayItems(utxoState[3]!)[3]!), "current pparams hash", 32);
  const pp = decodeCbor(readFixture(FOLDER, "pparams-by-hash", hex(ppHash))) as CborValue[];
  const utxo = utxoOf(utxoState[0]!);
  // NewEpochState [epoch, .., .., [accountState, [certState, utxoState]], ..]; utxoState [utxo, ..].
  const finalLedger = cborArrayItems(cborArrayItems(cborArrayItems(items[2]!)[3]!)[1]!);
  const finalUtxo = utxoOf(cborArrayItems(finalLedger[1]!)[0]!);
  // certState [vState, pState, dState], vState [DReps (credential to [expiry, anchor, deposit, ..]), ..].
  const finalVState = decodeCbor(cborArrayItems(finalLedger[0]!)[0]!) as [Map<CborValue, CborValue[]>];
  const finalDReps = new Map([...finalVState[0]].map(([c, d]) => [credentialOf(c), asUint(d[2], "DRep deposit")]));
  // govState [proposals, committee (StrictMaybe [members, threshold]), constitution, current pparams, ..].
  const committeeField = decodeCbor(cborArrayItems(utxoState[3]!)[1]!) as [[Map<CborValue, CborValue>, CborValue]?];
  // The vectors start with no proposals and every root empty; the replay starts from the same.
  const proposals = decodeCbor(cborArrayItems(utxoState[3]!)[0]!) as [CborValue[][], unknown[]];
  if (proposals[0].some((r) => r.length > 0) || proposals[1].length > 0)
    throw new Error(`${file}: the initial state has proposals or enacted actions, which the reader does not read`);
  const constitution = decodeCbor(cborArrayItems(utxoState[3]!)[2]!) as [unknown, Uint8Array | null];
  const constitutionPolicy = constitution[1] ? hex(constitution[1]) : null;
  const [treasury, reserves] = decodeCbor(cborArrayItems(nes[3]!)[0]!) as [CborValue, CborValue];
  const committee = new Map(
    [...(committeeField[0]?.[0] ?? new Map())].map(([c, e]) => [credentialOf(c), Number(asUint(e, "term"))]),
  );
  const events = cborArrayItems(items[3]!).map((raw): ConformanceEvent => {
    const e = cborArrayItems(raw);
    const kind = decodeCbor(e[0]!);
    if (kind === 0)
      return {
        kind: "tx",
        bytes: asBytes(decodeCbor(e[1]!), "event transaction"),
        success: decodeCbor(e[2]!) === true,
        slot: asUint(decodeCbor(e[3]!), "event slot"),
      };
    if (kind === 1) return { kind: "slot", slot: asUint(decodeCbor(e[1]!), "event slot") };
    return { kind: "epochs", count: Number(asUint(decodeCbor(e[1]!), "epoch count")) };
  });
  return {
    file,
    title: String(decodeCbor(items[4]!)),
    epoch: Number(asUint(decodeCbor(nes[0]!), "epoch")),
    utxo,
    finalUtxo,
    committee,
    committeeThreshold: committeeField[0] === undefined ? null : tagged(committeeField[0][1], "threshold"),
    thresholds: {
      committee: committeeField[0] !== undefined && tagged(committeeField[0][1], "threshold").num > 0n,
      // drepVotingThresholds [motionNoConfidence, committeeNormal, committeeNoConfidence, ..]
      drepNoConfidence: tagged((pp[23] as CborValue[])[0], "DRep threshold").num > 0n,
      drepCommittee: [1, 2].every((i) => tagged((pp[23] as CborValue[])[i], "DRep threshold").num > 0n),
      protocolMajor: Number(asUint((pp[12] as CborValue[])[0], "protocol version")),
    },
    constitutionPolicy,
    treasury: asUint(treasury, "treasury"),
    reserves: asUint(reserves, "reserves"),
    finalDReps,
    finalGov: finalGovOf(cborArrayItems(items[2]!)),
    finalEpoch: Number(asUint(decodeCbor(cborArrayItems(items[2]!)[0]!), "final epoch")),
    changedOutsideEvents: outsideEvents(items[1]!, items[2]!),
    params: conwayParams(pp, config),
    events,
  };
}

/**
 * What ratification and enactment leave, read from a final `NewEpochState`: the treasury, the proposals still open,
 * each purpose's last enacted action, the committee (null after no confidence) with its quorum, the constitution's
 * guardrail script and every registered stake credential's reward balance.
 */
export interface FinalGov {
  readonly treasury: bigint;
  readonly proposals: string[];
  readonly roots: Record<string, string | null>;
  readonly committee: Record<string, number> | null;
  readonly committeeThreshold: string | null;
  readonly constitutionPolicy: string | null;
  readonly rewards: Record<string, string>;
  /** Each registered DRep's expiry epoch (dormant epochs added as Conway adds them). */
  readonly drepExpiries: Record<string, number>;
}

const govId = (v: CborValue): string => {
  const [txId, index] = v as [Uint8Array, CborValue];
  return `${hex(txId)}#${asUint(index, "governance action index")}`;
};

function finalGovOf(nes: Uint8Array[]): FinalGov {
  const epochState = cborArrayItems(nes[3]!);
  const [treasury] = decodeCbor(epochState[0]!) as [CborValue];
  const ledger = cborArrayItems(epochState[1]!);
  const gov = cborArrayItems(cborArrayItems(ledger[1]!)[3]!);
  const [roots, props] = decodeCbor(gov[0]!) as [CborValue[][], CborValue[][]];
  const purposes = ["pparams", "hardFork", "committee", "constitution"];
  const committee = decodeCbor(gov[1]!) as [[Map<CborValue, CborValue>, { value: [CborValue, CborValue] }]?];
  const constitution = decodeCbor(gov[2]!) as [unknown, Uint8Array | null];
  // dState [UMap [credential to [StrictMaybe [reward, deposit], pointers, pool, DRep], pointers], ..].
  const accounts = (decodeCbor(cborArrayItems(ledger[0]!)[2]!) as [[Map<CborValue, CborValue[]>]])[0][0];
  const rewards: Record<string, string> = {};
  for (const [c, a] of accounts) {
    const rd = (a[0] as CborValue[][])[0];
    rewards[credentialOf(c)] = `${rd ? asUint(rd[0], "reward") : 0n}`;
  }
  // certState [vState [DReps (credential to [expiry, ..]), ..], ..].
  const dreps = (decodeCbor(cborArrayItems(ledger[0]!)[0]!) as [Map<CborValue, CborValue[]>])[0];
  return {
    drepExpiries: Object.fromEntries([...dreps].map(([c, d]) => [credentialOf(c), Number(asUint(d[0], "expiry"))])),
    treasury: asUint(treasury, "treasury"),
    proposals: props.map((p) => govId(p[0]!)).sort(),
    roots: Object.fromEntries(
      roots.map((r, i) => [purposes[i]!, Array.isArray(r) && r.length > 0 ? govId(r[0]!) : null]),
    ),
    committee:
      committee[0] === undefined
        ? null
        : Object.fromEntries([...committee[0][0]].map(([c, e]) => [credentialOf(c), Number(asUint(e, "term"))])),
    committeeThreshold:
      committee[0] === undefined
        ? null
        : `${asUint(committee[0][1].value[0], "quorum")}/${asUint(committee[0][1].value[1], "quorum")}`,
    constitutionPolicy: constitution[1] ? hex(constitution[1]) : null,
    rewards,
  };
}

/** The current parameters' hash and the committee field of a `NewEpochState`'s governance state. */
function govFields(nes: Uint8Array): { params: string; committee: string; roots: CborValue[][] } {
  const gov = cborArrayItems(cborArrayItems(cborArrayItems(cborArrayItems(cborArrayItems(nes)[3]!)[1]!)[1]!)[3]!);
  const [roots] = decodeCbor(gov[0]!) as [CborValue[][]];
  return { params: hex(gov[3]!), committee: hex(gov[1]!), roots };
}

/**
 * Evidence in Haskell's own final state that the test changed it outside the events: the current parameters
 * differ from the initial ones though no parameter change or hard fork was ever enacted (both roots empty), or
 * the committee differs though no committee action was.
 */
function outsideEvents(initial: Uint8Array, final: Uint8Array): string | null {
  const a = govFields(initial);
  const b = govFields(final);
  const none = (i: number) => !Array.isArray(b.roots[i]) || b.roots[i]!.length === 0;
  if (a.params !== b.params && none(0) && none(1))
    return "the protocol parameters changed with no parameter change or hard fork enacted";
  if (a.committee !== b.committee && none(2)) return "the committee changed with no committee action enacted";
  return null;
}

/** The same figures from poolfleet's ledger state. */
export function finalGovOfState(state: LedgerState): FinalGov {
  const t = state.committeeThreshold;
  return {
    drepExpiries: Object.fromEntries([...state.dreps].map(([c, d]) => [c, d.expiry])),
    treasury: state.pots.treasury,
    proposals: [...state.proposals.keys()].sort(),
    roots: Object.fromEntries(
      ["pparams", "hardFork", "committee", "constitution"].map((p) => [p, state.govRoots.get(p as "pparams") ?? null]),
    ),
    committee: t === null ? null : Object.fromEntries(state.committee),
    committeeThreshold: t === null ? null : `${t.num}/${t.den}`,
    constitutionPolicy: state.constitutionPolicy,
    rewards: Object.fromEntries([...state.accounts].map(([c, a]) => [c, `${a.reward}`])),
  };
}

/** One transaction of a vector that poolfleet's ledger judged. */
export interface JudgedTx {
  readonly index: number;
  readonly success: boolean;
  readonly failures: string[];
}

export interface Replay {
  readonly judged: JudgedTx[];
  /** The UTxO poolfleet's ledger ends with. */
  readonly utxo: ReadonlyMap<string, TxOutput>;
  /** The DReps poolfleet's ledger ends with. */
  readonly dreps: ReadonlyMap<string, DRepState>;
  /** poolfleet's ledger state at the end. */
  readonly state: LedgerState;
  /** Why replay stopped before the end, or null when every event was followed. */
  readonly stoppedAt: string | null;
}

/** Why poolfleet's ledger cannot judge `tx` from the state it has, or null when it can. */
function outOfScope(tx: ReturnType<typeof decodeTx>): string | null {
  if (tx.body.unsupported.length > 0) return tx.body.unsupported.join(", ");
  if (tx.witnesses.unsupported.length > 0) return tx.witnesses.unsupported.join(", ");
  for (const [i, raw] of tx.body.certificates.entries()) {
    let cert;
    try {
      cert = decodeCertificate(raw, i);
    } catch (error) {
      return `certificate ${i}: ${(error as Error).message}`;
    }
    if (cert.kind === "Unsupported") return cert.name;
  }
  if ([...tx.body.withdrawals.keys()].some((a) => rewardAccountCredential(a) === null))
    return "malformed reward accounts";
  return null;
}

/**
 * Replay `vector` on poolfleet's ledger. A transaction the Haskell ledger refused but ours accepts (a rule
 * poolfleet does not have yet) is undone, and replay goes on from the state both agree on.
 */
export function replayConformanceVector(vector: ConformanceVector): Replay {
  const state = new LedgerState({
    epoch: vector.epoch,
    utxo: new Map(vector.utxo),
    accounts: new Map(),
    pools: new Map(),
    pots: { reserves: vector.reserves, treasury: vector.treasury, deposited: 0n, fees: 0n, donations: 0n },
    committee: new Map(vector.committee),
    committeeThreshold: vector.committeeThreshold,
    constitutionPolicy: vector.constitutionPolicy,
  });
  const judged: JudgedTx[] = [];
  for (const [index, event] of vector.events.entries()) {
    if (event.kind === "slot") continue; // every transaction event carries its own slot
    // Every epoch boundary is crossed with poolfleet's (epoch.ts), which ratifies and enacts as Conway's EPOCH
    // does (ratify.ts, enact.ts).
    if (event.kind === "epochs") {
      for (let n = 0; n < event.count && state.epoch < vector.finalEpoch; n++)
        tickToEpoch(state, vector.params, state.epoch + 1, new Journal());
      continue;
    }
    const slot = event.slot;
    let tx;
    try {
      tx = decodeTx(event.bytes);
    } catch (error) {
      return {
        judged,
        state,
        utxo: state.utxo,
        dreps: state.dreps,
        stoppedAt: `event ${index}: ${(error as Error).message}`,
      };
    }
    const reason = outOfScope(tx);
    if (reason) return { judged, state, utxo: state.utxo, dreps: state.dreps, stoppedAt: `event ${index}: ${reason}` };
    const journal = new Journal();
    const result = applyTx(state, tx, { slot, params: vector.params }, journal);
    const unsupported = result.find((f) => f.kind === "UnsupportedFeature");
    if (unsupported) {
      journal.rollback();
      return {
        judged,
        state,
        utxo: state.utxo,
        dreps: state.dreps,
        stoppedAt: `event ${index}: ${unsupported.message}`,
      };
    }
    const failures = result.map((f) => f.kind);
    if (!event.success) journal.rollback();
    judged.push({ index, success: event.success, failures });
    if (event.success && failures.length > 0)
      return {
        judged,
        state,
        utxo: state.utxo,
        dreps: state.dreps,
        stoppedAt: `event ${index}: refused here, accepted by Haskell`,
      };
  }
  return { judged, state, utxo: state.utxo, dreps: state.dreps, stoppedAt: null };
}
