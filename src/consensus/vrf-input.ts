// Praos (Babbage onwards) VRF input and range extension, as ouroboros-consensus Praos.VRF.
import { bytesToBigIntBE, concatBytes, u64be } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";

const L = Uint8Array.of(0x4c); // "L"
const N = Uint8Array.of(0x4e); // "N"

/** mkInputVRF: Blake2b-256(u64be(slot) || epoch nonce); a neutral nonce (null) contributes no bytes. */
export function praosVrfInput(slot: number | bigint, epochNonce: Uint8Array | null): Uint8Array {
  return blake2b256(epochNonce ? concatBytes(u64be(slot), epochNonce) : u64be(slot));
}

/** The leader value: Blake2b-256("L" || output) as a natural below 2^256. */
export function praosLeaderValue(vrfOutput: Uint8Array): bigint {
  return bytesToBigIntBE(blake2b256(concatBytes(L, vrfOutput)));
}

/** The nonce contribution: Blake2b-256(Blake2b-256("N" || output)). */
export function praosNonceValue(vrfOutput: Uint8Array): Uint8Array {
  return blake2b256(blake2b256(concatBytes(N, vrfOutput)));
}
