// ECVRF-ED25519-SHA512-Elligator2, IETF draft-03: Cardano's PraosVRF, byte for byte as IOG's libsodium fork.
//   secret key: 32-byte seed (key files hold seed || public key); public key: the Ed25519 public key of the seed
//   proof (80) = Gamma(32) || c(16, LE) || s(32, LE);  output beta (64) = SHA512(0x04 || 0x03 || encode(8*Gamma))
//   hash-to-curve: r = SHA512(0x04 || 0x01 || pk || alpha)[0..32], r[31] &= 0x7f, Elligator2, cofactor cleared
// Fast path: libsodium's point operations (native). They refuse points outside the prime-order subgroup and identity
// results, which honest proofs never produce; for such adversarial inputs verification falls back to
// @noble/curves, whose arithmetic matches the reference implementation's on every point.
import { ed25519 } from "@noble/curves/ed25519.js";
import { bigIntToBytesLE, bytesToBigIntLE, concatBytes, equalBytes, wipe } from "./bytes.ts";
import { sha512 } from "./hash.ts";
import { sodium } from "./sodium.ts";

export const VRF_SEED_BYTES = 32;
export const VRF_SECRET_KEY_BYTES = 64;
export const VRF_PUBLIC_KEY_BYTES = 32;
export const VRF_PROOF_BYTES = 80;
export const VRF_OUTPUT_BYTES = 64;

const SUITE = 0x04;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const Point = ed25519.Point;

export interface VrfSecretKey {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** The clamped secret scalar x (32 bytes, little-endian). */
  readonly scalar: Uint8Array;
  /** 8x mod L: gives the output from the hashed point with one multiplication. */
  readonly scalarTimesCofactor: Uint8Array;
  /** The second half of SHA512(seed), the nonce key. */
  readonly nonceKey: Uint8Array;
}

export function vrfSecretKeyFromSeed(seed: Uint8Array): VrfSecretKey {
  if (seed.length !== VRF_SEED_BYTES) throw new Error(`VRF seed must be ${VRF_SEED_BYTES} bytes, got ${seed.length}`);
  const az = sha512(seed);
  const scalar = Uint8Array.from(az.subarray(0, 32));
  scalar[0]! &= 248;
  scalar[31]! &= 127;
  scalar[31]! |= 64;
  const nonceKey = Uint8Array.from(az.subarray(32, 64));
  wipe(az);
  const publicKey = sodium.scalarmultBaseNoclamp(scalar);
  const x8 = bigIntToBytesLE((8n * bytesToBigIntLE(scalar)) % L, 32);
  return { seed: Uint8Array.from(seed), publicKey, scalar, scalarTimesCofactor: x8, nonceKey };
}

/** Load the 64-byte libsodium/cardano-cli form (seed || public key), checking that the halves agree. */
export function vrfSecretKeyFromBytes(bytes: Uint8Array): VrfSecretKey {
  if (bytes.length !== VRF_SECRET_KEY_BYTES) {
    throw new Error(`VRF signing key must be ${VRF_SECRET_KEY_BYTES} bytes, got ${bytes.length}`);
  }
  const key = vrfSecretKeyFromSeed(bytes.subarray(0, 32));
  if (!equalBytes(key.publicKey, bytes.subarray(32, 64))) {
    throw new Error("VRF signing key is inconsistent: its public half is not derived from its seed");
  }
  return key;
}

/** Erase a VRF secret key's material. */
export function wipeVrfSecretKey(key: VrfSecretKey): void {
  for (const part of [key.seed, key.scalar, key.scalarTimesCofactor, key.nonceKey]) wipe(part);
}

export function vrfSecretKeyBytes(key: VrfSecretKey): Uint8Array {
  return concatBytes(key.seed, key.publicKey);
}

export function vrfHashToCurve(publicKey: Uint8Array, alpha: Uint8Array): Uint8Array {
  const r = sha512(concatBytes(Uint8Array.of(SUITE, 0x01), publicKey, alpha)).slice(0, 32);
  r[31]! &= 0x7f;
  return sodium.fromUniform(r);
}

function hashPoints(...points: Uint8Array[]): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE, 0x02), ...points)).slice(0, 16);
}

function outputOfCofactorClearedGamma(point8: Uint8Array): Uint8Array {
  return sha512(concatBytes(Uint8Array.of(SUITE, 0x03), point8));
}

