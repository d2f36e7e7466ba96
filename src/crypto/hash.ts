// Blake2b (unkeyed) with Cardano's digest sizes, and SHA-512 for the VRF.
import { sodium } from "./sodium.ts";

/** Blake2b-256: block and header hashes, KES vkey hashing, VRF key hashes, nonces. */
export function blake2b256(data: Uint8Array): Uint8Array {
  return sodium.generichash(32, data);
}

/** Blake2b-224: key hashes such as the pool id (hash of the cold verification key). */
export function blake2b224(data: Uint8Array): Uint8Array {
  return sodium.generichash(28, data);
}

export function sha512(data: Uint8Array): Uint8Array {
  return sodium.sha512(data);
}
