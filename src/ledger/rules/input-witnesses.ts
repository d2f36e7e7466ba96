// cardano-ledger UTXOW rule, the witnesses an input needs (`getShelleyWitsVKeyNeeded`, `getScriptsNeeded`): a
// key-locked Shelley address needs its payment key's signature; a Byron address needs a bootstrap witness for
// its root, which is the key hash Haskell asks for (`bootstrapKeyHash`); a script-locked address needs its
// script (scripts.ts checks those). A bootstrap witness stands for the key hash `bootstrapKeyHash` (tx.ts) gives.
import { bytesToHex } from "../../crypto/bytes.ts";
import { byronAddress } from "./byron-address.ts";

export type InputWitness =
  | { readonly kind: "key"; readonly hash: string }
  | { readonly kind: "script"; readonly hash: string }
  | { readonly kind: "none" };

export function inputWitness(address: Uint8Array): InputWitness {
  const type = address[0]! >> 4;
  if (type === 8) {
    const byron = byronAddress(address);
    return byron ? { kind: "key", hash: byron.root } : { kind: "none" };
  }
  if (type > 7 || address.length < 29) return { kind: "none" };
  const hash = bytesToHex(address.subarray(1, 29));
  return type % 2 === 0 ? { kind: "key", hash } : { kind: "script", hash };
}
