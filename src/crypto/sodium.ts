// libsodium is the one curve and hash engine behind poolfleet's crypto: it is the library cardano-base binds
// to, so strict Ed25519 verification and point decoding behave as on the real network. It is used through
// sodium-native (prebuilt native binaries shipped in the npm package): on the machines measured it was 2-3x
// faster than the WASM build for the point multiplications VRF verification needs (see bench/run.ts).
// This facade returns fresh Uint8Arrays and throws on failure, so callers never deal with output buffers.
import { createRequire } from "node:module";

interface SodiumNative {
  crypto_generichash(out: Uint8Array, input: Uint8Array): void;
  crypto_hash_sha512(out: Uint8Array, input: Uint8Array): void;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, message: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, message: Uint8Array, pk: Uint8Array): boolean;
  crypto_scalarmult_ed25519_noclamp(q: Uint8Array, n: Uint8Array, p: Uint8Array): void;
  crypto_scalarmult_ed25519_base_noclamp(q: Uint8Array, n: Uint8Array): void;
  crypto_core_ed25519_scalar_reduce(r: Uint8Array, s: Uint8Array): void;
  crypto_core_ed25519_from_uniform(p: Uint8Array, r: Uint8Array): void;
  crypto_core_ed25519_add(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_sub(r: Uint8Array, p: Uint8Array, q: Uint8Array): void;
  crypto_core_ed25519_is_valid_point(p: Uint8Array): boolean;
}

const native = createRequire(import.meta.url)("sodium-native") as SodiumNative;

function out(n: number): Uint8Array {
  return new Uint8Array(n);
}

export const sodium = {
  generichash(length: number, input: Uint8Array): Uint8Array {
    const o = out(length);
    native.crypto_generichash(o, input);
    return o;
  },
  sha512(input: Uint8Array): Uint8Array {
    const o = out(64);
    native.crypto_hash_sha512(o, input);
    return o;
  },
  signSeedKeypair(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
    const publicKey = out(32);
    const secretKey = out(64);
    native.crypto_sign_seed_keypair(publicKey, secretKey, seed);
    return { publicKey, secretKey };
  },
  signDetached(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
    const o = out(64);
    native.crypto_sign_detached(o, message, secretKey);
    return o;
  },
  verifyDetached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
    return native.crypto_sign_verify_detached(signature, message, publicKey);
  },
  /** n * P, no clamping; throws for points outside the prime-order subgroup or an identity result. */
  scalarmultNoclamp(n: Uint8Array, p: Uint8Array): Uint8Array {
    const o = out(32);
    native.crypto_scalarmult_ed25519_noclamp(o, n, p);
    return o;
  },
  scalarmultBaseNoclamp(n: Uint8Array): Uint8Array {
    const o = out(32);
    native.crypto_scalarmult_ed25519_base_noclamp(o, n);
    return o;
  },
  /** A 64-byte value reduced modulo the group order. */
  scalarReduce(wide: Uint8Array): Uint8Array {
    const o = out(32);
    native.crypto_core_ed25519_scalar_reduce(o, wide);
    return o;
  },
  /** Elligator 2 with the cofactor cleared, as libsodium (and Cardano's VRF) maps a string to the curve. */
  fromUniform(r: Uint8Array): Uint8Array {
    const o = out(32);
    native.crypto_core_ed25519_from_uniform(o, r);
    return o;
  },
  add(p: Uint8Array, q: Uint8Array): Uint8Array {
    const o = out(32);
    native.crypto_core_ed25519_add(o, p, q);
    return o;
  },
  sub(p: Uint8Array, q: Uint8Array): Uint8Array {
    const o = out(32);
    native.crypto_core_ed25519_sub(o, p, q);
    return o;
  },
  isValidPoint(p: Uint8Array): boolean {
    return native.crypto_core_ed25519_is_valid_point(p);
  },
};
