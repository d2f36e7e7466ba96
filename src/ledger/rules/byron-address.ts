// The two things the Conway rules read from a Byron (bootstrap) address, [tag 24 (CBOR [root, attributes,
// type]), crc32]: its 28-byte root, which is the key hash a bootstrap witness must match (`bootstrapKeyHash`),
// and whether its attributes carry a network magic (key 2), which makes it a testnet address
// (`bootstrapAddressNetwork`). The checksum is not verified here.
import { cborArrayItems, cborMapEntries } from "../../codec/cbor-raw.ts";
import { bytesToHex } from "../../crypto/bytes.ts";
import { decodeCbor } from "../../codec/cbor.ts";

export interface ByronAddress {
  readonly root: string;
  readonly network: 0 | 1;
}

/** The Byron address in `address`, or null when the bytes are not one. */
export function byronAddress(address: Uint8Array): ByronAddress | null {
  try {
    const [payload] = cborArrayItems(address);
    if (!payload || payload[0] !== 0xd8 || payload[1] !== 0x18) return null;
    const inner = decodeCbor(payload.subarray(2));
    if (!(inner instanceof Uint8Array)) return null;
    const [rootItem, attributes] = cborArrayItems(inner);
    const root = rootItem ? decodeCbor(rootItem) : undefined;
    if (!(root instanceof Uint8Array) || root.length !== 28 || !attributes) return null;
    const magic = cborMapEntries(attributes).some(([k]) => decodeCbor(k) === 2);
    return { root: bytesToHex(root), network: magic ? 0 : 1 };
  } catch {
    return null;
  }
}
