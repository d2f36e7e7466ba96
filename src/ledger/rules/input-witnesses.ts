// cardano-ledger UTXOW rule, the witnesses an input needs (`getShelleyWitsVKeyNeeded`, `getScriptsNeeded`): a
// key-locked Shelley address needs its payment key's signature; a Byron address needs a bootstrap witness for
// its root, which is the key hash Haskell asks for (`bootstrapKeyHash`); a script-locked address needs its
// script (`MissingScriptWitnessesUTXOW`). poolfleet's ledger runs no scripts and reads no bootstrap witnesses,
// so such inputs are refused by those names rather than spent unwitnessed.
import { cborArrayItems } from "../../chain/cbor-raw.ts";
import { bytesToHex } from "../../crypto/bytes.ts";
import { decodeCbor } from "../../formats/cbor.ts";
import type { F } from "./failure.ts";

export type InputWitnessFailure = F<"MissingScriptWitnessesUTXOW", { scriptHashes: string[] }>;

export type InputWitness =
  | { readonly kind: "key"; readonly hash: string }
  | { readonly kind: "script"; readonly hash: string }
  | { readonly kind: "none" };

/** The 28-byte root of a Byron address ([tag 24 (CBOR [root, attributes, type]), crc]), or null. */
function byronRoot(address: Uint8Array): string | null {
  try {
    const [payload] = cborArrayItems(address);
    if (!payload || payload[0] !== 0xd8 || payload[1] !== 0x18) return null;
    const inner = decodeCbor(payload.subarray(2));
    if (!(inner instanceof Uint8Array)) return null;
    const root = decodeCbor(cborArrayItems(inner)[0]!);
    return root instanceof Uint8Array && root.length === 28 ? bytesToHex(root) : null;
  } catch {
    return null;
  }
}

export function inputWitness(address: Uint8Array): InputWitness {
  const type = address[0]! >> 4;
  if (type === 8) {
    const root = byronRoot(address);
    return root ? { kind: "key", hash: root } : { kind: "none" };
  }
  if (type > 7 || address.length < 29) return { kind: "none" };
  const hash = bytesToHex(address.subarray(1, 29));
  return type % 2 === 0 ? { kind: "key", hash } : { kind: "script", hash };
}

export function missingScripts(scriptHashes: Set<string>): InputWitnessFailure[] {
  if (scriptHashes.size === 0) return [];
  const hashes = [...scriptHashes];
  return [
    {
      kind: "MissingScriptWitnessesUTXOW",
      scriptHashes: hashes,
      message: `inputs locked by scripts ${hashes.join(", ")}, and poolfleet's ledger runs no scripts`,
    },
  ];
}
