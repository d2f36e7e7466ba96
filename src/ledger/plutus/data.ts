// The ledger's values as Plutus data, as cardano-ledger translates them for scripts (Alonzo/Babbage/Conway
// TxInfo.hs: `transAddr`, `transCred`, `transValue`, `transMultiAsset`, `transTxOutRef`, `transDatum`): Plutus
// data is built as @harmoniclabs/plutus-data values, which the evaluator takes as they are. Data the transaction
// carries (datums, redeemers) is read from its own bytes, never rebuilt.
import {
  DataB,
  DataConstr,
  DataI,
  DataList,
  DataMap,
  DataPair,
  dataFromCbor,
  type Data,
} from "@harmoniclabs/plutus-data";
import { hexToBytes } from "../../crypto/bytes.ts";
import { credentialScript } from "../certs.ts";
import type { TxOutput } from "../tx-output.ts";
import { assetEntries, type MultiAsset } from "../value.ts";

export type { Data };

/**
 * A transaction cannot be shown to a script: cardano-ledger's `ContextError` (a collect error, which refuses the
 * transaction), or, when `unsupported`, something poolfleet does not translate yet (then it is not judged).
 */
export class ContextError extends Error {
  override name = "ContextError";
  readonly unsupported: boolean;
  constructor(message: string, unsupported = false) {
    super(message);
    this.unsupported = unsupported;
  }
}

export const constr = (tag: number, fields: Data[] = []): Data => new DataConstr(tag, fields);
export const bytes = (b: Uint8Array | string): Data => new DataB(typeof b === "string" ? hexToBytes(b) : b);
export const int = (n: bigint | number): Data => new DataI(BigInt(n));
export const list = (items: Data[]): Data => new DataList(items);
export const map = (pairs: [Data, Data][]): Data => new DataMap(pairs.map(([k, v]) => new DataPair(k, v)));
export const just = (d: Data): Data => constr(0, [d]);
export const NOTHING: Data = constr(1);
export const bool = (b: boolean): Data => constr(b ? 1 : 0);
/** Plutus data as the transaction carries it (a datum, a redeemer), from its bytes. */
export const fromBytes = (cbor: Uint8Array): Data => dataFromCbor(cbor);

/** `transCred`: PubKeyCredential = 0, ScriptCredential = 1. */
export const credential = (script: boolean, hash: Uint8Array | string): Data => constr(script ? 1 : 0, [bytes(hash)]);

/** A stake credential as certs.ts writes it (a key hash, or `script:` and a script hash). */
export const stakeCredential = (c: string): Data =>
  credentialScript(c) === null ? credential(false, c) : credential(true, credentialScript(c)!);

/** A variable-length natural of a pointer address (7 bits a byte, high bit set on all but the last). */
function pointerNats(b: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let n = 0n;
  for (const byte of b) {
    n = (n << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      out.push(n);
      n = 0n;
    }
  }
  return out;
}

/** `transAddr`: Address = Constr 0 [payment credential, Maybe StakingCredential]; Byron addresses have none. */
export function address(addr: Uint8Array): Data {
  const type = addr[0]! >> 4;
  if (type > 7) throw new ContextError("a Byron address cannot be shown to a Plutus script (ByronTxOutInContext)");
  const payment = credential(type % 2 === 1, addr.subarray(1, 29));
  if (type <= 3) return constr(0, [payment, just(constr(0, [credential(type >= 2, addr.subarray(29, 57))]))]);
  if (type <= 5) {
    const [slot, tx, cert] = pointerNats(addr.subarray(29));
    return constr(0, [payment, just(constr(1, [int(slot ?? 0n), int(tx ?? 0n), int(cert ?? 0n)]))]);
  }
  return constr(0, [payment, NOTHING]);
}

const byHex = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `transMultiAsset`: policy → name → quantity, policies and names in the ledger's (byte) order. */
function assetPairs(assets: MultiAsset): [Data, Data][] {
  const policies = new Map<string, [string, bigint][]>();
  for (const [p, n, q] of assetEntries(assets)) policies.set(p, [...(policies.get(p) ?? []), [n, q]]);
  return [...policies]
    .sort(([a], [b]) => byHex(a, b))
    .map(([p, names]) => [bytes(p), map(names.sort(([a], [b]) => byHex(a, b)).map(([n, q]) => [bytes(n), int(q)]))]);
}

/** `transValue`: ada first (its policy and name empty), then the tokens. */
export const value = (coin: bigint, assets: MultiAsset): Data =>
  map([[bytes(""), map([[bytes(""), int(coin)]])], ...assetPairs(assets)]);

/** `transMultiAsset` alone: PlutusV3's mint, which has no ada entry. */
export const tokens = (assets: MultiAsset): Data => map(assetPairs(assets));

/** The datum a spending script is given: the inline datum, or the witness datum the output's hash names. */
export function spendingDatum(o: TxOutput, witnessDatums: ReadonlyMap<string, Uint8Array>): Data | null {
  if (o.inlineDatum) return fromBytes(o.inlineDatum);
  const d = o.datumHash ? witnessDatums.get(o.datumHash) : undefined;
  return d ? fromBytes(d) : null;
}

/**
 * What poolfleet cannot show a Plutus script yet, by name: a bounded validity interval when the network's
 * slot-to-time conversion is not known (`timeKnown` false), and the voting purpose. A transaction with redeemers and any of these is not judged (UnsupportedFeature), whatever its
 * scripts.
 */
export function contextGaps(
  body: { readonly ttl?: bigint; readonly validityStart?: bigint },
  redeemers: readonly { readonly tag: string }[],
  timeKnown: boolean,
): string[] {
  if (redeemers.length === 0) return [];
  return [
    ...(!timeKnown && (body.ttl !== undefined || body.validityStart !== undefined)
      ? ["a bounded validity interval in a script's context without the network's slot-to-time conversion"]
      : []),
    ...[...new Set(redeemers.map((r) => r.tag))].filter((t) => t === "vote").map((t) => `scripts for ${t} purposes`),
  ];
}
