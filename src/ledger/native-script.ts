// Native (timelock) scripts, Allegra onwards: their CBOR form, their hash, and cardano-ledger's `evalTimelock`.
//   native_script = [0, addr_keyhash] / [1, [* script]] / [2, [* script]] / [3, n, [* script]]
//                 / [4, invalid_before slot] / [5, invalid_hereafter slot]
// A script's hash is Blake2b-224 of a 0x00 tag byte and the script's bytes as the witness set carries them.
import { cborArrayItems } from "../codec/cbor-raw.ts";
import { bytesToHex, concatBytes, hexToBytes } from "../crypto/bytes.ts";
import { blake2b224 } from "../crypto/hash.ts";
import { asBytes, asUint, type CborValue, decodeCbor, encodeCbor } from "../codec/cbor.ts";

export type NativeScript =
  | { readonly kind: "RequireSignature"; readonly keyHash: string }
  | { readonly kind: "RequireAllOf"; readonly scripts: NativeScript[] }
  | { readonly kind: "RequireAnyOf"; readonly scripts: NativeScript[] }
  | { readonly kind: "RequireMOf"; readonly m: number; readonly scripts: NativeScript[] }
  | { readonly kind: "RequireTimeStart"; readonly slot: bigint }
  | { readonly kind: "RequireTimeExpire"; readonly slot: bigint };

export interface NativeScriptWitness {
  /** Hex Blake2b-224 of 0x00 ++ the script's bytes. */
  readonly hash: string;
  readonly script: NativeScript;
}

const MAX_DEPTH = 64;

export function nativeScriptFromCbor(value: CborValue, what = "native script", depth = 0): NativeScript {
  if (depth > MAX_DEPTH) throw new Error(`${what} is nested more than ${MAX_DEPTH} deep`);
  if (!Array.isArray(value) || value.length < 2) throw new Error(`${what} must be an array [type, ...]`);
  const list = (v: CborValue | undefined) => {
    const items = v instanceof Set ? [...(v as Set<CborValue>)] : v;
    if (!Array.isArray(items)) throw new Error(`${what} must list its sub-scripts`);
    return items.map((s, i) => nativeScriptFromCbor(s, `${what}.${i}`, depth + 1));
  };
  const [type] = value;
  const arity = (n: number) => {
    if (value.length !== n) throw new Error(`${what} of type ${String(type)} must have ${n} elements`);
  };
  switch (type) {
    case 0:
      arity(2);
      return { kind: "RequireSignature", keyHash: bytesToHex(asBytes(value[1]!, `${what} key hash`, 28)) };
    case 1:
      arity(2);
      return { kind: "RequireAllOf", scripts: list(value[1]) };
    case 2:
      arity(2);
      return { kind: "RequireAnyOf", scripts: list(value[1]) };
    case 3: {
      arity(3);
      // An Int in cardano-ledger (`TimelockMOf !Int`): zero or negative always holds.
      const m = value[1];
      if (typeof m !== "number" && typeof m !== "bigint") throw new Error(`${what} required count must be an integer`);
      const clamped = BigInt(m) > 0x7fffffffn ? 0x7fffffffn : BigInt(m) < -0x80000000n ? -0x80000000n : BigInt(m);
      return { kind: "RequireMOf", m: Number(clamped), scripts: list(value[2]) };
    }
    case 4:
      arity(2);
      return { kind: "RequireTimeStart", slot: asUint(value[1]!, `${what} slot`) };
    case 5:
      arity(2);
      return { kind: "RequireTimeExpire", slot: asUint(value[1]!, `${what} slot`) };
    default:
      throw new Error(`${what} has unknown type ${String(type)}`);
  }
}

export function nativeScriptToCbor(script: NativeScript): CborValue {
  switch (script.kind) {
    case "RequireSignature":
      return [0, hexToBytes(script.keyHash)];
    case "RequireAllOf":
      return [1, script.scripts.map(nativeScriptToCbor)];
    case "RequireAnyOf":
      return [2, script.scripts.map(nativeScriptToCbor)];
    case "RequireMOf":
      return [3, script.m, script.scripts.map(nativeScriptToCbor)];
    case "RequireTimeStart":
      return [4, script.slot];
    case "RequireTimeExpire":
      return [5, script.slot];
  }
}

/** The policy id a script gives (or the script hash of a script address), as cardano-cli computes it. */
export const scriptHashOf = (script: NativeScript): string => nativeScriptHash(encodeCbor(nativeScriptToCbor(script)));

export const nativeScriptHash = (bytes: Uint8Array): string =>
  bytesToHex(blake2b224(concatBytes(Uint8Array.of(0), bytes)));

/** Witness set key 1: a set (tag 258 or plain array) of native scripts, each hashed over its own bytes. */
export function decodeNativeScripts(field: Uint8Array): NativeScriptWitness[] {
  const set = field[0] === 0xd9 && field[1] === 0x01 && field[2] === 0x02 ? field.subarray(3) : field;
  return cborArrayItems(set).map((bytes, i) => ({
    hash: nativeScriptHash(bytes),
    script: nativeScriptFromCbor(decodeCbor(bytes), `native script ${i}`),
  }));
}

export interface TimelockContext {
  /** Key hashes (hex) of the transaction's vkey witnesses. */
  readonly signers: ReadonlySet<string>;
  /** Validity interval: start (body key 8) and ttl (body key 3), each absent when unbounded. */
  readonly validityStart?: bigint;
  readonly ttl?: bigint;
}

/**
 * cardano-ledger `evalTimelock`: a time lock holds only when the transaction's validity interval is bounded on
 * that side and lies within it (RequireTimeStart s needs start >= s; RequireTimeExpire s needs ttl <= s).
 */
export function evalTimelock(script: NativeScript, ctx: TimelockContext): boolean {
  switch (script.kind) {
    case "RequireSignature":
      return ctx.signers.has(script.keyHash);
    case "RequireAllOf":
      return script.scripts.every((s) => evalTimelock(s, ctx));
    case "RequireAnyOf":
      return script.scripts.some((s) => evalTimelock(s, ctx));
    case "RequireMOf":
      return script.m <= script.scripts.filter((s) => evalTimelock(s, ctx)).length;
    case "RequireTimeStart":
      return ctx.validityStart !== undefined && script.slot <= ctx.validityStart;
    case "RequireTimeExpire":
      return ctx.ttl !== undefined && ctx.ttl <= script.slot;
  }
}
