// One forger per pool, even when the forging node is cut off from everything: a node forges a block for a pool
// only while it holds that pool's lease, a record it must renew itself in a shared store (a coordination.k8s.io
// Lease in a cluster, a directory on a local filesystem for a devnet). The rules, in the spirit of client-go's
// leader election but with the forger's own clock as the fence:
//
// - A write is a compare-and-swap on the record's generation: two nodes can never both win the same generation.
// - The holder's right to forge ends `durationMs` after it STARTED the write that renewed the lease, measured on
//   its own monotonic clock. A holder that was frozen (SIGSTOP, a long GC, a stalled disk) sees on waking that its
//   time ran out and must win a new write before forging again; if another node took the lease meanwhile, the
//   write fails on the generation and it never forges.
// - Another node may take the lease only once it has seen the same record, unchanged, for `durationMs +
//   marginMs` on its OWN monotonic clock (client-go's rule). It first saw the record after it was written, so the
//   holder's window had ended by then; wall clocks are never compared, so clock offsets between machines do not
//   matter. The margin absorbs clocks running at different rates and the time a block takes from the leader
//   check to the wire; the holder checks its lease right before it forges and right before it announces.
//
// So the windows in which two nodes may forge never overlap as long as, over one lease duration, their clocks
// drift apart by less than `marginMs`. docs/multikey.md has the design with its failure cases.

export interface LeaseRecord {
  /** The node identity holding the lease. */
  readonly holder: string;
  /** Wall-clock milliseconds at which the holder began the write that renewed it (for people; never compared). */
  readonly renewedAtMs: number;
  /** How long the holder may forge after renewedAtMs without renewing. */
  readonly durationMs: number;
  /** Bumped by every write; a write succeeds only against the generation it read. */
  readonly generation: number;
}

/** Where pool leases live. Implementations: file-store.ts (one machine), kube-store.ts (coordination.k8s.io). */
export interface LeaseStore {
  /** The current record of a pool's lease, or undefined when nobody ever held it. */
  read(pool: string): Promise<LeaseRecord | undefined>;
  /**
   * Write `next` (whose generation is one above `expected`, or 1 for a first record) only if the stored record
   * still has generation `expected` (0: none stored). Returns false when someone else wrote first.
   */
  write(pool: string, next: LeaseRecord, expected: number): Promise<boolean>;
}

export interface LeaseClock {
  /** Wall clock in milliseconds (compared with other nodes' records). */
  wallMs(): number;
  /** Monotonic milliseconds (our own fence; never jumps with the wall clock). */
  monoMs(): number;
}

export const systemLeaseClock: LeaseClock = { wallMs: () => Date.now(), monoMs: () => performance.now() };

export type TakeDecision =
  | { readonly may: true; readonly why: "free" | "mine" | "released" | "lapsed" }
  | { readonly may: false; readonly holder: string; readonly waitMs: number };

/** When we first saw a record's generation, on our monotonic clock. */
export interface Observation {
  readonly generation: number;
  readonly atMonoMs: number;
}

/**
 * May `me` write the lease now? Pure: the record, who asks, when we first saw this record and our monotonic
 * clock. A holder may always renew its own record (nobody took it); a released record (duration 0) is free; any
 * other record may be taken once we have watched it unchanged for its duration plus the margin.
 */
export function mayTake(
  record: LeaseRecord | undefined,
  me: string,
  seen: Observation | undefined,
  nowMonoMs: number,
  marginMs: number,
): TakeDecision {
  if (!record) return { may: true, why: "free" };
  if (record.holder === me) return { may: true, why: "mine" };
  if (record.durationMs === 0) return { may: true, why: "released" };
  const since = seen && seen.generation === record.generation ? seen.atMonoMs : nowMonoMs;
  const waitMs = since + record.durationMs + marginMs - nowMonoMs;
  if (waitMs <= 0) return { may: true, why: "lapsed" };
  return { may: false, holder: record.holder, waitMs };
}

