// Era wrapping on the node-to-node wire. Two numberings, never to be mixed:
//   chain-sync MsgRollForward header: [hfc_index, tag24(header bytes)], the hard-fork combinator's 0-based era
//     index (Byron 0, Shelley 1, Allegra 2, Mary 3, Alonzo 4, Babbage 5, Conway 6);
//   block-fetch MsgBlock: tag24(bytes of [block_tag, block]), the storage tag (Byron EBB 0, Byron 1, Shelley 2,
//     Allegra 3, Mary 4, Alonzo 5, Babbage 6, Conway 7) — the same [era, block] form as src/chain/block.ts.
// Byron is not served or accepted here: poolfleet chains start in a Shelley-family era.
import { cborArrayItems } from "../codec/cbor-raw.ts";
import { ERA_TAGS, type Era } from "../chain/block.ts";
import type { Header } from "../chain/header.ts";
import { concatBytes } from "../crypto/bytes.ts";
import { encodeCbor } from "../codec/cbor.ts";
import { tag24, uintOf, untag24, WireError } from "./wire.ts";

export type ShelleyEra = Exclude<Era, "ByronEBB" | "Byron">;

/** Storage / block-fetch tag of an era (Conway 7). */
export function blockTag(era: ShelleyEra): number {
  return ERA_TAGS.indexOf(era);
}

/** Hard-fork-combinator index of an era, as chain-sync uses it (Conway 6). */
export function hfcIndex(era: ShelleyEra): number {
  return ERA_TAGS.indexOf(era) - 1;
}

function eraFromTag(tag: number, what: string): ShelleyEra {
  const era = ERA_TAGS[tag];
  if (!era || tag < 2) throw new WireError(`${what}: era ${tag} is not a Shelley-family era`);
  return era as ShelleyEra;
}

/** The era a Shelley-family header belongs to, from its protocol major version. */
export function eraOfHeader(header: Header): ShelleyEra {
  const major = header.body.protocolVersion[0];
  if (header.protocol === "Praos") {
    if (major === 7 || major === 8) return "Babbage";
    if (major === 9 || major === 10) return "Conway";
  } else {
    if (major === 2) return "Shelley";
    if (major === 3) return "Allegra";
    if (major === 4) return "Mary";
    if (major === 5 || major === 6) return "Alonzo";
  }
  throw new WireError(`protocol version ${major} of a ${header.protocol} header names no known era`);
}

export interface WrappedHeader {
  readonly era: ShelleyEra;
  /** The header exactly as sent: its Blake2b-256 is the block hash. */
  readonly bytes: Uint8Array;
}

export function encodeWrappedHeader(h: WrappedHeader): Uint8Array {
  return concatBytes(Uint8Array.of(0x82), encodeCbor(hfcIndex(h.era)), tag24(h.bytes));
}

export function decodeWrappedHeader(raw: Uint8Array): WrappedHeader {
  let items: Uint8Array[];
  try {
    items = cborArrayItems(raw);
  } catch (error) {
    throw new WireError(`wrapped header: ${(error as Error).message}`);
  }
  if (items.length !== 2) throw new WireError(`wrapped header is [era, tag24(header)]; got ${items.length} items`);
  const index = uintOf(items[0]!, "header era", 255);
  if (index === 0) throw new WireError("Byron headers are not supported");
  return { era: eraFromTag(index + 1, "header"), bytes: untag24(items[1]!, "header") };
}

export interface EraBlock {
  readonly era: ShelleyEra;
  /** The block exactly as stored (without the era tag). */
  readonly bytes: Uint8Array;
}

/** The [era_tag, block] bytes block-fetch carries inside tag 24. */
export function encodeEraBlock(b: EraBlock): Uint8Array {
  return concatBytes(Uint8Array.of(0x82), encodeCbor(blockTag(b.era)), b.bytes);
}

export function decodeEraBlockBytes(bytes: Uint8Array): EraBlock {
  let items: Uint8Array[];
  try {
    items = cborArrayItems(bytes);
  } catch (error) {
    throw new WireError(`era block: ${(error as Error).message}`);
  }
  if (items.length !== 2) throw new WireError(`era block is [era, block]; got ${items.length} items`);
  const end = items[1]!.byteOffset - bytes.byteOffset + items[1]!.length;
  if (end !== bytes.length) throw new WireError("trailing bytes after the era block");
  return { era: eraFromTag(uintOf(items[0]!, "block era", 255), "block"), bytes: items[1]! };
}
