// Blocks: [header, transaction_bodies, transaction_witness_sets, auxiliary_data, invalid_transactions]
// (Alonzo onwards; Shelley..Mary have no invalid_transactions). The body hash and size are computed from the
// parts' original bytes, as the ledger does: hash = Blake2b-256 of the concatenated Blake2b-256 of each part.
import { concatBytes } from "../crypto/bytes.ts";
import { blake2b256 } from "../crypto/hash.ts";
import { asUint, decodeCbor } from "../codec/cbor.ts";
import { cborArrayItems } from "../codec/cbor-raw.ts";
import { decodeHeader, type Header, HeaderDecodeError } from "./header.ts";

export const ERA_TAGS = ["ByronEBB", "Byron", "Shelley", "Allegra", "Mary", "Alonzo", "Babbage", "Conway"] as const;
export type Era = (typeof ERA_TAGS)[number];

export interface Block {
  readonly header: Header;
  /** The body parts as received, in order. */
  readonly bodyParts: readonly Uint8Array[];
  readonly bytes: Uint8Array;
}

export function decodeBlock(bytes: Uint8Array): Block {
  let items: Uint8Array[];
  try {
    items = cborArrayItems(bytes);
  } catch (error) {
    throw new HeaderDecodeError(`malformed block: ${(error as Error).message}`, { cause: error });
  }
  if (items.length !== 5 && items.length !== 4) {
    throw new HeaderDecodeError(`block has ${items.length} items; expected 4 (Shelley..Mary) or 5 (Alonzo onwards)`);
  }
  return { header: decodeHeader(items[0]!), bodyParts: items.slice(1), bytes };
}

/** A block wrapped with its era tag, [era, block], as chain-sync and many test files carry it. */
export function decodeEraBlock(bytes: Uint8Array): { era: Era; block: Block } {
  let items: Uint8Array[];
  try {
    items = cborArrayItems(bytes);
  } catch (error) {
    throw new HeaderDecodeError(`malformed era-tagged block: ${(error as Error).message}`, { cause: error });
  }
  if (items.length !== 2) throw new HeaderDecodeError("an era-tagged block is [era, block]");
  const tag = Number(asUint(decodeCbor(items[0]!), "era tag"));
  const era = ERA_TAGS[tag];
  if (!era || tag < 2) throw new HeaderDecodeError(`era tag ${tag} is not a Shelley-family era`);
  return { era, block: decodeBlock(items[1]!) };
}

export function blockBodySize(block: Pick<Block, "bodyParts">): number {
  return block.bodyParts.reduce((n, part) => n + part.length, 0);
}

export function blockBodyHash(block: Pick<Block, "bodyParts">): Uint8Array {
  return blake2b256(concatBytes(...block.bodyParts.map((part) => blake2b256(part))));
}

/** Encode a block from a header and body parts (each already CBOR). */
export function encodeBlock(header: Header, bodyParts: readonly Uint8Array[]): Uint8Array {
  const head = Uint8Array.of(0x80 | (1 + bodyParts.length));
  return concatBytes(head, header.bytes, ...bodyParts);
}
