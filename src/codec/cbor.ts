// CBOR through cbor-x, configured for Cardano's data: byte strings untagged, arrays and maps as plain data,
// integers beyond 2^53 as bigint, and integers never written as floats.
import { Encoder } from "cbor-x";

const codec = new Encoder({
  tagUint8Array: false,
  useRecords: false,
  mapsAsObjects: false,
  int64AsType: "bigint",
  variableMapSize: true,
} as ConstructorParameters<typeof Encoder>[0]);

export type CborValue =
  number | bigint | string | boolean | null | undefined | Uint8Array | CborValue[] | Map<CborValue, CborValue>;

// cbor-x writes numbers past 32 bits as floats, and every bigint as 8 bytes. Cardano wants the shortest
// integer encoding: small values as numbers, large ones as bigint (8 bytes is then the shortest).
function normalize(value: CborValue): unknown {
  if (typeof value === "number" && Number.isInteger(value) && (value > 0xffffffff || value < -0x100000000)) {
    return BigInt(value);
  }
  if (typeof value === "bigint" && value <= 0xffffffffn && value >= -0x100000000n) return Number(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [normalize(k), normalize(v)]));
  return value;
}

export function encodeCbor(value: CborValue): Uint8Array {
  const out = codec.encode(normalize(value));
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decode exactly one CBOR item; throws a plain Error describing the problem (callers add where). */
export function decodeCbor(bytes: Uint8Array): CborValue {
  try {
    return codec.decode(bytes) as CborValue;
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new Error(`not valid CBOR (${reason})`, { cause: error });
  }
}

export function asBytes(value: CborValue, what: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new Error(`${what} must be a CBOR byte string`);
  if (length !== undefined && value.length !== length) {
    throw new Error(`${what} must be ${length} bytes, got ${value.length}`);
  }
  return Uint8Array.from(value);
}

export function asUint(value: CborValue, what: string): bigint {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "bigint" && value >= 0n) return value;
  throw new Error(`${what} must be an unsigned integer`);
}

export function asArray(value: CborValue, what: string, length?: number): CborValue[] {
  if (!Array.isArray(value)) throw new Error(`${what} must be a CBOR array`);
  if (length !== undefined && value.length !== length) {
    throw new Error(`${what} must have ${length} elements, got ${value.length}`);
  }
  return value;
}
