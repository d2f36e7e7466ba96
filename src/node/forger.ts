// The forger: the producer's pools (producer-pools.ts: each with keys that passed the gate on their own), checked
// every slot; when one leads, a block is forged, validated and stored before it counts. One node may hold many pools (a key
// bundle, seeds/002): a pool whose keys fail is refused alone and the others forge; when two of the node's pools
// lead the same slot it forges ONE block (two would be a fork of our own making) for the first of them in bundle
// order, and counts the slot as lost to the group for the others. The clock is injected so the MultikeyGroup
// fallback and tests can drive it.
import type { Logger } from "pino";
import { decodeBlock } from "../chain/block.ts";
import type { Header } from "../chain/header.ts";
import type { PoolView } from "../consensus/header-validation.ts";
import { onScratch } from "../ledger/block-body.ts";
import { type EpochReport, tickToEpoch } from "../ledger/epoch.ts";
import type { Mempool } from "../ledger/mempool.ts";
import { poolDistribution, type StakeSnapshot } from "../ledger/state.ts";
import type { Tx } from "../ledger/tx.ts";
import { InputError } from "../formats/errors.ts";
import type { ChainStore } from "./chain-store.ts";
import type { Network } from "./config.ts";
import { forgeForSlot, leaderCheck } from "./forge.ts";
import { LeaderSchedule } from "./leader-schedule.ts";
import type { MissedReason, NodeMetrics } from "./metrics.ts";
import { lateLeaderSlots, MAX_LATE_CHECKS } from "./missed-slots.ts";
import { type ForgingPool, ProducerPools } from "./producer-pools.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { poolIdOf } from "../formats/opcert.ts";
import type { PoolGuards } from "./pool-guard.ts";
import { ledgerParamsAt } from "./ledger-params.ts";
import { currentParams } from "../ledger/param-changes.ts";

export interface ForgerDeps {
  readonly network: Network;
  readonly store: () => ChainStore;
  readonly mempool: Mempool;
  readonly metrics: NodeMetrics;
  readonly log: Logger;
  /** Wall clock in ms (injected: tests and the fallback logic drive time). */
  readonly now: () => number;
  /** Redundancy level, missed-slot fallback and pool leases: whether a gated pool may forge now. */
  readonly guards: PoolGuards;
  /** The after-adopt step shared with blocks from peers: mempool, metrics, epoch logs. */
  readonly adopted: (txs: readonly Tx[], epochs: readonly EpochReport[], nextSlot: bigint) => void;
}

export class Forger {
  readonly #d: ForgerDeps;
  /** The node's pools and their gated keys (producer-pools.ts). */
  readonly keys: ProducerPools;
  #noStakeEpoch = new Map<string, number>();
  #forecast: { mark: StakeSnapshot; distr: ReadonlyMap<string, PoolView> } | undefined;
  /** Per pool: its leader schedule, computed in chunks and cached per epoch. */
  readonly #schedules = new Map<string, LeaderSchedule>();

  constructor(deps: ForgerDeps) {
    this.#d = deps;
    this.keys = new ProducerPools(deps);
  }

