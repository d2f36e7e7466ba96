// Sum-composition KES (MMM) over Ed25519 with Blake2b-256, as cardano-base's SumKES/CompactSumKES.
// Cardano uses depth 6 ("Sum6", 64 periods). Byte layouts:
//   signing key(d)   = signing key(d-1) of the current subtree || r1(32) || vk0(32) || vk1(32); depth 0 = Ed25519 seed
//   signature(d)     = signature(d-1) || vk0(32) || vk1(32);        depth 0 = Ed25519 signature (64)
//   compact sig(d)   = compact sig(d-1) || vk of the other subtree;  depth 0 = Ed25519 signature || leaf vk (96)
// A key file holds the raw signing key with no period: the holder tracks the period and evolves the key.
import { concatBytes, equalBytes, wipe } from "./bytes.ts";
import { ED25519_SIGNATURE_BYTES, ed25519KeyPairFromSeed, ed25519Sign, ed25519Verify } from "./ed25519.ts";
import { blake2b256 } from "./hash.ts";

export const KES_DEPTH = 6;
export const KES_SEED_BYTES = 32;
export const KES_VKEY_BYTES = 32;

export function kesSigningKeySize(depth: number = KES_DEPTH): number {
  return 32 + 96 * depth;
}
export function kesSignatureSize(depth: number = KES_DEPTH): number {
  return ED25519_SIGNATURE_BYTES + 64 * depth;
}
export function kesCompactSignatureSize(depth: number = KES_DEPTH): number {
  return ED25519_SIGNATURE_BYTES + 32 + 32 * depth;
}
export function kesTotalPeriods(depth: number = KES_DEPTH): number {
  return 2 ** depth;
}

function expandSeed(seed: Uint8Array): [Uint8Array, Uint8Array] {
  return [blake2b256(concatBytes(Uint8Array.of(1), seed)), blake2b256(concatBytes(Uint8Array.of(2), seed))];
}

function leafVerificationKey(seed: Uint8Array): Uint8Array {
  const kp = ed25519KeyPairFromSeed(seed);
  wipe(kp.secretKey);
  wipe(kp.seed);
  return kp.publicKey;
}

/** The verification key of the tree grown from `seed`, without keeping any signing material. */
function verificationKeyOfSeed(depth: number, seed: Uint8Array): Uint8Array {
  if (depth === 0) return leafVerificationKey(seed);
  const [r0, r1] = expandSeed(seed);
  const vk = blake2b256(concatBytes(verificationKeyOfSeed(depth - 1, r0), verificationKeyOfSeed(depth - 1, r1)));
  wipe(r0);
  wipe(r1);
  return vk;
}

/** Signing key at period 0 of the tree grown from `seed` (cardano-base genKeyKES). */
function generateKeyBytes(depth: number, seed: Uint8Array): Uint8Array {
  if (depth === 0) return Uint8Array.from(seed);
  const [r0, r1] = expandSeed(seed);
  const child = generateKeyBytes(depth - 1, r0);
  const vk0 = verificationKeyOfOwnKey(depth - 1, child);
  const vk1 = verificationKeyOfSeed(depth - 1, r1);
  const out = concatBytes(child, r1, vk0, vk1);
  wipe(r0);
  wipe(r1);
  wipe(child);
  return out;
}

function verificationKeyOfOwnKey(depth: number, key: Uint8Array): Uint8Array {
  if (depth === 0) return leafVerificationKey(key.subarray(0, 32));
  const size = kesSigningKeySize(depth);
  return blake2b256(key.subarray(size - 64, size));
}

/** A Sum-KES signing key that evolves in place; evolution overwrites what the new period no longer needs. */
export class KesSigningKey {
  readonly depth: number;
  #bytes: Uint8Array;
  #period: number;

  private constructor(bytes: Uint8Array, period: number, depth: number) {
    this.#bytes = bytes;
    this.#period = period;
    this.depth = depth;
  }

  static generate(seed: Uint8Array, depth: number = KES_DEPTH): KesSigningKey {
    if (seed.length !== KES_SEED_BYTES) throw new Error(`KES seed must be ${KES_SEED_BYTES} bytes, got ${seed.length}`);
    return new KesSigningKey(generateKeyBytes(depth, seed), 0, depth);
  }

  /** Load a raw signing key (a key file's bytes). Files carry no period: say which period the key is at. */
  static fromBytes(bytes: Uint8Array, period = 0, depth: number = KES_DEPTH): KesSigningKey {
    const size = kesSigningKeySize(depth);
    if (bytes.length !== size) throw new Error(`KES signing key must be ${size} bytes, got ${bytes.length}`);
    if (!Number.isInteger(period) || period < 0 || period >= kesTotalPeriods(depth)) {
      throw new Error(`KES period ${period} is outside 0..${kesTotalPeriods(depth) - 1}`);
    }
    return new KesSigningKey(Uint8Array.from(bytes), period, depth);
  }

  get period(): number {
    return this.#period;
  }

