// Wire helpers shared by the mini-protocol codecs: messages are CBOR arrays whose first item is the message tag.
// Values are read with cbor-x, but items that must travel as their original bytes (headers, blocks, transactions)
// are sliced out with cbor-raw and re-emitted unchanged; tag 24 ("embedded CBOR") wraps them where Cardano does.
import { cborArrayItems, cborItemEnd } from "../codec/cbor-raw.ts";
import { concatBytes } from "../crypto/bytes.ts";
import { asArray, asBytes, asUint, type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";

/** A message a peer sent that does not decode: the text says what is wrong (callers add protocol and state). */
export class WireError extends Error {
  override name = "WireError";
}

/** The CBOR head of a definite array of `n` items. */
export function arrayHead(n: number): Uint8Array {
  if (n < 24) return Uint8Array.of(0x80 | n);
  if (n < 0x100) return Uint8Array.of(0x98, n);
  if (n < 0x10000) return Uint8Array.of(0x99, n >> 8, n & 0xff);
  return Uint8Array.of(0x9a, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** A CBOR array whose items are already-encoded CBOR (kept byte for byte). */
export function rawArray(items: readonly Uint8Array[]): Uint8Array {
  return concatBytes(arrayHead(items.length), ...items);
}

/** A message: [tag, ...items], items already CBOR. */
export function message(tag: number, ...items: Uint8Array[]): Uint8Array {
  return rawArray([encodeCbor(tag), ...items]);
}

/** tag 24 around a byte string holding `bytes` (which are themselves CBOR). */
export function tag24(bytes: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xd8, 0x18), encodeCbor(bytes));
}

/** The bytes inside a tag-24 item, given the item's raw bytes. */
export function untag24(raw: Uint8Array, what: string): Uint8Array {
  if (raw[0] !== 0xd8 || raw[1] !== 0x18) throw new WireError(`${what} must be CBOR-in-CBOR (tag 24)`);
  const inner = raw.subarray(2);
  // cbor-x cannot read indefinite-length byte strings; Cardano writes definite ones.
  if ((inner[0] ?? 0) >> 5 !== 2 || (inner[0]! & 0x1f) === 31) {
    throw new WireError(`${what}: tag 24 must hold a definite-length byte string`);
  }
  return asBytes(decodeRaw(inner, what), what);
}

/** Decode one CBOR item from its raw bytes, turning failures into WireError. */
export function decodeRaw(raw: Uint8Array, what: string): CborValue {
  try {
    return decodeCbor(raw);
  } catch (error) {
    throw new WireError(`${what}: ${(error as Error).message}`);
  }
}

/** Split a message into its tag and the raw bytes of its other items. Throws WireError. */
export function splitMessage(bytes: Uint8Array): { tag: number; items: Uint8Array[] } {
  let items: Uint8Array[];
  try {
    if (cborItemEnd(bytes) !== bytes.length) throw new WireError("trailing bytes after the message");
    items = cborArrayItems(bytes);
  } catch (error) {
    if (error instanceof WireError) throw error;
    throw new WireError(`malformed message: ${(error as Error).message}`);
  }
  const first = items[0];
  if (!first) throw new WireError("a message is a non-empty array [tag, ...]");
  const tag = decodeRaw(first, "message tag");
  if (typeof tag !== "number" || !Number.isInteger(tag) || tag < 0) {
    throw new WireError("the message tag must be a small unsigned integer");
  }
  return { tag, items: items.slice(1) };
}

export function expectItems(items: Uint8Array[], count: number, what: string): void {
  if (items.length !== count) throw new WireError(`${what} has ${items.length} fields; expected ${count}`);
}

/** Read a value, turning cbor.ts's plain errors into WireError. */
export function wire<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof WireError) throw error;
    throw new WireError(`${what}: ${(error as Error).message}`);
  }
}

export function uintOf(raw: Uint8Array, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = wire(what, () => asUint(decodeRaw(raw, what), what));
  if (v > BigInt(max)) throw new WireError(`${what} ${v} is over ${max}`);
  return Number(v);
}

export function boolOf(raw: Uint8Array, what: string): boolean {
  const v = decodeRaw(raw, what);
  if (typeof v !== "boolean") throw new WireError(`${what} must be a boolean`);
  return v;
}

export function arrayOf(raw: Uint8Array, what: string): Uint8Array[] {
  try {
    return cborArrayItems(raw);
  } catch (error) {
    throw new WireError(`${what}: ${(error as Error).message}`);
  }
}

export { asArray, asBytes, asUint };
