// The Ouroboros mux over one TCP socket. Every SDU has an 8-byte big-endian header:
//   u32 transmission time (µs, low 32 bits) | 1 bit mode (0 = from the initiator, 1 = from the responder)
//   + 15-bit mini-protocol number | u16 payload length
// A payload carries bytes of one direction of one mini-protocol; messages may span SDUs and an SDU may hold
// several messages, so each channel reassembles by walking CBOR item heads over its buffered bytes.
// Egress takes at most one SDU per protocol per round (fair round-robin) and waits for the socket's 'drain'.
// Ingress enforces each protocol's queue limit; anything a peer does wrong closes the connection with a reason.
import type { Socket } from "node:net";
import { CborRangeError, cborItemEnd } from "../codec/cbor-raw.ts";
import { MAX_INGRESS_SDU, N2N_SDU_SIZE, PROTOCOL_NAMES } from "./limits.ts";

export const SDU_HEADER_BYTES = 8;

/** Which end of a mini-protocol we run on a channel: the initiator (client) or the responder (server). */
export type Side = "initiator" | "responder";

export interface NetLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export const silentLog: NetLog = { info() {}, warn() {}, debug() {} };

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

export function encodeSduHeader(timestamp: number, protocol: number, fromResponder: boolean, length: number) {
  const h = Buffer.alloc(SDU_HEADER_BYTES);
  h.writeUInt32BE(timestamp >>> 0, 0);
  h.writeUInt16BE((fromResponder ? 0x8000 : 0) | (protocol & 0x7fff), 4);
  h.writeUInt16BE(length, 6);
  return h;
}

export function decodeSduHeader(h: Uint8Array) {
  const b = Buffer.from(h.buffer, h.byteOffset, SDU_HEADER_BYTES);
  const word = b.readUInt16BE(4);
  return {
    timestamp: b.readUInt32BE(0),
    fromResponder: (word & 0x8000) !== 0,
    protocol: word & 0x7fff,
    length: b.readUInt16BE(6),
  };
}

function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n) >>> 0;
}

/** One direction pair of one mini-protocol: ingress bytes to reassemble, egress messages to send. */
export class Channel {
  readonly protocol: number;
  readonly side: Side;
  readonly name: string;
  readonly ingressLimit: number;
  readonly #mux: Mux;
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

  constructor(mux: Mux, protocol: number, side: Side, ingressLimit: number) {
    this.#mux = mux;
    this.protocol = protocol;
    this.side = side;
    this.name = protocolName(protocol);
    this.ingressLimit = ingressLimit;
  }

  get mux(): Mux {
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
    this.#mux.schedule();
  }

  /** Resolves once this channel's unsent bytes are below the high-water mark (back-pressure for producers). */
  whenWritable(): Promise<void> {
    if (this.egressBytes < this.#mux.highWater || this.#mux.closeReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#writable.push(resolve));
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
    if (this.egressBytes < this.#mux.highWater && this.#writable.length > 0) {
      const w = this.#writable;
      this.#writable = [];
      for (const f of w) f();
    }
    return Buffer.concat(parts, n);
  }
}

export interface MuxOptions {
  /** Largest SDU payload we send (node-to-node: 12288). */
  readonly sduSize?: number;
  /** Largest SDU payload we accept (at most 65535). */
  readonly maxIngressSdu?: number;
  /** A partial SDU must complete within this many ms. */
  readonly sduReadMs?: number;
  readonly log?: NetLog;
  /** Named in log lines: the remote address. */
  readonly label?: string;
}

export class Mux {
  readonly socket: Socket;
  readonly sduSize: number;
  readonly maxIngressSdu: number;
  readonly highWater: number;
  readonly log: NetLog;
  readonly label: string;
  sduReadMs: number;
  readonly #channels = new Map<number, Channel>();
  readonly #order: Channel[] = [];
  #rr = 0;
  #rx: Buffer = Buffer.alloc(0);
  #sduTimer: NodeJS.Timeout | undefined;
  #scheduled = false;
  #waitingDrain = false;
  #closeReason: string | undefined;
  #closing: string | undefined;
  #closeListeners: ((reason: string) => void)[] = [];
  readonly closed: Promise<string>;
  bytesIn = 0;
  bytesOut = 0;

