// Local tx-monitor (node-to-client mini-protocol 9): a local client takes a snapshot of the mempool and walks it
// (what `cardano-cli query tx-mempool` does). Messages (ouroboros-network's local-tx-monitor CDDL):
//   [0] MsgDone   [1] MsgAcquire (in StAcquired: MsgAwaitAcquire)   [2, slot] MsgAcquired   [3] MsgRelease
//   [5] MsgNextTx   [6] / [6, [era, tag24(tx)]] MsgReplyNextTx   [7, txid] MsgHasTx   [8, bool] MsgReplyHasTx
//   [9] MsgGetSizes   [10, [capacity, size, count]] MsgReplyGetSizes
// States: StIdle (client) -Acquire-> StAcquiring (server) -Acquired-> StAcquired (client) -NextTx/HasTx/GetSizes->
// StBusy (server) -reply-> StAcquired; Release -> StIdle; AwaitAcquire -> StAcquiring, answered once the mempool
// differs from the snapshot held. GetMeasures (11, V20+) is not served: it closes the connection as unknown.
import { bytesToHex } from "../crypto/bytes.ts";
import { SMALL_BYTE_LIMIT } from "./limits.ts";
import { ConnectionClosedError, type Mux } from "./mux.ts";
import { type Driver, type ProtocolSpec, serveMessages } from "./protocol.ts";
import {
  arrayOf,
  asBytes,
  decodeRaw,
  expectItems,
  message,
  rawArray,
  splitMessage,
  tag24,
  untag24,
  wire,
  WireError,
} from "./wire.ts";
import { encodeCbor } from "../codec/cbor.ts";

export type TxMonitorState = "StIdle" | "StAcquiring" | "StAcquired" | "StBusy" | "StDone";

export interface MempoolSizes {
  readonly capacity: number;
  readonly size: number;
  readonly count: number;
}

export type TxMonitorMessage =
  | { readonly type: "MsgDone" }
  | { readonly type: "MsgAcquire" }
  | { readonly type: "MsgAcquired"; readonly slot: bigint }
  | { readonly type: "MsgRelease" }
  | { readonly type: "MsgNextTx" }
  | { readonly type: "MsgReplyNextTx"; readonly tx: { readonly era: number; readonly bytes: Uint8Array } | null }
  | { readonly type: "MsgHasTx"; readonly txId: Uint8Array }
  | { readonly type: "MsgReplyHasTx"; readonly has: boolean }
  | { readonly type: "MsgGetSizes" }
  | { readonly type: "MsgReplyGetSizes"; readonly sizes: MempoolSizes };

const ASKS = new Set(["MsgNextTx", "MsgHasTx", "MsgGetSizes"]);
const REPLIES = new Set(["MsgReplyNextTx", "MsgReplyHasTx", "MsgReplyGetSizes"]);

