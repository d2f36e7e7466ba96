// The chain database: an append-only block file with an index, both checksummed, fsynced before a block is
// reported durable. Opening validates the tail only (restart time does not grow with chain length): a torn or
// corrupt tail is truncated to the last good block, blocks written but not yet indexed (and linked to the last
// indexed one) are re-indexed, and a missing index is rebuilt by one scan. Reads verify each block's checksum, so
// corrupt data is never served. A failed write (a full disk: short writes, ENOSPC, a failed fsync) changes nothing:
// both files are cut back to the last complete block and a StorageError is thrown; an append that does not link
// to the tip is refused, so the database never holds a gap.
//   chain.dat: records [u32be length][u32be crc32(block)][block bytes]
//   chain.idx: records [u64be offset][u64be slot][u64be block number][32-byte hash][u32be crc32 of the 56 before]
// Why one file past ~400 lines: the two files' formats, their recovery and their cut-back after a failed write are
// one invariant (the index never names a block the data file does not hold whole); split, each half would have to
// know the other's layout.
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { decodeBlock } from "../chain/block.ts";
import { bytesToHex, equalBytes } from "../crypto/bytes.ts";

const DATA_HEAD = 8;
const INDEX_RECORD = 60;
/** Blocks above this size are refused as corrupt lengths rather than allocated. */
const MAX_BLOCK_BYTES = 4 * 1024 * 1024;

export interface BlockEntry {
  readonly offset: number;
  readonly slot: bigint;
  readonly blockNo: bigint;
  readonly hash: Uint8Array;
}

export class CorruptDatabaseError extends Error {
  override name = "CorruptDatabaseError";
}

/** Writing to the database failed (a full disk, an I/O error); nothing was stored. `code` is the errno name. */
export class StorageError extends Error {
  override name = "StorageError";
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const errnoOf = (error: unknown): string =>
  (error as NodeJS.ErrnoException).code ?? (error instanceof StorageError ? error.code : "EIO");

/** Write all of `bytes` at `position`: a write may be short (a nearly full disk), so loop until done. */
export function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new StorageError(`write made no progress at byte ${position + done}`, "EIO");
    done += n;
  }
}

/** What append checks the block against the tip with; prevHash is checked when given. */
export interface AppendEntry extends Omit<BlockEntry, "offset"> {
  readonly prevHash?: Uint8Array | null;
}

export interface OpenReport {
  readonly blocks: number;
  readonly truncatedDataBytes: number;
  readonly droppedIndexRecords: number;
  readonly reindexedBlocks: number;
  readonly rebuiltIndex: boolean;
}

function encodeIndexRecord(e: BlockEntry): Buffer {
  const b = Buffer.alloc(INDEX_RECORD);
  b.writeBigUInt64BE(BigInt(e.offset), 0);
  b.writeBigUInt64BE(e.slot, 8);
  b.writeBigUInt64BE(e.blockNo, 16);
  Buffer.from(e.hash).copy(b, 24);
  b.writeUInt32BE(crc32(b.subarray(0, 56)), 56);
  return b;
}

function decodeIndexRecord(b: Buffer): BlockEntry | null {
  if (b.readUInt32BE(56) !== crc32(b.subarray(0, 56))) return null;
  return {
    offset: Number(b.readBigUInt64BE(0)),
    slot: b.readBigUInt64BE(8),
    blockNo: b.readBigUInt64BE(16),
    hash: Uint8Array.from(b.subarray(24, 56)),
  };
}

export class ChainDb {
  readonly dir: string;
  #data: number;
  #index: number;
  // The index lives in memory exactly as on disk: packed 60-byte records (one JS object per block would cost
  // ~40x more). #count records are valid.
  #records = Buffer.alloc(INDEX_RECORD * 1024);
  #count = 0;
  #dataSize = 0;
  /** The last state known to be on disk (fsynced): what a failed unsynced batch is cut back to. */
  #durable = { count: 0, dataSize: 0 };
  /** A failed write could not be cut back: retry that before the next write. */
  #dirty = false;
  readonly report: OpenReport;

