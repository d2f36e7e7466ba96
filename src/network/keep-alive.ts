// Keep-alive (mini-protocol 8): [0, cookie] MsgKeepAlive, [1, cookie] MsgKeepAliveResponse, [2] MsgDone.
// States: StClient (client), StServer (server), StDone. The cookie is a u16 the response must echo.
import { type NetworkTimeouts, SMALL_BYTE_LIMIT } from "./limits.ts";
import { ConnectionClosedError } from "./mux.ts";
import { Driver, type ProtocolSpec } from "./protocol.ts";
import { expectItems, message, splitMessage, uintOf, WireError } from "./wire.ts";
import { encodeCbor } from "../codec/cbor.ts";

export type KeepAliveState = "StClient" | "StServer" | "StDone";

export type KeepAliveMessage =
  | { readonly type: "MsgKeepAlive"; readonly cookie: number }
  | { readonly type: "MsgKeepAliveResponse"; readonly cookie: number }
  | { readonly type: "MsgDone" };

export const keepAliveSpec: ProtocolSpec<KeepAliveState, KeepAliveMessage> = {
  name: "keep-alive",
  initial: "StClient",
  agency: (s) => (s === "StClient" ? "client" : s === "StServer" ? "server" : "none"),
  next(state, msg) {
    if (state === "StClient" && msg.type === "MsgKeepAlive") return "StServer";
    if (state === "StClient" && msg.type === "MsgDone") return "StDone";
    if (state === "StServer" && msg.type === "MsgKeepAliveResponse") return "StClient";
    return undefined;
  },
  encode(msg) {
    if (msg.type === "MsgDone") return message(2);
    return message(msg.type === "MsgKeepAlive" ? 0 : 1, encodeCbor(msg.cookie));
  },
  decode(bytes) {
    const { tag, items } = splitMessage(bytes);
    if (tag === 2) {
      expectItems(items, 0, "MsgDone");
      return { type: "MsgDone" };
    }
    if (tag !== 0 && tag !== 1) throw new WireError(`unknown keep-alive message tag ${tag}`);
    expectItems(items, 1, tag === 0 ? "MsgKeepAlive" : "MsgKeepAliveResponse");
    const cookie = uintOf(items[0]!, "cookie", 0xffff);
    return tag === 0 ? { type: "MsgKeepAlive", cookie } : { type: "MsgKeepAliveResponse", cookie };
  },
  sizeLimit: () => SMALL_BYTE_LIMIT,
};

export function keepAliveTimeLimit(t: NetworkTimeouts) {
  return (state: KeepAliveState): number | null =>
    state === "StClient" ? t.keepAliveClientMs : state === "StServer" ? t.keepAliveServerMs : null;
}

export class KeepAliveClient {
  readonly driver: Driver<KeepAliveState, KeepAliveMessage>;
  #cookie = Math.floor(Math.random() * 0x10000);
  #timer: NodeJS.Timeout | undefined;
  /** Round-trip time of the last ping, in ms. */
  lastRttMs: number | undefined;

  constructor(driver: Driver<KeepAliveState, KeepAliveMessage>) {
    this.driver = driver;
  }

  /** Send one keep-alive and wait for its echo; resolves to the round-trip time in ms. */
  async ping(): Promise<number> {
    const cookie = (this.#cookie = (this.#cookie + 1) & 0xffff);
    const started = performance.now();
    this.driver.send({ type: "MsgKeepAlive", cookie });
    const reply = await this.driver.recv();
    if (reply.type !== "MsgKeepAliveResponse") throw this.driver.fail(`keep-alive: unexpected ${reply.type}`);
    if (reply.cookie !== cookie) {
      throw this.driver.fail(`keep-alive: the server echoed cookie ${reply.cookie}, expected ${cookie}`);
    }
    this.lastRttMs = performance.now() - started;
    return this.lastRttMs;
  }

  /** Ping every `intervalMs` until stopped or the connection closes. */
  start(intervalMs: number): void {
    this.stop();
    const tick = () => {
      this.ping().then(
        () => {
          if (this.#timer !== undefined) this.#timer = setTimeout(tick, intervalMs);
        },
        (error: unknown) => {
          this.#timer = undefined;
          if (!(error instanceof ConnectionClosedError)) throw error;
        },
      );
    };
    this.#timer = setTimeout(tick, intervalMs);
    this.driver.channel.mux.onClose(() => this.stop());
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

export async function serveKeepAlive(driver: Driver<KeepAliveState, KeepAliveMessage>): Promise<void> {
  try {
    while (true) {
      const msg = await driver.recv();
      if (msg.type === "MsgDone") return;
      if (msg.type === "MsgKeepAlive") driver.send({ type: "MsgKeepAliveResponse", cookie: msg.cookie });
    }
  } catch (error) {
    if (!(error instanceof ConnectionClosedError)) throw error;
  }
}