  get verificationKey(): Uint8Array {
    return verificationKeyOfOwnKey(this.depth, this.#bytes);
  }

  /** A copy of the raw key in cardano-cli's layout. */
  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  /** Move to the next period. Throws when the key has no periods left. */
  evolve(): void {
    if (this.#period + 1 >= kesTotalPeriods(this.depth)) {
      throw new Error(`KES key is at its last period ${this.#period} and cannot evolve`);
    }
    evolveInPlace(this.depth, this.#bytes, this.#period);
    this.#period += 1;
  }

  evolveTo(period: number): void {
    if (period < this.#period) throw new Error(`KES key is at period ${this.#period}; it cannot go back to ${period}`);
    while (this.#period < period) this.evolve();
  }

  sign(message: Uint8Array): Uint8Array {
    return signAt(this.depth, this.#bytes, this.#period, message, false);
  }

  signCompact(message: Uint8Array): Uint8Array {
    return signAt(this.depth, this.#bytes, this.#period, message, true);
  }

  /** Erase the key; it cannot sign afterwards. */
  wipe(): void {
    wipe(this.#bytes);
    this.#period = kesTotalPeriods(this.depth);
  }
}

function evolveInPlace(depth: number, key: Uint8Array, period: number): void {
  if (depth === 0) throw new Error("a depth-0 KES key has a single period");
  const half = 2 ** (depth - 1);
  const childSize = kesSigningKeySize(depth - 1);
  const child = key.subarray(0, childSize);
  const r1 = key.subarray(childSize, childSize + 32);
  if (period + 1 < half) {
    evolveInPlace(depth - 1, child, period);
  } else if (period + 1 === half) {
    // Entering the right subtree: its key grows from r1, and r1 and the left subtree are erased.
    const fresh = generateKeyBytes(depth - 1, r1);
    child.set(fresh);
    wipe(fresh);
    wipe(r1);
  } else {
    evolveInPlace(depth - 1, child, period - half);
  }
}

function signAt(depth: number, key: Uint8Array, period: number, message: Uint8Array, compact: boolean): Uint8Array {
  if (depth === 0) {
    const kp = ed25519KeyPairFromSeed(key.subarray(0, 32));
    const sig = ed25519Sign(kp, message);
    wipe(kp.secretKey);
    wipe(kp.seed);
    return compact ? concatBytes(sig, kp.publicKey) : sig;
  }
  if (period >= kesTotalPeriods(depth)) throw new Error("KES key has been wiped or has expired");
  const half = 2 ** (depth - 1);
  const childSize = kesSigningKeySize(depth - 1);
  const vk0 = key.subarray(childSize + 32, childSize + 64);
  const vk1 = key.subarray(childSize + 64, childSize + 96);
  const inner = signAt(depth - 1, key.subarray(0, childSize), period < half ? period : period - half, message, compact);
  if (compact) return concatBytes(inner, period < half ? vk1 : vk0);
  return concatBytes(inner, vk0, vk1);
}

/** Verify a Sum-KES signature made at `period` under the (period-independent) verification key. */
export function kesVerify(
  verificationKey: Uint8Array,
  period: number,
  message: Uint8Array,
  signature: Uint8Array,
  depth: number = KES_DEPTH,
): boolean {
  if (signature.length !== kesSignatureSize(depth) || verificationKey.length !== KES_VKEY_BYTES) return false;
  if (!Number.isInteger(period) || period < 0 || period >= kesTotalPeriods(depth)) return false;
  let vk = verificationKey;
  let t = period;
  for (let d = depth; d > 0; d--) {
    const end = kesSignatureSize(d);
    const vk0 = signature.subarray(end - 64, end - 32);
    const vk1 = signature.subarray(end - 32, end);
    if (!equalBytes(blake2b256(signature.subarray(end - 64, end)), vk)) return false;
    const half = 2 ** (d - 1);
    if (t < half) {
      vk = vk0;
    } else {
      vk = vk1;
      t -= half;
    }
  }
  return ed25519Verify(vk, message, signature.subarray(0, ED25519_SIGNATURE_BYTES));
}

/** Verify a CompactSum-KES signature (the signature carries only the sibling verification keys). */
export function kesVerifyCompact(
  verificationKey: Uint8Array,
  period: number,
  message: Uint8Array,
  signature: Uint8Array,
  depth: number = KES_DEPTH,
): boolean {
  if (signature.length !== kesCompactSignatureSize(depth) || verificationKey.length !== KES_VKEY_BYTES) return false;
  if (!Number.isInteger(period) || period < 0 || period >= kesTotalPeriods(depth)) return false;
  const leafVk = signature.subarray(ED25519_SIGNATURE_BYTES, ED25519_SIGNATURE_BYTES + 32);
  if (!ed25519Verify(leafVk, message, signature.subarray(0, ED25519_SIGNATURE_BYTES))) return false;
  // Rebuild the root key from the leaf upwards; at level d the period's bit (d-1) says which side we are on.
  let vk: Uint8Array = leafVk;
  for (let d = 1; d <= depth; d++) {
    const other = signature.subarray(kesCompactSignatureSize(d) - 32, kesCompactSignatureSize(d));
    const onRight = ((period >> (d - 1)) & 1) === 1;
    vk = blake2b256(onRight ? concatBytes(other, vk) : concatBytes(vk, other));
  }
  return equalBytes(vk, verificationKey);
}
