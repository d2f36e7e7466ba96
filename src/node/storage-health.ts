// Whether the node can store blocks. A write that fails (a full disk, an I/O error) marks storage failed: the node
// stops forging and adopting (nothing advances in memory past what is on disk), /health answers 503 "unhealthy"
// with the reason, /ready 503, and poolfleet_storage_healthy is 0. The slot loop probes for room each slot; when a
// block's worth can be written again, storage is healthy and the node carries on from its last stored block.
export interface StorageFailure {
  /** What was being written: "block", "batch", "fork switch", "snapshot", "probe". */
  readonly during: string;
  readonly reason: string;
  readonly since: string;
}

export class StorageHealth {
  #failure: StorageFailure | null = null;
  #failures = 0;
  readonly #listeners = new Set<(healthy: boolean) => void>();

  get healthy(): boolean {
    return this.#failure === null;
  }

  get failure(): StorageFailure | null {
    return this.#failure;
  }

  /** Failed writes since start (each one, including repeated probes). */
  get failures(): number {
    return this.#failures;
  }

  fail(during: string, error: unknown): void {
    this.#failures++;
    const wasHealthy = this.healthy;
    const reason = (error as Error).message;
    this.#failure = { during, reason, since: this.#failure?.since ?? new Date().toISOString() };
    if (wasHealthy) for (const f of this.#listeners) f(false);
  }

  recovered(): void {
    if (this.healthy) return;
    this.#failure = null;
    for (const f of this.#listeners) f(true);
  }

  /** Called on each change between healthy and failed. */
  onChange(listener: (healthy: boolean) => void): void {
    this.#listeners.add(listener);
  }

  toJSON() {
    return this.#failure
      ? { healthy: false, failures: this.#failures, ...this.#failure }
      : { healthy: true, failures: this.#failures };
  }
}
