// The node's selected chain on disk and in memory, kept in step: the chain database (blocks), the NodeChain
// (consensus + ledger state at the tip), the ChainSource peers read, and ledger snapshots. Every change goes
// through here: extending the tip (a forged or fetched block) or switching to a better fork within k blocks.
// A switch is worked out in full on a separate NodeChain before the database is touched, so an invalid fork, or a
// crash half way, never leaves a database that disagrees with its state. A block is applied tentatively, stored,
// and only then kept: when storing fails (a full disk), the application is undone, the database is cut back to
// what it held, and storage health says why; while it is failed nothing is adopted.
import { type Block, decodeBlock } from "../chain/block.ts";
import type { Header } from "../chain/header.ts";
import { type ChainSelectView, chooseFork } from "../consensus/chain-selection.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { ChainDbSource } from "../network/chain-db-source.ts";
import type { Point, Tip } from "../network/points.ts";
import { type AppendEntry, ChainDb, StorageError } from "../storage/chain-db.ts";
import { loadSnapshot, saveSnapshot, snapshotCounts } from "../storage/snapshots.ts";
import { type BlockResult, NodeChain } from "./chain.ts";
import type { Network } from "./config.ts";
import type { PastState } from "./state-query-view.ts";
import { StorageHealth } from "./storage-health.ts";

/** A snapshot after at least this many blocks and this much time: restart replays little, sync is not slowed. */
const SNAPSHOT_EVERY = 20;
const SNAPSHOT_MIN_MS = 2000;
/**
 * Room for one block beyond its body (mainnet's maxBlockHeaderSize, 1100, plus the database's record overhead):
 * the storage probe writes a block's worth.
 */
const PROBE_HEADER_BYTES = 1100 + 64;
/**
 * The most blocks a local state-query acquire of a past point replays onto the newest kept snapshot at or before
 * it (or genesis). With snapshots at least SNAPSHOT_EVERY blocks apart and three kept, every point of a devnet's
 * volatile window is within reach; a deeper replay is refused as too old rather than stall the node.
 */
const MAX_ACQUIRE_REPLAY = 3 * SNAPSHOT_EVERY;

const entryOf = (h: Header): AppendEntry => ({
  slot: h.body.slot,
  blockNo: h.body.blockNumber,
  hash: h.hash,
  prevHash: h.body.prevHash,
});

export function selectView(header: Header): ChainSelectView {
  return {
    blockNo: header.body.blockNumber,
    slot: header.body.slot,
    issuer: header.body.issuerVkey,
    issueNo: header.body.opcert.sequenceNumber,
    vrfOutput: header.body.leaderVrf.output,
  };
}

export type AdoptResult =
  | {
      readonly ok: true;
      readonly results: readonly BlockResult[];
      /** Hashes of the adopted blocks, in chain order. */
      readonly hashes: readonly Uint8Array[];
      readonly rolledBack: number;
    }
  | {
      readonly ok: false;
      readonly reason: "invalid" | "not-better" | "too-deep" | "storage";
      readonly message: string;
      /** Blocks adopted before the invalid one (extending only), and their hashes. */
      readonly results?: readonly BlockResult[];
      readonly hashes?: readonly Uint8Array[];
    };

export class ChainStore {
  readonly net: Network;
  readonly path: string;
  readonly db: ChainDb;
  readonly source: ChainDbSource;
  /** Whether blocks can be stored; a failed write marks it, probeStorage() clears it. */
  readonly storage = new StorageHealth();
  #chain: NodeChain;
  #lastSnapshot = { blocks: 0, at: 0 };
  /** How the chain was restored at open: from which snapshot, how many blocks replayed. */
  readonly restored: { readonly fromSnapshot: number; readonly replayed: number };

  private constructor(net: Network, path: string, db: ChainDb) {
    this.net = net;
    this.path = path;
    this.db = db;
    this.source = new ChainDbSource(db);
    const { chain, from } = this.#chainAt(db.length);
    this.#chain = chain;
    this.restored = { fromSnapshot: from, replayed: db.length - from };
  }

  static open(net: Network, path: string): ChainStore {
    return new ChainStore(net, path, ChainDb.open(path));
  }

  get chain(): NodeChain {
    return this.#chain;
  }

  get length(): number {
    return this.db.length;
  }

  /** The deepest rollback allowed: the security parameter k. */
  get k(): number {
    return this.net.genesis.securityParam;
  }

  /** Where `hash` sits among the last k+1 blocks (a possible fork point), or -1. */
  recentIndexOf(hash: Uint8Array): number {
    return this.db.indexOfHash(hash, this.k + 1);
  }

  /** Where the block at `point` sits on our chain, at any depth, or -1 (O(log n)). */
  indexOfPoint(point: { slot: bigint; hash: Uint8Array }): number {
    return this.db.indexOfPoint(point.slot, point.hash);
  }

