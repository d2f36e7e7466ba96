// The Plutus parts of a witness set and of Babbage outputs, as cardano-ledger reads them (Alonzo TxWits.hs,
// Babbage TxOut.hs): Plutus V1/V2/V3 scripts (witness keys 3, 6, 7) hashed as Blake2b-224 of the language tag
// and the script's bytes (`hashScript`, tags 1, 2, 3; native scripts use 0); datums (key 4) hashed as
// Blake2b-256 of each datum's bytes as they appear (`hashData` over the original bytes); redeemers (key 5) in
// Conway's map form {[tag, index] => [data, ex_units]} or the older list [[tag, index, data, ex_units]]; and the
// reference script of an output (key 3, tag 24 around [language, script]). Only bytes and hashes are kept: Plutus
// data is never rebuilt, so nothing re-encodes it differently from the transaction's author.
import { cborArrayItems, cborMapEntries } from "../codec/cbor-raw.ts";
import { asBytes, asUint, decodeCbor } from "../codec/cbor.ts";
import { bytesToHex, concatBytes } from "../crypto/bytes.ts";
import { blake2b224, blake2b256 } from "../crypto/hash.ts";

/** A script's language: 0 native (timelock), 1-3 Plutus V1-V3 (cardano-ledger's script tag). */
export type ScriptLanguage = 0 | 1 | 2 | 3;

export interface PlutusScript {
  readonly language: 1 | 2 | 3;
  /** The script as the ledger hashes and sizes it (the flat-encoded program wrapped in a CBOR byte string). */
  readonly bytes: Uint8Array;
  readonly hash: string;
}

/** cardano-ledger's redeemer tags (`PlutusPurpose` as an index): what a redeemer's index points into. */
export const REDEEMER_TAGS = ["spend", "mint", "cert", "reward", "vote", "propose"] as const;
export type RedeemerTag = (typeof REDEEMER_TAGS)[number];

export interface ExUnits {
  readonly mem: bigint;
  readonly steps: bigint;
}

export interface Redeemer {
  readonly tag: RedeemerTag;
  readonly index: number;
  /** The redeemer's Plutus data, as its bytes appear. */
  readonly data: Uint8Array;
  readonly exUnits: ExUnits;
}

export interface PlutusWitnesses {
  readonly scripts: PlutusScript[];
  /** Datum hash (hex) to the datum's bytes. */
  readonly datums: Map<string, Uint8Array>;
  readonly redeemers: Redeemer[];
  /** Witness keys 4 and 5 as they appear (the script integrity hash is taken over them); null when absent. */
  readonly datumBytes: Uint8Array | null;
  readonly redeemerBytes: Uint8Array | null;
}

export const scriptHash = (language: ScriptLanguage, bytes: Uint8Array): string =>
  bytesToHex(blake2b224(concatBytes(Uint8Array.of(language), bytes)));

/** The items of a set: a tag-258 array (Conway) or a plain array. */
export function setItems(field: Uint8Array): Uint8Array[] {
  const set = field[0] === 0xd9 && field[1] === 0x01 && field[2] === 0x02 ? field.subarray(3) : field;
  return cborArrayItems(set);
}

const WITNESS_LANGUAGE: Record<number, 1 | 2 | 3> = { 3: 1, 6: 2, 7: 3 };

function exUnits(bytes: Uint8Array, what: string): ExUnits {
  const [mem, steps] = cborArrayItems(bytes);
  if (!mem || !steps) throw new Error(`${what} execution units must be [mem, steps]`);
  return { mem: asUint(decodeCbor(mem), `${what} memory`), steps: asUint(decodeCbor(steps), `${what} steps`) };
}

function redeemer(tag: Uint8Array, index: Uint8Array, data: Uint8Array, units: Uint8Array, i: number): Redeemer {
  const t = Number(asUint(decodeCbor(tag), `redeemer ${i} tag`));
  const name = REDEEMER_TAGS[t];
  if (name === undefined) throw new Error(`redeemer ${i} has tag ${t}; Conway's tags are 0-5`);
  return {
    tag: name,
    index: Number(asUint(decodeCbor(index), `redeemer ${i} index`)),
    data,
    exUnits: exUnits(units, `redeemer ${i}`),
  };
}

/** Witness key 5: Conway's map {[tag, index] => [data, ex_units]} or the list [[tag, index, data, ex_units]]. */
export function decodeRedeemers(field: Uint8Array): Redeemer[] {
  if (field[0]! >> 5 === 5)
    return cborMapEntries(field).map(([k, v], i) => {
      const [tag, index] = cborArrayItems(k);
      const [data, units] = cborArrayItems(v);
      if (!tag || !index || !data || !units) throw new Error(`redeemer ${i} must be [tag, index] => [data, ex_units]`);
      return redeemer(tag, index, data, units, i);
    });
  return cborArrayItems(field).map((r, i) => {
    const [tag, index, data, units] = cborArrayItems(r);
    if (!tag || !index || !data || !units) throw new Error(`redeemer ${i} must be [tag, index, data, ex_units]`);
    return redeemer(tag, index, data, units, i);
  });
}

/** The Plutus scripts, datums and redeemers of a witness set's fields (key → bytes). */
export function decodePlutusWitnesses(fields: ReadonlyMap<number, Uint8Array>): PlutusWitnesses {
  const scripts: PlutusScript[] = [];
  for (const [key, language] of Object.entries(WITNESS_LANGUAGE)) {
    const field = fields.get(Number(key));
    if (!field) continue;
    for (const [i, item] of setItems(field).entries()) {
      const bytes = asBytes(decodeCbor(item), `Plutus V${language} script ${i}`);
      scripts.push({ language, bytes, hash: scriptHash(language, bytes) });
    }
  }
  const datumBytes = fields.get(4) ?? null;
  const datums = new Map<string, Uint8Array>();
  for (const d of datumBytes ? setItems(datumBytes) : []) datums.set(bytesToHex(blake2b256(d)), d);
  const redeemerBytes = fields.get(5) ?? null;
  return { scripts, datums, redeemers: redeemerBytes ? decodeRedeemers(redeemerBytes) : [], datumBytes, redeemerBytes };
}

/** A script as an output carries it (Babbage `script_ref`): its language, its bytes as hashed, its hash. */
export interface ReferenceScript {
  readonly language: ScriptLanguage;
  /** For native scripts the script's CBOR; for Plutus the script's bytes (the content of its byte string). */
  readonly bytes: Uint8Array;
  readonly hash: string;
}

/** Output key 3: #6.24(bytes .cbor [language, script]). */
export function decodeReferenceScript(field: Uint8Array, what: string): ReferenceScript {
  // Tag 24 (0xd8 0x18) around a byte string holding the CBOR of [language, script].
  if (field[0] !== 0xd8 || field[1] !== 0x18) throw new Error(`${what} reference script must be tag 24`);
  const inner = asBytes(decodeCbor(field.subarray(2)), `${what} reference script`);
  const [lang, script] = cborArrayItems(inner);
  if (!lang || !script) throw new Error(`${what} reference script must be [language, script]`);
  const language = Number(asUint(decodeCbor(lang), `${what} reference script language`));
  if (language > 3) throw new Error(`${what} reference script language ${language} is not 0-3`);
  const bytes = language === 0 ? script : asBytes(decodeCbor(script), `${what} reference script`);
  return { language: language as ScriptLanguage, bytes, hash: scriptHash(language as ScriptLanguage, bytes) };
}