  get #pools(): readonly ForgingPool[] {
    return this.keys.list;
  }

  /**
   * Check every forging pool for `slot` and forge at most one block. A producer that is not caught up
   * (readiness.ts) forges nothing: a block on a stale tip would be a fork; its leader slots count as missed.
   */
  leadSlot(slot: bigint, caughtUp = true): boolean {
    const { network: net, metrics, log } = this.#d;
    const store = this.#d.store();
    const chain = store.chain;
    const kesPeriod = net.clock.kesPeriodOfSlot(Number(slot));
    metrics.kesCurrentPeriod.set(kesPeriod);
    const forging = this.#pools.filter((p) => p.gate.forging);
    if (forging.length === 0) return false;
    let fewestLeft = Infinity;
    for (const p of forging) {
      if (!p.gate.forging) continue;
      const left = Math.max(0, p.gate.keys.opcert.kesPeriod + net.genesis.maxKESEvolutions - kesPeriod);
      metrics.poolKesPeriodsRemaining.set({ pool: p.displayName }, left);
      fewestLeft = Math.min(fewestLeft, left);
    }
    metrics.kesPeriodsRemaining.set(fewestLeft);
    const guards = this.#d.guards;
    const idOf = (p: ForgingPool) => (p.gate.forging ? p.gate.keys.poolId : "");
    // A standby decides its pools' watched slots, and may take some over (it then wants their leases at once).
    if (guards.decide(slot, (s) => issuerAt(store, s)).length > 0) void guards.maintain();
    if (chain.tip && slot <= chain.tip.slot) return false;
    if (!caughtUp) {
      this.missIfLed(slot, "not-caught-up");
      return false;
    }
    metrics.leaderChecks.inc();
    const at = this.#ledgerAt(slot);
    // Most slots are not led: decide that on the distribution forecast for the slot's epoch, without ticking the
    // ledger over an epoch boundary (a UTxO-wide snapshot and the reward calculation) only to throw it away.
    const forecast = this.#stakeForecast(at.epoch);
    const leads = (p: ForgingPool) =>
      !forecast ||
      (p.gate.forging && leaderCheck(slot, chain.state, net.rules, forecast, p.gate.keys).kind !== "not-leader");
    // A watched pool's leader slots are noted, to see whether its forger fills them.
    if (forecast) for (const p of forging) if (guards.watching(idOf(p)) && leads(p)) guards.led(idOf(p), slot);
    for (const p of forging) metrics.poolForgingNow.set({ pool: p.displayName }, guards.mayForge(idOf(p)) ? 1 : 0);
    const candidates = forging.filter((p) => guards.mayForge(idOf(p)) && leads(p));
    if (candidates.length === 0) return true;
    // The pool distribution for the slot's epoch, and the block's transactions, are worked out on the ledger
    // ticked to that epoch; the ticking is undone, and done again for real when the block is applied.
    const decided = onScratch((journal) => {
      tickToEpoch(at.state, at.params, at.epoch, journal);
      const leaders: ForgingPool[] = [];
      const refused: { pool: ForgingPool; kind: "no-stake" | "kes-window"; reason: string }[] = [];
      for (const p of candidates) {
        if (!p.gate.forging) continue;
        const check = leaderCheck(slot, chain.state, net.rules, at.state.poolDistr, p.gate.keys);
        if (check.kind === "leader") leaders.push(p);
        else if (check.kind !== "not-leader") refused.push({ pool: p, kind: check.kind, reason: check.reason });
      }
      const chosen = leaders[0];
      const forged =
        chosen?.gate.forging &&
        forgeForSlot(slot, chain.state, net.rules, at.state.poolDistr, chosen.gate.keys, () =>
          this.#d.mempool.select(at, currentParams(at.params, at.state).maxBlockBodySize - 64, journal),
        );
      return { leaders, refused, chosen, forged: forged || undefined };
    });
    for (const r of decided.refused) {
      if (r.kind === "no-stake") {
        // Registered but without stake in this epoch (e.g. a pool registered less than two epochs ago).
        if (this.#noStakeEpoch.get(r.pool.displayName) !== at.epoch)
          log.warn({ pool: r.pool.displayName, epoch: at.epoch, reason: r.reason }, "not leading");
        this.#noStakeEpoch.set(r.pool.displayName, at.epoch);
        continue;
      }
      this.keys.disable(r.pool, r.reason);
    }
    const { chosen, forged, leaders } = decided;
    if (!chosen || !forged) return true;
    for (const p of leaders) {
      metrics.poolSlotsLed.inc({ pool: p.displayName });
      if (p === chosen) continue;
      metrics.poolSlotsLostToGroup.inc({ pool: p.displayName });
      log.warn(
        { pool: p.displayName, slot: `${slot}`, forgedFor: chosen.displayName },
        "two of this node's pools lead the slot: one block forged, this pool's slot lost to the group",
      );
    }
    if (forged.kind !== "forged") return true;
    metrics.slotsLed.inc();
    // The lease is checked again right before the block is stored and announced: a node frozen while forging
    // may have lost the pool meanwhile.
    if (!guards.mayForge(idOf(chosen))) {
      log.error({ pool: chosen.displayName, slot: `${slot}` }, "the pool's lease ran out while forging: block dropped");
      return true;
    }
    this.#store(slot, chosen, forged.header, forged.block);
    return true;
  }

  #store(slot: bigint, pool: ForgingPool, h: Header, block: Uint8Array): void {
    const { metrics, log } = this.#d;
    const store = this.#d.store();
    const result = store.extend(decodeBlock(block));
    if (!result.ok) {
      const what = store.storage.healthy
        ? "forged block failed validation; not adopted"
        : "forged block could not be stored; not adopted or announced";
      log.error(
        { pool: pool.displayName, slot: `${slot}`, blockNo: `${h.body.blockNumber}`, error: result.message },
        what,
      );
      metrics.blocksNotAdopted.inc();
      metrics.leaderSlotsMissed.inc({ reason: store.storage.healthy ? "not-adopted" : "storage" });
      return;
    }
    metrics.blocksForged.inc();
    metrics.poolBlocksForged.inc({ pool: pool.displayName });
    this.#d.adopted(result.txs, result.epochs, slot + 1n);
    log.info(
      {
        event: "adopted",
        pool: pool.displayName,
        poolId: pool.gate.forging ? pool.gate.keys.poolId : undefined,
        slot: `${slot}`,
        blockNo: `${h.body.blockNumber}`,
        hash: bytesToHex(h.hash),
        txs: result.txs.map((t) => bytesToHex(t.body.id)),
        durable: true,
      },
      "forged and adopted block",
    );
  }

  /** The pools this node would forge now (keys valid, active at its level, lease held when fenced). */
  #forgeable(): ForgingPool[] {
    return this.#pools.filter((p) => p.gate.forging && this.#d.guards.mayForge(p.gate.keys.poolId));
  }

  /** Whether the pool leads `slot`, on the stake forecast (undefined: the epoch's stake is not known yet). */
  #leads(p: ForgingPool, slot: bigint): boolean | undefined {
    if (!p.gate.forging) return undefined;
    const stake = this.#stakeForecast(this.#d.network.clock.epochOfSlot(Number(slot)));
    if (!stake) return undefined;
    const chain = this.#d.store().chain;
    return leaderCheck(slot, chain.state, this.#d.network.rules, stake, p.gate.keys).kind === "leader";
  }

  /** A leader slot that went without a block, for `reason`. */
  #missed(p: ForgingPool, slot: bigint, reason: MissedReason): void {
    this.#d.metrics.slotsLed.inc();
    this.#d.metrics.poolSlotsLed.inc({ pool: p.displayName });
    this.#d.metrics.leaderSlotsMissed.inc({ reason });
    this.#d.log.warn({ pool: p.displayName, slot: `${slot}`, reason }, "missed a leader slot");
  }

  /** The slot cannot be forged in (storage failed, not caught up): every pool that leads it misses it. */
  missIfLed(slot: bigint, reason: MissedReason): void {
    for (const p of this.#forgeable()) if (this.#leads(p, slot)) this.#missed(p, slot, reason);
  }

  /**
   * Slots [from, to) passed while the slot loop did not run: their leader slots are missed (missed-slots.ts). The
   * bound on late checks is shared by the node's pools.
   */
  missedWhileStalled(from: bigint, to: bigint): void {
    const pools = this.#forgeable();
    if (pools.length === 0 || to <= from) return;
    const budget = BigInt(Math.max(1, Math.floor(MAX_LATE_CHECKS / pools.length)));
    const start = to - from > budget ? to - budget : from;
    let led = 0;
    let unchecked = Number(start - from) * pools.length;
    for (const p of pools) {
      const late = lateLeaderSlots(start, to, (s) => this.#leads(p, s));
      for (const slot of late.led) this.#missed(p, slot, "stalled");
      led += late.led.length;
      unchecked += late.unchecked;
    }
    this.#d.log.warn(
      { from: `${from}`, to: `${to - 1n}`, slots: Number(to - from), leaderSlots: led, unchecked },
      "the slot loop stalled: slots passed unchecked",
    );
  }

  /**
   * Coming leader slots from the next slot for `minutes`: of one pool (by display name) or of all. Only forging
   * pools have a schedule. Computed off the slot path (leader-schedule.ts: chunks, one per event-loop turn, cached
   * per epoch and pool), so queries never hold up a leader check.
   */
  async leaderSchedule(minutes: number, poolName?: string, again = false): Promise<unknown> {
    const { network } = this.#d;
    const clock = network.clock;
    const from = BigInt(clock.slotAt(this.#d.now()) + 1);
    const count = Math.ceil((minutes * 60_000) / (clock.timeOfSlot(1) - clock.timeOfSlot(0)));
    if (poolName !== undefined && !this.#pools.some((p) => p.displayName === poolName))
      throw new InputError("pool", `no pool named "${poolName}" on this node`);
    const chosen = this.#pools.filter((p) => p.gate.forging && (poolName === undefined || p.displayName === poolName));
    const pools = await Promise.all(
      chosen.map(async (p) => {
        const gate = p.gate;
        if (!gate.forging) throw new Error("unreachable");
        let schedule = this.#schedules.get(gate.keys.poolId);
        if (!schedule) this.#schedules.set(gate.keys.poolId, (schedule = new LeaderSchedule()));
        const chain = this.#d.store().chain;
        const { slots, complete } = await schedule.slots(from, count, {
          state: chain.state,
          rules: network.rules,
          stakeFor: (e) => this.#stakeForecast(e),
          keys: gate.keys,
        });
        return { stale: p.gate !== gate, pool: p.displayName, poolId: gate.keys.poolId, complete, led: slots };
      }),
    );
    // Keys swapped meanwhile (SIGHUP erases the old ones): what was computed with them is not the pool's schedule.
    if (pools.some((p) => p.stale) && !again) return this.leaderSchedule(minutes, poolName, true);
    if (pools.length === 0)
      return { forging: false, slots: [], complete: true, ...(this.keys.bundle ? { pools: [] } : {}) };
    // Each answer is built on one turn of the event loop: keep it cheap (no string parsing in the sort, and the
    // per-pool lists only on a bundle node, where they are the point).
    const show = (s: bigint, pool?: string) => ({
      slot: `${s}`,
      at: new Date(clock.timeOfSlot(Number(s))).toISOString(),
      ...(pool !== undefined ? { pool } : {}),
    });
    const merged =
      pools.length === 1
        ? pools[0]!.led.map((s) => ({ s, pool: pools[0]!.pool }))
        : pools
            .flatMap((p) => p.led.map((s) => ({ s, pool: p.pool })))
            .sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
    return {
      forging: true,
      // A single-pool node keeps the shape it always had: its pool id at the top.
      ...(pools.length === 1 ? { poolId: pools[0]!.poolId } : {}),
      from: `${from}`,
      slotsExamined: count,
      complete: pools.every((p) => p.complete),
      slots: merged.map((m) => show(m.s, this.keys.bundle ? m.pool : undefined)),
      ...(this.keys.bundle
        ? {
            pools: pools.map((p) => ({
              pool: p.pool,
              poolId: p.poolId,
              complete: p.complete,
              slots: p.led.map((s) => show(s)),
            })),
          }
        : {}),
    };
  }

  #ledgerAt(slot: bigint) {
    const net = this.#d.network;
    return {
      state: this.#d.store().chain.ledger,
      params: ledgerParamsAt(net, this.#d.store().chain.tip?.slot ?? null),
      slot,
      epoch: net.clock.epochOfSlot(Number(slot)),
    };
  }

  /**
   * The pool distribution in force in `epoch`, when it is known without ticking the ledger: the ledger's own for its
   * epoch; for the next one, the distribution of the current mark snapshot, which the boundary makes the set
   * snapshot (cardano-ledger's SNAP rule). Further ahead: undefined.
   */
  #stakeForecast(epoch: number): ReadonlyMap<string, PoolView> | undefined {
    const ledger = this.#d.store().chain.ledger;
    if (epoch === ledger.epoch) return ledger.poolDistr;
    if (epoch !== ledger.epoch + 1) return undefined;
    const mark = ledger.snapshots.mark;
    if (this.#forecast?.mark !== mark) this.#forecast = { mark, distr: poolDistribution(mark) };
    return this.#forecast.distr;
  }
}

/** The pool id of the block the chain holds in `slot`, if any. */
function issuerAt(store: ChainStore, slot: bigint): string | undefined {
  const i = store.db.indexOfSlot(slot);
  if (i < 0) return undefined;
  return bytesToHex(poolIdOf(decodeBlock(store.db.readBlock(i)).header.body.issuerVkey));
}
