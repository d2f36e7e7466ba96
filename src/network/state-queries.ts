// What a local state-query means and what it answers: cardano-node's query encoding (ouroboros-consensus's
// Query and the hard-fork combinator's BlockQuery), decoded from the client's CBOR and answered from one
// acquired ledger state:
//   [1] GetSystemStart -> UTCTime [year, dayOfYear, picosecondsOfDay]
//   [2] GetChainBlockNo -> WithOrigin BlockNo: [0] or [1, blockNo]
//   [3] GetChainPoint -> [] or [slot, hash]
//   [0, [2, [0]]] GetInterpreter (era history) -> indefinite list of era summaries
//   [0, [2, [1]]] GetCurrentEra -> era index (Conway 6)
//   [0, [1, [0], era]] GetEraStart -> [bound] (Maybe Bound)
//   [0, [0, [era, shelleyQuery]]] QueryIfCurrent -> [result] in the ledger's era, else the era mismatch
// poolfleet's networks are Conway from genesis: every earlier era has length zero and starts and ends at slot 0,
// as cardano-node's history reads for a network whose hard forks are all at epoch 0. A query poolfleet does not
// know or does not answer is refused (QueryRefused), which closes that connection with the query named.
import { type CborValue } from "../codec/cbor.ts";
import { QueryRefused } from "./local-state-query.ts";
import type { Tip } from "./points.ts";
import {
  bigUint,
  CONWAY_ERA_INDEX,
  enc,
  encodeSystemStart,
  ERA_NAMES,
  eraMatch,
  eraMismatch,
  rawArray,
} from "./state-query-cbor.ts";

export { encodeSystemStart };
import { answerLedgerQuery, type LedgerQueryView, SHELLEY_QUERY_NAMES } from "./state-query-ledger.ts";
import { concatBytes } from "../crypto/bytes.ts";
import { decodeRaw } from "./wire.ts";

/** One acquired state: the ledger, the chain's tip and the time constants of the network. */
export interface QueryView extends LedgerQueryView {
  readonly tip: Tip;
  readonly systemStart: Date;
  readonly epochLength: number;
  readonly slotLengthMs: number;
  /** ceil(3k/f): the era's safe zone and genesis window, in slots. */
  readonly stabilityWindow: number;
}

/** A Bound [relative time in picoseconds, slot, epoch] at the start of `epoch`. */
function bound(v: QueryView, epoch: number): Uint8Array {
  const slot = BigInt(epoch) * BigInt(v.epochLength);
  return rawArray([bigUint(slot * BigInt(v.slotLengthMs) * 1_000_000_000n), enc(slot), enc(epoch)]);
}

/** EraParams [epochSize, slotLength in ms, StandardSafeZone [0, n, [0]], genesisWindow]. */
function eraParams(v: QueryView): Uint8Array {
  return enc([v.epochLength, v.slotLengthMs, [0, v.stabilityWindow, [0]], v.stabilityWindow]);
}

/**
 * The era history (Interpreter): Byron to Babbage empty at slot 0, then Conway from slot 0 to the first epoch
 * boundary at or after the tip plus the safe zone (how far the hard-fork combinator can vouch no fork happens).
 */
export function encodeEraHistory(v: QueryView): Uint8Array {
  const tipSlot = v.tip.point === "origin" ? 0 : Number(v.tip.point.slot);
  const horizon = tipSlot + v.stabilityWindow;
  const endEpoch = Math.ceil(horizon / v.epochLength);
  const zero = bound(v, 0);
  const summaries: Uint8Array[] = [];
  for (let era = 0; era < CONWAY_ERA_INDEX; era++) summaries.push(rawArray([zero, zero, eraParams(v)]));
  summaries.push(rawArray([zero, bound(v, endEpoch), eraParams(v)]));
  // cborg writes a non-empty Haskell list with indefinite length.
  return concatBytes(Uint8Array.of(0x9f), ...summaries, Uint8Array.of(0xff));
}

const list = (value: CborValue, what: string): CborValue[] => {
  if (!Array.isArray(value) || value.length === 0) throw new QueryRefused(`${what} is not a [tag, ...] query`);
  return value;
};

/**
 * Answer one query against `v` for a client of node-to-client `version`: the MsgResult payload. Throws
 * QueryRefused (closing the connection).
 */
export function answerQuery(v: QueryView, queryBytes: Uint8Array, version: number): Uint8Array {
  const query = list(decodeRaw(queryBytes, "query"), "the query");
  switch (query[0]) {
    case 1:
      return encodeSystemStart(v.systemStart);
    case 2:
      return v.tip.point === "origin" ? enc([0]) : enc([1, v.tip.blockNo]);
    case 3:
      return v.tip.point === "origin" ? enc([]) : enc([v.tip.point.slot, v.tip.point.hash]);
    case 0:
      return answerBlockQuery(v, list(query[1] ?? null, "BlockQuery"), version);
    default:
      throw new QueryRefused(`query [${String(query[0])}] is not supported by poolfleet`);
  }
}

function answerBlockQuery(v: QueryView, q: CborValue[], version: number): Uint8Array {
  switch (q[0]) {
    case 0: {
      const ns = list(q[1] ?? null, "QueryIfCurrent");
      const era = ns[0];
      if (typeof era !== "number") throw new QueryRefused("QueryIfCurrent must name an era index");
      const inner = list(ns[1] ?? null, "the era query");
      const tag = inner[0];
      if (typeof tag !== "number") throw new QueryRefused("an era query's tag must be a number");
      if (era !== CONWAY_ERA_INDEX) {
        if (era < 0 || era >= ERA_NAMES.length) throw new QueryRefused(`era index ${era} is not an era`);
        return eraMismatch(era, CONWAY_ERA_INDEX);
      }
      if (!(tag in SHELLEY_QUERY_NAMES)) {
        throw new QueryRefused(`Shelley query ${tag} is not supported by poolfleet`);
      }
      return eraMatch(answerLedgerQuery(v, tag, inner.slice(1), version));
    }
    case 1: {
      const sub = list(q[1] ?? null, "QueryAnytime");
      const era = q[2];
      if (sub[0] !== 0 || typeof era !== "number") throw new QueryRefused("QueryAnytime: only GetEraStart is known");
      if (era < 0 || era >= ERA_NAMES.length) throw new QueryRefused(`era index ${era} is not an era`);
      return rawArray([bound(v, 0)]);
    }
    case 2: {
      const sub = list(q[1] ?? null, "QueryHardFork")[0];
      if (sub === 0) return encodeEraHistory(v);
      if (sub === 1) return enc(CONWAY_ERA_INDEX);
      throw new QueryRefused(`hard-fork query ${String(sub)} is not known`);
    }
    default:
      throw new QueryRefused(`block query ${String(q[0])} is not known`);
  }
}
