// Transaction outputs (Shelley-Alonzo array form and Babbage/Conway map form), as a body or a serialised UTxO
// carries them: address, value, an optional datum (a hash, or inline from Babbage) and an optional reference
// script (Babbage `script_ref`). cardano-ledger Babbage TxOut.hs (`decodeBabbageTxOut`).
import { cborArrayItems, cborMapEntries } from "../codec/cbor-raw.ts";
import { asBytes, type CborValue, decodeCbor } from "../codec/cbor.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { decodeReferenceScript, type ReferenceScript } from "./plutus-witness.ts";
import { decodeValue, type MultiAsset } from "./value.ts";

/** An unspent output as the UTxO holds it. */
export interface TxOutput {
  readonly address: Uint8Array;
  readonly coin: bigint;
  /** The tokens besides lovelace, normalised (empty for an ada-only output). */
  readonly assets: MultiAsset;
  /** Whether the output carries an inline datum or a reference script (Babbage). */
  readonly datumOrScript: boolean;
  /** Hex Blake2b-256 of the datum a script spending this output will be given (Alonzo's datum hash). */
  readonly datumHash?: string;
  /** The inline datum's bytes as they appear (Babbage `[1, #6.24(bytes)]`: the data inside the tag). */
  readonly inlineDatum?: Uint8Array;
  /** The script the output carries for transactions to refer to (Babbage). */
  readonly referenceScript?: ReferenceScript;
}

/**
 * An output as its transaction carries it, with its bytes as they appear there: Babbage/Conway price an output's
 * minimum ada by its serialised size (cardano-ledger's `Sized TxOut`).
 */
export interface SizedTxOutput extends TxOutput {
  readonly bytes: Uint8Array;
}

export class TxOutputDecodeError extends Error {
  override name = "TxDecodeError";
}

/** A map with small-integer keys, values left as bytes. */
function outputFields(bytes: Uint8Array, what: string): Map<number, Uint8Array> {
  const fields = new Map<number, Uint8Array>();
  for (const [k, v] of cborMapEntries(bytes)) {
    const key = decodeCbor(k);
    if (typeof key !== "number") throw new TxOutputDecodeError(`${what} has a non-integer key`);
    fields.set(key, v);
  }
  return fields;
}

/** The data inside an inline datum's tag 24 (`[1, #6.24(bytes .cbor plutus_data)]`). */
function inlineDatumOf(item: Uint8Array, what: string): Uint8Array {
  if (item[0] !== 0xd8 || item[1] !== 0x18) throw new TxOutputDecodeError(`${what} inline datum must be tag 24`);
  return asBytes(decodeCbor(item.subarray(2)), `${what} inline datum`);
}

/** One transaction output (Shelley array or Babbage map form), as in a body or a serialised UTxO. */
export function decodeTxOutput(bytes: Uint8Array, i: number, strict = true): SizedTxOutput {
  const what = `output ${i}`;
  let address: CborValue;
  let amount: Uint8Array | undefined;
  let datumHash: Uint8Array | undefined;
  let inlineDatum: Uint8Array | undefined;
  let referenceScript: ReferenceScript | undefined;
  if (bytes[0] !== undefined && bytes[0] >> 5 === 4) {
    // Shelley-Alonzo form: [address, value, ? datum hash].
    const items = cborArrayItems(bytes);
    if (items.length < 2 || items.length > 3)
      throw new TxOutputDecodeError(`${what} must be [address, value, ? datum hash]`);
    [address, amount] = [decodeCbor(items[0]!), items[1]];
    if (items[2]) datumHash = asBytes(decodeCbor(items[2]), `${what} datum hash`, 32);
  } else {
    // Babbage form: {0: address, 1: value, ? 2: [0, datum hash] / [1, inline datum], ? 3: reference script}.
    if (bytes[0] === undefined || bytes[0] >> 5 !== 5) throw new TxOutputDecodeError(`${what} must be a CBOR map`);
    const f = outputFields(bytes, what);
    address = f.has(0) ? decodeCbor(f.get(0)!) : undefined;
    amount = f.get(1);
    const datum = f.has(2) ? cborArrayItems(f.get(2)!) : [];
    if (f.has(2) && datum.length !== 2) throw new TxOutputDecodeError(`${what} datum must be [0, hash] or [1, datum]`);
    if (f.has(2)) {
      const kind = decodeCbor(datum[0]!);
      if (kind === 0) datumHash = asBytes(decodeCbor(datum[1]!), `${what} datum hash`, 32);
      else if (kind === 1) inlineDatum = Uint8Array.from(inlineDatumOf(datum[1]!, what));
      else throw new TxOutputDecodeError(`${what} datum must be [0, hash] or [1, datum]`);
    }
    if (f.has(3)) {
      const script = decodeReferenceScript(f.get(3)!, what);
      referenceScript = { ...script, bytes: Uint8Array.from(script.bytes) };
    }
  }
  if (!amount) throw new TxOutputDecodeError(`${what} has no value`);
  const { coin, assets } = decodeValue(amount, `${what} value`, strict);
  return {
    address: asBytes(address, `${what} address`),
    coin,
    assets,
    datumOrScript: inlineDatum !== undefined || referenceScript !== undefined,
    ...(datumHash && { datumHash: bytesToHex(datumHash) }),
    ...(inlineDatum && { inlineDatum }),
    ...(referenceScript && { referenceScript }),
    bytes,
  };
}

/** The hash a spending script's datum has: the output's datum hash, or the hash of its inline datum. */
export const outputDatumHash = (o: TxOutput): string | undefined =>
  o.datumHash ?? (o.inlineDatum ? bytesToHex(blake2b256(o.inlineDatum)) : undefined);
