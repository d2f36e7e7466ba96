// CBOR pieces local state-query answers are built from, written as cardano-node writes them: maps with their
// keys in ascending order (Haskell's Data.Map), sets as tag 258 (Conway), unit intervals as tag 30 [num, den],
// integers past 64 bits as bignums (tag 2), and the hard-fork combinator's wrappers.
import { bytesToHex, concatBytes, hexToBytes } from "../crypto/bytes.ts";
import type { Rational } from "../crypto/rational.ts";
import { type CborValue, encodeCbor } from "../codec/cbor.ts";
import { rawArray } from "./wire.ts";

export { rawArray };

export const enc = (value: CborValue): Uint8Array => encodeCbor(value);

function head(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  return Uint8Array.of(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** A map of already-encoded keys and values, sorted by the keys' sort strings (Data.Map's order). */
export function rawMap(
  entries: readonly (readonly [sortKey: string, key: Uint8Array, value: Uint8Array])[],
): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return concatBytes(head(5, sorted.length), ...sorted.flatMap(([, k, v]) => [k, v]));
}

export function tagged(tag: number, raw: Uint8Array): Uint8Array {
  return concatBytes(tag < 24 ? Uint8Array.of(0xc0 | tag) : head(6, tag), raw);
}

/**
 * A Haskell list as cardano-ledger-binary writes it (`encodeList`, from encoding version 2): a definite-length
 * array up to 23 items, an indefinite-length one (0x9f ... 0xff) past that.
 */
export function hsList(items: readonly Uint8Array[]): Uint8Array {
  return items.length <= 23 ? rawArray(items) : concatBytes(Uint8Array.of(0x9f), ...items, Uint8Array.of(0xff));
}

/** A set (tag 258) of already-encoded items, sorted by their bytes. */
export function rawSet(items: readonly Uint8Array[]): Uint8Array {
  const sorted = [...items].sort((a, b) => (bytesToHex(a) < bytesToHex(b) ? -1 : 1));
  return tagged(258, rawArray(sorted));
}

export const rational = (r: Rational): Uint8Array => tagged(30, enc([r.num, r.den]));

/** An unsigned integer of any size: a bignum (tag 2) past 64 bits, as cborg writes Integer. */
export function bigUint(n: bigint): Uint8Array {
  if (n < 1n << 64n) return enc(n);
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return tagged(2, enc(hexToBytes(hex)));
}

/** A key-hash stake credential [0, hash]; its sort key orders credentials as the ledger does. */
export const credential = (keyHash: string): readonly [string, Uint8Array] => [
  `0${keyHash}`,
  enc([0, hexToBytes(keyHash)]),
];

/** The hard-fork combinator's answer to a query for the current era: Right result = [result]. */
export const eraMatch = (result: Uint8Array): Uint8Array => rawArray([result]);

/** Left (MismatchEraInfo): [[queryEraIndex, queryEraName], [ledgerEraIndex, ledgerEraName]] (encodeNS). */
export function eraMismatch(queryEra: number, ledgerEra: number): Uint8Array {
  return enc([
    [queryEra, ERA_NAMES[queryEra] ?? `era ${queryEra}`],
    [ledgerEra, ERA_NAMES[ledgerEra]!],
  ]);
}

/** cardano-node's eras in hard-fork order; the index is what queries and local tx-submission name an era by. */
export const ERA_NAMES = ["Byron", "Shelley", "Allegra", "Mary", "Alonzo", "Babbage", "Conway"] as const;
export const CONWAY_ERA_INDEX = 6;

/** UTCTime as cardano-node writes SystemStart: [year, day of the year (1-based), picoseconds of the day]. */
export function encodeSystemStart(start: Date): Uint8Array {
  const year = start.getUTCFullYear();
  const dayStart = Date.UTC(year, start.getUTCMonth(), start.getUTCDate());
  const dayOfYear = Math.round((dayStart - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const pico = BigInt(start.getTime() - dayStart) * 1_000_000_000n;
  return enc([year, dayOfYear, pico]);
}
