// The node runtime: restore the chain (database + newest snapshot + replay of the blocks after it), gate the
// producer keys, then each slot check leadership and forge, adopting a block only once it validates and is
// durable. Serves /metrics, /health, /ready, /config. Crash-only: any kill leaves a database that reopens. A storage
// failure (a full disk) stops forging and adoption until a block's worth can be written again (probed each slot).
import type { Server } from "node:http";
import type { Logger } from "pino";
import { decodeBlock } from "../chain/block.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { wipeVrfSecretKey } from "../crypto/vrf.ts";
import { onScratch } from "../ledger/block-body.ts";
import { type EpochReport, tickToEpoch } from "../ledger/epoch.ts";
import { Mempool } from "../ledger/mempool.ts";
import { poolDistribution, type StakeSnapshot } from "../ledger/state.ts";
import type { PoolView } from "../consensus/header-validation.ts";
import { decodeTx, TxDecodeError } from "../ledger/tx.ts";
import { listen, type NodeServer } from "../network/peer.ts";
import { loadNetwork, type Network, type NodeOptions } from "./config.ts";
import { forgeForSlot, leaderCheck, leaderSlots } from "./forge.ts";
import { startHttp } from "./http.ts";
import { createMetrics, type MissedReason, type NodeMetrics } from "./metrics.ts";
import { chainDensity, registerCardanoMetrics } from "./cardano-metrics.ts";
import { lateLeaderSlots } from "./missed-slots.ts";
import { readiness } from "./readiness.ts";
import { decodeEraTx } from "../network/tx-submission.ts";
import type { NodeChain } from "./chain.ts";
import { type AdoptResult, ChainStore } from "./chain-store.ts";
import { type GateOutcome, loadProducerKeys } from "./producer-keys.ts";
import { Peering } from "./peering.ts";
import { ledgerSummary, peerConnections } from "./views.ts";
/** Mempool capacity in blocks' worth of transactions (cardano-node's default is twice the block size). */
const MEMPOOL_BLOCKS = 2;

export class PoolfleetNode {
  readonly options: NodeOptions;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  #network!: Network;
  #store!: ChainStore;
  #mempool!: Mempool;
  readonly #mempoolListeners = new Set<() => void>();
  #peering: Peering | null = null;
  #gate: GateOutcome | null = null;
  #http: Server | null = null;
  #server: NodeServer | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastSlot = -1n;
  #noStakeEpoch = -1;
  #forecast: { mark: StakeSnapshot; distr: ReadonlyMap<string, PoolView> } | undefined;
  #ready = false;
  /** Caught up at the last slot (readiness.ts); a producer that is not does not forge. */
  #caughtUp: boolean | undefined;
  #stopping = false;
  #countStorageFailures: () => void = () => {};

