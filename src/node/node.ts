// The node runtime: restore the chain (database + newest snapshot + replay of the blocks after it), gate the
// producer keys, then each slot check leadership and forge, adopting a block only once it validates and is
// durable. Serves /metrics, /health, /ready, /config. Crash-only: any kill leaves a database that reopens.
import type { Server } from "node:http";
import type { Logger } from "pino";
import { decodeBlock } from "../chain/block.ts";
import {
  applyHeader,
  type ChainState,
  chainStateFromJson,
  chainStateToJson,
  initialChainState,
} from "../consensus/chain-state.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { wipeVrfSecretKey } from "../crypto/vrf.ts";
import { ChainDb } from "../storage/chain-db.ts";
import { loadSnapshot, saveSnapshot } from "../storage/snapshots.ts";
import { loadNetwork, type Network, type NodeOptions } from "./config.ts";
import { forgeForSlot } from "./forge.ts";
import { startHttp } from "./http.ts";
import { createMetrics, type NodeMetrics } from "./metrics.ts";
import { type GateOutcome, loadProducerKeys } from "./producer-keys.ts";

const SNAPSHOT_EVERY = 20;

export class PoolfleetNode {
  readonly options: NodeOptions;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  #network!: Network;
  #db!: ChainDb;
  #state!: ChainState;
  #gate: GateOutcome | null = null;
  #http: Server | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastSlot = -1n;
  #ready = false;
  #stopping = false;

  constructor(options: NodeOptions, log: Logger) {
    this.options = options;
    this.log = log;
    this.metrics = createMetrics();
  }

