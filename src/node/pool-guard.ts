// What stands between a pool's keys and a forged block besides the gate: whether this node should forge the pool
// now (its redundancy level and the pool's missed slots, fallback.ts) and whether it holds the pool's lease
// (fencing/lease.ts). One guard per pool, keyed by pool id. Without a lease store the node is a lone forger (as
// a single producer always was); with one, it forges a pool only inside a lease window it won, and releases the
// leases it holds when it stops, so a standby can take over at once.
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Network, NodeOptions } from "./config.ts";
import { PoolStandby, type StandbyOptions } from "./fallback.ts";
import { type LeaseStore, PoolLease } from "./fencing/lease.ts";
import { openLeaseStore } from "./fencing/open-store.ts";

export interface LeaseSettings {
  readonly store: LeaseStore;
  readonly durationMs: number;
  readonly marginMs: number;
  /** Unique per process: a restarted node is a new holder and waits out its own old lease like anyone else. */
  readonly identity: string;
  /** Frees the store's connections once the leases are given back. */
  readonly close?: () => void;
}

export interface GuardSettings {
  readonly standby: StandbyOptions;
  readonly leases?: LeaseSettings;
}

interface Guard {
  readonly poolId: string;
  displayName: string;
  readonly standby: PoolStandby;
  readonly lease?: PoolLease;
  /** Last lease state logged, to log changes only. */
  said?: string;
}

export type GuardRole = "main" | "standby" | "took-over";

export class PoolGuards {
  readonly #s: GuardSettings;
  readonly #log: Logger;
  readonly #guards = new Map<string, Guard>();
  #maintaining: Promise<void> | undefined;

  constructor(settings: GuardSettings, log: Logger) {
    this.#s = settings;
    this.#log = log;
  }

  get fenced(): boolean {
    return this.#s.leases !== undefined;
  }

  /** Keep one guard per pool the node holds; a pool that left gives its lease back. */
  async sync(pools: readonly { poolId: string; displayName: string }[]): Promise<void> {
    // New guards first, synchronously: the next slot must find them.
    for (const p of pools) {
      const g = this.#guards.get(p.poolId);
      if (g) {
        g.displayName = p.displayName;
        continue;
      }
      const l = this.#s.leases;
      this.#guards.set(p.poolId, {
        poolId: p.poolId,
        displayName: p.displayName,
        standby: new PoolStandby(this.#s.standby),
        ...(l ? { lease: new PoolLease(l.store, p.poolId, l.identity, l) } : {}),
      });
    }
    const wanted = new Set(pools.map((p) => p.poolId));
    for (const [id, g] of this.#guards)
      if (!wanted.has(id)) {
        this.#guards.delete(id);
        await this.#release(g);
      }
  }

  /** Whether the node may forge this pool in this instant (active, and inside a lease window when fenced). */
  mayForge(poolId: string): boolean {
    const g = this.#guards.get(poolId);
    if (!g || !g.standby.active) return false;
    return g.lease ? g.lease.holds() : true;
  }

  /** Whether the pool is watched rather than forged (a standby before its takeover). */
  watching(poolId: string): boolean {
    const g = this.#guards.get(poolId);
    return g !== undefined && !g.standby.active;
  }

  role(poolId: string): GuardRole | undefined {
    const g = this.#guards.get(poolId);
    if (!g) return undefined;
    return this.#s.standby.level === 0 ? "main" : g.standby.active ? "took-over" : "standby";
  }

  misses(poolId: string): number {
    return this.#guards.get(poolId)?.standby.misses ?? 0;
  }

  /** The pool led `slot` and we did not forge it: a standby watches for its block. */
  led(poolId: string, slot: bigint): void {
    this.#guards.get(poolId)?.standby.led(slot);
  }

  /** Decide the watched slots old enough; returns the pools taken over just now. */
  decide(now: bigint, issuerAt: (slot: bigint) => string | undefined): string[] {
    const took: string[] = [];
    for (const g of this.#guards.values()) {
      if (g.standby.active) continue;
      const { decided, tookOver } = g.standby.decide(now, g.poolId, issuerAt);
      for (const d of decided)
        if (d.missed)
          this.#log.warn(
            { pool: g.displayName, slot: `${d.slot}`, missesInARow: g.standby.misses, threshold: g.standby.threshold },
            "pool's leader slot went without its block",
          );
      if (tookOver) {
        took.push(g.poolId);
        this.#log.warn(
          { pool: g.displayName, missesInARow: g.standby.misses, level: this.#s.standby.level },
          "taking over the pool: its forger missed its leader slots",
        );
      }
    }
    return took;
  }

  /**
   * Renew the leases of the pools we forge (or take them once free or lapsed), and watch the others' so a takeover
   * need not wait. One run at a time; store errors are logged and the windows run out on their own.
   */
  maintain(): Promise<void> {
    if (!this.#s.leases) return Promise.resolve();
    this.#maintaining ??= this.#maintainAll().finally(() => (this.#maintaining = undefined));
    return this.#maintaining;
  }

  async #maintainAll(): Promise<void> {
    for (const g of this.#guards.values()) {
      if (!g.lease) continue;
      try {
        if (!g.standby.active) {
          await g.lease.observe();
          continue;
        }
        const out = await g.lease.acquireOrRenew();
        const now = out.held ? "held" : `held by ${out.holder ?? "another node"}`;
        if (g.said !== now) {
          if (out.held)
            this.#log.info({ pool: g.displayName, lease: g.poolId }, "pool lease held: forging for the pool");
          else
            this.#log.warn(
              { pool: g.displayName, holder: out.holder, waitMs: out.waitMs },
              "another node holds the pool's lease: not forging for it",
            );
          g.said = now;
        }
      } catch (error) {
        this.#log.error({ pool: g.displayName, err: (error as Error).message }, "pool lease store failed");
        g.said = "error";
      }
    }
  }

  /** Give back every lease we hold (a clean stop). */
  async releaseAll(): Promise<void> {
    await this.#maintaining;
    for (const g of this.#guards.values()) await this.#release(g);
    this.#s.leases?.close?.();
  }

  async #release(g: Guard): Promise<void> {
    try {
      await g.lease?.release();
    } catch (error) {
      this.#log.error({ pool: g.displayName, err: (error as Error).message }, "could not release the pool lease");
    }
  }
}

/**
 * The guards a node's flags ask for: its redundancy level and, with --pool-lease-dir, file leases or, with
 * --pool-lease-namespace, Leases on the API server.
 */
export async function poolGuardsFor(o: NodeOptions, network: Network, log: Logger): Promise<PoolGuards> {
  const slotMs = network.clock.timeOfSlot(1) - network.clock.timeOfSlot(0);
  // A block may take this long to reach us before its slot counts as missed.
  const graceSlots = Math.max(1, Math.ceil(5_000 / slotMs));
  const opened = o.poolLease ? await openLeaseStore(o.poolLease) : undefined;
  return new PoolGuards(
    {
      standby: { ...o.redundancy, graceSlots },
      ...(o.poolLease && opened
        ? {
            leases: {
              store: opened.store,
              close: opened.close,
              durationMs: o.poolLease.durationMs,
              marginMs: o.poolLease.marginMs,
              // Unique per process: a restarted node waits out its own old lease like any other taker.
              identity: `${o.nodeName}-${randomBytes(4).toString("hex")}`,
            },
          }
        : {}),
    },
    log,
  );
}
