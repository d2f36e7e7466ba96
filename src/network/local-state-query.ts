// Local state-query (node-to-client mini-protocol 7): a local client acquires the ledger state at a point (or at
// the tip), asks any number of queries against that one state, and releases it. Messages (ouroboros-network's
// local-state-query CDDL):
//   [0, point] MsgAcquire   [8] MsgAcquire (volatile tip)   [10] MsgAcquire (immutable tip)
//   [1] MsgAcquired   [2, failure] MsgFailure (0 point too old, 1 point not on chain)
//   [3, query] MsgQuery   [4, result] MsgResult   [5] MsgRelease
//   [6, point] / [9] / [11] MsgReAcquire (point, volatile tip, immutable tip)   [7] MsgDone
// States: StIdle (client) -acquire-> StAcquiring (server) -Acquired-> StAcquired (client) -query-> StQuerying
// (server) -result-> StAcquired; Failure goes back to StIdle, Release to StIdle, ReAcquire to StAcquiring.
// What a query means and how its answer is encoded is state-queries.ts's business; this file only runs the
// conversation, so an unknown or unsupported query closes the connection with a log line naming it.
import { SMALL_BYTE_LIMIT } from "./limits.ts";
import type { NetLog } from "./mux.ts";
import { decodePoint, encodePoint, type Point } from "./points.ts";
import { type Driver, type ProtocolSpec, serveMessages } from "./protocol.ts";
import { decodeRaw, expectItems, message, splitMessage, WireError } from "./wire.ts";

export type LsqState = "StIdle" | "StAcquiring" | "StAcquired" | "StQuerying" | "StDone";

/** Where to acquire: a point, the volatile tip (our tip) or the immutable tip (k blocks back). */
export type AcquireTarget = { readonly point: Point } | "tip" | "immutable";

export const ACQUIRE_FAILURE = { pointTooOld: 0, pointNotOnChain: 1 } as const;
export type AcquireFailure = (typeof ACQUIRE_FAILURE)[keyof typeof ACQUIRE_FAILURE];

export type LsqMessage =
  | { readonly type: "MsgAcquire"; readonly target: AcquireTarget }
  | { readonly type: "MsgReAcquire"; readonly target: AcquireTarget }
  | { readonly type: "MsgAcquired" }
  | { readonly type: "MsgFailure"; readonly failure: AcquireFailure }
  | { readonly type: "MsgQuery"; readonly query: Uint8Array }
  | { readonly type: "MsgResult"; readonly result: Uint8Array }
  | { readonly type: "MsgRelease" }
  | { readonly type: "MsgDone" };

function encodeAcquire(reacquire: boolean, target: AcquireTarget): Uint8Array {
  if (target === "tip") return message(reacquire ? 9 : 8);
  if (target === "immutable") return message(reacquire ? 11 : 10);
  return message(reacquire ? 6 : 0, encodePoint(target.point));
}

