// The UTxO: output references, the genesis pseudo-outputs and the minimum fee. The rules
// that change it are in apply-tx.ts.
import { bytesToHex } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";
import type { TxOutput } from "./tx.ts";
import { NO_ASSETS } from "./value.ts";

/** Unspent outputs keyed by "txid#index". */
export type Utxo = ReadonlyMap<string, TxOutput>;

export const outRef = (txId: Uint8Array, index: number): string => `${bytesToHex(txId)}#${index}`;

/** The genesis pseudo-input of an initialFunds address: (Blake2b-256 of the address bytes, 0). */
export function genesisUtxo(initialFunds: Record<string, number | string>): Map<string, TxOutput> {
  const utxo = new Map<string, TxOutput>();
  for (const [addressHex, amount] of Object.entries(initialFunds)) {
    const address = Uint8Array.from(Buffer.from(addressHex, "hex"));
    utxo.set(outRef(blake2b256(address), 0), {
      address,
      coin: BigInt(amount),
      assets: NO_ASSETS,
      datumOrScript: false,
    });
  }
  return utxo;
}

export function minFee(params: { minFeeA: bigint; minFeeB: bigint }, txSize: number): bigint {
  return params.minFeeA * BigInt(txSize) + params.minFeeB;
}

/**
 * The stake credential of a base address (header types 0-3; types 2 and 3 stake with a script, `script:` hash as
 * certs.ts writes it), or null for other address types.
 */
export function stakeCredentialOf(address: Uint8Array): string | null {
  const type = address[0]! >> 4;
  if (type > 3 || address.length !== 57) return null;
  const hash = bytesToHex(address.subarray(29, 57));
  return type >= 2 ? `script:${hash}` : hash;
}
