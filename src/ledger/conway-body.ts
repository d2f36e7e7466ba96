// What Conway's transaction body decoder refuses beyond the field types (cardano-ledger ConwayTxBodyRaw's
// DecCBOR, protocol version 9 on): a key that is not a Conway body field (`Invalid n`; the Shelley update, key 6,
// is gone), a collection field present but empty ("TxBody: 'Certificates' must be non-empty when supplied"), a
// zero treasury donation, and two equal certificates (certificates are an OSet,
// `decodeSetLikeEnforceNoDuplicates`). Earlier eras' bodies are not held to these.
import { cborArrayItems, cborMapEntries } from "../codec/cbor-raw.ts";
import { decodeCbor, encodeCbor, type CborValue } from "../codec/cbor.ts";

const CONWAY_FIELDS = new Set([0, 1, 2, 3, 4, 5, 7, 8, 9, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
const NON_EMPTY: Record<number, string> = {
  4: "Certificates",
  5: "Withdrawals",
  9: "Mint",
  13: "Collateral Inputs",
  14: "Required Signer Hashes",
  18: "Reference Inputs",
  19: "VotingProcedures",
  20: "ProposalProcedures",
};

/** The items of an array, tag-258 set or map field (definite or indefinite). */
function collectionSize(bytes: Uint8Array): number {
  const body = bytes[0] === 0xd9 && bytes[1] === 0x01 && bytes[2] === 0x02 ? bytes.subarray(3) : bytes;
  return body[0]! >> 5 === 5 ? cborMapEntries(body).length : cborArrayItems(body).length;
}

/** Why a Conway decoder refuses this body's fields (raw bytes by key), or null. */
export function conwayBodyError(fields: ReadonlyMap<number, Uint8Array>): string | null {
  for (const key of fields.keys()) if (!CONWAY_FIELDS.has(key)) return `TxBody: key ${key} is not a Conway body field`;
  for (const [key, name] of Object.entries(NON_EMPTY)) {
    const raw = fields.get(Number(key));
    if (raw && collectionSize(raw) === 0) return `TxBody: '${name}' must be non-empty when supplied`;
  }
  const donation = fields.get(22);
  if (donation && decodeCbor(donation) === 0) return "TxBody: 'Treasury Donation' must be non-zero when supplied";
  return null;
}

/**
 * The index of a certificate equal to an earlier one, and that one's, or null. Equal as decoded values: each is
 * compared by its re-encoding (shortest heads, definite lengths), so another encoding of one certificate is
 * still a duplicate.
 */
export function duplicateCertificate(certs: readonly CborValue[]): [number, number] | null {
  const seen = new Map<string, number>();
  for (const [i, cert] of certs.entries()) {
    const key = Buffer.from(encodeCbor(cert)).toString("hex");
    const first = seen.get(key);
    if (first !== undefined) return [i, first];
    seen.set(key, i);
  }
  return null;
}