  /** Points for a chain-sync intersection: the tip, then 1, 2, 4, ... blocks back (within k), then origin. */
  intersectionPoints(): Point[] {
    const points: Point[] = [];
    const n = this.db.length;
    for (let back = 0; back <= this.k && back < n; back = back === 0 ? 1 : back * 2) {
      const e = this.db.entry(n - 1 - back)!;
      points.push({ slot: e.slot, hash: e.hash });
    }
    points.push("origin");
    return points;
  }

  tipHeader(): Header | undefined {
    return this.db.length > 0 ? decodeBlock(this.db.readBlock(this.db.length - 1)).header : undefined;
  }

  /**
   * Validate `block` on the tip and append it durably; nothing changes when it does not validate or cannot be
   * stored (then `storage` is failed and says why).
   */
  extend(block: Block): BlockResult {
    if (!this.storage.healthy) return { ok: false, message: `storage failed: ${this.storage.failure!.reason}` };
    let result: BlockResult;
    try {
      result = this.#chain.tentative(() => this.#append(block, true));
    } catch (error) {
      if (!(error instanceof StorageError)) throw error; // a bug, not the disk: the application is undone
      this.db.abandon();
      this.storage.fail("block", error);
      return { ok: false, message: `not stored: ${(error as Error).message}` };
    }
    if (result.ok) {
      this.source.notify();
      this.#maybeSnapshot();
    }
    return result;
  }

