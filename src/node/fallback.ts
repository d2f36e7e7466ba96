// Per-pool fallback (seeds/002's redundancy levels, brought to Cardano): a node at redundancy level L > 0 holds
// the keys of pools another node forges, computes each pool's leader slots itself (it has the VRF keys), and
// watches whether the chain gets that pool's block in each of them. After L·k of the pool's leader slots in a row
// went without its block, it takes over that pool alone — the others stay with their forger. Level 0 (the main)
// is active from the start. Taking over only makes the node want the pool: it forges only once it also holds the
// pool's lease (fencing/lease.ts), which the old forger must have let lapse.
//
// Pure: the caller says which slots the pool led and, once a slot is `graceSlots` old, which pool's block (if
// any) the chain holds in it. Only an EMPTY slot is a miss: a block of another pool in it means the slot had two
// leaders and the other block won (a slot battle, or the main forging another pool of its group in that slot,
// which it must: two blocks of one node in one slot would fork its own chain) — the forger is alive, so such a slot
// neither counts as missed nor resets the count.

export interface StandbyOptions {
  /** 0: the main (forges from the start); L > 0: take over after L·k missed leader slots in a row. */
  readonly level: number;
  /** k: missed leader slots per level. */
  readonly missesPerLevel: number;
  /** How many slots a block may take to reach us before its slot counts as missed. */
  readonly graceSlots: number;
}

export interface MissDecision {
  readonly slot: bigint;
  /** "missed": no block in the slot; "forged": the pool's block; "other": another pool's block (neutral). */
  readonly outcome: "missed" | "forged" | "other";
  readonly missed: boolean;
}

export class PoolStandby {
  readonly threshold: number;
  readonly #grace: bigint;
  #pending: bigint[] = [];
  #misses = 0;
  #active: boolean;

  constructor(options: StandbyOptions) {
    if (!Number.isInteger(options.level) || options.level < 0)
      throw new RangeError("redundancy level must be 0, 1, 2, ...");
    if (!Number.isInteger(options.missesPerLevel) || options.missesPerLevel < 1)
      throw new RangeError("missed slots before a takeover must be a whole number of at least 1");
    this.threshold = options.level * options.missesPerLevel;
    this.#grace = BigInt(Math.max(1, options.graceSlots));
    this.#active = options.level === 0;
  }

  /** Whether this node wants to forge the pool (the main always; a backup after the threshold). */
  get active(): boolean {
    return this.#active;
  }

  /** Missed leader slots in a row so far. */
  get misses(): number {
    return this.#misses;
  }

  /** The pool leads `slot` and this node is not forging it: watch whether someone else does. */
  led(slot: bigint): void {
    if (!this.#active) this.#pending.push(slot);
  }

  /**
   * Decide every watched slot at least `graceSlots` before `now`: `issuerAt(slot)` is the pool id of the block
   * the chain holds in that slot (undefined: none). Returns the decisions and whether the pool was just taken over.
   */
  decide(
    now: bigint,
    poolId: string,
    issuerAt: (slot: bigint) => string | undefined,
  ): { decided: MissDecision[]; tookOver: boolean } {
    const decided: MissDecision[] = [];
    while (this.#pending.length > 0 && this.#pending[0]! + this.#grace <= now) {
      const slot = this.#pending.shift()!;
      const issuer = issuerAt(slot);
      const outcome = issuer === undefined ? "missed" : issuer === poolId ? "forged" : "other";
      if (outcome === "missed") this.#misses++;
      else if (outcome === "forged") this.#misses = 0;
      decided.push({ slot, outcome, missed: outcome === "missed" });
    }
    const tookOver = !this.#active && this.#misses >= this.threshold;
    if (tookOver) {
      this.#active = true;
      this.#pending = [];
    }
    return { decided, tookOver };
  }
}