export function vrfProve(key: VrfSecretKey, alpha: Uint8Array): { proof: Uint8Array; output: Uint8Array } {
  const H = vrfHashToCurve(key.publicKey, alpha);
  const gamma = sodium.scalarmultNoclamp(key.scalar, H);
  const kWide = sha512(concatBytes(key.nonceKey, H));
  const k = sodium.scalarReduce(kWide);
  const c = hashPoints(H, gamma, sodium.scalarmultBaseNoclamp(k), sodium.scalarmultNoclamp(k, H));
  const s = (bytesToBigIntLE(k) + bytesToBigIntLE(c) * bytesToBigIntLE(key.scalar)) % L;
  wipe(kWide);
  wipe(k);
  const proof = concatBytes(gamma, c, bigIntToBytesLE(s, 32));
  const output = outputOfCofactorClearedGamma(sodium.scalarmultNoclamp(key.scalarTimesCofactor, H));
  return { proof, output };
}

/** The output alone, as the leader schedule needs it: one hash-to-curve and one multiplication. */
export function vrfEvaluate(key: VrfSecretKey, alpha: Uint8Array): Uint8Array {
  const H = vrfHashToCurve(key.publicKey, alpha);
  return outputOfCofactorClearedGamma(sodium.scalarmultNoclamp(key.scalarTimesCofactor, H));
}

/** proof_to_hash: the output a proof certifies (no verification). Throws on a malformed proof. */
export function vrfProofToHash(proof: Uint8Array): Uint8Array {
  if (proof.length !== VRF_PROOF_BYTES)
    throw new Error(`VRF proof must be ${VRF_PROOF_BYTES} bytes, got ${proof.length}`);
  const gamma = proof.subarray(0, 32);
  try {
    // Doubling three times by point addition works for every curve point, torsion included.
    const g2 = sodium.add(gamma, gamma);
    const g4 = sodium.add(g2, g2);
    return outputOfCofactorClearedGamma(sodium.add(g4, g4));
  } catch {
    const point = Point.fromBytes(gamma, true);
    return outputOfCofactorClearedGamma(point.clearCofactor().toBytes());
  }
}

/** Verify a proof for `alpha` under `publicKey`; returns the certified output, or null when invalid. */
export function vrfVerify(publicKey: Uint8Array, proof: Uint8Array, alpha: Uint8Array): Uint8Array | null {
  if (publicKey.length !== VRF_PUBLIC_KEY_BYTES || proof.length !== VRF_PROOF_BYTES) return null;
  if (!publicKeyAcceptable(publicKey)) return null;
  const gamma = proof.subarray(0, 32);
  const c = proof.subarray(32, 48);
  const s = proof.subarray(48, 80);
  if (bytesToBigIntLE(s) >= L) return null;
  let H: Uint8Array;
  try {
    H = vrfHashToCurve(publicKey, alpha);
  } catch {
    return null;
  }
  const c32 = concatBytes(c, new Uint8Array(16));
  let expected: Uint8Array | null;
  try {
    const U = sodium.sub(sodium.scalarmultBaseNoclamp(s), sodium.scalarmultNoclamp(c32, publicKey));
    const V = sodium.sub(sodium.scalarmultNoclamp(s, H), sodium.scalarmultNoclamp(c32, gamma));
    expected = hashPoints(H, gamma, U, V);
  } catch {
    expected = verifyGeneralPoints(publicKey, gamma, bytesToBigIntLE(c), bytesToBigIntLE(s), H);
  }
  if (expected === null || !equalBytes(expected, c)) return null;
  try {
    return vrfProofToHash(proof);
  } catch {
    return null;
  }
}

// The reference accepts any public key that is canonical, decodes, and is not of small order. Pools reuse one
// VRF key for every block, so the answer is cached per key.
const ACCEPTABLE_CACHE_LIMIT = 8192;
const acceptableKeys = new Map<string, boolean>();

function publicKeyAcceptable(publicKey: Uint8Array): boolean {
  const key = Buffer.from(publicKey).toString("hex");
  let ok = acceptableKeys.get(key);
  if (ok === undefined) {
    ok = sodium.isValidPoint(publicKey) || acceptableOutsideMainSubgroup(publicKey);
    if (acceptableKeys.size >= ACCEPTABLE_CACHE_LIMIT) acceptableKeys.clear();
    acceptableKeys.set(key, ok);
  }
  return ok;
}

// libsodium's check also demands the prime-order subgroup, which the reference does not: decide those here.
function acceptableOutsideMainSubgroup(publicKey: Uint8Array): boolean {
  try {
    return !Point.fromBytes(publicKey, false).isSmallOrder();
  } catch {
    return false;
  }
}

function verifyGeneralPoints(
  publicKey: Uint8Array,
  gammaBytes: Uint8Array,
  c: bigint,
  s: bigint,
  hBytes: Uint8Array,
): Uint8Array | null {
  try {
    const Y = Point.fromBytes(publicKey, true);
    const gamma = Point.fromBytes(gammaBytes, true);
    const H = Point.fromBytes(hBytes, true);
    const U = Point.BASE.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(c));
    const V = H.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(c));
    return hashPoints(hBytes, gammaBytes, U.toBytes(), V.toBytes());
  } catch {
    return null;
  }
}