export const localTxMonitorSpec: ProtocolSpec<TxMonitorState, TxMonitorMessage> = {
  name: "local tx-monitor",
  initial: "StIdle",
  agency: (s) =>
    s === "StIdle" || s === "StAcquired" ? "client" : s === "StAcquiring" || s === "StBusy" ? "server" : "none",
  next(state, msg) {
    switch (state) {
      case "StIdle":
        return msg.type === "MsgAcquire" ? "StAcquiring" : msg.type === "MsgDone" ? "StDone" : undefined;
      case "StAcquiring":
        return msg.type === "MsgAcquired" ? "StAcquired" : undefined;
      case "StAcquired":
        if (ASKS.has(msg.type)) return "StBusy";
        return msg.type === "MsgAcquire" ? "StAcquiring" : msg.type === "MsgRelease" ? "StIdle" : undefined;
      case "StBusy":
        return REPLIES.has(msg.type) ? "StAcquired" : undefined;
      default:
        return undefined;
    }
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgDone":
        return message(0);
      case "MsgAcquire":
        return message(1);
      case "MsgAcquired":
        return message(2, encodeCbor(msg.slot));
      case "MsgRelease":
        return message(3);
      case "MsgNextTx":
        return message(5);
      case "MsgReplyNextTx":
        return msg.tx === null ? message(6) : message(6, rawArray([encodeCbor(msg.tx.era), tag24(msg.tx.bytes)]));
      case "MsgHasTx":
        return message(7, encodeCbor(msg.txId));
      case "MsgReplyHasTx":
        return message(8, encodeCbor(msg.has));
      case "MsgGetSizes":
        return message(9);
      case "MsgReplyGetSizes":
        return message(10, encodeCbor([msg.sizes.capacity, msg.sizes.size, msg.sizes.count]));
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    const bare = <T extends TxMonitorMessage>(m: T): T => (expectItems(items, 0, m.type), m);
    switch (tag) {
      case 0:
        return bare({ type: "MsgDone" });
      case 1:
        return bare({ type: "MsgAcquire" });
      case 2: {
        expectItems(items, 1, "MsgAcquired");
        const slot = decodeRaw(items[0]!, "MsgAcquired slot");
        if (typeof slot !== "number" && typeof slot !== "bigint") throw new WireError("MsgAcquired slot is a number");
        return { type: "MsgAcquired", slot: BigInt(slot) };
      }
      case 3:
        return bare({ type: "MsgRelease" });
      case 5:
        return bare({ type: "MsgNextTx" });
      case 6: {
        if (items.length === 0) return { type: "MsgReplyNextTx", tx: null };
        expectItems(items, 1, "MsgReplyNextTx");
        const pair = arrayOf(items[0]!, "MsgReplyNextTx transaction");
        const era = pair.length === 2 ? decodeRaw(pair[0]!, "MsgReplyNextTx era") : undefined;
        if (typeof era !== "number") throw new WireError("MsgReplyNextTx carries [era, tag24(tx)]");
        return { type: "MsgReplyNextTx", tx: { era, bytes: untag24(pair[1]!, "MsgReplyNextTx transaction") } };
      }
      case 7: {
        expectItems(items, 1, "MsgHasTx");
        const txId = wire("MsgHasTx id", () => asBytes(decodeRaw(items[0]!, "MsgHasTx id"), "MsgHasTx id", 32));
        return { type: "MsgHasTx", txId };
      }
      case 8: {
        expectItems(items, 1, "MsgReplyHasTx");
        const has = decodeRaw(items[0]!, "MsgReplyHasTx");
        if (typeof has !== "boolean") throw new WireError("MsgReplyHasTx carries a boolean");
        return { type: "MsgReplyHasTx", has };
      }
      case 9:
        return bare({ type: "MsgGetSizes" });
      case 10: {
        expectItems(items, 1, "MsgReplyGetSizes");
        const v = decodeRaw(items[0]!, "MsgReplyGetSizes");
        if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === "number"))
          throw new WireError("MsgReplyGetSizes carries [capacity, size, count]");
        const [capacity, size, count] = v as number[];
        return { type: "MsgReplyGetSizes", sizes: { capacity: capacity!, size: size!, count: count! } };
      }
      default:
        throw new WireError(`unknown local tx-monitor message tag ${tag}`);
    }
  },
  // Requests are tiny; a reply may carry a whole transaction.
  sizeLimit: (state) => (state === "StBusy" ? 2 * SMALL_BYTE_LIMIT : SMALL_BYTE_LIMIT),
};

/** The mempool at one moment: its transactions oldest first (era index, id, bytes), the slot and the capacity. */
export interface MempoolSnapshot {
  readonly slot: bigint;
  readonly capacity: number;
  readonly txs: readonly { readonly era: number; readonly id: string; readonly bytes: Uint8Array }[];
}

const sameTxs = (a: MempoolSnapshot, b: MempoolSnapshot) =>
  a.txs.length === b.txs.length && a.txs.every((t, i) => t.id === b.txs[i]!.id);

/** How often an await-acquire looks for a changed mempool (a local client's wait; cheap to compare). */
const AWAIT_POLL_MS = 100;

/** Serve snapshots until the client is done or the connection closes. */
export async function serveLocalTxMonitor(
  driver: Driver<TxMonitorState, TxMonitorMessage>,
  snapshot: () => MempoolSnapshot,
  mux: Mux,
): Promise<void> {
  let held: MempoolSnapshot | null = null;
  let next = 0;
  return serveMessages(driver, async (msg) => {
    switch (msg.type) {
      case "MsgAcquire": {
        if (held) {
          const before = held;
          while (sameTxs(before, snapshot())) {
            await new Promise((resolve) => setTimeout(resolve, AWAIT_POLL_MS));
            if (mux.closeReason !== undefined) throw new ConnectionClosedError(mux.closeReason);
          }
        }
        held = snapshot();
        next = 0;
        driver.send({ type: "MsgAcquired", slot: held.slot });
        return undefined;
      }
      case "MsgNextTx": {
        const tx = held!.txs[next];
        if (tx) next++;
        driver.send({ type: "MsgReplyNextTx", tx: tx ? { era: tx.era, bytes: tx.bytes } : null });
        return undefined;
      }
      case "MsgHasTx": {
        const id = bytesToHex(msg.txId);
        driver.send({ type: "MsgReplyHasTx", has: held!.txs.some((t) => t.id === id) });
        return undefined;
      }
      case "MsgGetSizes": {
        const size = held!.txs.reduce((sum, t) => sum + t.bytes.length, 0);
        driver.send({ type: "MsgReplyGetSizes", sizes: { capacity: held!.capacity, size, count: held!.txs.length } });
        return undefined;
      }
      case "MsgRelease":
        held = null;
        return undefined;
      default:
        return "done"; // MsgDone
    }
  });
}