export interface PoolLeaseOptions {
  /** How long a renewal lets the holder forge. */
  readonly durationMs: number;
  /** Extra wait before another node may take a lapsed lease (clock skew + forge-to-wire time). */
  readonly marginMs: number;
  readonly clock?: LeaseClock;
}

export type AcquireOutcome =
  | { readonly held: true; readonly generation: number; readonly took: boolean }
  | { readonly held: false; readonly holder?: string; readonly waitMs?: number; readonly lostRace?: boolean };

/** One node's view of one pool's lease. */
export class PoolLease {
  readonly #store: LeaseStore;
  readonly #pool: string;
  readonly #me: string;
  readonly #opts: Required<PoolLeaseOptions>;
  /** Monotonic time until which we may forge (0: not held). */
  #validUntilMono = 0;
  #generation = 0;
  #seen: Observation | undefined;

  constructor(store: LeaseStore, pool: string, me: string, options: PoolLeaseOptions) {
    if (!(options.durationMs > 0) || !(options.marginMs >= 0))
      throw new RangeError("a lease needs a positive duration and a non-negative margin");
    this.#store = store;
    this.#pool = pool;
    this.#me = me;
    this.#opts = { clock: systemLeaseClock, ...options };
  }

  get pool(): string {
    return this.#pool;
  }

  /** Whether we may forge right now: we won a write less than durationMs ago by our own monotonic clock. */
  holds(): boolean {
    return this.#opts.clock.monoMs() < this.#validUntilMono;
  }

  /** Milliseconds of forging right left (0 when not held). */
  remainingMs(): number {
    return Math.max(0, this.#validUntilMono - this.#opts.clock.monoMs());
  }

  /**
   * Read the record without writing, so the time it stays unchanged is counted from now: a standby watches the
   * pools it may take over, so that once it must, it can take a lapsed lease without a further wait. Returns the
   * holder, if any.
   */
  async observe(): Promise<string | undefined> {
    const record = await this.#store.read(this.#pool);
    if (record && record.generation !== this.#seen?.generation)
      this.#seen = { generation: record.generation, atMonoMs: this.#opts.clock.monoMs() };
    return record && record.durationMs > 0 ? record.holder : undefined;
  }

  /** Renew our lease, or take it when free or lapsed. Never throws for a lost race; store errors propagate. */
  async acquireOrRenew(): Promise<AcquireOutcome> {
    const { clock, durationMs, marginMs } = this.#opts;
    // Both clocks are read BEFORE the write: whatever the write takes is counted against our window.
    const startMono = clock.monoMs();
    const startWall = clock.wallMs();
    // A store error propagates and leaves our window as the last won write set it: it runs out on its own.
    const record = await this.#store.read(this.#pool);
    // The record may have been written while our read was on the way: we count its age from after the read.
    const readMono = clock.monoMs();
    if (record && record.generation !== this.#seen?.generation)
      this.#seen = { generation: record.generation, atMonoMs: readMono };
    const decision = mayTake(record, this.#me, this.#seen, readMono, marginMs);
    if (!decision.may) {
      this.#validUntilMono = 0;
      return { held: false, holder: decision.holder, waitMs: decision.waitMs };
    }
    const expected = record?.generation ?? 0;
    const next: LeaseRecord = { holder: this.#me, renewedAtMs: startWall, durationMs, generation: expected + 1 };
    const won = await this.#store.write(this.#pool, next, expected);
    if (!won) {
      this.#validUntilMono = 0;
      return { held: false, lostRace: true };
    }
    this.#validUntilMono = startMono + durationMs;
    this.#generation = next.generation;
    return { held: true, generation: next.generation, took: decision.why !== "mine" };
  }

  /** Stop forging for the pool and let others take it at once (a graceful stop or a key removed). */
  async release(): Promise<void> {
    if (this.#generation === 0) return;
    const gen = this.#generation;
    this.#validUntilMono = 0;
    this.#generation = 0;
    // A released record (duration 0) may be taken by anyone at once.
    await this.#store.write(this.#pool, { holder: this.#me, renewedAtMs: 0, durationMs: 0, generation: gen + 1 }, gen);
  }
}