  async start(): Promise<void> {
    this.#network = loadNetwork(this.options.configPath);
    this.log.info({ network: this.#network.summary }, "network loaded");
    this.#db = ChainDb.open(this.options.databasePath);
    this.log.info({ recovery: this.#db.report }, "chain database open");
    this.#restore();
    this.reloadKeys();
    this.#http = await startHttp(this.options.metricsHost, this.options.metricsPort, {
      registry: this.metrics.registry,
      health: () => this.#health(),
      ready: () => this.#ready,
      config: () => this.#config(),
    });
    const address = this.#http.address();
    this.log.info({ metrics: address }, "http endpoints listening");
    this.#ready = true;
    this.#schedule();
  }

  /** Re-read the key files and run the gate (SIGHUP; also at start). Without keys the node is a relay. */
  reloadKeys(): void {
    const paths = this.options.keys;
    if (!paths) {
      this.#setGate(null);
      this.metrics.forgingEnabled.set(0);
      this.metrics.keysValid.set(0);
      this.log.info("no producer keys configured: running as a relay");
      return;
    }
    const gate = loadProducerKeys(
      paths,
      this.#network.clock,
      this.#network.stake,
      (id) => this.#state.counters.get(id),
      new Date(),
    );
    this.#setGate(gate);
    const passed = gate.forging;
    this.metrics.forgingEnabled.set(passed ? 1 : 0);
    this.metrics.keysValid.set(passed ? 1 : 0);
    if (gate.forging) {
      const { opcert, poolId } = gate.keys;
      const g = this.#network.genesis;
      this.metrics.opcertCounter.set(opcert.sequenceNumber);
      this.metrics.kesExpiry.set(this.#network.clock.timeOfKesPeriod(opcert.kesPeriod + g.maxKESEvolutions) / 1000);
      this.log.info(
        { poolId, opcertIssueNumber: opcert.sequenceNumber, opcertKesPeriod: opcert.kesPeriod },
        "producer keys pass the consistency gate: forging enabled",
      );
    } else {
      this.log.error(
        {
          poolId: gate.poolId,
          reason: gate.reason,
          checks: gate.checks.map((c) => ({ check: c.check, status: c.status })),
        },
        "producer keys refused by the consistency gate: NOT forging",
      );
    }
  }

  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#ready = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#state && this.#db) this.#snapshot();
    this.#db?.close();
    this.#setGate(null);
    await new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve()));
    this.log.info({ tip: this.#tipLog() }, "stopped cleanly");
  }

  /** Replace the gate outcome; keys the node stops using are erased from memory. */
  #setGate(gate: GateOutcome | null): void {
    const old = this.#gate;
    if (old?.forging && !(gate?.forging && gate.keys === old.keys)) {
      old.keys.kes.wipe();
      wipeVrfSecretKey(old.keys.vrf);
    }
    this.#gate = gate;
  }

  #restore(): void {
    const genesisHash = this.#network.genesis.hash;
    const snapshot = loadSnapshot(this.options.databasePath, (count, tipHash) => {
      if (count > this.#db.length) return false;
      if (count === 0) return tipHash === null;
      return tipHash === bytesToHex(this.#db.entry(count - 1)!.hash);
    });
    let state = snapshot ? chainStateFromJson(snapshot.state) : initialChainState(genesisHash);
    const from = snapshot?.blockCount ?? 0;
    for (let i = from; i < this.#db.length; i++) {
      const { header } = decodeBlock(this.#db.readBlock(i));
      const result = applyHeader(state, header, this.#network.rules);
      if (!result.ok) {
        throw new Error(
          `block ${header.body.blockNumber} in ${this.options.databasePath} does not validate (${result.errors[0]!.message}); ` +
            "the database belongs to another network or is damaged: move it away to resync",
        );
      }
      state = result.state;
    }
    this.#state = state;
    this.#updateTipMetrics();
    this.log.info({ tip: this.#tipLog(), fromSnapshot: from, replayed: this.#db.length - from }, "chain restored");
  }

  #schedule(): void {
    if (this.#stopping) return;
    const clock = this.#network.clock;
    const now = Date.now();
    const start = this.#network.genesis.systemStart.getTime();
    const wait = now < start ? start - now : clock.timeOfSlot(clock.slotAt(now) + 1) - now;
    this.#timer = setTimeout(() => this.#onSlot(), Math.max(1, wait));
  }

  #onSlot(): void {
    try {
      const slot = BigInt(this.#network.clock.slotAt(Date.now()));
      if (slot > this.#lastSlot) {
        this.#lastSlot = slot;
        this.#leadSlot(slot);
      }
    } catch (error) {
      this.log.error({ err: (error as Error).message }, "slot processing failed");
    }
    this.#schedule();
  }

  #leadSlot(slot: bigint): void {
    const clock = this.#network.clock;
    const kesPeriod = clock.kesPeriodOfSlot(Number(slot));
    this.metrics.kesCurrentPeriod.set(kesPeriod);
    const gate = this.#gate;
    if (!gate?.forging) return;
    const keys = gate.keys;
    this.metrics.kesPeriodsRemaining.set(
      Math.max(0, keys.opcert.kesPeriod + this.#network.genesis.maxKESEvolutions - kesPeriod),
    );
    if (this.#state.tip && slot <= this.#state.tip.slot) return;
    this.metrics.leaderChecks.inc();
    const outcome = forgeForSlot(slot, this.#state, this.#network.rules, keys);
    if (outcome.kind === "not-leader") return;
    if (outcome.kind !== "forged") {
      this.#setGate({ forging: false, reason: outcome.reason, checks: gate.checks, poolId: keys.poolId });
      this.metrics.forgingEnabled.set(0);
      this.log.error({ reason: outcome.reason }, "forging stopped");
      return;
    }
    this.metrics.slotsLed.inc();
    const result = applyHeader(this.#state, outcome.header, this.#network.rules);
    if (!result.ok) {
      this.log.error(
        { slot: `${slot}`, errors: result.errors.map((e) => e.message) },
        "forged block failed validation; not adopted",
      );
      return;
    }
    const h = outcome.header;
    this.#db.append(outcome.block, { slot: h.body.slot, blockNo: h.body.blockNumber, hash: h.hash });
    this.#state = result.state;
    this.metrics.blocksForged.inc();
    this.metrics.blocksAdopted.inc();
    this.#updateTipMetrics();
    this.log.info(
      { event: "adopted", slot: `${slot}`, blockNo: `${h.body.blockNumber}`, hash: bytesToHex(h.hash), durable: true },
      "forged and adopted block",
    );
    if (this.#db.length % SNAPSHOT_EVERY === 0) this.#snapshot();
  }

  #snapshot(): void {
    const tip = this.#db.tip;
    saveSnapshot(this.options.databasePath, {
      blockCount: this.#db.length,
      tipHash: tip ? bytesToHex(tip.hash) : null,
      state: chainStateToJson(this.#state),
    });
  }

  #updateTipMetrics(): void {
    const tip = this.#state.tip;
    if (!tip) return;
    this.metrics.tipSlot.set(Number(tip.slot));
    this.metrics.tipBlock.set(Number(tip.blockNo));
    this.metrics.tipEpoch.set(this.#network.clock.epochOfSlot(Number(tip.slot)));
  }

  #tipLog() {
    const tip = this.#state?.tip;
    return tip ? { slot: `${tip.slot}`, blockNo: `${tip.blockNo}`, hash: bytesToHex(tip.hash) } : null;
  }

  #forgingState() {
    const g = this.#gate;
    if (!g) return { enabled: false, role: "relay" };
    return g.forging
      ? { enabled: true, role: "producer", poolId: g.keys.poolId }
      : { enabled: false, role: "producer", poolId: g.poolId, reason: g.reason };
  }

  #health() {
    const forging = this.#forgingState();
    const degraded = this.options.keys !== undefined && !forging.enabled;
    return {
      status: degraded ? ("degraded" as const) : ("ok" as const),
      ready: this.#ready,
      tip: this.#tipLog(),
      forging,
    };
  }

  #config() {
    const o = this.options;
    return {
      config: o.configPath,
      topology: o.topologyPath ?? null,
      databasePath: o.databasePath,
      hostAddr: o.hostAddr,
      port: o.port,
      metrics: `${o.metricsHost}:${o.metricsPort}`,
      producerKeyFiles: o.keys ?? null,
      network: this.#network.summary,
      forging: this.#forgingState(),
    };
  }
}
