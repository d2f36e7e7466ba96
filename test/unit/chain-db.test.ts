// The chain database under damage: torn tails, flipped bytes, lost or garbled index, crash between writes.
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { ChainDb, CorruptDatabaseError } from "../../src/storage/chain-db.ts";
import { forgeChain } from "../helpers/forge.ts";
import { hex } from "../helpers/fixtures.ts";

const blocks = forgeChain(12);
const fresh = (n = blocks.length) => {
  const dir = mkdtempSync(join(tmpdir(), "pf-db-"));
  const db = ChainDb.open(dir);
  for (const b of blocks.slice(0, n))
    db.append(b.bytes, { slot: b.header.body.slot, blockNo: b.header.body.blockNumber, hash: b.header.hash });
  db.close();
  return dir;
};
const dat = (dir: string) => join(dir, "chain.dat");
const idx = (dir: string) => join(dir, "chain.idx");
function flip(path: string, at: number) {
  const b = readFileSync(path);
  b[at]! ^= 0x40;
  writeFileSync(path, b);
}
function assertChain(db: ChainDb, n: number) {
  assert.equal(db.length, n);
  for (let i = 0; i < n; i++) assert.equal(hex(db.readBlock(i)), hex(blocks[i]!.bytes), `block ${i}`);
  if (n > 0) assert.equal(hex(db.tip!.hash), hex(blocks[n - 1]!.header.hash));
}

describe("ChainDb", () => {
  it("reopens to the same chain, and appends after it", () => {
    const dir = fresh(8);
    const db = ChainDb.open(dir);
    assertChain(db, 8);
    assert.deepEqual(db.report, {
      blocks: 8,
      truncatedDataBytes: 0,
      droppedIndexRecords: 0,
      reindexedBlocks: 0,
      rebuiltIndex: false,
    });
    for (const b of blocks.slice(8))
      db.append(b.bytes, { slot: b.header.body.slot, blockNo: b.header.body.blockNumber, hash: b.header.hash });
    db.close();
    assertChain(ChainDb.open(dir), 12);
  });

  it("finds a block by its point at any depth, and nothing for an unknown hash or a wrong slot", () => {
    const db = ChainDb.open(fresh());
    for (let i = 0; i < blocks.length; i++) {
      const h = blocks[i]!.header;
      assert.equal(db.indexOfPoint(h.body.slot, h.hash), i, `block ${i}`);
    }
    const last = blocks.at(-1)!.header;
    const unknown = Uint8Array.from(last.hash, (b) => b ^ 1);
    assert.equal(db.indexOfPoint(last.body.slot, unknown), -1, "unknown hash at a known slot");
    assert.equal(db.indexOfPoint(last.body.slot + 1n, last.hash), -1, "known hash at another slot");
    assert.equal(db.indexOfPoint(0n, last.hash), -1, "known hash at a slot before the chain");
    assert.equal(db.indexOfPoint(2n ** 64n - 1n, last.hash), -1, "a slot past the tip");
    assert.equal(db.indexOfPoint(last.body.slot, last.hash.subarray(0, 28)), -1, "a short hash");
    db.close();
  });

  it("a torn final block (partial write) is cut off; the rest is intact", () => {
    const dir = fresh();
    truncateSync(dat(dir), statSync(dat(dir)).size - 100);
    const db = ChainDb.open(dir);
    assertChain(db, 11);
    assert.ok(db.report.truncatedDataBytes > 0);
    assert.equal(statSync(idx(dir)).size, 11 * 60);
  });

  it("a flipped byte in the last block drops that block", () => {
    const dir = fresh();
    flip(dat(dir), statSync(dat(dir)).size - 10);
    assertChain(ChainDb.open(dir), 11);
  });

  it("a flipped byte in an older block is caught on read, never served", () => {
    const dir = fresh();
    const db0 = ChainDb.open(dir);
    const offset = db0.entry(3)!.offset;
    db0.close();
    flip(dat(dir), offset + 50);
    const db = ChainDb.open(dir);
    assert.equal(db.length, 12, "opening checks the tail only");
    assert.throws(() => db.readBlock(3), CorruptDatabaseError);
    assert.equal(hex(db.readBlock(4)), hex(blocks[4]!.bytes));
  });

  it("a missing index is rebuilt from the block file", () => {
    const dir = fresh();
    rmSync(idx(dir));
    const db = ChainDb.open(dir);
    assertChain(db, 12);
    assert.equal(db.report.rebuiltIndex, true);
  });

  it("a garbled or torn index tail is dropped and re-indexed from the data", () => {
    const dir = fresh();
    flip(idx(dir), 11 * 60 + 5);
    appendFileSync(idx(dir), Buffer.alloc(17, 1));
    const db = ChainDb.open(dir);
    assertChain(db, 12);
    assert.equal(db.report.reindexedBlocks, 1);
  });

  it("a crash between the block write and the index write keeps the block", () => {
    const dir = fresh(11);
    const b = blocks[11]!.bytes;
    const head = Buffer.alloc(8);
    head.writeUInt32BE(b.length, 0);
    head.writeUInt32BE(crc32(b), 4);
    appendFileSync(dat(dir), Buffer.concat([head, b]));
    assertChain(ChainDb.open(dir), 12);
  });

  it("garbage appended to the block file is cut off", () => {
    const dir = fresh();
    appendFileSync(dat(dir), Buffer.from("not a block at all, just noise"));
    assertChain(ChainDb.open(dir), 12);
  });

  it("rolls back durably", () => {
    const dir = fresh();
    const db = ChainDb.open(dir);
    db.truncate(5);
    db.close();
    assertChain(ChainDb.open(dir), 5);
  });
});
