// The producer's pools: where their keys come from (three files, or a key bundle of many pools), each key set
// through the consistency gate on its own, and what the node says about them (log lines, per-pool and node-wide
// key metrics, /health). A pool whose keys fail is refused alone; keys no longer used are erased from memory.
// The forger (forger.ts) reads the list each slot.
import type { Logger } from "pino";
import { wipeVrfSecretKey } from "../crypto/vrf.ts";
import type { ChainStore } from "./chain-store.ts";
import type { Network, NodeOptions } from "./config.ts";
import { type BundlePool, readKeyBundle } from "./key-bundle.ts";
import type { NodeMetrics } from "./metrics.ts";
import type { PoolGuards } from "./pool-guard.ts";
import { type GateOutcome, loadProducerKeys } from "./producer-keys.ts";

/** Where the producer's keys come from: the three single-pool files, or a bundle directory. */
export type KeySource =
  | { readonly kind: "single"; readonly paths: BundlePool["paths"]; readonly nodeName: string }
  | { readonly kind: "bundle"; readonly dir: string; readonly nodeName: string };

/** The key source a node's flags name: a bundle, the three single-pool files, or none (a relay). */
export function keySourceOf(o: NodeOptions): KeySource | undefined {
  if (o.keyBundle) return { kind: "bundle", dir: o.keyBundle, nodeName: o.nodeName };
  if (o.keys) return { kind: "single", paths: o.keys, nodeName: o.nodeName };
  return undefined;
}

export interface ForgingPool {
  /** Stable name (the bundle sub-directory; "" for single-pool keys). */
  readonly dir: string;
  readonly displayName: string;
  readonly identity?: string;
  gate: GateOutcome;
}

export interface ProducerPoolsDeps {
  readonly network: Network;
  readonly store: () => ChainStore;
  readonly metrics: NodeMetrics;
  readonly log: Logger;
  readonly now: () => number;
  readonly guards: PoolGuards;
}

export class ProducerPools {
  readonly #d: ProducerPoolsDeps;
  #source: KeySource | undefined;
  #pools: ForgingPool[] = [];

  constructor(deps: ProducerPoolsDeps) {
    this.#d = deps;
  }

  /** Whether keys were configured (a producer), whatever the gate said. */
  get configured(): boolean {
    return this.#source !== undefined;
  }

  /** Whether the keys come from a bundle (a multi-pool node: per-pool answers carry the pool's name). */
  get bundle(): boolean {
    return this.#source?.kind === "bundle";
  }

  get list(): readonly ForgingPool[] {
    return this.#pools;
  }

