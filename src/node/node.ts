// The node runtime: restore the chain (database + newest snapshot + replay of the blocks after it), gate the
// producer keys, then each slot check leadership and forge, adopting a block only once it validates and is
// durable. Serves /metrics, /health, /ready, /config, and /api/* on its own port when --api-port is given. A port it
// cannot bind fails the start (ListenError). Crash-only: any kill leaves a database that reopens. A storage
// failure (a full disk) stops forging and adoption until a block's worth can be written again (probed each slot).
// Why one file past ~400 lines: it is the wiring (start, stop, reload) and the one place the parts' events meet
// (a slot, a block adopted, a peer's transactions); each part's logic lives in its own module (forger.ts,
// chain-store.ts, peering.ts, readiness.ts, views.ts), and what remains here is the order they are called in.
import type { Server } from "node:http";
import type { Logger } from "pino";
import { bytesToHex } from "../crypto/bytes.ts";
import { InputError } from "../formats/errors.ts";
import type { LedgerFailure } from "../ledger/apply-tx.ts";
import type { EpochReport } from "../ledger/epoch.ts";
import { Mempool } from "../ledger/mempool.ts";
import { decodeTx, TxDecodeError, type Tx } from "../ledger/tx.ts";
import { readTopology } from "../formats/topology.ts";
import { listen, type NodeServer } from "../network/peer.ts";
import type { LocalServer } from "../network/n2c.ts";
import type { Point } from "../network/points.ts";
import { mempoolSnapshot, startLocalSocket, startLocalTcp } from "./local-socket.ts";
import { loadNetwork, type Network, type NodeOptions } from "./config.ts";
import { Forger } from "./forger.ts";
import { keyFingerprint, watchKeys } from "./key-watch.ts";
import { keySourceOf } from "./producer-pools.ts";
import { type PoolGuards, poolGuardsFor } from "./pool-guard.ts";
import { startApi } from "./api-http.ts";
import { ListenError, startHttp } from "./http.ts";
import { createMetrics, type NodeMetrics } from "./metrics.ts";
import { chainDensity, registerCardanoMetrics } from "./cardano-metrics.ts";
import { readiness } from "./readiness.ts";
import { decodeEraTx } from "../network/tx-submission.ts";
import type { NodeChain } from "./chain.ts";
import { type AdoptResult, ChainStore } from "./chain-store.ts";
import { Peering } from "./peering.ts";
import { ledgerSummary, peerConnections } from "./views.ts";
import { ledgerParamsAt } from "./ledger-params.ts";
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
  #forger!: Forger;
  #guards!: PoolGuards;
  #leaseTimer: NodeJS.Timeout | null = null;
  #keyWatch: { stop: () => void } | undefined;
  #http: Server | null = null;
  #api: Server | null = null;
  #server: NodeServer | null = null;
  #local: LocalServer | null = null;
  #localTcp: LocalServer | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastSlot = -1n;
  /** The last slot the slot loop ran in (a jump over slots means the event loop was held up). */
  #lastTick = -1n;
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
    // A topology that does not parse fails the start (like cardano-node); on SIGHUP it keeps the current peers.
    if (this.options.topologyPath) readTopology(this.options.topologyPath);
    this.log.info({ network: this.#network.summary }, "network loaded");
    this.#store = ChainStore.open(this.#network, this.options.databasePath);
    this.log.info({ recovery: this.#store.db.report }, "chain database open");
    this.#watchStorage();
    this.#store.probeStorage();
    this.#updateTipMetrics();
    this.log.info({ tip: this.#tipLog(), ...this.#store.restored }, "chain restored");
    this.#mempool = new Mempool(MEMPOOL_BLOCKS * this.#network.ledgerParams.maxBlockBodySize);
    this.#guards = await poolGuardsFor(this.options, this.#network, this.log);
    this.#forger = new Forger({
      guards: this.#guards,
      network: this.#network,
      store: () => this.#store,
      mempool: this.#mempool,
      metrics: this.metrics,
      log: this.log,
      now: () => Date.now(),
      adopted: (txs, epochs, nextSlot) => this.#afterAdopt(txs, epochs, nextSlot),
    });
    this.reloadKeys();
    this.#http = await startHttp(this.options.metricsHost, this.options.metricsPort, {
      registry: this.metrics.registry,
      health: () => this.#health(),
      ready: () => this.#readiness(),
      config: () => this.#config(),
    });
    this.log.info({ metrics: this.#http.address() }, "http endpoints listening");
    if (this.options.api) {
      this.#api = await startApi(this.options.api.host, this.options.api.port, {
        ledger: () => ledgerSummary(this.#chain, this.#mempool, this.#tipLog()),
        peers: () => peerConnections(this.#server, this.#peering?.connections ?? []),
        leaderSchedule: (minutes, pool) => this.#forger.leaderSchedule(minutes, pool),
        maxTxBytes: this.#network.ledgerParams.maxTxSize,
        submitTx: (bytes) => this.submitTx(bytes),
      });
      this.log.info({ api: this.#api.address() }, "api listening");
    }
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
      throw new ListenError("--port, node-to-node", this.options.hostAddr, this.options.port, error);
    }
    this.log.info({ host: this.options.hostAddr, port: this.#server.port }, "serving node-to-node peers");
    const local = {
      network: this.#network,
      source: this.#store.source,
      log: this.log,
      submit: (tx: Uint8Array) => this.submitTx(tx),
      ledger: () => this.#chain.ledger,
      chain: () => this.#chain.state,
      stateAt: (target: Point | "immutable") => this.#store.stateForQuery(target),
      mempool: () => mempoolSnapshot(this.#mempool, this.#currentSlot()),
    };
    if (this.options.socketPath) this.#local = await startLocalSocket(this.options.socketPath, local);
    const tcp = this.options.nodeToClientTcp;
    if (tcp) this.#localTcp = await startLocalTcp(tcp.host, tcp.port, local);
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
    // Leases first: a main holds its pools' leases before its first slot.
    await this.#guards.maintain();
    const lease = this.options.poolLease;
    if (lease) this.#leaseTimer = setInterval(() => void this.#guards.maintain(), Math.max(50, lease.durationMs / 3));
    if (this.options.watchKeysMs) {
      const source = keySourceOf(this.options);
      this.#keyWatch = watchKeys(
        () => keyFingerprint(source),
        () => {
          this.log.info("key files changed: re-reading producer keys, as on SIGHUP");
          this.reloadKeys();
        },
        this.options.watchKeysMs,
      );
    }
    this.#ready = true;
    this.#schedule();
  }

  /**
   * Re-read the key files (or the key bundle) and run the gate on every pool (SIGHUP; also at start). Without keys
   * the node is a relay. A bundle that cannot be read at all keeps the pools in use and says why.
   */
  reloadKeys(): void {
    try {
      this.#forger.keys.load(keySourceOf(this.options));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.log.error({ reason: error.message }, "key bundle unreadable: keeping the pools in use");
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
    if (this.#leaseTimer) clearInterval(this.#leaseTimer);
    this.#keyWatch?.stop();
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
    await step("closing the node-to-client socket", () => this.#local?.close());
    await step("closing the node-to-client TCP port", () => this.#localTcp?.close());
    await step("closing peer connections", () => peering);
    await step("writing the final snapshot and closing the chain database", () => this.#store?.close());
    // Leases go back first, so a standby may take over at once.
    await step("releasing the pool leases", () => this.#guards?.releaseAll());
    this.#forger?.keys.wipe();
    for (const server of [this.#api, this.#http])
      await step(
        "closing the HTTP endpoints",
        () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
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

  get #chain(): NodeChain {
    return this.#store.chain;
  }

  /** Re-read the topology file and dial its peers (at start and on SIGHUP). */
  reloadTopology(): void {
    this.#peering?.reload(this.options.topologyPath, this.options.keys !== undefined || !!this.options.keyBundle);
  }

  #adoptedFromPeer(peer: string, result: AdoptResult & { ok: true }): void {
    const ok = result.results.flatMap((r) => (r.ok ? [r] : []));
    this.#afterAdopt(
      ok.flatMap((r) => r.txs),
      ok.flatMap((r) => r.epochs),
      this.#currentSlot(),
      ok.length,
    );
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

  /**
   * The one step after blocks are adopted, forged or fetched: metrics, the mempool (drop what the blocks
   * included, revalidate the rest for `nextSlot`), and the epoch boundaries crossed.
   */
  #afterAdopt(txs: readonly Tx[], epochs: readonly EpochReport[], nextSlot: bigint, blocks = 1): void {
    this.metrics.blocksAdopted.inc(blocks);
    this.metrics.txsInBlocks.inc(txs.length);
    this.#mempool.removeIncluded(txs);
    this.#mempool.revalidate(this.#ledgerAt(nextSlot));
    this.#updateMempoolMetrics();
    this.#updateTipMetrics();
    this.#logEpochs(epochs);
  }

  /** Submit a whole CBOR transaction to the mempool. Never throws on bad input. */
  submitTx(
    bytes: Uint8Array,
  ): { accepted: true; id: string } | { accepted: false; error: string; failures?: LedgerFailure[] } {
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
      return { accepted: false, error: r.message, ...(r.failures ? { failures: r.failures } : {}) };
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
      params: ledgerParamsAt(this.#network, this.#chain.tip?.slot ?? null),
      slot,
      epoch: this.#network.clock.epochOfSlot(Number(slot)),
    };
  }

  #schedule(): void {
    if (this.#stopping) return;
    const clock = this.#network.clock;
    const now = Date.now();
    const start = this.#network.genesis.systemStart.getTime();
    const current = clock.slotAt(now);
    // A slot that began while the last one was being processed runs at once; waiting for the next boundary would
    // skip it unchecked.
    const behind = this.#lastSlot >= 0n && BigInt(current) > this.#lastSlot;
    const wait = now < start ? start - now : behind ? 0 : clock.timeOfSlot(current + 1) - now;
    this.#timer = setTimeout(() => this.#onSlot(), Math.max(1, wait));
  }

  #onSlot(): void {
    try {
      const clock = this.#network.clock;
      const slot = BigInt(clock.slotAt(Date.now()));
      // The loop runs once a slot; a slot it jumped over (the event loop was held up) was never checked.
      const skipped = this.#lastTick >= 0n ? slot - this.#lastTick - 1n : 0n;
      if (skipped > 0n && this.#forger.keys.configured) {
        this.metrics.leaderChecksMissed.inc(Number(skipped));
        const lateMs = Date.now() - clock.timeOfSlot(Number(this.#lastTick) + 1);
        this.log.warn({ skipped: Number(skipped), slot: `${slot}`, lateMs }, "slot loop ran late: slots not checked");
      }
      if (slot > this.#lastTick) this.#lastTick = slot;
      // A failed store is retried only once a block's worth can be written again: no forging until then.
      const storable = this.#store.storage.healthy || this.#store.probeStorage();
      this.#countStorageFailures();
      if (slot > this.#lastSlot) {
        if (this.#lastSlot >= 0n) this.#forger.missedWhileStalled(this.#lastSlot + 1n, slot);
        this.#lastSlot = slot;
        this.#watchCaughtUp();
        if (storable) {
          const checked = this.#forger.leadSlot(slot, this.#caughtUp === true);
          this.#countStorageFailures();
          const overMs = Date.now() - clock.timeOfSlot(Number(slot) + 1);
          if (checked && overMs >= 0) {
            this.metrics.leaderChecksLate.inc();
            this.log.warn({ slot: `${slot}`, overMs }, "leader check finished after its slot");
          }
        } else this.#forger.missIfLed(slot, "storage");
      }
    } catch (error) {
      this.log.error({ err: (error as Error).message }, "slot processing failed");
    }
    this.metrics.peersConnected.set((this.#server?.connections.size ?? 0) + (this.#peering?.connections.length ?? 0));
    this.#schedule();
  }

  #readiness() {
    const tip = this.#chain?.tip;
    const net = this.#network;
    return readiness({
      now: Date.now(),
      tipTime: tip ? net.clock.timeOfSlot(Number(tip.slot)) : undefined,
      systemStart: net.genesis.systemStart.getTime(),
      maxCaughtUpAgeMs: this.options.maxCaughtUpAgeS * 1000,
      role: this.#forger?.keys.configured ? "producer" : "relay",
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
    const producer = this.#forger.keys.configured;
    if (r.caughtUp) this.log.info({ tipAgeSeconds: r.tipAgeSeconds }, producer ? "caught up: forging" : "caught up");
    else
      this.log.warn(
        { tipAgeSeconds: r.tipAgeSeconds, reason: r.reason },
        producer ? "not caught up: NOT forging until the chain is caught up" : "not caught up",
      );
  }

  #logEpochs(epochs: readonly EpochReport[]): void {
    for (const e of epochs)
      this.log.info(
        { event: "epoch", ...e, rewardsPaid: `${e.rewardsPaid}`, rewardsToTreasury: `${e.rewardsToTreasury}` },
        "epoch boundary",
      );
  }

  #updateTipMetrics(): void {
    const poolId = this.#forger?.keys.poolIds()[0];
    const onChain = poolId ? this.#chain.state.counters.get(poolId) : undefined;
    if (onChain !== undefined) this.metrics.chainOpcertCounter.set(Number(onChain));
    for (const { pool, poolId: id } of this.#forger?.keys.named() ?? []) {
      const counter = this.#chain.state.counters.get(id);
      if (counter !== undefined) this.metrics.poolChainOpcertCounter.set({ pool }, Number(counter));
    }
    const tip = this.#chain.tip;
    if (!tip) return;
    this.metrics.tipSlot.set(Number(tip.slot));
    this.metrics.tipBlock.set(Number(tip.blockNo));
    this.metrics.tipEpoch.set(this.#network.clock.epochOfSlot(Number(tip.slot)));
  }

  #tipLog() {
    // this.#store is unset when a start failed before the database opened (stop() still logs the tip).
    const tip = this.#store?.chain.tip;
    return tip ? { slot: `${tip.slot}`, blockNo: `${tip.blockNo}`, hash: bytesToHex(tip.hash) } : null;
  }

  #updateMempoolMetrics(): void {
    this.metrics.mempoolTxs.set(this.#mempool.size);
    this.metrics.mempoolBytes.set(this.#mempool.bytes);
  }

  #health() {
    const forging = this.#forger.keys.state();
    // A producer with any pool refused is degraded (the others may forge on).
    const degraded = this.#forger.keys.configured && !this.#forger.keys.allForging;
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
      api: o.api ? `${o.api.host}:${o.api.port}` : null,
      producerKeyFiles: o.keys ?? null,
      keyBundle: o.keyBundle ?? null,
      nodeName: o.nodeName,
      network: this.#network.summary,
      forging: this.#forger.keys.state(),
    };
  }
}