  private constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    const indexPath = join(dir, "chain.idx");
    const hadIndex = existsSync(indexPath);
    // Read-write, not append mode: on Linux a positional write to an O_APPEND file goes to the end regardless.
    const flags = constants.O_RDWR | constants.O_CREAT;
    this.#data = openSync(join(dir, "chain.dat"), flags, 0o644);
    this.#index = openSync(indexPath, flags, 0o644);
    this.report = this.#recover(hadIndex);
    this.#durable = { count: this.#count, dataSize: this.#dataSize };
  }

  static open(dir: string): ChainDb {
    return new ChainDb(dir);
  }

  get length(): number {
    return this.#count;
  }

  get tip(): BlockEntry | undefined {
    return this.entry(this.#count - 1);
  }

  entry(i: number): BlockEntry | undefined {
    if (i < 0 || i >= this.#count) return undefined;
    const r = this.#records.subarray(i * INDEX_RECORD, (i + 1) * INDEX_RECORD);
    return {
      offset: Number(r.readBigUInt64BE(0)),
      slot: r.readBigUInt64BE(8),
      blockNo: r.readBigUInt64BE(16),
      hash: Uint8Array.from(r.subarray(24, 56)),
    };
  }

  /**
   * Index of the block with this hash, searching from the tip (recent blocks are what peers ask for), at most
   * `within` blocks deep when given (what sync asks: only the last k blocks can be a fork point).
   */
  indexOfHash(hash: Uint8Array, within = Infinity): number {
    const target = Buffer.from(hash);
    const stop = Math.max(0, this.#count - within);
    for (let i = this.#count - 1; i >= stop; i--) {
      if (this.#records.compare(target, 0, 32, i * INDEX_RECORD + 24, i * INDEX_RECORD + 56) === 0) return i;
    }
    return -1;
  }

  /**
   * Index of the block at this point (slot and hash), or -1: a binary search on the slots, which strictly increase
   * along the chain, so a peer's lookups cost O(log n) however deep the point or long the chain (a linear scan per
   * point let one MsgFindIntersect of unknown points hold the event loop for most of a second).
   */
  indexOfPoint(slot: bigint, hash: Uint8Array): number {
    const i = this.indexOfSlot(slot);
    if (i < 0) return -1;
    const target = Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
    return target.length === 32 &&
      this.#records.compare(target, 0, 32, i * INDEX_RECORD + 24, i * INDEX_RECORD + 56) === 0
      ? i
      : -1;
  }

  /** Index of the block in `slot`, or -1 when the chain has none there (binary search on the slots). */
  indexOfSlot(slot: bigint): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#records.readBigUInt64BE(mid * INDEX_RECORD + 8) < slot) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.#count && this.#records.readBigUInt64BE(lo * INDEX_RECORD + 8) === slot ? lo : -1;
  }

  /** Read and checksum-verify a block; throws CorruptDatabaseError rather than return damaged bytes. */
  readBlock(i: number): Uint8Array {
    const e = this.entry(i);
    if (!e) throw new RangeError(`no block at height index ${i}`);
    const rec = this.#readRecord(e.offset);
    if (!rec)
      throw new CorruptDatabaseError(`block ${e.blockNo} (slot ${e.slot}) in ${this.dir}/chain.dat fails its checksum`);
    return rec.bytes;
  }

  /**
   * Append a block and make it durable (both files fsynced) before returning. Bulk imports may pass
   * `sync: false` and call `sync()` once at the end; until then a crash may lose those blocks (never corrupt).
   * The block must follow the tip (next block number, later slot, and `prevHash` when given). On a write failure
   * both files are cut back to where they were and a StorageError is thrown: the block is not stored.
   */
  append(block: Uint8Array, entry: AppendEntry, options: { sync?: boolean } = {}): BlockEntry {
    const durable = options.sync ?? true;
    if (block.length > MAX_BLOCK_BYTES) throw new RangeError(`block of ${block.length} bytes is over the limit`);
    const tip = this.tip;
    if (tip) {
      const linked = entry.prevHash === undefined || (entry.prevHash !== null && equalBytes(entry.prevHash, tip.hash));
      if (entry.blockNo !== tip.blockNo + 1n || entry.slot <= tip.slot || !linked)
        throw new RangeError(
          `block ${entry.blockNo} (slot ${entry.slot}) does not follow the tip, block ${tip.blockNo} (slot ${tip.slot}): refusing a gap`,
        );
    }
    this.#repair();
    const head = Buffer.alloc(DATA_HEAD);
    head.writeUInt32BE(block.length, 0);
    head.writeUInt32BE(crc32(block), 4);
    const full: BlockEntry = { slot: entry.slot, blockNo: entry.blockNo, hash: entry.hash, offset: this.#dataSize };
    const record = encodeIndexRecord(full);
    try {
      writeFully(this.#data, Buffer.concat([head, block]), this.#dataSize);
      if (durable) fsyncSync(this.#data);
      writeFully(this.#index, record, this.#count * INDEX_RECORD);
      if (durable) fsyncSync(this.#index);
    } catch (error) {
      this.#cutBack(this.#count, this.#dataSize);
      throw new StorageError(
        `cannot store block ${entry.blockNo} in ${this.dir} (${errnoOf(error)}): not stored`,
        errnoOf(error),
        { cause: error },
      );
    }
    this.#dataSize += DATA_HEAD + block.length;
    this.#push(record);
    if (durable) this.#durable = { count: this.#count, dataSize: this.#dataSize };
    return full;
  }

  /** Cut both files back to `count` blocks ending at `dataSize`; remembered for a retry when that fails too. */
  #cutBack(count: number, dataSize: number): void {
    this.#count = count;
    this.#dataSize = dataSize;
    try {
      ftruncateSync(this.#data, dataSize);
      ftruncateSync(this.#index, count * INDEX_RECORD);
      this.#dirty = false;
    } catch {
      this.#dirty = true;
    }
  }

  #repair(): void {
    if (!this.#dirty) return;
    try {
      ftruncateSync(this.#data, this.#dataSize);
      ftruncateSync(this.#index, this.#count * INDEX_RECORD);
      fsyncSync(this.#data);
      fsyncSync(this.#index);
      this.#dirty = false;
    } catch (error) {
      throw new StorageError(
        `cannot cut ${this.dir} back to its last complete block (${errnoOf(error)})`,
        errnoOf(error),
        { cause: error },
      );
    }
  }

  /** Drop the blocks appended since the last durable point (a batch that could not be made durable). */
  abandon(): void {
    this.#cutBack(this.#durable.count, this.#durable.dataSize);
  }

  /**
   * Whether `bytes` more can be written and fsynced here (a probe file, removed after): how a node finds out that
   * space has come back. Also finishes cutting back a failed write. Throws StorageError when not.
   */
  checkWritable(bytes: number): void {
    this.#repair();
    const path = join(this.dir, ".write-probe");
    let fd: number | undefined;
    try {
      fd = openSync(path, "w", 0o600);
      writeFully(fd, Buffer.alloc(bytes), 0);
      fsyncSync(fd);
    } catch (error) {
      throw new StorageError(`cannot write ${bytes} bytes in ${this.dir} (${errnoOf(error)})`, errnoOf(error), {
        cause: error,
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
      rmSync(path, { force: true });
    }
  }

  #push(record: Buffer): void {
    if ((this.#count + 1) * INDEX_RECORD > this.#records.length) {
      const bigger = Buffer.alloc(this.#records.length * 2);
      this.#records.copy(bigger, 0, 0, this.#count * INDEX_RECORD);
      this.#records = bigger;
    }
    record.copy(this.#records, this.#count * INDEX_RECORD);
    this.#count++;
  }

  /** Keep the first `count` blocks (a rollback); durable on return. */
  truncate(count: number): void {
    if (count >= this.#count) return;
    const end = this.entry(count)!.offset;
    try {
      ftruncateSync(this.#index, count * INDEX_RECORD);
      fsyncSync(this.#index);
      ftruncateSync(this.#data, end);
      fsyncSync(this.#data);
    } catch (error) {
      this.#cutBack(count, end);
      throw new StorageError(`cannot truncate ${this.dir} (${errnoOf(error)})`, errnoOf(error), { cause: error });
    }
    this.#count = count;
    this.#dataSize = end;
    this.#durable = { count, dataSize: end };
  }

  /** Make every appended block durable; when that fails, the unsynced blocks are dropped and StorageError thrown. */
  sync(): void {
    try {
      fsyncSync(this.#data);
      fsyncSync(this.#index);
    } catch (error) {
      this.abandon();
      throw new StorageError(`cannot fsync ${this.dir} (${errnoOf(error)})`, errnoOf(error), { cause: error });
    }
    this.#durable = { count: this.#count, dataSize: this.#dataSize };
  }

  /** Flush and close; the files are closed even when the flush fails (which then throws). */
  close(): void {
    try {
      this.sync();
    } finally {
      closeSync(this.#data);
      closeSync(this.#index);
    }
  }

  #readRecord(offset: number): { bytes: Uint8Array; end: number } | null {
    if (offset + DATA_HEAD > this.#dataSize) return null;
    const head = Buffer.alloc(DATA_HEAD);
    readSync(this.#data, head, 0, DATA_HEAD, offset);
    const length = head.readUInt32BE(0);
    if (length > MAX_BLOCK_BYTES || offset + DATA_HEAD + length > this.#dataSize) return null;
    const bytes = Buffer.alloc(length);
    readSync(this.#data, bytes, 0, length, offset + DATA_HEAD);
    if (crc32(bytes) !== head.readUInt32BE(4)) return null;
    return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), end: offset + DATA_HEAD + length };
  }

  #entryFor(bytes: Uint8Array, offset: number): (BlockEntry & { prevHash: Uint8Array | null }) | null {
    try {
      const { header } = decodeBlock(bytes);
      const { slot, blockNumber: blockNo, prevHash } = header.body;
      return { offset, slot, blockNo, hash: header.hash, prevHash };
    } catch {
      return null;
    }
  }

  #recover(hadIndex: boolean): OpenReport {
    this.#dataSize = fstatSync(this.#data).size;
    const indexSize = fstatSync(this.#index).size;
    const records = Math.floor(indexSize / INDEX_RECORD);
    const raw = Buffer.alloc(records * INDEX_RECORD);
    if (records > 0) readSync(this.#index, raw, 0, raw.length, 0);
    let dropped = indexSize % INDEX_RECORD > 0 ? 1 : 0;
    let previousOffset = -1;
    for (let i = 0; i < records; i++) {
      const record = raw.subarray(i * INDEX_RECORD, (i + 1) * INDEX_RECORD);
      const e = decodeIndexRecord(record);
      const ordered = e && (previousOffset < 0 ? e.offset === 0 : e.offset > previousOffset);
      if (!e || !ordered || e.offset >= this.#dataSize) {
        dropped += records - i;
        break;
      }
      previousOffset = e.offset;
      this.#push(record);
    }
    // The tail must hold up: walk back from the last indexed block until one verifies against the data.
    while (this.#count > 0) {
      const last = this.tip!;
      const rec = this.#readRecord(last.offset);
      const check = rec && this.#entryFor(rec.bytes, last.offset);
      if (check && bytesToHex(check.hash) === bytesToHex(last.hash)) break;
      this.#count--;
      dropped++;
    }
    // Blocks written after the last indexed one (crash between the two writes), or the whole file without an index.
    let offset = this.#count === 0 ? 0 : this.#readRecord(this.tip!.offset)!.end;
    let reindexed = 0;
    while (offset < this.#dataSize) {
      const rec = this.#readRecord(offset);
      const e = rec && this.#entryFor(rec.bytes, offset);
      if (!rec || !e) break;
      // Only a block that follows the last one is re-indexed: the database never holds a gap.
      const tip = this.tip;
      if (tip && (e.blockNo !== tip.blockNo + 1n || !e.prevHash || !equalBytes(e.prevHash, tip.hash))) break;
      this.#push(encodeIndexRecord(e));
      reindexed++;
      offset = rec.end;
    }
    const truncatedDataBytes = this.#dataSize - offset;
    if (truncatedDataBytes > 0) {
      ftruncateSync(this.#data, offset);
      fsyncSync(this.#data);
      this.#dataSize = offset;
    }
    if (dropped > 0 || reindexed > 0 || indexSize !== this.#count * INDEX_RECORD) {
      ftruncateSync(this.#index, 0);
      if (this.#count > 0) writeFully(this.#index, this.#records.subarray(0, this.#count * INDEX_RECORD), 0);
      fsyncSync(this.#index);
    }
    return {
      blocks: this.#count,
      truncatedDataBytes,
      droppedIndexRecords: dropped,
      reindexedBlocks: reindexed,
      rebuiltIndex: !hadIndex && reindexed > 0,
    };
  }
}
