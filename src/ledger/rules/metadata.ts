// cardano-ledger's `validMetadatum` (Shelley onwards, checked by the UTXOW rule when the auxiliary data hash is
// present and `InvalidMetadata` when it fails): every byte string and text string in the metadata is at most 64
// bytes long (a chunked string counts all its chunks), at any depth of lists and maps. The metadata is found in
// the auxiliary data's three forms: a plain map (Shelley), [metadata, scripts] (Allegra), tag 259 {0: metadata}.
import { cborArrayItems, cborItemEnd, cborMapEntries } from "../../codec/cbor-raw.ts";

const MAX_STRING = 64;
const MAX_DEPTH = 64;

function headLength(info: number): number {
  return info < 24 ? 1 : 1 + (1 << (info - 24));
}

/** The content length of the string item `item` (definite or chunked). */
function stringLength(item: Uint8Array): number {
  const info = item[0]! & 0x1f;
  if (info !== 31) return item.length - headLength(info);
  let total = 0;
  for (let p = 1; item[p] !== 0xff;) {
    const end = cborItemEnd(item, p);
    total += end - p - headLength(item[p]! & 0x1f);
    p = end;
  }
  return total;
}

/** The first metadatum string longer than 64 bytes (its length), or null when all are valid. */
function tooLong(item: Uint8Array, depth = 0): number | null {
  if (depth > MAX_DEPTH) throw new Error("metadata nested too deeply");
  const major = item[0]! >> 5;
  if (major === 2 || major === 3) {
    const n = stringLength(item);
    return n > MAX_STRING ? n : null;
  }
  if (major === 4) {
    for (const i of cborArrayItems(item)) {
      const n = tooLong(i, depth + 1);
      if (n !== null) return n;
    }
  }
  if (major === 5) {
    for (const [k, v] of cborMapEntries(item)) {
      const n = tooLong(k, depth + 1) ?? tooLong(v, depth + 1);
      if (n !== null) return n;
    }
  }
  return null;
}

/** The metadata map inside auxiliary data, or null when it carries none. */
function metadataOf(aux: Uint8Array): Uint8Array | null {
  const major = aux[0]! >> 5;
  if (major === 5) return aux;
  if (major === 4) return cborArrayItems(aux)[0] ?? null;
  if (aux[0] === 0xd9 && aux[1] === 0x01 && aux[2] === 0x03) {
    const entry = cborMapEntries(aux.subarray(3)).find(([k]) => k.length === 1 && k[0] === 0x00);
    return entry ? entry[1] : null;
  }
  throw new Error("auxiliary data must be a map, an array or tag 259");
}

/** Why the metadata is invalid (`InvalidMetadata`), or null when it is valid. */
export function invalidMetadata(aux: Uint8Array): string | null {
  try {
    const metadata = metadataOf(aux);
    if (metadata === null) return null;
    const n = tooLong(metadata);
    return n === null ? null : `a metadata string is ${n} bytes; at most ${MAX_STRING}`;
  } catch (error) {
    return `the auxiliary data is not well-formed metadata (${(error as Error).message})`;
  }
}