export const localStateQuerySpec: ProtocolSpec<LsqState, LsqMessage> = {
  name: "local state-query",
  initial: "StIdle",
  agency: (s) =>
    s === "StIdle" || s === "StAcquired" ? "client" : s === "StAcquiring" || s === "StQuerying" ? "server" : "none",
  next(state, msg) {
    switch (state) {
      case "StIdle":
        return msg.type === "MsgAcquire" ? "StAcquiring" : msg.type === "MsgDone" ? "StDone" : undefined;
      case "StAcquiring":
        return msg.type === "MsgAcquired" ? "StAcquired" : msg.type === "MsgFailure" ? "StIdle" : undefined;
      case "StAcquired":
        if (msg.type === "MsgQuery") return "StQuerying";
        if (msg.type === "MsgReAcquire") return "StAcquiring";
        return msg.type === "MsgRelease" ? "StIdle" : undefined;
      case "StQuerying":
        return msg.type === "MsgResult" ? "StAcquired" : undefined;
      default:
        return undefined;
    }
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgAcquire":
        return encodeAcquire(false, msg.target);
      case "MsgReAcquire":
        return encodeAcquire(true, msg.target);
      case "MsgAcquired":
        return message(1);
      case "MsgFailure":
        return message(2, Uint8Array.of(msg.failure));
      case "MsgQuery":
        return message(3, msg.query);
      case "MsgResult":
        return message(4, msg.result);
      case "MsgRelease":
        return message(5);
      case "MsgDone":
        return message(7);
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    const bare = (n: string) => expectItems(items, 0, n);
    switch (tag) {
      case 0:
      case 6: {
        const type = tag === 0 ? "MsgAcquire" : "MsgReAcquire";
        expectItems(items, 1, type);
        return { type, target: { point: decodePoint(items[0]!, `${type} point`) } };
      }
      case 8:
      case 10:
        bare("MsgAcquire");
        return { type: "MsgAcquire", target: tag === 8 ? "tip" : "immutable" };
      case 9:
      case 11:
        bare("MsgReAcquire");
        return { type: "MsgReAcquire", target: tag === 9 ? "tip" : "immutable" };
      case 1:
        bare("MsgAcquired");
        return { type: "MsgAcquired" };
      case 2: {
        expectItems(items, 1, "MsgFailure");
        const failure = decodeRaw(items[0]!, "MsgFailure reason");
        if (failure !== 0 && failure !== 1) throw new WireError("MsgFailure reason must be 0 or 1");
        return { type: "MsgFailure", failure };
      }
      case 3:
        expectItems(items, 1, "MsgQuery");
        return { type: "MsgQuery", query: items[0]! };
      case 4:
        expectItems(items, 1, "MsgResult");
        return { type: "MsgResult", result: items[0]! };
      case 5:
        bare("MsgRelease");
        return { type: "MsgRelease" };
      case 7:
        bare("MsgDone");
        return { type: "MsgDone" };
      default:
        throw new WireError(`unknown local state-query message tag ${tag}`);
    }
  },
  // Queries are small (a few addresses or inputs); results may be a whole UTxO.
  sizeLimit: (state) => (state === "StAcquired" || state === "StIdle" ? SMALL_BYTE_LIMIT : 0xffffffff),
};

/** A query the node will not answer (unknown, or one whose data poolfleet's ledger does not hold). */
export class QueryRefused extends Error {
  override name = "QueryRefused";
}

/** A ledger state held for one client between acquire and release. */
export interface AcquiredState {
  /**
   * The result's CBOR for the query's CBOR, for a client that negotiated node-to-client `version` (some answers'
   * layouts depend on it); throws QueryRefused (or WireError for malformed bytes).
   */
  answer(query: Uint8Array, version: number): Uint8Array;
}

/** What the server asks of the node: a state at `target`, or why not. */
export type Acquire = (target: AcquireTarget) => AcquiredState | { readonly failure: AcquireFailure };

/** Serve acquires and queries until the client is done or the connection closes. */
export async function serveLocalStateQuery(
  driver: Driver<LsqState, LsqMessage>,
  acquire: Acquire,
  log: NetLog,
  client: string,
  version: number,
): Promise<void> {
  let held: AcquiredState | null = null;
  return serveMessages(driver, (msg) => {
    switch (msg.type) {
      case "MsgAcquire":
      case "MsgReAcquire": {
        const got = acquire(msg.target);
        held = "failure" in got ? null : got;
        driver.send("failure" in got ? { type: "MsgFailure", failure: got.failure } : { type: "MsgAcquired" });
        return undefined;
      }
      case "MsgQuery": {
        let result: Uint8Array;
        try {
          result = held!.answer(msg.query, version);
        } catch (error) {
          if (!(error instanceof QueryRefused || error instanceof WireError)) throw error;
          const reason = `local state-query: ${error.message}`;
          log.warn({ client }, reason);
          throw driver.fail(reason);
        }
        driver.send({ type: "MsgResult", result });
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
