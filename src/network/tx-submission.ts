// Tx-submission2 (mini-protocol 4). The initiator (client) holds transactions and offers them; the responder
// (server) asks. Transaction ids and transactions stay raw CBOR items, as Cardano wraps them for the hard-fork
// combinator: a txid is [hfc_era_index, bytes32], a transaction [hfc_era_index, tag24(tx bytes)].
//   [6] MsgInit   [0, blocking, ack u16, req u16] MsgRequestTxIds   [1, [[txid, size]]] MsgReplyTxIds
//   [2, [txid]] MsgRequestTxs   [3, [tx]] MsgReplyTxs   [4] MsgDone
// States: StInit (client), StIdle (server), StTxIdsBlocking / StTxIdsNonBlocking / StTxs (client), StDone.
import { concatBytes } from "../crypto/bytes.ts";
import { encodeCbor } from "../codec/cbor.ts";
import { LARGE_BYTE_LIMIT, type NetworkTimeouts, SMALL_BYTE_LIMIT } from "./limits.ts";
import { ConnectionClosedError } from "./mux.ts";
import { Driver, type ProtocolSpec } from "./protocol.ts";
import {
  arrayOf,
  boolOf,
  expectItems,
  message,
  rawArray,
  splitMessage,
  tag24,
  uintOf,
  untag24,
  WireError,
  wire,
  decodeRaw,
  asBytes,
} from "./wire.ts";
import { bytesToHex } from "../crypto/bytes.ts";

export type TxSubmissionState = "StInit" | "StIdle" | "StTxIdsBlocking" | "StTxIdsNonBlocking" | "StTxs" | "StDone";

export interface TxIdAndSize {
  /** The txid item as sent ([era, bytes32]). */
  readonly id: Uint8Array;
  readonly size: number;
}

export type TxSubmissionMessage =
  | { readonly type: "MsgInit" }
  | { readonly type: "MsgRequestTxIds"; readonly blocking: boolean; readonly ack: number; readonly req: number }
  | { readonly type: "MsgReplyTxIds"; readonly ids: readonly TxIdAndSize[] }
  | { readonly type: "MsgRequestTxs"; readonly ids: readonly Uint8Array[] }
  | { readonly type: "MsgReplyTxs"; readonly txs: readonly Uint8Array[] }
  | { readonly type: "MsgDone" };

/** An era-wrapped transaction id: [hfc_era_index, id]. */
export function encodeEraTxId(hfcIndex: number, id: Uint8Array): Uint8Array {
  return encodeCbor([hfcIndex, id]);
}

/** An era-wrapped transaction: [hfc_era_index, tag24(tx bytes)]. */
export function encodeEraTx(hfcIndex: number, tx: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x82), encodeCbor(hfcIndex), tag24(tx));
}

export function decodeEraTx(raw: Uint8Array): { hfcIndex: number; tx: Uint8Array } {
  const items = arrayOf(raw, "transaction");
  expectItems(items, 2, "transaction");
  return { hfcIndex: uintOf(items[0]!, "transaction era", 255), tx: untag24(items[1]!, "transaction") };
}

export function decodeEraTxId(raw: Uint8Array): { hfcIndex: number; id: Uint8Array } {
  const items = arrayOf(raw, "txid");
  expectItems(items, 2, "txid");
  const id = wire("txid", () => asBytes(decodeRaw(items[1]!, "txid"), "txid", 32));
  return { hfcIndex: uintOf(items[0]!, "txid era", 255), id };
}

export const txSubmissionSpec: ProtocolSpec<TxSubmissionState, TxSubmissionMessage> = {
  name: "tx-submission2",
  initial: "StInit",
  agency: (s) => (s === "StIdle" ? "server" : s === "StDone" ? "none" : "client"),
  next(state, msg) {
    switch (state) {
      case "StInit":
        return msg.type === "MsgInit" ? "StIdle" : undefined;
      case "StIdle":
        if (msg.type === "MsgRequestTxIds") return msg.blocking ? "StTxIdsBlocking" : "StTxIdsNonBlocking";
        if (msg.type === "MsgRequestTxs") return "StTxs";
        return undefined;
      case "StTxIdsBlocking":
        if (msg.type === "MsgDone") return "StDone";
        return msg.type === "MsgReplyTxIds" && msg.ids.length > 0 ? "StIdle" : undefined;
      case "StTxIdsNonBlocking":
        return msg.type === "MsgReplyTxIds" ? "StIdle" : undefined;
      case "StTxs":
        return msg.type === "MsgReplyTxs" ? "StIdle" : undefined;
      case "StDone":
        return undefined;
    }
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgInit":
        return message(6);
      case "MsgRequestTxIds":
        return message(0, encodeCbor(msg.blocking), encodeCbor(msg.ack), encodeCbor(msg.req));
      case "MsgReplyTxIds":
        return message(1, rawArray(msg.ids.map((t) => rawArray([t.id, encodeCbor(t.size)]))));
      case "MsgRequestTxs":
        return message(2, rawArray([...msg.ids]));
      case "MsgReplyTxs":
        return message(3, rawArray([...msg.txs]));
      case "MsgDone":
        return message(4);
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    switch (tag) {
      case 6:
        expectItems(items, 0, "MsgInit");
        return { type: "MsgInit" };
      case 0:
        expectItems(items, 3, "MsgRequestTxIds");
        return {
          type: "MsgRequestTxIds",
          blocking: boolOf(items[0]!, "blocking"),
          ack: uintOf(items[1]!, "ack", 0xffff),
          req: uintOf(items[2]!, "req", 0xffff),
        };
      case 1: {
        expectItems(items, 1, "MsgReplyTxIds");
        const ids = arrayOf(items[0]!, "txids").map((pair) => {
          const p = arrayOf(pair, "txid and size");
          expectItems(p, 2, "txid and size");
          return { id: Uint8Array.from(p[0]!), size: uintOf(p[1]!, "tx size", 0xffffffff) };
        });
        return { type: "MsgReplyTxIds", ids };
      }
      case 2:
        expectItems(items, 1, "MsgRequestTxs");
        return { type: "MsgRequestTxs", ids: arrayOf(items[0]!, "txids").map((i) => Uint8Array.from(i)) };
      case 3:
        expectItems(items, 1, "MsgReplyTxs");
        return { type: "MsgReplyTxs", txs: arrayOf(items[0]!, "txs").map((t) => Uint8Array.from(t)) };
      case 4:
        expectItems(items, 0, "MsgDone");
        return { type: "MsgDone" };
      default:
        throw new WireError(`unknown tx-submission2 message tag ${tag}`);
    }
  },
  sizeLimit: (s) => (s === "StTxs" ? LARGE_BYTE_LIMIT : SMALL_BYTE_LIMIT),
};

