// Blake2b (unkeyed) with Cardano's digest sizes, SHA-512 for the VRF, SHA3-256 for Byron address roots.
import { createHash } from "node:crypto";
import { sodium } from "./sodium.ts";

/** Blake2b-256: block and header hashes, KES vkey hashing, VRF key hashes, nonces. */
export function blake2b256(data: Uint8Array): Uint8Array {
  return sodium.generichash(32, data);
}

/** Blake2b-224: key hashes such as the pool id (hash of the cold verification key). */
export function blake2b224(data: Uint8Array): Uint8Array {
  return sodium.generichash(28, data);
}

/** SHA3-256: the inner hash of a Byron address root (and so of a bootstrap witness's key hash). */
export function sha3_256(data: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash("sha3-256").update(data).digest());
}

export function sha512(data: Uint8Array): Uint8Array {
  return sodium.sha512(data);
}
