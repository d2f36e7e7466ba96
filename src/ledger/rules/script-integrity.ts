// The script integrity hash (body key 11), cardano-ledger Alonzo Tx.hs `mkScriptIntegrity` and
// `hashScriptIntegrity`, with the language views of Alonzo PParams.hs `getLanguageView` and `encodeLangViews`:
// Blake2b-256 of the redeemers' bytes as they appear (an empty map, a0, when the witness set has none), then the
// datums' bytes when there are datums, then a map from each language of the Plutus scripts the transaction
// needs to its cost model. PlutusV1 keeps a past bug: its key is the language tag serialised twice (41 00) and its
// value a byte string around the cost model as an indefinite list; V2 and V3 are the tag (01, 02) and a definite
// list. A missing cost model is null. Keys are sorted shortest first, then by bytes. No redeemers, no datums and
// no Plutus language means no hash at all. A body whose hash differs is refused (`PPViewHashesDontMatch`).
import { cborHead, cborMapOfRaw } from "../../codec/cbor-raw.ts";
import { bytesToHex, concatBytes } from "../../crypto/bytes.ts";
import { blake2b256 } from "../../crypto/hash.ts";
import type { PlutusParams } from "../params.ts";
import type { PlutusWitnesses } from "../plutus-witness.ts";
import type { F } from "./failure.ts";

export type IntegrityFailure = F<"PPViewHashesDontMatch", { supplied: string | null; expected: string | null }>;

/** The shortest CBOR encoding of an integer of any size up to 64 bits. */
function cborInt(n: bigint): Uint8Array {
  const [major, v] = n >= 0n ? [0, n] : [1, -1n - n];
  if (v < 2n ** 32n) return cborHead(major, Number(v));
  const out = new Uint8Array(9);
  out[0] = (major << 5) | 27;
  new DataView(out.buffer).setBigUint64(1, v);
  return out;
}

const bytesItem = (b: Uint8Array): Uint8Array => concatBytes(cborHead(2, b.length), b);
const NULL = Uint8Array.of(0xf6);

function languageView(language: number, model: readonly bigint[] | undefined): [Uint8Array, Uint8Array] {
  if (language === 1) {
    const list = model ? concatBytes(Uint8Array.of(0x9f), ...model.map(cborInt), Uint8Array.of(0xff)) : NULL;
    return [bytesItem(Uint8Array.of(0)), bytesItem(list)];
  }
  const list = model ? concatBytes(cborHead(4, model.length), ...model.map(cborInt)) : NULL;
  return [Uint8Array.of(language - 1), list];
}

function shortLex(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The hash the body must carry, or null when it must carry none. */
export function scriptIntegrityHash(
  plutus: PlutusWitnesses,
  languages: ReadonlySet<number>,
  costModels: PlutusParams["costModels"],
): Uint8Array | null {
  if (plutus.redeemers.length === 0 && plutus.datums.size === 0 && languages.size === 0) return null;
  const views = [...languages].map((l) => languageView(l, costModels.get(l))).sort(([a], [b]) => shortLex(a, b));
  return blake2b256(
    concatBytes(
      plutus.redeemerBytes ?? Uint8Array.of(0xa0),
      plutus.datums.size > 0 ? plutus.datumBytes! : new Uint8Array(0),
      cborMapOfRaw(views),
    ),
  );
}

export function integrityFailures(supplied: Uint8Array | undefined, expected: Uint8Array | null): IntegrityFailure[] {
  const s = supplied ? bytesToHex(supplied) : null;
  const e = expected ? bytesToHex(expected) : null;
  if (s === e) return [];
  return [
    {
      kind: "PPViewHashesDontMatch",
      supplied: s,
      expected: e,
      message: `the body's script integrity hash is ${s ?? "absent"}; redeemers, datums and cost models give ${e ?? "none"}`,
    },
  ];
}
