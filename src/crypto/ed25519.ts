// Ed25519 (RFC 8032) with 32-byte seeds as Cardano key files hold them. Verification is libsodium's strict
// check (canonical encodings, no small-order keys), the same check cardano-base applies.
import { sodium } from "./sodium.ts";

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

export interface Ed25519KeyPair {
  /** 32-byte seed: the secret as cardano-cli stores it. */
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** libsodium's 64-byte form, seed || public key. */
  readonly secretKey: Uint8Array;
}

function checkLength(name: string, bytes: Uint8Array, expected: number): void {
  if (bytes.length !== expected) throw new Error(`${name} must be ${expected} bytes, got ${bytes.length}`);
}

export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  checkLength("Ed25519 seed", seed, ED25519_SEED_BYTES);
  const kp = sodium.signSeedKeypair(seed);
  return { seed: Uint8Array.from(seed), publicKey: kp.publicKey, secretKey: kp.secretKey };
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519KeyPairFromSeed(seed).publicKey;
}

export function ed25519Sign(keyPair: Ed25519KeyPair, message: Uint8Array): Uint8Array {
  return sodium.signDetached(message, keyPair.secretKey);
}

export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return sodium.verifyDetached(signature, message, publicKey);
  } catch {
    return false;
  }
}
