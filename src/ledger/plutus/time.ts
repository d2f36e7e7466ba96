// The validity interval a Plutus script sees, as POSIX time in milliseconds: cardano-ledger's Alonzo TxInfo.hs
// `transValidityInterval` (used by PlutusV1, V2 and V3 alike) over `slotToPOSIXTime` (Cardano.Ledger.Plutus,
// `epochInfoSlotToUTCTime` then whole milliseconds, rounded down). The slot-to-time conversion is the network's
// EpochInfo and SystemStart: for mainnet and preprod the Byron prefix (20 s slots) and then the Shelley genesis's
// slot length; for the ImpSpec tests behind the conformance vectors, `fixedEpochInfo` with 1 s slots from the
// Shelley genesis's systemStart. A slot past the EpochInfo's horizon cannot be translated
// (`TimeTranslationPastHorizon`, a context error that refuses the transaction).
//   always              Interval (LowerBound NegInf True) (UpperBound PosInf True)
//   from t              Interval (LowerBound (Finite t) True) (UpperBound PosInf True)
//   before t (strict)   Interval (LowerBound NegInf True) (UpperBound (Finite t) False)   protocol version > 8
//   to t (closed)       Interval (LowerBound NegInf True) (UpperBound (Finite t) True)    protocol version <= 8
//   both                Interval (LowerBound (Finite t1) True) (UpperBound (Finite t2) False)
// (`HardForks.translateUpperBoundForPlutusScripts`: from protocol version 9 a lone upper bound is strict, as it
// always was with both bounds.) Extended: NegInf 0, Finite 1 [t], PosInf 2; Bool: False 0, True 1.
import { byronPrefixOf } from "../../formats/slot-clock.ts";
import type { ShelleyGenesis } from "../../formats/genesis.ts";
import { bool, constr, ContextError, type Data, int } from "./data.ts";

/** A network's slot-to-time conversion (EpochInfo and SystemStart) as the ledger needs it for scripts. */
export interface SlotTime {
  /** SystemStart, in ms since the Unix epoch. */
  readonly systemStartMs: bigint;
  /** Slots before Shelley (Byron's, 0 on networks that began with Shelley) and their length in ms. */
  readonly byronSlots: bigint;
  readonly byronSlotLengthMs: bigint;
  /** The slot length from Shelley on, in ms. */
  readonly slotLengthMs: bigint;
  /** The first slot the EpochInfo cannot translate (the hard-fork combinator's safe zone); none: unbounded. */
  readonly horizon?: bigint;
}

/** A Shelley genesis's conversion, with the Byron prefix its network magic is known to have (slot-clock.ts). */
export function slotTimeOf(genesis: ShelleyGenesis): SlotTime {
  const byron = byronPrefixOf(genesis.networkMagic);
  return {
    systemStartMs: BigInt(genesis.systemStart.getTime()),
    byronSlots: BigInt(byron.slots),
    byronSlotLengthMs: BigInt(byron.slotLengthMs),
    slotLengthMs: BigInt(genesis.slotLengthMs),
  };
}

/** `slotToPOSIXTime`: the start of `slot` in POSIX ms, or a `TimeTranslationPastHorizon` context error. */
export function slotToPosixMs(time: SlotTime, slot: bigint): bigint {
  if (time.horizon !== undefined && slot >= time.horizon)
    throw new ContextError(
      `TimeTranslationPastHorizon: slot ${slot} is past the horizon ${time.horizon} of the network's slot-to-time conversion`,
    );
  if (slot < time.byronSlots) return time.systemStartMs + slot * time.byronSlotLengthMs;
  return time.systemStartMs + time.byronSlots * time.byronSlotLengthMs + (slot - time.byronSlots) * time.slotLengthMs;
}

const NEG_INF = constr(0);
const POS_INF = constr(2);
const finite = (t: bigint): Data => constr(1, [int(t)]);
const bound = (extended: Data, closed: boolean): Data => constr(0, [extended, bool(closed)]);

/**
 * `transValidityInterval`: the transaction's validity interval (`validityStart` = invalidBefore, `ttl` =
 * invalidHereafter) as the POSIXTimeRange every Plutus version sees.
 */
export function validRange(
  body: { readonly ttl?: bigint; readonly validityStart?: bigint },
  time: SlotTime,
  protocolMajor: number,
): Data {
  const lower =
    body.validityStart === undefined
      ? bound(NEG_INF, true)
      : bound(finite(slotToPosixMs(time, body.validityStart)), true);
  const upper =
    body.ttl === undefined
      ? bound(POS_INF, true)
      : bound(finite(slotToPosixMs(time, body.ttl)), body.validityStart === undefined && protocolMajor <= 8);
  return constr(0, [lower, upper]);
}