  /** Apply `block` (inside a tentative()) and append it; a storage failure throws, undoing the application. */
  #append(block: Block, sync: boolean): BlockResult {
    const result = this.#chain.applyBlock(block);
    if (!result.ok) return result;
    this.db.append(block.bytes, entryOf(block.header), { sync });
    return result;
  }

  #maybeSnapshot(): void {
    const last = this.#lastSnapshot;
    if (this.db.length - last.blocks >= SNAPSHOT_EVERY && Date.now() - last.at >= SNAPSHOT_MIN_MS) this.#trySnapshot();
  }

  /** A snapshot only shortens the next restart: failing to write one fails storage health but loses nothing. */
  #trySnapshot(): void {
    try {
      this.snapshot();
    } catch (error) {
      this.storage.fail("snapshot", error);
    }
  }

  /**
   * Whether a block can be stored again (after a failure) or at all (at start): writes and fsyncs a block's worth
   * in the database directory. Clears or sets `storage`; returns whether it is healthy.
   */
  probeStorage(): boolean {
    try {
      this.db.checkWritable(this.net.ledgerParams.maxBlockBodySize + PROBE_HEADER_BYTES);
      this.storage.recovered();
    } catch (error) {
      this.storage.fail("probe", error);
    }
    return this.storage.healthy;
  }

  /**
   * Adopt `blocks`, which follow the first `keep` blocks of our chain: extend when `keep` is our length, else switch
   * to them when their tip is strictly better than ours (Praos chain selection) and the rollback is at most k.
   * When extending, the valid prefix is kept and the first invalid block is reported.
   */
  adopt(keep: number, blocks: readonly Block[]): AdoptResult {
    if (blocks.length === 0) return { ok: true, results: [], hashes: [], rolledBack: 0 };
    if (!this.storage.healthy)
      return { ok: false, reason: "storage", message: `storage failed: ${this.storage.failure!.reason}` };
    if (keep === this.db.length) {
      // A batch is applied and written, made durable once (one fsync pair per batch, not per block), and only then
      // kept and announced; a storage failure anywhere undoes the whole batch in memory and on disk.
      const results: BlockResult[] = [];
      const hashes: Uint8Array[] = [];
      let failure: string | undefined;
      try {
        this.#chain.tentative(() => {
          for (const block of blocks) {
            const r = this.#append(block, false);
            if (!r.ok) {
              failure = r.message;
              break;
            }
            results.push(r);
            hashes.push(block.header.hash);
          }
          if (results.length > 0) this.db.sync();
        });
      } catch (error) {
        if (!(error instanceof StorageError)) throw error; // a bug, not the disk: the application is undone
        this.db.abandon();
        this.storage.fail("batch", error);
        return { ok: false, reason: "storage", message: `not stored: ${(error as Error).message}` };
      }
      if (results.length > 0) {
        this.source.notify();
        this.#maybeSnapshot();
      }
      return failure === undefined
        ? { ok: true, results, hashes, rolledBack: 0 }
        : { ok: false, reason: "invalid", message: failure, results, hashes };
    }
    const ours = this.tipHeader();
    const decision = chooseFork({
      ourLength: this.db.length,
      keep,
      k: this.k,
      ours: ours && selectView(ours),
      candidate: selectView(blocks[blocks.length - 1]!.header),
    });
    if (!decision.switch)
      return {
        ok: false,
        reason: decision.reason === "beyond-tip" ? "invalid" : decision.reason,
        message: decision.message,
      };
    return this.#switch(keep, blocks);
  }

  #switch(keep: number, blocks: readonly Block[]): AdoptResult {
    const { chain } = this.#chainAt(keep);
    const results: BlockResult[] = [];
    for (const block of blocks) {
      const r = chain.applyBlock(block);
      if (!r.ok) return { ok: false, reason: "invalid", message: `fork block ${results.length + 1}: ${r.message}` };
      results.push(r);
    }
    const rolledBack = this.db.length - keep;
    // Our blocks after the fork point, kept to put back if the fork cannot be stored.
    const ours = Array.from({ length: rolledBack }, (_, i) => decodeBlock(this.db.readBlock(keep + i)));
    try {
      this.db.truncate(keep);
      for (const { bytes, header } of blocks) this.db.append(bytes, entryOf(header), { sync: false });
      this.db.sync();
    } catch (error) {
      this.#restore(keep, ours);
      if (!(error instanceof StorageError)) throw error; // not the disk (a fork that does not link): ours is back
      this.storage.fail("fork switch", error);
      return { ok: false, reason: "storage", message: `fork not stored: ${(error as Error).message}` };
    }
    const hashes = blocks.map((b) => b.header.hash);
    this.#chain = chain;
    this.source.notify();
    this.#trySnapshot();
    return { ok: true, results, hashes, rolledBack };
  }

  /** After a failed switch: put our own blocks back as far as they fit; memory follows whatever the disk holds. */
  #restore(keep: number, ours: readonly Block[]): void {
    const before = this.#chain.tip;
    try {
      this.db.abandon();
      this.db.truncate(keep);
      for (const { bytes, header } of ours) this.db.append(bytes, entryOf(header), { sync: false });
      this.db.sync();
    } catch {
      this.db.abandon();
    }
    const tip = this.db.tip;
    if (!tip || !before || tip.blockNo !== before.blockNo) this.#chain = this.#chainAt(this.db.length).chain;
    this.source.notify();
  }

  /** The chain state after the first `count` blocks: the newest snapshot at or before them, plus replay. */
  #chainAt(count: number): { chain: NodeChain; from: number } {
    const snapshot = loadSnapshot(this.path, (blockCount, tipHash) => {
      if (blockCount > count) return false;
      if (blockCount === 0) return tipHash === null;
      return tipHash === bytesToHex(this.db.entry(blockCount - 1)!.hash);
    });
    let chain = NodeChain.genesis(this.net);
    let from = 0;
    if (snapshot) {
      try {
        chain = NodeChain.fromJson(this.net, snapshot.state);
        from = snapshot.blockCount;
      } catch {
        chain = NodeChain.genesis(this.net); // unusable snapshot: replay from genesis
      }
    }
    for (let i = from; i < count; i++) {
      const block = decodeBlock(this.db.readBlock(i));
      // Our own database: every transaction was validated before the block was stored.
      const result = chain.applyBlock(block, { reapply: true });
      if (!result.ok) {
        throw new Error(
          `block ${block.header.body.blockNumber} in ${this.path} does not validate (${result.message}); ` +
            "the database belongs to another network or is damaged: move it away to resync",
        );
      }
    }
    return { chain, from };
  }

  /**
   * The state a local state-query client acquires at `target` when it is not the tip: the point of one of the
   * last k blocks (or origin while the chain is at most k blocks long), or the immutable tip (k blocks back).
   * Re-derived, never copied from the tip: the newest kept snapshot at or before it plus a replay of at most
   * MAX_ACQUIRE_REPLAY blocks. "tip" when the target is the tip (the caller copies the live state instead).
   */
  stateForQuery(target: Point | "immutable"): PastState {
    const length = this.db.length;
    let count: number;
    if (target === "immutable") count = Math.max(0, length - this.k);
    else if (target === "origin") count = 0;
    else {
      const index = this.db.indexOfPoint(target.slot, target.hash);
      if (index < 0) return "not-on-chain";
      count = index + 1;
    }
    if (count === length) return "tip";
    if (length - count > this.k) return "too-old";
    const from = snapshotCounts(this.path)
      .filter((c) => c <= count)
      .reduce((a, b) => Math.max(a, b), 0);
    if (count - from > MAX_ACQUIRE_REPLAY) return "too-old";
    const { chain } = this.#chainAt(count);
    const e = count === 0 ? undefined : this.db.entry(count - 1)!;
    const tip: Tip = e
      ? { point: { slot: e.slot, hash: e.hash }, blockNo: e.blockNo }
      : { point: "origin", blockNo: 0n };
    return { ledger: chain.ledger, chain: chain.state, tip };
  }

  snapshot(): void {
    this.#lastSnapshot = { blocks: this.db.length, at: Date.now() };
    const tip = this.db.tip;
    saveSnapshot(this.path, {
      blockCount: this.db.length,
      tipHash: tip ? bytesToHex(tip.hash) : null,
      state: this.#chain.toJson(),
    });
  }

  /** Snapshot and close; the database is closed even when the snapshot cannot be written (which then throws). */
  close(): void {
    try {
      this.snapshot();
    } finally {
      this.db.close();
    }
  }
}
