// A ChainSource over the node's chain database (read-only use of its public API). The database has no change
// events, so whoever appends or truncates calls notify() to wake chain-sync clients waiting at the tip.
// Network and storage are side by side in the layering, so network states what it reads (BlockStore) and the node
// passes its store in (storage/chain-db.ts ChainDb has this shape).
import { equalBytes } from "../crypto/bytes.ts";
import { type ChainBlock, chainBlockFrom, type ChainSource } from "./chain-source.ts";
import { type BlockPoint, ORIGIN_TIP, type Point, type Tip } from "./points.ts";

/** One block's place in the store. */
export interface StoredBlock {
  readonly slot: bigint;
  readonly blockNo: bigint;
  readonly hash: Uint8Array;
}

/** What chain-sync and block-fetch read of the node's block store: blocks by position, oldest first. */
export interface BlockStore {
  readonly length: number;
  readonly tip: StoredBlock | undefined;
  entry(index: number): StoredBlock | undefined;
  /** The index of the block at (slot, hash), or -1. */
  indexOfPoint(slot: bigint, hash: Uint8Array): number;
  /** The block's bytes as stored. */
  readBlock(index: number): Uint8Array;
}

export class ChainDbSource implements ChainSource {
  readonly #db: BlockStore;
  readonly #listeners = new Set<() => void>();
  // Followers ask about the block they were just given: remember where recent hashes were found.
  #recent: { hash: Uint8Array; index: number }[] = [];

  constructor(db: BlockStore) {
    this.#db = db;
  }

  /** Call after appending to or truncating the database. */
  notify(): void {
    for (const f of [...this.#listeners]) f();
  }

  #indexOf(point: BlockPoint): number {
    for (const r of this.#recent) {
      const e = this.#db.entry(r.index);
      if (e && equalBytes(e.hash, point.hash)) return e.slot === point.slot ? r.index : -1;
    }
    const i = this.#db.indexOfPoint(point.slot, point.hash);
    if (i < 0) return -1;
    this.#recent.unshift({ hash: point.hash, index: i });
    if (this.#recent.length > 64) this.#recent.pop();
    return i;
  }

  tip(): Tip {
    const t = this.#db.tip;
    return t ? { point: { slot: t.slot, hash: t.hash }, blockNo: t.blockNo } : ORIGIN_TIP;
  }

  has(point: Point): boolean {
    return point === "origin" || this.#indexOf(point) >= 0;
  }

  after(point: Point): ChainBlock | undefined {
    let i = 0;
    if (point !== "origin") {
      const at = this.#indexOf(point);
      if (at < 0) return undefined;
      i = at + 1;
    }
    if (i >= this.#db.length) return undefined;
    const block = this.#read(i);
    this.#recent.unshift({ hash: block.point.hash, index: i });
    if (this.#recent.length > 64) this.#recent.pop();
    return block;
  }

  #read(i: number): ChainBlock {
    return chainBlockFrom(this.#db.readBlock(i));
  }

  range(from: BlockPoint, to: BlockPoint): Iterable<ChainBlock> | undefined {
    const a = this.#indexOf(from);
    const b = this.#indexOf(to);
    if (a < 0 || b < a) return undefined;
    const read = (i: number) => this.#read(i);
    return (function* () {
      for (let i = a; i <= b; i++) yield read(i);
    })();
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