export function txSubmissionTimeLimit(t: NetworkTimeouts) {
  return (state: TxSubmissionState): number | null =>
    state === "StTxIdsNonBlocking" || state === "StTxs" ? t.txSubmissionReplyMs : null;
}

export interface OutboundTx {
  /** The era-wrapped txid item. */
  readonly id: Uint8Array;
  readonly size: number;
  /** The era-wrapped transaction item. */
  readonly tx: Uint8Array;
}

/** Where the outbound side finds transactions to offer (a mempool reader). */
export interface TxOffer {
  /**
   * Up to `max` transactions not offered before. When `blocking`, wait until there is at least one; resolving
   * to [] then ends the protocol (MsgDone).
   */
  next(max: number, blocking: boolean): Promise<readonly OutboundTx[]>;
}

/** The initiator side: answers the server's requests from `offer`. Runs until done or the connection closes. */
export async function runTxSubmissionClient(
  driver: Driver<TxSubmissionState, TxSubmissionMessage>,
  offer: TxOffer,
): Promise<void> {
  const unacked: OutboundTx[] = [];
  try {
    driver.send({ type: "MsgInit" });
    while (true) {
      const msg = await driver.recv();
      if (msg.type === "MsgRequestTxIds") {
        if (msg.ack > unacked.length) {
          throw driver.fail(`tx-submission2: the server acknowledged ${msg.ack} of ${unacked.length} txids`);
        }
        unacked.splice(0, msg.ack);
        if (msg.blocking && unacked.length > 0) {
          throw driver.fail("tx-submission2: blocking MsgRequestTxIds with unacknowledged txids");
        }
        const fresh = await offer.next(msg.req, msg.blocking);
        if (msg.blocking && fresh.length === 0) {
          driver.send({ type: "MsgDone" });
          return;
        }
        unacked.push(...fresh.slice(0, msg.req));
        driver.send({ type: "MsgReplyTxIds", ids: fresh.slice(0, msg.req).map((t) => ({ id: t.id, size: t.size })) });
      } else if (msg.type === "MsgRequestTxs") {
        const byId = new Map(unacked.map((t) => [bytesToHex(t.id), t.tx]));
        const txs = msg.ids.flatMap((id) => byId.get(bytesToHex(id)) ?? []);
        driver.send({ type: "MsgReplyTxs", txs });
      }
    }
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}

/**
 * The responder side: pull transactions (blocking requests for up to `maxUnacked` ids, then the bodies) and
 * hand them to `accept`. Without `accept` it only takes MsgInit and leaves the client idle, which is allowed.
 */
export async function serveTxSubmission(
  driver: Driver<TxSubmissionState, TxSubmissionMessage>,
  accept: ((txs: readonly Uint8Array[]) => void) | undefined,
  maxUnacked = 10,
): Promise<void> {
  try {
    await driver.recv(); // MsgInit
    if (!accept) return;
    let ack = 0;
    while (true) {
      driver.send({ type: "MsgRequestTxIds", blocking: true, ack, req: maxUnacked });
      const reply = await driver.recv();
      if (reply.type === "MsgDone") return;
      if (reply.type !== "MsgReplyTxIds") throw driver.fail(`tx-submission2: unexpected ${reply.type}`);
      if (reply.ids.length > maxUnacked) {
        throw driver.fail(`tx-submission2: asked for ${maxUnacked} txids, got ${reply.ids.length}`);
      }
      driver.send({ type: "MsgRequestTxs", ids: reply.ids.map((t) => t.id) });
      const txs = await driver.recv();
      if (txs.type !== "MsgReplyTxs") throw driver.fail(`tx-submission2: unexpected ${txs.type}`);
      if (txs.txs.length > reply.ids.length) {
        throw driver.fail(`tx-submission2: asked for ${reply.ids.length} transactions, got ${txs.txs.length}`);
      }
      accept(txs.txs);
      ack = reply.ids.length;
    }
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}