  constructor(socket: Socket, options: MuxOptions = {}) {
    this.socket = socket;
    this.sduSize = options.sduSize ?? N2N_SDU_SIZE;
    this.maxIngressSdu = Math.min(options.maxIngressSdu ?? MAX_INGRESS_SDU, MAX_INGRESS_SDU);
    this.sduReadMs = options.sduReadMs ?? 30_000;
    this.highWater = 4 * this.sduSize;
    this.log = options.log ?? silentLog;
    this.label = options.label ?? `${socket.remoteAddress}:${socket.remotePort}`;
    this.closed = new Promise((resolve) => this.#closeListeners.push(resolve));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => this.close("the peer closed the connection"));
    socket.on("error", (error) => this.close(`socket error: ${error.message}`));
    socket.on("close", () => this.close("the socket closed"));
    socket.on("drain", () => {
      this.#waitingDrain = false;
      this.schedule();
    });
  }

  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** Register the channel for one side of a mini-protocol. */
  channel(protocol: number, side: Side, ingressLimit: number): Channel {
    const key = protocol * 2 + (side === "responder" ? 1 : 0);
    const existing = this.#channels.get(key);
    if (existing) return existing;
    const ch = new Channel(this, protocol, side, ingressLimit);
    this.#channels.set(key, ch);
    this.#order.push(ch);
    return ch;
  }

  /** Run `listener` once the connection closes (at once if it has); returns the unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.#closeReason !== undefined) {
      listener(this.#closeReason);
      return () => {};
    }
    this.#closeListeners.push(listener);
    return () => {
      this.#closeListeners = this.#closeListeners.filter((f) => f !== listener);
    };
  }

  /** Close the connection (idempotent); the first reason given is the one reported. */
  close(reason: string): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = this.#closing ?? reason;
    reason = this.#closeReason;
    clearTimeout(this.#sduTimer);
    this.socket.destroy();
    for (const ch of this.#order) ch.wakeAll();
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const f of listeners) f(reason);
  }

  /** Send what is queued, then close with `reason` (e.g. after a handshake refusal). */
  closeAfterFlush(reason: string): void {
    if (this.#closeReason !== undefined || this.#closing !== undefined) return;
    this.#closing = reason;
    this.schedule();
  }

  #onData(chunk: Buffer): void {
    if (this.#closeReason !== undefined) return;
    this.bytesIn += chunk.length;
    this.#rx = this.#rx.length === 0 ? chunk : Buffer.concat([this.#rx, chunk]);
    let p = 0;
    while (this.#closeReason === undefined && this.#rx.length - p >= SDU_HEADER_BYTES) {
      const h = decodeSduHeader(this.#rx.subarray(p, p + SDU_HEADER_BYTES));
      if (h.length > this.maxIngressSdu) {
        return this.close(`SDU of ${h.length} bytes is over the limit of ${this.maxIngressSdu}`);
      }
      if (this.#rx.length - p < SDU_HEADER_BYTES + h.length) break;
      const payload = this.#rx.subarray(p + SDU_HEADER_BYTES, p + SDU_HEADER_BYTES + h.length);
      p += SDU_HEADER_BYTES + h.length;
      // Bytes from the peer's initiator are for our responder, and the other way round.
      const side: Side = h.fromResponder ? "initiator" : "responder";
      const ch = this.#channels.get(h.protocol * 2 + (side === "responder" ? 1 : 0));
      if (!ch) {
        const from = h.fromResponder ? "responder" : "initiator";
        return this.close(`unknown mini-protocol ${h.protocol} (${from} data, no ${side} running here)`);
      }
      if (!ch.push(payload)) {
        return this.close(
          `${ch.name} ingress queue overrun: ${ch.buffered + payload.length} bytes over the limit of ${ch.ingressLimit}`,
        );
      }
    }
    this.#rx = p === this.#rx.length ? Buffer.alloc(0) : this.#rx.subarray(p);
    // The timer belongs to the SDU that is incomplete now, armed at its first byte and never re-armed by later
    // bytes of the same SDU: a peer dripping one byte a second must not hold the connection past the bound.
    const sameSdu = p === 0 && this.#sduTimer !== undefined;
    if (sameSdu && this.#rx.length > 0) return;
    clearTimeout(this.#sduTimer);
    this.#sduTimer = undefined;
    if (this.#rx.length > 0 && this.#closeReason === undefined) {
      this.#sduTimer = setTimeout(
        () => this.close(`SDU read timeout: a partial SDU did not complete within ${this.sduReadMs} ms`),
        this.sduReadMs,
      );
    }
  }

  /** @internal some channel has egress: send soon. */
  schedule(): void {
    if (this.#scheduled || this.#waitingDrain || this.#closeReason !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#closeReason === undefined && !this.#waitingDrain) {
      // One SDU from the next channel with data, round-robin.
      let ch: Channel | undefined;
      for (let i = 0; i < this.#order.length; i++) {
        const c = this.#order[(this.#rr + i) % this.#order.length]!;
        if (c.egressBytes > 0) {
          ch = c;
          this.#rr = (this.#rr + i + 1) % this.#order.length;
          break;
        }
      }
      if (!ch) {
        const reason = this.#closing;
        if (reason !== undefined) this.socket.write(Buffer.alloc(0), () => this.close(reason));
        return;
      }
      const payload = ch.takeEgress(this.sduSize);
      const header = encodeSduHeader(nowMicros(), ch.protocol, ch.side === "responder", payload.length);
      this.bytesOut += SDU_HEADER_BYTES + payload.length;
      if (!this.socket.write(Buffer.concat([header, payload]))) this.#waitingDrain = true;
    }
  }
}