  constructor(options: NodeOptions, log: Logger) {
    this.options = options;
    this.log = log;
    this.metrics = createMetrics();
    registerCardanoMetrics(this.metrics.registry, this.metrics, {
      startedAt: Date.now(),
      slotInEpoch: () => {
        const tip = this.#store?.chain.tip;
        return tip
          ? Number(tip.slot) - this.#network.clock.firstSlotOfEpoch(this.#network.clock.epochOfSlot(Number(tip.slot)))
          : undefined;
      },
      density: () => (this.#store ? chainDensity(this.#store.db, this.#store.k) : undefined),
    });
  }

  async start(): Promise<void> {
    this.#network = loadNetwork(this.options.configPath);
    this.log.info({ network: this.#network.summary }, "network loaded");
    this.#store = ChainStore.open(this.#network, this.options.databasePath);
    this.log.info({ recovery: this.#store.db.report }, "chain database open");
    this.#watchStorage();
    this.#store.probeStorage();
    this.#updateTipMetrics();
    this.log.info({ tip: this.#tipLog(), ...this.#store.restored }, "chain restored");
    this.#mempool = new Mempool(MEMPOOL_BLOCKS * this.#network.ledgerParams.maxBlockBodySize);
    this.reloadKeys();
    this.#http = await startHttp(this.options.metricsHost, this.options.metricsPort, {
      registry: this.metrics.registry,
      health: () => this.#health(),
      ready: () => this.#readiness(),
      config: () => this.#config(),
      ledger: () => ledgerSummary(this.#chain, this.#mempool, this.#tipLog()),
      peers: () => peerConnections(this.#server, this.#peering?.connections ?? []),
      leaderSchedule: (minutes) => this.#leaderSchedule(minutes),
      maxTxBytes: this.#network.ledgerParams.maxTxSize,
      submitTx: (bytes) => this.submitTx(bytes),
    });
    const address = this.#http.address();
    this.log.info({ metrics: address }, "http endpoints listening");
    try {
      this.#server = await listen({
        magic: this.#network.genesis.networkMagic,
        source: this.#store.source,
        host: this.options.hostAddr,
        port: this.options.port,
        log: this.log,
        acceptTxs: (txs, peer) => this.#acceptPeerTxs(txs, peer),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        `cannot listen for node-to-node peers on ${this.options.hostAddr}:${this.options.port} (${code ?? (error as Error).message}); choose another --port`,
        { cause: error },
      );
    }
    this.log.info({ host: this.options.hostAddr, port: this.#server.port }, "serving node-to-node peers");
    this.#peering = new Peering(
      {
        magic: this.#network.genesis.networkMagic,
        log: this.log,
        feed: {
          mempool: this.#mempool,
          onAdded: (listener) => {
            this.#mempoolListeners.add(listener);
            return () => this.#mempoolListeners.delete(listener);
          },
        },
        store: () => this.#store,
        stopping: () => this.#stopping,
        adopted: (peer, result) => this.#adoptedFromPeer(peer, result),
      },
      { host: this.options.hostAddr, port: this.#server.port },
    );
    this.reloadTopology();
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
      (id) => this.#chain.registeredVrfKeyHash(id),
      (id) => this.#chain.state.counters.get(id),
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
      this.metrics.kesStartPeriod.set(opcert.kesPeriod);
      this.metrics.kesEndPeriod.set(opcert.kesPeriod + g.maxKESEvolutions);
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

  /**
   * Stop: every step runs even when an earlier one fails (a snapshot on a full disk must not keep the process
   * alive). Resolves true when all went well, false when something failed (logged).
   */
  async stop(): Promise<boolean> {
    if (this.#stopping) return true;
    this.#stopping = true;
    this.#ready = false;
    if (this.#timer) clearTimeout(this.#timer);
    let clean = true;
    const step = async (what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (error) {
        clean = false;
        this.log.error({ err: (error as Error).message }, `stopping: ${what} failed`);
      }
    };
    const peering = this.#peering?.stop();
    await step("closing the node-to-node server", () => this.#server?.close());
    await step("closing peer connections", () => peering);
    await step("writing the final snapshot and closing the chain database", () => this.#store?.close());
    this.#setGate(null);
    await step(
      "closing the HTTP endpoints",
      () => new Promise<void>((resolve) => (this.#http ? this.#http.close(() => resolve()) : resolve())),
    );
    if (clean) this.log.info({ tip: this.#tipLog() }, "stopped cleanly");
    else
      this.log.warn(
        { tip: this.#tipLog() },
        "stopped; some steps failed (the chain database holds every stored block)",
      );
    return clean;
  }

  /** Storage health in the log and metrics as it changes. */
  #watchStorage(): void {
    const storage = this.#store.storage;
    this.metrics.storageHealthy.set(1);
    let counted = 0;
    const count = () => {
      this.metrics.storageFailures.inc(storage.failures - counted);
      counted = storage.failures;
    };
    this.#countStorageFailures = count;
    storage.onChange((healthy) => {
      count();
      this.metrics.storageHealthy.set(healthy ? 1 : 0);
      if (healthy) this.log.info({ tip: this.#tipLog() }, "storage writable again: forging and adoption resume");
      else
        this.log.error(
          { storage: storage.failure, tip: this.#tipLog() },
          "storage failed: not forging or adopting blocks until space returns",
        );
    });
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

  get #chain(): NodeChain {
    return this.#store.chain;
  }

  /** Re-read the topology file and dial its peers (at start and on SIGHUP). */
  reloadTopology(): void {
    this.#peering?.reload(this.options.topologyPath, this.options.keys !== undefined);
  }

  #adoptedFromPeer(peer: string, result: AdoptResult & { ok: true }): void {
    const txs = result.results.flatMap((r) => (r.ok ? r.txs : []));
    this.metrics.blocksAdopted.inc(result.results.length);
    this.metrics.txsInBlocks.inc(txs.length);
    this.#mempool.removeIncluded(txs);
    this.#mempool.revalidate(this.#ledgerAt(this.#currentSlot()));
    this.#updateMempoolMetrics();
    this.#updateTipMetrics();
    for (const r of result.results) if (r.ok) this.#logEpochs(r.epochs);
    const tip = this.#tipLog();
    if (result.rolledBack > 0)
      this.log.info({ event: "switched", peer, rolledBack: result.rolledBack, tip }, "switched to a better fork");
    // Hashes of small batches (following at the tip) are logged; an initial sync's batches of 100 only by tip.
    const hashes = result.results.length <= 10 ? result.hashes.map(bytesToHex) : undefined;
    const tipSlot = this.#chain.tip?.slot;
    if (hashes && tipSlot !== undefined)
      this.metrics.blockDelay.set(Math.max(0, Date.now() - this.#network.clock.timeOfSlot(Number(tipSlot))) / 1000);
    this.log.info({ event: "adopted", peer, blocks: result.results.length, hashes, tip }, "adopted blocks from peer");
  }

  /** Submit a whole CBOR transaction to the mempool. Never throws on bad input. */
  submitTx(bytes: Uint8Array): { accepted: true; id: string } | { accepted: false; error: string } {
    let tx;
    try {
      tx = decodeTx(bytes);
    } catch (error) {
      if (!(error instanceof TxDecodeError)) throw error;
      this.metrics.txsRejected.inc();
      return { accepted: false, error: error.message };
    }
    const r = this.#mempool.add(tx, this.#ledgerAt(this.#currentSlot()));
    this.#updateMempoolMetrics();
    if (!r.ok) {
      this.metrics.txsRejected.inc();
      this.log.info({ tx: r.id, reason: r.reason, error: r.message }, "transaction refused");
      return { accepted: false, error: r.message };
    }
    this.metrics.txsSubmitted.inc();
    this.log.info({ tx: r.id, mempool: this.#mempool.size }, "transaction accepted into the mempool");
    for (const f of [...this.#mempoolListeners]) f();
    return { accepted: true, id: r.id };
  }

  /** Transactions a peer offered over tx-submission2: into the mempool like submitted ones. */
  #acceptPeerTxs(txs: readonly Uint8Array[], peer: string): void {
    for (const raw of txs) {
      let tx: Uint8Array;
      try {
        tx = decodeEraTx(raw).tx;
      } catch (error) {
        this.log.info({ peer, error: (error as Error).message }, "undecodable transaction from peer");
        continue;
      }
      this.submitTx(tx);
    }
  }

  #currentSlot(): bigint {
    const slot = BigInt(Math.max(0, this.#network.clock.slotAt(Date.now())));
    const tip = this.#chain.tip;
    return tip && slot <= tip.slot ? tip.slot + 1n : slot;
  }

  #ledgerAt(slot: bigint) {
    return {
      state: this.#chain.ledger,
      params: this.#network.ledgerParams,
      slot,
      epoch: this.#network.clock.epochOfSlot(Number(slot)),
    };
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
      // A failed store is retried only once a block's worth can be written again: no forging until then.
      const storable = this.#store.storage.healthy || this.#store.probeStorage();
      this.#countStorageFailures();
      if (slot > this.#lastSlot) {
        if (this.#lastSlot >= 0n) this.#missedWhileStalled(this.#lastSlot + 1n, slot);
        this.#lastSlot = slot;
        this.#watchCaughtUp();
        if (storable) this.#leadSlot(slot);
        else if (this.#leads(slot)) this.#missed(slot, "storage");
      }
    } catch (error) {
      this.log.error({ err: (error as Error).message }, "slot processing failed");
    }
    this.metrics.peersConnected.set((this.#server?.connections.size ?? 0) + (this.#peering?.connections.length ?? 0));
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
    if (this.#chain.tip && slot <= this.#chain.tip.slot) return;
    if (!this.#caughtUp) {
      if (this.#leads(slot)) this.#missed(slot, "not-caught-up");
      return;
    }
    this.metrics.leaderChecks.inc();
    const net = this.#network;
    const at = this.#ledgerAt(slot);
    // Most slots are not led: decide that on the distribution forecast for the slot's epoch, without ticking the
    // ledger over an epoch boundary (a UTxO-wide snapshot and the reward calculation) only to throw it away.
    const forecast = this.#stakeForecast(at.epoch);
    if (forecast && leaderCheck(slot, this.#chain.state, net.rules, forecast, keys).kind === "not-leader") return;
    // The pool distribution for the slot's epoch, and the block's transactions, are worked out on the ledger ticked
    // to that epoch; the ticking is undone, and done again for real when the block is applied.
    const outcome = onScratch((journal) => {
      tickToEpoch(at.state, at.params, at.epoch, journal);
      return forgeForSlot(slot, this.#chain.state, net.rules, at.state.poolDistr, keys, () =>
        this.#mempool.select(at, net.ledgerParams.maxBlockBodySize - 64, journal),
      );
    });
    if (outcome.kind === "not-leader") return;
    if (outcome.kind !== "forged") {
      if (outcome.kind === "no-stake") {
        // Registered but without stake in this epoch (e.g. a pool registered less than two epochs ago).
        if (this.#noStakeEpoch !== at.epoch) this.log.warn({ epoch: at.epoch, reason: outcome.reason }, "not leading");
        this.#noStakeEpoch = at.epoch;
        return;
      }
      this.#setGate({ forging: false, reason: outcome.reason, checks: gate.checks, poolId: keys.poolId });
      this.metrics.forgingEnabled.set(0);
      this.log.error({ reason: outcome.reason }, "forging stopped");
      return;
    }
    this.metrics.slotsLed.inc();
    const h = outcome.header;
    const result = this.#store.extend(decodeBlock(outcome.block));
    this.#countStorageFailures();
    if (!result.ok) {
      const what = this.#store.storage.healthy
        ? "forged block failed validation; not adopted"
        : "forged block could not be stored; not adopted or announced";
      this.log.error({ slot: `${slot}`, blockNo: `${h.body.blockNumber}`, error: result.message }, what);
      this.metrics.blocksNotAdopted.inc();
      this.metrics.leaderSlotsMissed.inc({ reason: this.#store.storage.healthy ? "not-adopted" : "storage" });
      return;
    }
    this.metrics.blocksForged.inc();
    this.metrics.blocksAdopted.inc();
    this.metrics.txsInBlocks.inc(result.txs.length);
    this.#mempool.removeIncluded(result.txs);
    this.#mempool.revalidate(this.#ledgerAt(slot + 1n));
    this.#updateMempoolMetrics();
    this.#updateTipMetrics();
    this.#logEpochs(result.epochs);
    this.log.info(
      {
        event: "adopted",
        slot: `${slot}`,
        blockNo: `${h.body.blockNumber}`,
        hash: bytesToHex(h.hash),
        txs: result.txs.map((t) => bytesToHex(t.body.id)),
        durable: true,
      },
      "forged and adopted block",
    );
  }

  /** Whether the pool leads `slot`, on the stake forecast (undefined: a relay, or the epoch's stake is not known). */
  #leads(slot: bigint): boolean | undefined {
    const gate = this.#gate;
    if (!gate?.forging) return undefined;
    const stake = this.#stakeForecast(this.#network.clock.epochOfSlot(Number(slot)));
    if (!stake) return undefined;
    return leaderCheck(slot, this.#chain.state, this.#network.rules, stake, gate.keys).kind === "leader";
  }

  /** A leader slot that went without a block. */
  #missed(slot: bigint, reason: MissedReason): void {
    this.metrics.slotsLed.inc();
    this.metrics.leaderSlotsMissed.inc({ reason });
    this.log.warn({ slot: `${slot}`, reason }, "missed a leader slot");
  }

  /** Slots [from, to) passed while the slot loop did not run: their leader slots are missed (missed-slots.ts). */
  #missedWhileStalled(from: bigint, to: bigint): void {
    if (!this.#gate?.forging || to <= from) return;
    const { led, unchecked } = lateLeaderSlots(from, to, (s) => this.#leads(s));
    for (const slot of led) this.#missed(slot, "stalled");
    this.log.warn(
      { from: `${from}`, to: `${to - 1n}`, slots: Number(to - from), leaderSlots: led.length, unchecked },
      "the slot loop stalled: slots passed unchecked",
    );
  }

  #readiness() {
    const tip = this.#chain?.tip;
    const net = this.#network;
    return readiness({
      now: Date.now(),
      tipTime: tip ? net.clock.timeOfSlot(Number(tip.slot)) : undefined,
      systemStart: net.genesis.systemStart.getTime(),
      maxCaughtUpAgeMs: this.options.maxCaughtUpAgeS * 1000,
      role: this.options.keys ? "producer" : "relay",
      upstream: this.#peering?.upstream ?? { configured: 0, connected: 0, atTip: 0 },
      peers: (this.#server?.connections.size ?? 0) + (this.#peering?.connections.length ?? 0),
      storageHealthy: this.#store.storage.healthy,
      running: this.#ready,
    });
  }

  /** Caught up or not, in the log once per change and in poolfleet_caught_up; a producer forges only when it is. */
  #watchCaughtUp(): void {
    const r = this.#readiness();
    this.metrics.caughtUp.set(r.caughtUp ? 1 : 0);
    if (r.caughtUp === this.#caughtUp) return;
    this.#caughtUp = r.caughtUp;
    const producer = this.options.keys !== undefined;
    if (r.caughtUp) this.log.info({ tipAgeSeconds: r.tipAgeSeconds }, producer ? "caught up: forging" : "caught up");
    else
      this.log.warn(
        { tipAgeSeconds: r.tipAgeSeconds, reason: r.reason },
        producer ? "not caught up: NOT forging until the chain is caught up" : "not caught up",
      );
  }

  /** The pool's leader slots from the next slot for `minutes` (none unless forging), with their wall-clock times. */
  #leaderSchedule(minutes: number) {
    const gate = this.#gate;
    const clock = this.#network.clock;
    if (!gate?.forging) return { forging: false, slots: [], complete: true };
    const from = BigInt(clock.slotAt(Date.now()) + 1);
    const count = Math.ceil((minutes * 60_000) / (clock.timeOfSlot(1) - clock.timeOfSlot(0)));
    const { slots, complete } = leaderSlots(
      from,
      count,
      this.#chain.state,
      this.#network.rules,
      (e) => this.#stakeForecast(e),
      gate.keys,
    );
    return {
      forging: true,
      poolId: gate.keys.poolId,
      from: `${from}`,
      slotsExamined: count,
      complete,
      slots: slots.map((s) => ({ slot: `${s}`, at: new Date(clock.timeOfSlot(Number(s))).toISOString() })),
    };
  }

  /**
   * The pool distribution in force in `epoch`, when it is known without ticking the ledger: the ledger's own for its
   * epoch; for the next one, the distribution of the current mark snapshot, which the boundary makes the set
   * snapshot (cardano-ledger's SNAP rule). Further ahead: undefined.
   */
  #stakeForecast(epoch: number): ReadonlyMap<string, PoolView> | undefined {
    const ledger = this.#chain.ledger;
    if (epoch === ledger.epoch) return ledger.poolDistr;
    if (epoch !== ledger.epoch + 1) return undefined;
    const mark = ledger.snapshots.mark;
    if (this.#forecast?.mark !== mark) this.#forecast = { mark, distr: poolDistribution(mark) };
    return this.#forecast.distr;
  }

  #logEpochs(epochs: readonly EpochReport[]): void {
    for (const e of epochs)
      this.log.info(
        { event: "epoch", ...e, rewardsPaid: `${e.rewardsPaid}`, rewardsToTreasury: `${e.rewardsToTreasury}` },
        "epoch boundary",
      );
  }

  #updateTipMetrics(): void {
    const gate = this.#gate;
    const poolId = gate ? (gate.forging ? gate.keys.poolId : gate.poolId) : undefined;
    const onChain = poolId ? this.#chain.state.counters.get(poolId) : undefined;
    if (onChain !== undefined) this.metrics.chainOpcertCounter.set(Number(onChain));
    const tip = this.#chain.tip;
    if (!tip) return;
    this.metrics.tipSlot.set(Number(tip.slot));
    this.metrics.tipBlock.set(Number(tip.blockNo));
    this.metrics.tipEpoch.set(this.#network.clock.epochOfSlot(Number(tip.slot)));
  }

  #tipLog() {
    const tip = this.#chain?.tip;
    return tip ? { slot: `${tip.slot}`, blockNo: `${tip.blockNo}`, hash: bytesToHex(tip.hash) } : null;
  }

  #updateMempoolMetrics(): void {
    this.metrics.mempoolTxs.set(this.#mempool.size);
    this.metrics.mempoolBytes.set(this.#mempool.bytes);
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
    const storage = this.#store.storage;
    const status = !storage.healthy ? "unhealthy" : degraded ? "degraded" : "ok";
    return {
      status: status as "ok" | "degraded" | "unhealthy",
      ...(storage.healthy ? {} : { reason: `storage failed: ${storage.failure!.reason}` }),
      ready: this.#readiness().ready,
      tip: this.#tipLog(),
      forging,
      storage: storage.toJSON(),
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
