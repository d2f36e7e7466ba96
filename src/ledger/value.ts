// Multi-asset values (cardano-ledger Mary `MaryValue`, `MultiAsset`): lovelace plus a map policy id -> asset
// name -> quantity. Kept normalised: no zero quantities, no empty policy maps, policies and names in byte order
// (Haskell's Map order). Decoded as Conway decodes them (protocol version 9 on): policy ids are 28-byte script
// hashes, asset names at most 32 bytes, no policy or name twice, no empty asset map, and every quantity non-zero
// — an output's positive and at most 2^64 - 1, a mint's within a signed 64-bit integer.
import { cborArrayItems, cborItemEnd, cborMapEntries } from "../codec/cbor-raw.ts";
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import { asBytes, asUint, type CborValue, decodeCbor } from "../codec/cbor.ts";

/** Policy id (hex) -> asset name (hex) -> quantity. */
export type MultiAsset = ReadonlyMap<string, ReadonlyMap<string, bigint>>;

export interface Value {
  readonly coin: bigint;
  readonly assets: MultiAsset;
}

export const NO_ASSETS: MultiAsset = new Map();

const MAX_WORD64 = 2n ** 64n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;

export class ValueDecodeError extends Error {
  override name = "ValueDecodeError";
}

const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The normal form of `entries` (summing repeats): zeros and empty policies gone, keys in byte order. */
export function normaliseAssets(entries: Iterable<[string, string, bigint]>): MultiAsset {
  const sums = new Map<string, Map<string, bigint>>();
  for (const [policy, name, q] of entries) {
    const names = sums.get(policy) ?? new Map<string, bigint>();
    names.set(name, (names.get(name) ?? 0n) + q);
    sums.set(policy, names);
  }
  const out = new Map<string, Map<string, bigint>>();
  for (const policy of [...sums.keys()].sort(byteOrder)) {
    const names = sums.get(policy)!;
    const kept = new Map([...names].filter(([, q]) => q !== 0n).sort(([a], [b]) => byteOrder(a, b)));
    if (kept.size > 0) out.set(policy, kept);
  }
  return out;
}

export function* assetEntries(assets: MultiAsset): Generator<[string, string, bigint]> {
  for (const [policy, names] of assets) for (const [name, q] of names) yield [policy, name, q];
}

export const addAssets = (...all: MultiAsset[]): MultiAsset =>
  normaliseAssets(all.flatMap((a) => [...assetEntries(a)]));

export const negateAssets = (a: MultiAsset): MultiAsset =>
  normaliseAssets([...assetEntries(a)].map(([p, n, q]) => [p, n, -q]));

/** The part of `a` with quantities of one sign: minted (> 0) or, negated, burned (< 0). */
export const assetsWhere = (a: MultiAsset, positive: boolean): MultiAsset =>
  normaliseAssets(
    [...assetEntries(a)]
      .filter(([, , q]) => (positive ? q > 0n : q < 0n))
      .map(([p, n, q]) => [p, n, positive ? q : -q]),
  );

export function equalAssets(a: MultiAsset, b: MultiAsset): boolean {
  const x = [...assetEntries(normaliseAssets(assetEntries(a)))];
  const y = [...assetEntries(normaliseAssets(assetEntries(b)))];
  return x.length === y.length && x.every(([p, n, q], i) => p === y[i]![0] && n === y[i]![1] && q === y[i]![2]);
}

export const addValues = (...all: Value[]): Value => ({
  coin: all.reduce((s, v) => s + v.coin, 0n),
  assets: addAssets(...all.map((v) => v.assets)),
});

export const equalValues = (a: Value, b: Value): boolean => a.coin === b.coin && equalAssets(a.assets, b.assets);

/** "lovelace" plus "quantity policy.name" for each asset, for messages. */
export function showValue(v: Value): string {
  const parts = [...assetEntries(v.assets)].map(([p, n, q]) => `${q} ${p}.${n}`);
  return [`${v.coin} lovelace`, ...parts].join(" + ");
}

export type AssetsKind = "output" | "mint";

/**
 * A multi-asset map from its CBOR bytes, under Conway's decoder rules for an output's value or a mint; with
 * `strict` false (protocol versions before 9) zero quantities and empty policies are dropped and a repeated key
 * keeps its last entry, as those decoders did.
 */
