// What a node holds in memory for peers that do not read (issue 15, defect 4: fifty connections asking for the
// whole chain without reading raised RSS by 200 MB). Per connection the mux bounds each channel's queue
// (Channel.whenWritable, 4 SDUs) and the socket's write buffer (it waits for 'drain'); this bounds the sum over every
// connection of the process: while the bytes held (mux queues and socket buffers, until the kernel takes them) are
// at or over the limit, a connection queues a new message only once all it queued before has left, so the slow
// readers stop and the connections that drain keep going, one message at a time, until the total is under again.

/** The process-wide bound on bytes held for sending, across all connections. */
export const DEFAULT_EGRESS_LIMIT = 64 * 1024 * 1024;

export class EgressBudget {
  readonly limit: number;
  /** Bytes held for sending: queued in mux channels or written to a socket that has not handed them on yet. */
  buffered = 0;
  /** The most held at once since start (or since a test reset it). */
  peak = 0;

  constructor(limit = DEFAULT_EGRESS_LIMIT) {
    if (!(limit > 0)) throw new RangeError(`egress limit must be a positive number of bytes, not ${limit}`);
    this.limit = limit;
  }

  get over(): boolean {
    return this.buffered >= this.limit;
  }

  /** @internal n > 0 bytes now held, n < 0 bytes handed to the kernel or dropped with their connection. */
  add(n: number): void {
    this.buffered += n;
    if (this.buffered > this.peak) this.peak = this.buffered;
  }
}

/** The budget every mux uses unless given another (a node's inbound and outbound connections share it). */
export const processEgress = new EgressBudget();
