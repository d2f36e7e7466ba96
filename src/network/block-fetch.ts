// Block-fetch (mini-protocol 3). Blocks travel as tag24(bytes of [block_era_tag, block]), the stored bytes intact.
//   [0, from, to] MsgRequestRange   [1] MsgClientDone   [2] MsgStartBatch   [3] MsgNoBlocks
//   [4, tag24(era block)] MsgBlock   [5] MsgBatchDone
// States: BFIdle (client), BFBusy (server), BFStreaming (server), BFDone.
import type { ChainSource } from "./chain-source.ts";
import { cborHead } from "../codec/cbor-raw.ts";
import { blockTag, decodeEraBlockBytes, type EraBlock } from "./era.ts";
import { LARGE_BYTE_LIMIT, type NetworkTimeouts, SMALL_BYTE_LIMIT } from "./limits.ts";
import { ConnectionClosedError } from "./mux.ts";
import { type BlockPoint, decodePoint, encodePoint } from "./points.ts";
import { Driver, type ProtocolSpec } from "./protocol.ts";
import { expectItems, message, splitMessage, untag24, WireError } from "./wire.ts";

export type BlockFetchState = "BFIdle" | "BFBusy" | "BFStreaming" | "BFDone";

export type BlockFetchMessage =
  | { readonly type: "MsgRequestRange"; readonly from: BlockPoint; readonly to: BlockPoint }
  | { readonly type: "MsgClientDone" }
  | { readonly type: "MsgStartBatch" }
  | { readonly type: "MsgNoBlocks" }
  | { readonly type: "MsgBlock"; readonly block: EraBlock }
  | { readonly type: "MsgBatchDone" };

/**
 * [4, tag24(bytes of [era tag, block])] in one allocation: a server streams many blocks to many peers, and the
 * generic path (era wrapper, byte string, tag, message array) copied every block four times.
 */
export function encodeMsgBlock(block: EraBlock): Uint8Array {
  const tag = blockTag(block.era);
  const innerLength = 2 + block.bytes.length; // 0x82, the era tag (a one-byte uint), the block
  const stringHead = cborHead(2, innerLength);
  const out = new Uint8Array(4 + stringHead.length + innerLength);
  out.set([0x82, 0x04, 0xd8, 0x18]);
  out.set(stringHead, 4);
  out.set([0x82, tag], 4 + stringHead.length);
  out.set(block.bytes, 6 + stringHead.length);
  return out;
}

function blockPoint(raw: Uint8Array, what: string): BlockPoint {
  const p = decodePoint(raw, what);
  if (p === "origin") throw new WireError(`${what} must be a block, not origin`);
  return p;
}

export const blockFetchSpec: ProtocolSpec<BlockFetchState, BlockFetchMessage> = {
  name: "block-fetch",
  initial: "BFIdle",
  agency: (s) => (s === "BFIdle" ? "client" : s === "BFDone" ? "none" : "server"),
  next(state, msg) {
    switch (state) {
      case "BFIdle":
        if (msg.type === "MsgRequestRange") return "BFBusy";
        if (msg.type === "MsgClientDone") return "BFDone";
        return undefined;
      case "BFBusy":
        if (msg.type === "MsgStartBatch") return "BFStreaming";
        if (msg.type === "MsgNoBlocks") return "BFIdle";
        return undefined;
      case "BFStreaming":
        if (msg.type === "MsgBlock") return "BFStreaming";
        if (msg.type === "MsgBatchDone") return "BFIdle";
        return undefined;
      case "BFDone":
        return undefined;
    }
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgRequestRange":
        return message(0, encodePoint(msg.from), encodePoint(msg.to));
      case "MsgClientDone":
        return message(1);
      case "MsgStartBatch":
        return message(2);
      case "MsgNoBlocks":
        return message(3);
      case "MsgBlock":
        return encodeMsgBlock(msg.block);
      case "MsgBatchDone":
        return message(5);
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    switch (tag) {
      case 0:
        expectItems(items, 2, "MsgRequestRange");
        return { type: "MsgRequestRange", from: blockPoint(items[0]!, "from"), to: blockPoint(items[1]!, "to") };
      case 1:
        expectItems(items, 0, "MsgClientDone");
        return { type: "MsgClientDone" };
      case 2:
        expectItems(items, 0, "MsgStartBatch");
        return { type: "MsgStartBatch" };
      case 3:
        expectItems(items, 0, "MsgNoBlocks");
        return { type: "MsgNoBlocks" };
      case 4:
        expectItems(items, 1, "MsgBlock");
        return { type: "MsgBlock", block: decodeEraBlockBytes(untag24(items[0]!, "block")) };
      case 5:
        expectItems(items, 0, "MsgBatchDone");
        return { type: "MsgBatchDone" };
      default:
        throw new WireError(`unknown block-fetch message tag ${tag}`);
    }
  },
  sizeLimit: (s) => (s === "BFStreaming" ? LARGE_BYTE_LIMIT : SMALL_BYTE_LIMIT),
};

