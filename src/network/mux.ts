// The Ouroboros mux over one TCP socket. Every SDU has an 8-byte big-endian header:
//   u32 transmission time (µs, low 32 bits) | 1 bit mode (0 = from the initiator, 1 = from the responder)
//   + 15-bit mini-protocol number | u16 payload length
// A payload carries bytes of one direction of one mini-protocol; messages may span SDUs and an SDU may hold
// several messages, so each channel reassembles by walking CBOR item heads over its buffered bytes.
// Egress takes at most one SDU per protocol per round (fair round-robin) and waits for the socket's 'drain'.
// What is queued is bounded per channel (whenWritable: 4 SDUs) and across connections (an EgressBudget).
// Ingress enforces each protocol's queue limit; anything a peer does wrong closes the connection with a reason.
import type { Socket } from "node:net";
import { Channel, type ChannelHost, type Side } from "./channel.ts";
import { type EgressBudget, processEgress } from "./egress-budget.ts";
import { MAX_INGRESS_SDU, N2N_SDU_SIZE } from "./limits.ts";

export const SDU_HEADER_BYTES = 8;

export { Channel, ConnectionClosedError, MalformedMessageError, type Side } from "./channel.ts";

export interface NetLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export const silentLog: NetLog = { info() {}, warn() {}, debug() {} };

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

export interface MuxOptions {
  /** Largest SDU payload we send (node-to-node: 12288). */
  readonly sduSize?: number;
  /** Largest SDU payload we accept (at most 65535). */
  readonly maxIngressSdu?: number;
  /** A partial SDU must complete within this many ms. */
  readonly sduReadMs?: number;
  /** Bytes written to the socket must be taken by the kernel within this many ms (a peer that reads nothing). */
  readonly sduWriteMs?: number;
  readonly log?: NetLog;
  /** Named in log lines: the remote address. */
  readonly label?: string;
  /** The bound on what all connections queue together (default: the process-wide one). */
  readonly egressBudget?: EgressBudget;
}

export class Mux implements ChannelHost {
  readonly socket: Socket;
  readonly sduSize: number;
  readonly maxIngressSdu: number;
  readonly highWater: number;
  readonly log: NetLog;
  readonly label: string;
  readonly budget: EgressBudget;
  sduReadMs: number;
  readonly sduWriteMs: number;
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
  #heldBytes = 0;
  /** Bytes written to the socket whose write has not completed, and the timer that bounds their wait. */
  #inSocket = 0;
  #writeTimer: NodeJS.Timeout | undefined;
  #flushed: (() => void)[] = [];

  constructor(socket: Socket, options: MuxOptions = {}) {
    this.socket = socket;
    this.sduSize = options.sduSize ?? N2N_SDU_SIZE;
    this.maxIngressSdu = Math.min(options.maxIngressSdu ?? MAX_INGRESS_SDU, MAX_INGRESS_SDU);
    this.sduReadMs = options.sduReadMs ?? 30_000;
    this.sduWriteMs = options.sduWriteMs ?? 30_000;
    this.highWater = 4 * this.sduSize;
    this.log = options.log ?? silentLog;
    this.label = options.label ?? `${socket.remoteAddress}:${socket.remotePort}`;
    this.budget = options.egressBudget ?? processEgress;
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

  /** Bytes this connection holds for sending: queued in its channels or in the socket, not yet in the kernel. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Resolves once everything held has gone to the kernel, or the connection closed. */
  whenFlushed(): Promise<void> {
    if (this.#heldBytes === 0 || this.#closeReason !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#flushed.push(resolve));
  }

  /** @internal n > 0 bytes queued or written, n < 0 bytes left a queue or the socket took them. */
  hold(n: number): void {
    if (this.#closeReason !== undefined) return;
    this.#heldBytes += n;
    this.budget.add(n);
    if (this.#heldBytes === 0) this.#wakeFlushed();
  }

  /**
   * Socket bytes written (n > 0) or taken (n < 0). While some wait, no progress for sduWriteMs closes the connection:
   * a peer that reads nothing must not hold our buffers and a connection slot for ever (cardano-node's mux times out
   * an SDU write the same way).
   */
  #wrote(n: number): void {
    if (this.#closeReason !== undefined) return;
    this.#inSocket += n;
    if (this.#inSocket === 0) {
      clearTimeout(this.#writeTimer);
      this.#writeTimer = undefined;
    } else if (this.#writeTimer === undefined) {
      this.#writeTimer = setTimeout(
        () => this.close(`SDU write timeout: the peer took none of our bytes for ${this.sduWriteMs} ms`),
        this.sduWriteMs,
      );
    } else if (n < 0) this.#writeTimer.refresh(); // progress: the wait starts again
  }

  #wakeFlushed(): void {
    const w = this.#flushed;
    this.#flushed = [];
    for (const f of w) f();
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
    clearTimeout(this.#writeTimer);
    this.socket.destroy();
    for (const ch of this.#order) ch.dropEgress();
    this.budget.add(-this.#heldBytes);
    this.#heldBytes = 0;
    this.#wakeFlushed();
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
      const size = SDU_HEADER_BYTES + payload.length;
      this.bytesOut += size;
      // Held until the socket hands the frame to the kernel (a write callback; after a close, a no-op). Header and
      // payload go out corked, as one writev, rather than copied into one buffer.
      this.hold(size);
      this.#wrote(size);
      this.socket.cork();
      this.socket.write(header);
      const written = this.socket.write(payload, () => {
        this.hold(-size);
        this.#wrote(-size);
      });
      this.socket.uncork();
      if (!written) this.#waitingDrain = true;
    }
  }
}
