// Chain-sync (mini-protocol 2), node-to-node: headers only, each as [hfc_era_index, tag24(header bytes)].
//   [0] MsgRequestNext   [1] MsgAwaitReply   [2, header, tip] MsgRollForward   [3, point, tip] MsgRollBackward
//   [4, [points]] MsgFindIntersect   [5, point, tip] MsgIntersectFound   [6, tip] MsgIntersectNotFound   [7] MsgDone
// States: StIdle (client) -> StCanAwait (server) -> StMustReply (server, after AwaitReply); StIntersect (server).
import { type ChainBlock, type ChainSource, ChainFollower, findIntersect, type FollowerStep } from "./chain-source.ts";
import { decodeWrappedHeader, encodeWrappedHeader, type WrappedHeader } from "./era.ts";
import { type NetworkTimeouts, SMALL_BYTE_LIMIT } from "./limits.ts";
import type { Mux } from "./mux.ts";
import { ConnectionClosedError } from "./mux.ts";
import { decodePoint, decodeTip, encodePoint, encodeTip, type Point, type Tip } from "./points.ts";
import { Driver, type ProtocolSpec } from "./protocol.ts";
import { arrayOf, expectItems, message, rawArray, splitMessage, WireError } from "./wire.ts";

export type ChainSyncState = "StIdle" | "StCanAwait" | "StMustReply" | "StIntersect" | "StDone";

export type ChainSyncMessage =
  | { readonly type: "MsgRequestNext" }
  | { readonly type: "MsgAwaitReply" }
  | { readonly type: "MsgRollForward"; readonly header: WrappedHeader; readonly tip: Tip }
  | { readonly type: "MsgRollBackward"; readonly point: Point; readonly tip: Tip }
  | { readonly type: "MsgFindIntersect"; readonly points: readonly Point[] }
  | { readonly type: "MsgIntersectFound"; readonly point: Point; readonly tip: Tip }
  | { readonly type: "MsgIntersectNotFound"; readonly tip: Tip }
  | { readonly type: "MsgDone" };

export const chainSyncSpec: ProtocolSpec<ChainSyncState, ChainSyncMessage> = {
  name: "chain-sync",
  initial: "StIdle",
  agency: (s) => (s === "StIdle" ? "client" : s === "StDone" ? "none" : "server"),
  next(state, msg) {
    switch (state) {
      case "StIdle":
        if (msg.type === "MsgRequestNext") return "StCanAwait";
        if (msg.type === "MsgFindIntersect") return "StIntersect";
        if (msg.type === "MsgDone") return "StDone";
        return undefined;
      case "StCanAwait":
      case "StMustReply":
        if (msg.type === "MsgAwaitReply") return state === "StCanAwait" ? "StMustReply" : undefined;
        if (msg.type === "MsgRollForward" || msg.type === "MsgRollBackward") return "StIdle";
        return undefined;
      case "StIntersect":
        return msg.type === "MsgIntersectFound" || msg.type === "MsgIntersectNotFound" ? "StIdle" : undefined;
      case "StDone":
        return undefined;
    }
  },
  encode(msg) {
    switch (msg.type) {
      case "MsgRequestNext":
        return message(0);
      case "MsgAwaitReply":
        return message(1);
      case "MsgRollForward":
        return message(2, encodeWrappedHeader(msg.header), encodeTip(msg.tip));
      case "MsgRollBackward":
        return message(3, encodePoint(msg.point), encodeTip(msg.tip));
      case "MsgFindIntersect":
        return message(4, rawArray(msg.points.map(encodePoint)));
      case "MsgIntersectFound":
        return message(5, encodePoint(msg.point), encodeTip(msg.tip));
      case "MsgIntersectNotFound":
        return message(6, encodeTip(msg.tip));
      case "MsgDone":
        return message(7);
    }
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    const n = (count: number, what: string) => expectItems(items, count, what);
    switch (tag) {
      case 0:
        n(0, "MsgRequestNext");
        return { type: "MsgRequestNext" };
      case 1:
        n(0, "MsgAwaitReply");
        return { type: "MsgAwaitReply" };
      case 2:
        n(2, "MsgRollForward");
        return { type: "MsgRollForward", header: decodeWrappedHeader(items[0]!), tip: decodeTip(items[1]!) };
      case 3:
        n(2, "MsgRollBackward");
        return { type: "MsgRollBackward", point: decodePoint(items[0]!), tip: decodeTip(items[1]!) };
      case 4:
        n(1, "MsgFindIntersect");
        return { type: "MsgFindIntersect", points: arrayOf(items[0]!, "points").map((p) => decodePoint(p)) };
      case 5:
        n(2, "MsgIntersectFound");
        return { type: "MsgIntersectFound", point: decodePoint(items[0]!), tip: decodeTip(items[1]!) };
      case 6:
        n(1, "MsgIntersectNotFound");
        return { type: "MsgIntersectNotFound", tip: decodeTip(items[0]!) };
      case 7:
        n(0, "MsgDone");
        return { type: "MsgDone" };
      default:
        throw new WireError(`unknown chain-sync message tag ${tag}`);
    }
  },
  sizeLimit: () => SMALL_BYTE_LIMIT,
};

