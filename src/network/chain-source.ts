// What chain-sync and block-fetch servers read: a chain of blocks kept as their original bytes. A ChainSource is
// the current chain (it may change: blocks added, rollbacks); a ChainFollower is one client's read position on it,
// which notices when its position left the chain and rolls the client back to the last point still on it.
import { decodeBlock } from "../chain/block.ts";
import { bytesToHex } from "../crypto/bytes.ts";
import { eraOfHeader, type ShelleyEra } from "./era.ts";
import { type BlockPoint, ORIGIN_TIP, type Point, pointKey, type Tip } from "./points.ts";

export interface ChainBlock {
  readonly point: BlockPoint;
  readonly blockNo: bigint;
  readonly era: ShelleyEra;
  /** The header exactly as it sits in the block (its hash is the block hash). */
  readonly header: Uint8Array;
  /** The block exactly as stored, without an era tag. */
  readonly bytes: Uint8Array;
}

export interface ChainSource {
  tip(): Tip;
  /** Whether `point` is on the current chain (origin always is). */
  has(point: Point): boolean;
  /** The block after an on-chain point, or undefined at the tip. */
  after(point: Point): ChainBlock | undefined;
  /** Blocks from `from` to `to`, both included, when both are on the chain in that order; else undefined. */
  range(from: BlockPoint, to: BlockPoint): Iterable<ChainBlock> | undefined;
  /** `listener` runs after every change of the chain; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** Decode a stored block (no era tag) into a ChainBlock: header slice, hash, slot, block number, era. */
export function chainBlockFrom(bytes: Uint8Array, era?: ShelleyEra): ChainBlock {
  const { header } = decodeBlock(bytes);
  return {
    point: { slot: header.body.slot, hash: header.hash },
    blockNo: header.body.blockNumber,
    era: era ?? eraOfHeader(header),
    header: header.bytes,
    bytes,
  };
}

/** The first of `points` (the client's order of preference) that is on the chain. */
export function findIntersect(source: ChainSource, points: readonly Point[]): Point | undefined {
  return points.find((p) => source.has(p));
}

export type FollowerStep = { kind: "forward"; block: ChainBlock } | { kind: "backward"; point: Point };

/**
 * One chain-sync client's position. Like the Haskell ChainDB follower, it starts with a pending roll back to
 * origin, and an intersection makes the next step a roll back to the intersection point.
 */
export class ChainFollower {
  readonly #source: ChainSource;
  readonly #maxHistory: number;
  #position: Point = "origin";
  #pendingRollback: Point | undefined = "origin";
  #history: Point[] = [];

  constructor(source: ChainSource, maxHistory = 2160) {
    this.#source = source;
    this.#maxHistory = maxHistory;
  }

  get position(): Point {
    return this.#position;
  }

  reset(point: Point): void {
    this.#position = point;
    this.#pendingRollback = point;
    this.#history = [];
  }

  /** The next instruction for the client, or undefined when it is at the tip. */
  next(): FollowerStep | undefined {
    if (this.#pendingRollback !== undefined && this.#source.has(this.#pendingRollback)) {
      const point = this.#pendingRollback;
      this.#pendingRollback = undefined;
      return { kind: "backward", point };
    }
    this.#pendingRollback = undefined;
    if (!this.#source.has(this.#position)) {
      let back: Point = "origin";
      while (this.#history.length > 0) {
        const p = this.#history.pop()!;
        if (this.#source.has(p)) {
          back = p;
          break;
        }
      }
      this.#position = back;
      return { kind: "backward", point: back };
    }
    const block = this.#source.after(this.#position);
    if (!block) return undefined;
    this.#history.push(this.#position);
    if (this.#history.length > this.#maxHistory) this.#history.shift();
    this.#position = block.point;
    return { kind: "forward", block };
  }
}

/** A chain held in memory, for tests and tools. */
export class MemoryChainSource implements ChainSource {
  readonly #blocks: ChainBlock[] = [];
  readonly #index = new Map<string, number>();
  readonly #listeners = new Set<() => void>();

  constructor(blocks: readonly Uint8Array[] = []) {
    for (const b of blocks) this.#push(chainBlockFrom(b));
  }

  get blocks(): readonly ChainBlock[] {
    return this.#blocks;
  }

  #push(block: ChainBlock): void {
    this.#index.set(pointKey(block.point), this.#blocks.length);
    this.#blocks.push(block);
  }

  /** Append a block (its bytes as stored, no era tag) and wake waiting followers. */
  add(bytes: Uint8Array, era?: ShelleyEra): ChainBlock {
    const block = chainBlockFrom(bytes, era);
    this.#push(block);
    this.#notify();
    return block;
  }

  /** Drop every block after `point`. */
  rollbackTo(point: Point): void {
    const keep = point === "origin" ? 0 : (this.#index.get(pointKey(point)) ?? -2) + 1;
    if (keep < 0) throw new Error(`rollback point ${pointKey(point)} is not on the chain`);
    for (const b of this.#blocks.splice(keep)) this.#index.delete(pointKey(b.point));
    this.#notify();
  }

  #notify(): void {
    for (const f of [...this.#listeners]) f();
  }

  tip(): Tip {
    const last = this.#blocks.at(-1);
    return last ? { point: last.point, blockNo: last.blockNo } : ORIGIN_TIP;
  }

  has(point: Point): boolean {
    return point === "origin" || this.#index.has(pointKey(point));
  }

  after(point: Point): ChainBlock | undefined {
    const i = point === "origin" ? 0 : (this.#index.get(pointKey(point)) ?? -2) + 1;
    return i < 0 ? undefined : this.#blocks[i];
  }

  range(from: BlockPoint, to: BlockPoint): Iterable<ChainBlock> | undefined {
    const a = this.#index.get(pointKey(from));
    const b = this.#index.get(pointKey(to));
    if (a === undefined || b === undefined || b < a) return undefined;
    return this.#blocks.slice(a, b + 1);
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

export function hashHex(point: BlockPoint): string {
  return bytesToHex(point.hash);
}
