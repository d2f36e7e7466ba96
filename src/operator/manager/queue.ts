// The work queue of one controller, with client-go's semantics: a key is queued at most once (dedupe), a key
// being reconciled is never handed to a second worker (a change meanwhile queues it again for afterwards),
// failures back off per key exponentially, and delayed adds (requeueAfter) wait in timers. Keys are
// "namespace/name".

export interface QueueOptions {
  /** First retry delay after a failure; doubles per consecutive failure of the same key. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(opts: QueueOptions = {}) {
    this.baseMs = opts.backoffBaseMs ?? 1000;
    this.maxMs = opts.backoffMaxMs ?? 5 * 60_000;
  }

  /** Keys waiting (not counting timers or keys in progress). */
  get length(): number {
    return this.queue.length;
  }

  /** Keys queued, in progress or waiting on a timer: nothing left to do when 0. */
  get pending(): number {
    return this.dirty.size + this.processing.size + this.timers.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() queues it again
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else this.queue.push(key);
  }

  /** Adds the key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Adds the key after its per-key backoff, which grows with every call until forget(). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** n);
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears the key's failure count (after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key, waiting for one; undefined once shut down. The caller must call done(key). */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
