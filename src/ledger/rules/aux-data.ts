// cardano-ledger UTXOW rule (Shelley onwards, as in Conway), `validateMetadata`: the body commits to the
// auxiliary data (metadata) by its hash, body key 7 = Blake2b-256 of the auxiliary data's bytes as they appear in
// the transaction (`hashTxAuxData` over the original bytes). A hash without data is `MissingTxMetadata`, data
// without a hash `MissingTxBodyMetadataHash`, a hash of other bytes `ConflictingMetadataHash`; with both, the
// metadata must also be valid (`InvalidMetadata`, see metadata.ts).
import { bytesToHex, equalBytes } from "../../crypto/bytes.ts";
import { blake2b256 } from "../../crypto/hash.ts";
import type { TxBody } from "../tx.ts";
import type { F } from "./failure.ts";
import { invalidMetadata } from "./metadata.ts";

export type AuxDataFailure =
  | F<"MissingTxBodyMetadataHash", { hash: string }>
  | F<"MissingTxMetadata", { hash: string }>
  | F<"ConflictingMetadataHash", { supplied: string; expected: string }>
  | F<"InvalidMetadata">;

export function auxDataFailures(body: Pick<TxBody, "auxDataHash">, auxBytes: Uint8Array | null): AuxDataFailure[] {
  const stated = body.auxDataHash;
  if (!stated && !auxBytes) return [];
  if (stated && !auxBytes) {
    const hash = bytesToHex(stated);
    return [
      {
        kind: "MissingTxMetadata",
        hash,
        message: `the body states auxiliary data hash ${hash} (key 7) but the transaction carries no auxiliary data`,
      },
    ];
  }
  const actual = blake2b256(auxBytes!);
  if (!stated) {
    const hash = bytesToHex(actual);
    return [
      {
        kind: "MissingTxBodyMetadataHash",
        hash,
        message: `the transaction carries auxiliary data (hash ${hash}) but its body states no auxiliary data hash (key 7)`,
      },
    ];
  }
  const failures: AuxDataFailure[] = [];
  if (!equalBytes(stated, actual)) {
    const supplied = bytesToHex(stated);
    const expected = bytesToHex(actual);
    failures.push({
      kind: "ConflictingMetadataHash",
      supplied,
      expected,
      message: `the body's auxiliary data hash ${supplied} (key 7) is not the hash of the auxiliary data, ${expected}`,
    });
  }
  const invalid = invalidMetadata(auxBytes!);
  if (invalid) failures.push({ kind: "InvalidMetadata", message: invalid });
  return failures;
}