/** How long each side waits for the other, per state (client: server replies; server: the next request). */
export function chainSyncTimeLimit(t: NetworkTimeouts) {
  return (state: ChainSyncState): number | null => {
    switch (state) {
      case "StIdle":
        return t.chainSyncIdleMs;
      case "StCanAwait":
        return t.chainSyncCanAwaitMs;
      case "StIntersect":
        return t.chainSyncIntersectMs;
      case "StMustReply": {
        const [min, max] = t.chainSyncMustReplyMs;
        return min + Math.floor(Math.random() * (max - min + 1));
      }
      case "StDone":
        return null;
    }
  };
}

export type ChainSyncEvent =
  | { readonly kind: "forward"; readonly header: WrappedHeader; readonly tip: Tip; readonly awaited: boolean }
  | { readonly kind: "backward"; readonly point: Point; readonly tip: Tip; readonly awaited: boolean };

/** The initiator side: ask for an intersection, then for the next header, one request at a time. */
export class ChainSyncClient {
  readonly driver: Driver<ChainSyncState, ChainSyncMessage>;
  /** Called when the server says we are at its tip (MsgAwaitReply) and the reply will come later. */
  onAwait: (() => void) | null = null;

  constructor(driver: Driver<ChainSyncState, ChainSyncMessage>) {
    this.driver = driver;
  }

  async findIntersect(points: readonly Point[]): Promise<{ intersect: Point | undefined; tip: Tip }> {
    this.driver.send({ type: "MsgFindIntersect", points });
    const reply = await this.driver.recv();
    if (reply.type === "MsgIntersectFound") return { intersect: reply.point, tip: reply.tip };
    if (reply.type === "MsgIntersectNotFound") return { intersect: undefined, tip: reply.tip };
    throw this.driver.fail(`chain-sync: unexpected ${reply.type}`);
  }

  async requestNext(): Promise<ChainSyncEvent> {
    this.driver.send({ type: "MsgRequestNext" });
    let awaited = false;
    while (true) {
      const reply = await this.driver.recv();
      if (reply.type === "MsgAwaitReply") {
        awaited = true;
        this.onAwait?.();
        continue;
      }
      if (reply.type === "MsgRollForward") return { kind: "forward", header: reply.header, tip: reply.tip, awaited };
      if (reply.type === "MsgRollBackward") return { kind: "backward", point: reply.point, tip: reply.tip, awaited };
      throw this.driver.fail(`chain-sync: unexpected ${reply.type}`);
    }
  }

  done(): void {
    this.driver.send({ type: "MsgDone" });
  }
}

/** The responder side: serve headers from `source` until the client is done or the connection closes. */
export function serveChainSync(
  driver: Driver<ChainSyncState, ChainSyncMessage>,
  source: ChainSource,
  mux: Mux,
): Promise<void> {
  return serveChainSyncWith(driver, source, mux, (block, tip) => ({
    type: "MsgRollForward",
    header: { era: block.era, bytes: block.header },
    tip,
  }));
}

type NotForward = Exclude<ChainSyncMessage, { type: "MsgRollForward" }>;

/**
 * The server loop, shared by node-to-node chain-sync (headers) and local chain-sync (whole blocks): `forward`
 * builds the MsgRollForward for a block; everything else (intersections, roll backs, waiting at the tip) is one.
 */
export async function serveChainSyncWith<F extends { readonly type: "MsgRollForward" }>(
  driver: Driver<ChainSyncState, NotForward | F>,
  source: ChainSource,
  mux: Mux,
  forward: (block: ChainBlock, tip: Tip) => F,
): Promise<void> {
  const follower = new ChainFollower(source);
  const reply = (step: FollowerStep) => {
    if (step.kind === "forward") driver.send(forward(step.block, source.tip()));
    else driver.send({ type: "MsgRollBackward", point: step.point, tip: source.tip() });
  };
  try {
    while (true) {
      // A client may pipeline many requests and read slowly: take the next one only once our unsent replies are
      // below the mux's high-water mark, so what waits for it is bounded (whole blocks, on local chain-sync).
      await driver.channel.whenWritable();
      const msg = await driver.recv();
      if (msg.type === "MsgDone") return;
      if (msg.type === "MsgFindIntersect") {
        const found = findIntersect(source, msg.points);
        if (found === undefined) {
          driver.send({ type: "MsgIntersectNotFound", tip: source.tip() });
        } else {
          follower.reset(found);
          driver.send({ type: "MsgIntersectFound", point: found, tip: source.tip() });
        }
        continue;
      }
      // MsgRequestNext
      const step = follower.next();
      if (step) {
        reply(step);
        continue;
      }
      driver.send({ type: "MsgAwaitReply" });
      reply(await waitForStep(follower, source, mux));
    }
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}

/** Wait until the chain changes so that the follower has something to say, or the connection closes. */
function waitForStep(follower: ChainFollower, source: ChainSource, mux: Mux): Promise<FollowerStep> {
  return new Promise((resolve, reject) => {
    if (mux.closeReason !== undefined) return reject(new ConnectionClosedError(mux.closeReason));
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      offClose();
      fn();
    };
    const check = () => {
      const step = follower.next();
      if (step) finish(() => resolve(step));
    };
    const unsubscribe = source.subscribe(check);
    const offClose = mux.onClose((reason) => finish(() => reject(new ConnectionClosedError(reason))));
    check();
  });
}