export function decodeMultiAsset(bytes: Uint8Array, kind: AssetsKind, what: string, strict = true): MultiAsset {
  if (bytes[0] === undefined || bytes[0] >> 5 !== 5) throw new ValueDecodeError(`${what} must be a CBOR map`);
  const out = new Map<string, Map<string, bigint>>();
  for (const [pk, pv] of cborMapEntries(bytes)) {
    const policy = bytesToHex(asBytes(decodeCbor(pk), `${what} policy id`, 28));
    if (strict && out.has(policy))
      throw new ValueDecodeError(`${what} names policy ${policy} twice; Conway refuses duplicates`);
    if (pv[0] === undefined || pv[0] >> 5 !== 5) throw new ValueDecodeError(`${what} policy ${policy} must map names`);
    const names = new Map<string, bigint>();
    for (const [nk, nv] of cborMapEntries(pv)) {
      const raw = asBytes(decodeCbor(nk), `${what} asset name`);
      if (raw.length > 32) throw new ValueDecodeError(`${what} asset name of policy ${policy} is over 32 bytes`);
      const name = bytesToHex(raw);
      if (strict && names.has(name))
        throw new ValueDecodeError(`${what} names asset ${policy}.${name} twice; Conway refuses duplicates`);
      names.set(name, quantity(decodeCbor(nv), kind, `${what} quantity of ${policy}.${name}`, strict));
    }
    if (strict && names.size === 0)
      throw new ValueDecodeError(`${what} policy ${policy} has no assets; Conway refuses that`);
    out.set(policy, names);
  }
  return normaliseAssets(assetEntries(out));
}

function quantity(v: CborValue, kind: AssetsKind, what: string, strict: boolean): bigint {
  if (typeof v !== "number" && typeof v !== "bigint") throw new ValueDecodeError(`${what} must be an integer`);
  const q = BigInt(v);
  if (q === 0n && !strict) return q;
  if (q === 0n) throw new ValueDecodeError(`${what} is zero; Conway refuses zero quantities`);
  if (kind === "output" && (q < 0n || q > MAX_WORD64))
    throw new ValueDecodeError(`${what} must be positive and below 2^64, not ${q}`);
  if (kind === "mint" && (q < MIN_INT64 || q > MAX_INT64))
    throw new ValueDecodeError(`${what} must fit a signed 64-bit integer, not ${q}`);
  return q;
}

/** An output's value: a coin, or [coin, multi-asset] (cardano-ledger `decodeMaryValue`). */
export function decodeValue(bytes: Uint8Array, what: string, strict = true): Value {
  if (bytes[0] !== undefined && bytes[0] >> 5 === 4) {
    const items = cborArrayItems(bytes);
    if (items.length !== 2) throw new ValueDecodeError(`${what} must be a coin or [coin, multi-asset]`);
    const coin = asUint(decodeCbor(items[0]!), `${what} coin`);
    if (coin > MAX_WORD64) throw new ValueDecodeError(`${what} coin is above 2^64 - 1`);
    return { coin, assets: decodeMultiAsset(items[1]!, "output", `${what} multi-asset`, strict) };
  }
  if (cborItemEnd(bytes) !== bytes.length) throw new ValueDecodeError(`${what} has bytes after its value`);
  return { coin: asUint(decodeCbor(bytes), `${what} coin`), assets: NO_ASSETS };
}

/** The CBOR form cardano-ledger writes: the coin alone when there are no assets, else [coin, map]. */
export function valueToCbor(v: Value): CborValue {
  if (v.assets.size === 0) return v.coin;
  return [v.coin, assetsToCbor(v.assets)];
}

export function assetsToCbor(a: MultiAsset): CborValue {
  return new Map<CborValue, CborValue>(
    [...a].map(([p, names]) => [
      hexToBytes(p),
      new Map<CborValue, CborValue>([...names].map(([n, q]) => [hexToBytes(n), q])),
    ]),
  );
}

const headSize = (n: bigint) => (n < 24n ? 1 : n < 0x100n ? 2 : n < 0x10000n ? 3 : n < 0x100000000n ? 5 : 9);
const intSize = (q: bigint) => headSize(q < 0n ? -1n - q : q);

/**
 * The size of `v` serialised as cardano-ledger serialises it (definite lengths, shortest heads), whatever the
 * bytes it arrived in: what `maxValSize` bounds (`validateOutputTooBigUTxO`).
 */
export function valueSize(v: Value): number {
  if (v.assets.size === 0) return intSize(v.coin);
  let size = 1 + intSize(v.coin) + headSize(BigInt(v.assets.size));
  for (const [policy, names] of v.assets) {
    size += headSize(BigInt(policy.length / 2)) + policy.length / 2 + headSize(BigInt(names.size));
    for (const [name, q] of names) size += headSize(BigInt(name.length / 2)) + name.length / 2 + intSize(q);
  }
  return size;
}
