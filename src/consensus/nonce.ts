// Epoch nonce evolution, as ouroboros-consensus Praos (and TPraos for Shelley..Alonzo):
//   per block:   evolving := evolving ⭒ eta(block); candidate := evolving while the slot is before the
//                stability window of the epoch's end; lab := nonce of the block's previous hash
//   new epoch:   epochNonce := candidate ⭒ lastEpochBlock (⭒ extraEntropy, TPraos only); lastEpochBlock := lab
// where a ⭒ b = Blake2b-256(a || b), with the neutral nonce as identity. All start from the Shelley genesis hash.
import { concatBytes } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { praosNonceValue } from "./vrf-input.ts";

/** A nonce: 32 bytes, or null for the neutral nonce. */
export type Nonce = Uint8Array | null;

export function combineNonces(a: Nonce, b: Nonce): Nonce {
  if (a === null) return b;
  if (b === null) return a;
  return blake2b256(concatBytes(a, b));
}

/** TPraos nonce contribution of a block: Blake2b-256 of its 64-byte nonce VRF output. */
export function tpraosNonceValue(nonceVrfOutput: Uint8Array): Uint8Array {
  return blake2b256(nonceVrfOutput);
}

export function evolveNonce(evolving: Nonce, blockNonce: Uint8Array): Nonce {
  return combineNonces(evolving, blockNonce);
}

/** Epoch nonce from the candidate and the last block of the epoch before; extra entropy is pre-Babbage only. */
export function epochNonce(candidate: Nonce, lastEpochBlock: Nonce, extraEntropy: Nonce = null): Nonce {
  return combineNonces(combineNonces(candidate, lastEpochBlock), extraEntropy);
}

/**
 * Slots before an epoch's end after which the candidate nonce is frozen: ceil(3k/f) before Conway, ceil(4k/f)
 * from Conway (the randomness stabilisation window).
 */
export function stabilityWindow(k: number, f: { num: bigint; den: bigint }, conway: boolean): number {
  const numerator = BigInt(conway ? 4 : 3) * BigInt(k) * f.den;
  return Number((numerator + f.num - 1n) / f.num);
}

export interface NonceState {
  readonly epoch: number;
  readonly evolving: Nonce;
  readonly candidate: Nonce;
  readonly epochNonce: Nonce;
  /** The epoch nonce before the last epoch change (Praos's praosStatePreviousEpochNonce). */
  readonly previousEpochNonce: Nonce;
  /** Nonce of the previous hash of the last block applied. */
  readonly lab: Nonce;
  readonly lastEpochBlock: Nonce;
}

export function initialNonceState(shelleyGenesisHash: Uint8Array, epoch = 0): NonceState {
  const g = Uint8Array.from(shelleyGenesisHash);
  return { epoch, evolving: g, candidate: g, epochNonce: g, previousEpochNonce: g, lab: null, lastEpochBlock: null };
}

/** Cross into `epoch` (a later one); call before applying its first block. */
export function tickToEpoch(state: NonceState, epoch: number, extraEntropy: Nonce = null): NonceState {
  if (epoch <= state.epoch) return state;
  return {
    ...state,
    epoch,
    epochNonce: epochNonce(state.candidate, state.lastEpochBlock, extraEntropy),
    previousEpochNonce: state.epochNonce,
    lastEpochBlock: state.lab,
  };
}

export interface BlockNonceInput {
  readonly slot: number;
  readonly prevHash: Uint8Array | null;
  /** The block's nonce contribution: praosNonceValue(vrf output) or tpraosNonceValue(nonce vrf output). */
  readonly nonce: Uint8Array;
}

/** Apply one block of the current epoch. `firstSlotNextEpoch` and `window` decide whether the candidate moves. */
export function applyBlockNonce(
  state: NonceState,
  block: BlockNonceInput,
  firstSlotNextEpoch: number,
  window: number,
): NonceState {
  const evolving = evolveNonce(state.evolving, block.nonce);
  return {
    ...state,
    evolving,
    candidate: block.slot + window < firstSlotNextEpoch ? evolving : state.candidate,
    lab: block.prevHash ? Uint8Array.from(block.prevHash) : null,
  };
}

export { praosNonceValue };
