// One channel of the mux: one direction pair of one mini-protocol on one connection. Ingress bytes are reassembled
// into messages by walking CBOR item heads; egress messages wait in a queue the mux takes SDUs from, bounded by
// whenWritable (4 SDUs per channel, and the EgressBudget across connections).
import { CborRangeError, cborItemEnd } from "../codec/cbor-raw.ts";
import type { EgressBudget } from "./egress-budget.ts";
import { PROTOCOL_NAMES } from "./limits.ts";

/** Which end of a mini-protocol we run on a channel: the initiator (client) or the responder (server). */
export type Side = "initiator" | "responder";

/** Thrown to whoever waits on a connection that has closed; `reason` is why. */
export class ConnectionClosedError extends Error {
  override name = "ConnectionClosedError";
  readonly reason: string;
  constructor(reason: string) {
    super(`connection closed: ${reason}`);
    this.reason = reason;
  }
}

/** The bytes of a message a peer sent are not CBOR (as opposed to not yet complete). */
export class MalformedMessageError extends Error {
  override name = "MalformedMessageError";
}

function protocolName(id: number): string {
  return PROTOCOL_NAMES[id] ?? `mini-protocol ${id}`;
}

/** What a channel needs of its connection (the Mux). */
export interface ChannelHost {
  readonly highWater: number;
  readonly closeReason: string | undefined;
  readonly budget: EgressBudget;
  readonly heldBytes: number;
  whenFlushed(): Promise<void>;
  /** n > 0 bytes queued or written, n < 0 bytes left a queue or the socket took them. */
  hold(n: number): void;
  /** Some channel has egress: send soon. */
  schedule(): void;
  close(reason: string): void;
  onClose(listener: (reason: string) => void): () => void;
}

/** One direction pair of one mini-protocol: ingress bytes to reassemble, egress messages to send. */
export class Channel {
  readonly protocol: number;
  readonly side: Side;
  readonly name: string;
  readonly ingressLimit: number;
  readonly #mux: ChannelHost;
  #buf: Buffer = Buffer.alloc(0);
  #start = 0;
  #end = 0;
  #waiters: (() => void)[] = [];
  #writable: (() => void)[] = [];
  readonly egress: Uint8Array[] = [];
  egressOffset = 0;
  egressBytes = 0;
  /** Called after new ingress bytes arrive (the protocol driver checks for out-of-state data). */
  onIngress: (() => void) | null = null;

  constructor(mux: ChannelHost, protocol: number, side: Side, ingressLimit: number) {
    this.#mux = mux;
    this.protocol = protocol;
    this.side = side;
    this.name = protocolName(protocol);
    this.ingressLimit = ingressLimit;
  }

  get mux(): ChannelHost {
    return this.#mux;
  }

  /** Ingress bytes held (complete messages not yet taken, plus any partial one). */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** @internal the mux delivers an SDU payload; false when the ingress queue limit is exceeded. */
  push(payload: Uint8Array): boolean {
    if (this.buffered + payload.length > this.ingressLimit) return false;
    if (this.#end + payload.length > this.#buf.length) {
      const need = this.buffered + payload.length;
      const next = need > this.#buf.length / 2 ? Buffer.alloc(Math.max(need * 2, 4096)) : this.#buf;
      this.#buf.copy(next, 0, this.#start, this.#end);
      this.#buf = next;
      this.#end -= this.#start;
      this.#start = 0;
    }
    this.#buf.set(payload, this.#end);
    this.#end += payload.length;
    this.onIngress?.();
    this.#wake();
    return true;
  }

  /** The next complete message (its own copy), or null while it is incomplete. Throws MalformedMessageError. */
  takeMessage(): Uint8Array | null {
    if (this.#start === this.#end) return null;
    const view = this.#buf.subarray(this.#start, this.#end);
    let end: number;
    try {
      end = cborItemEnd(view, 0);
    } catch (error) {
      if (error instanceof CborRangeError && error.message.startsWith("truncated")) return null;
      throw new MalformedMessageError((error as Error).message);
    }
    const out = Uint8Array.from(view.subarray(0, end));
    this.#start += end;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return out;
  }

  /** Resolves when new ingress bytes arrive or the connection closes. */
  waitIngress(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** @internal */
  wakeAll(): void {
    this.#wake();
    const w = this.#writable;
    this.#writable = [];
    for (const f of w) f();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** Queue an encoded message for sending. */
  send(bytes: Uint8Array): void {
    if (this.#mux.closeReason !== undefined) throw new ConnectionClosedError(this.#mux.closeReason);
    this.egress.push(bytes);
    this.egressBytes += bytes.length;
    this.#mux.hold(bytes.length);
    this.#mux.schedule();
  }

  /**
   * Resolves once this channel's unsent bytes are below the high-water mark and, while the process-wide budget is
   * spent, once this connection has nothing queued (back-pressure for producers); at once when closed.
   */
  async whenWritable(): Promise<void> {
    const mux = this.#mux;
    // Each turn waits for an event (bytes taken by the socket, budget released, connection closed).
    while (mux.closeReason === undefined) {
      if (this.egressBytes >= mux.highWater) await new Promise<void>((resolve) => this.#writable.push(resolve));
      else if (mux.budget.over && mux.heldBytes > 0) await mux.whenFlushed();
      else return;
    }
  }

  /** @internal the connection closed: what was queued is dropped. */
  dropEgress(): void {
    this.egress.length = 0;
    this.egressOffset = 0;
    this.egressBytes = 0;
  }

  /** @internal take up to `max` egress bytes (whole or partial messages, in order). */
  takeEgress(max: number): Buffer {
    const parts: Uint8Array[] = [];
    let n = 0;
    while (n < max && this.egress.length > 0) {
      const head = this.egress[0]!;
      const take = Math.min(max - n, head.length - this.egressOffset);
      parts.push(head.subarray(this.egressOffset, this.egressOffset + take));
      n += take;
      this.egressOffset += take;
      if (this.egressOffset === head.length) {
        this.egress.shift();
        this.egressOffset = 0;
      }
    }
    this.egressBytes -= n;
    this.#mux.hold(-n);
    if (this.egressBytes < this.#mux.highWater && this.#writable.length > 0) {
      const w = this.#writable;
      this.#writable = [];
      for (const f of w) f();
    }
    // One part (the usual case: a slice of one message) is sent as a view, not copied.
    const only = parts.length === 1 ? parts[0]! : undefined;
    return only ? Buffer.from(only.buffer, only.byteOffset, only.byteLength) : Buffer.concat(parts, n);
  }
}