export function blockFetchTimeLimit(t: NetworkTimeouts) {
  return (state: BlockFetchState): number | null =>
    state === "BFBusy" ? t.blockFetchBusyMs : state === "BFStreaming" ? t.blockFetchStreamingMs : null;
}

export class BlockFetchClient {
  readonly driver: Driver<BlockFetchState, BlockFetchMessage>;

  constructor(driver: Driver<BlockFetchState, BlockFetchMessage>) {
    this.driver = driver;
  }

  /** Blocks `from`..`to` inclusive, yielded as they arrive; nothing when the server has no such range. */
  async *stream(from: BlockPoint, to: BlockPoint): AsyncGenerator<EraBlock> {
    this.driver.send({ type: "MsgRequestRange", from, to });
    const first = await this.driver.recv();
    if (first.type === "MsgNoBlocks") return;
    while (true) {
      const msg = await this.driver.recv();
      if (msg.type === "MsgBatchDone") return;
      if (msg.type !== "MsgBlock") throw this.driver.fail(`block-fetch: unexpected ${msg.type}`);
      yield msg.block;
    }
  }

  /** Blocks `from`..`to` inclusive, or undefined when the server has no such range (MsgNoBlocks). */
  async fetchRange(from: BlockPoint, to: BlockPoint): Promise<EraBlock[] | undefined> {
    this.driver.send({ type: "MsgRequestRange", from, to });
    const first = await this.driver.recv();
    if (first.type === "MsgNoBlocks") return undefined;
    const blocks: EraBlock[] = [];
    while (true) {
      const msg = await this.driver.recv();
      if (msg.type === "MsgBatchDone") return blocks;
      if (msg.type !== "MsgBlock") throw this.driver.fail(`block-fetch: unexpected ${msg.type}`);
      blocks.push(msg.block);
    }
  }

  done(): void {
    this.driver.send({ type: "MsgClientDone" });
  }
}

/** The responder side: stream requested ranges from `source`, one block at a time as the socket drains. */
export async function serveBlockFetch(
  driver: Driver<BlockFetchState, BlockFetchMessage>,
  source: ChainSource,
): Promise<void> {
  try {
    while (true) {
      const msg = await driver.recv();
      if (msg.type === "MsgClientDone") return;
      if (msg.type !== "MsgRequestRange") continue;
      const blocks = source.range(msg.from, msg.to);
      if (!blocks) {
        driver.send({ type: "MsgNoBlocks" });
        continue;
      }
      driver.send({ type: "MsgStartBatch" });
      for (const b of blocks) {
        await driver.channel.whenWritable();
        driver.send({ type: "MsgBlock", block: { era: b.era, bytes: b.bytes } });
      }
      driver.send({ type: "MsgBatchDone" });
    }
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}