  /**
   * (Re)load the keys and gate every pool on its own (start and SIGHUP). Pools added, removed or re-keyed take
   * effect at once; keys no longer used are erased from memory. A bundle that cannot be read at all keeps the
   * pools in use and throws the reason.
   */
  load(source: KeySource | undefined): void {
    const { metrics, log, network } = this.#d;
    this.#source = source;
    if (!source) {
      this.#replace([]);
      metrics.forgingEnabled.set(0);
      metrics.keysValid.set(0);
      log.info("no producer keys configured: running as a relay");
      return;
    }
    const entries: BundlePool[] =
      source.kind === "single"
        ? [{ dir: "", displayName: source.nodeName, paths: source.paths }]
        : readKeyBundle(source.dir, source.nodeName);
    const chain = this.#d.store().chain;
    const seenPoolIds = new Map<string, string>();
    const next: ForgingPool[] = entries.map((entry) => {
      let gate: GateOutcome = entry.problem
        ? { forging: false, reason: entry.problem, checks: [] }
        : loadProducerKeys(
            entry.paths,
            network.clock,
            (id) => chain.registeredVrfKeyHash(id),
            (id) => chain.state.counters.get(id),
            new Date(this.#d.now()),
          );
      const poolId = gate.forging ? gate.keys.poolId : gate.poolId;
      const twin = poolId ? seenPoolIds.get(poolId) : undefined;
      if (gate.forging && twin !== undefined) {
        // Two key sets of one pool in one bundle would make the node forge twice for it in a slot.
        wipe(gate);
        gate = { forging: false, reason: `pool ${poolId} is already in this bundle as ${twin}`, checks: [], poolId };
      }
      if (poolId && twin === undefined) seenPoolIds.set(poolId, entry.displayName);
      return {
        dir: entry.dir,
        displayName: entry.displayName,
        ...(entry.identity ? { identity: entry.identity } : {}),
        gate,
      };
    });
    this.#replace(next);
    for (const p of next) this.#logGate(p);
    this.#setKeyMetrics();
    void this.#d.guards.sync(this.#gatedPools());
  }

  /** Erase every key (stop). */
  wipe(): void {
    this.#replace([]);
  }

  #gatedPools(): { poolId: string; displayName: string }[] {
    return this.#pools.flatMap((p) =>
      p.gate.forging ? [{ poolId: p.gate.keys.poolId, displayName: p.displayName }] : [],
    );
  }

  #replace(next: ForgingPool[]): void {
    const kept = new Set(next.map((p) => (p.gate.forging ? p.gate.keys : undefined)));
    for (const old of this.#pools) if (old.gate.forging && !kept.has(old.gate.keys)) wipe(old.gate);
    const names = new Set(next.map((p) => p.displayName));
    for (const old of this.#pools) if (!names.has(old.displayName)) this.#d.metrics.removePool(old.displayName);
    this.#pools = next;
  }

  #logGate(p: ForgingPool): void {
    const who = { pool: p.displayName };
    if (p.gate.forging) {
      const { opcert, poolId } = p.gate.keys;
      this.#d.log.info(
        { ...who, poolId, opcertIssueNumber: opcert.sequenceNumber, opcertKesPeriod: opcert.kesPeriod },
        "producer keys pass the consistency gate: forging enabled",
      );
    } else {
      this.#d.log.error(
        {
          ...who,
          poolId: p.gate.poolId,
          reason: p.gate.reason,
          checks: p.gate.checks.map((c) => ({ check: c.check, status: c.status })),
        },
        "producer keys refused by the consistency gate: NOT forging",
      );
    }
  }

  #setKeyMetrics(): void {
    const { metrics, network } = this.#d;
    const g = network.genesis;
    const forging = this.#pools.filter((p) => p.gate.forging);
    metrics.forgingEnabled.set(forging.length > 0 ? 1 : 0);
    metrics.keysValid.set(this.#pools.length > 0 && forging.length === this.#pools.length ? 1 : 0);
    for (const p of this.#pools) {
      const pool = p.displayName;
      metrics.poolKeysValid.set({ pool }, p.gate.forging ? 1 : 0);
      if (!p.gate.forging) continue;
      const { opcert } = p.gate.keys;
      const expiry = network.clock.timeOfKesPeriod(opcert.kesPeriod + g.maxKESEvolutions) / 1000;
      metrics.poolOpcertCounter.set({ pool }, opcert.sequenceNumber);
      metrics.poolKesExpiry.set({ pool }, expiry);
    }
    // The unlabelled series describe the node's first forging pool: what a single-pool producer always had.
    const first = forging[0];
    if (first?.gate.forging) {
      const { opcert } = first.gate.keys;
      metrics.opcertCounter.set(opcert.sequenceNumber);
      metrics.kesStartPeriod.set(opcert.kesPeriod);
      metrics.kesEndPeriod.set(opcert.kesPeriod + g.maxKESEvolutions);
      metrics.kesExpiry.set(network.clock.timeOfKesPeriod(opcert.kesPeriod + g.maxKESEvolutions) / 1000);
    }
  }

  /** Stop forging for a pool whose keys turned out unusable (its KES window ended): erased, refused, said. */
  disable(p: ForgingPool, reason: string): void {
    const g = p.gate;
    p.gate = { forging: false, reason, checks: g.checks, poolId: g.forging ? g.keys.poolId : g.poolId };
    wipe(g);
    this.#d.metrics.poolKeysValid.set({ pool: p.displayName }, 0);
    this.#d.log.error({ pool: p.displayName, reason }, "forging stopped");
    this.#setKeyMetrics();
  }

  /** The forging state for /health and /config: the first pool's at the top (single-pool shape), then every pool. */
  state() {
    if (!this.#source) return { enabled: false, role: "relay" as const };
    const pools = this.#pools.map((p) =>
      p.gate.forging
        ? {
            pool: p.displayName,
            enabled: true,
            poolId: p.gate.keys.poolId,
            role: this.#d.guards.role(p.gate.keys.poolId),
            forgingNow: this.#d.guards.mayForge(p.gate.keys.poolId),
            missedInARow: this.#d.guards.misses(p.gate.keys.poolId),
          }
        : { pool: p.displayName, enabled: false, poolId: p.gate.poolId, reason: p.gate.reason },
    );
    const enabled = pools.some((p) => p.enabled);
    const top = pools.find((p) => p.enabled) ?? pools[0];
    return {
      enabled,
      role: "producer" as const,
      poolId: top?.poolId,
      ...(top && !top.enabled ? { reason: top.reason } : {}),
      ...(this.#source.kind === "bundle" ? { pools } : {}),
    };
  }

  /** Every configured pool passed the gate (a producer with a refused pool is degraded). */
  get allForging(): boolean {
    return this.#pools.length > 0 && this.#pools.every((p) => p.gate.forging);
  }

  /** Pool ids of the node's pools, for the chain's opcert counter series. */
  /** Each pool's display name and id (the ids known: a pool whose key files did not read may have none). */
  named(): { pool: string; poolId: string }[] {
    return this.#pools.flatMap((p) => {
      const poolId = p.gate.forging ? p.gate.keys.poolId : p.gate.poolId;
      return poolId ? [{ pool: p.displayName, poolId }] : [];
    });
  }

  poolIds(): string[] {
    return this.#pools.flatMap((p) => {
      const id = p.gate.forging ? p.gate.keys.poolId : p.gate.poolId;
      return id ? [id] : [];
    });
  }
}

function wipe(gate: GateOutcome): void {
  if (!gate.forging) return;
  gate.keys.kes.wipe();
  wipeVrfSecretKey(gate.keys.vrf);
}
