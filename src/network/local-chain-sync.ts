// Local chain-sync (node-to-client mini-protocol 5): chain-sync's state machine and messages, but
// MsgRollForward carries the whole block, as cardano-node sends it to local clients: [2, tag24(bytes of
// [block_tag, block]), tip] with the storage era tag (Conway 7) — the same wrapped form block-fetch uses
// (era.ts), not the header's hard-fork index. The server loop is node-to-node chain-sync's (serveChainSyncWith).
import { chainSyncSpec, type ChainSyncMessage, type ChainSyncState, serveChainSyncWith } from "./chain-sync.ts";
import type { ChainSource } from "./chain-source.ts";
import { decodeEraBlockBytes, type EraBlock, encodeEraBlock } from "./era.ts";
import { LARGE_BYTE_LIMIT, SMALL_BYTE_LIMIT } from "./limits.ts";
import type { Mux } from "./mux.ts";
import { decodeTip, encodeTip, type Tip } from "./points.ts";
import type { Driver, ProtocolSpec } from "./protocol.ts";
import { expectItems, message, splitMessage, tag24, untag24 } from "./wire.ts";

export type LocalRollForward = { readonly type: "MsgRollForward"; readonly block: EraBlock; readonly tip: Tip };
export type LocalChainSyncMessage = Exclude<ChainSyncMessage, { type: "MsgRollForward" }> | LocalRollForward;

export const localChainSyncSpec: ProtocolSpec<ChainSyncState, LocalChainSyncMessage> = {
  name: "local chain-sync",
  initial: chainSyncSpec.initial,
  agency: chainSyncSpec.agency,
  // Transitions depend on the message type only, which both protocols share.
  next: (state, msg) => chainSyncSpec.next(state, msg as ChainSyncMessage),
  encode(msg) {
    if (msg.type === "MsgRollForward") return message(2, tag24(encodeEraBlock(msg.block)), encodeTip(msg.tip));
    return chainSyncSpec.encode(msg);
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    if (tag !== 2) return chainSyncSpec.decode(bytes) as LocalChainSyncMessage;
    expectItems(items, 2, "MsgRollForward");
    return {
      type: "MsgRollForward",
      block: decodeEraBlockBytes(untag24(items[0]!, "block")),
      tip: decodeTip(items[1]!),
    };
  },
  // The client's requests are small; the server's replies carry blocks.
  sizeLimit: (state) => (state === "StIdle" ? SMALL_BYTE_LIMIT : LARGE_BYTE_LIMIT),
};

/** Local chain-sync has no idle timeout on either side (cardano-node waits forever for local clients). */
export const localChainSyncTimeLimit = (): null => null;

/** Serve whole blocks from `source` until the client is done or the connection closes. */
export function serveLocalChainSync(
  driver: Driver<ChainSyncState, LocalChainSyncMessage>,
  source: ChainSource,
  mux: Mux,
): Promise<void> {
  return serveChainSyncWith(driver, source, mux, (block, tip) => ({
    type: "MsgRollForward",
    block: { era: block.era, bytes: block.bytes },
    tip,
  }));
}
