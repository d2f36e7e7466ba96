// Local tx-submission (node-to-client mini-protocol 6): a local client hands one transaction at a time to the
// node's mempool and hears whether it went in.
//   [0, [era_index, tag24(tx)]] MsgSubmitTx   [1] MsgAcceptTx   [2, reason] MsgRejectTx   [3] MsgDone
// States: StIdle (client) -> StBusy (server) -> StIdle; MsgDone -> StDone. The reason is ApplyTxErr as
// cardano-node encodes it (apply-tx-err.ts).
import { SMALL_BYTE_LIMIT } from "./limits.ts";
import { type Driver, type ProtocolSpec, serveMessages } from "./protocol.ts";
import { decodeEraTx, encodeEraTx } from "./tx-submission.ts";
import { expectItems, message, splitMessage, WireError } from "./wire.ts";

export type LocalTxState = "StIdle" | "StBusy" | "StDone";

export type LocalTxMessage =
  | { readonly type: "MsgSubmitTx"; readonly hfcIndex: number; readonly tx: Uint8Array }
  | { readonly type: "MsgAcceptTx" }
  | { readonly type: "MsgRejectTx"; readonly reason: Uint8Array }
  | { readonly type: "MsgDone" };

export const localTxSubmissionSpec: ProtocolSpec<LocalTxState, LocalTxMessage> = {
  name: "local tx-submission",
  initial: "StIdle",
  agency: (s) => (s === "StIdle" ? "client" : s === "StBusy" ? "server" : "none"),
  next(state, msg) {
    if (state === "StIdle")
      return msg.type === "MsgSubmitTx" ? "StBusy" : msg.type === "MsgDone" ? "StDone" : undefined;
    if (state === "StBusy") return msg.type === "MsgAcceptTx" || msg.type === "MsgRejectTx" ? "StIdle" : undefined;
    return undefined;
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgSubmitTx":
        return message(0, encodeEraTx(msg.hfcIndex, msg.tx));
      case "MsgAcceptTx":
        return message(1);
      case "MsgRejectTx":
        return message(2, msg.reason);
      case "MsgDone":
        return message(3);
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    switch (tag) {
      case 0: {
        expectItems(items, 1, "MsgSubmitTx");
        const { hfcIndex, tx } = decodeEraTx(items[0]!);
        return { type: "MsgSubmitTx", hfcIndex, tx };
      }
      case 1:
        expectItems(items, 0, "MsgAcceptTx");
        return { type: "MsgAcceptTx" };
      case 2:
        expectItems(items, 1, "MsgRejectTx");
        return { type: "MsgRejectTx", reason: items[0]! };
      case 3:
        expectItems(items, 0, "MsgDone");
        return { type: "MsgDone" };
      default:
        throw new WireError(`unknown local tx-submission message tag ${tag}`);
    }
  },
  sizeLimit: () => SMALL_BYTE_LIMIT,
};

/** What the node says to a submitted transaction: accepted, or the encoded MsgRejectTx reason. */
export type LocalSubmitResult = { readonly accepted: true } | { readonly accepted: false; readonly reason: Uint8Array };

/** Serve submissions until the client is done or the connection closes. */
export async function serveLocalTxSubmission(
  driver: Driver<LocalTxState, LocalTxMessage>,
  submit: (hfcIndex: number, tx: Uint8Array) => LocalSubmitResult,
): Promise<void> {
  return serveMessages(driver, (msg) => {
    if (msg.type !== "MsgSubmitTx") return "done"; // MsgDone
    const result = submit(msg.hfcIndex, msg.tx);
    driver.send(result.accepted ? { type: "MsgAcceptTx" } : { type: "MsgRejectTx", reason: result.reason });
    return undefined;
  });
}
