// The chain database on a real full filesystem (a tmpfs this test mounts): a write that runs out of space (short
// write or ENOSPC) stores nothing and leaves both files ending at the last complete block; a batch that cannot be
// made durable is dropped whole; a block that does not follow the tip is refused; a snapshot that cannot be
// written leaves the previous one whole.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ChainDb, StorageError } from "../../src/storage/chain-db.ts";
import { loadSnapshot, saveSnapshot } from "../../src/storage/snapshots.ts";
import { forgeChain } from "../helpers/forge.ts";

const isRoot = process.getuid?.() === 0;
const root = mkdtempSync(join(tmpdir(), "pf-dbfull-"));
const mnt = join(root, "mnt");
let mounted = false;
const blocks = forgeChain(400);
const entry = (i: number) => ({
  slot: blocks[i]!.header.body.slot,
  blockNo: blocks[i]!.header.body.blockNumber,
  hash: blocks[i]!.header.hash,
  prevHash: blocks[i]!.header.body.prevHash,
});

function fill(path: string): void {
  const fd = openSync(path, "a");
  for (const size of [65536, 4096, 1]) {
    const chunk = Buffer.alloc(size);
    for (let i = 0; i < 100_000; i++) {
      try {
        if (writeSync(fd, chunk) < size) break;
      } catch {
        break;
      }
    }
  }
  closeSync(fd);
}

describe("ChainDb on a full filesystem", { skip: isRoot ? false : "needs root to mount a tmpfs" }, () => {
  before(() => {
    mkdirSync(mnt);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]);
    mounted = true;
  });
  after(() => {
    // A lazy unmount when something still holds a file there (a failed test's open database).
    if (mounted) {
      try {
        execFileSync("umount", [mnt]);
      } catch {
        execFileSync("umount", ["-l", mnt]);
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses a block that does not follow the tip", () => {
    const db = ChainDb.open(join(root, "link"));
    db.append(blocks[0]!.bytes, entry(0));
    assert.throws(() => db.append(blocks[2]!.bytes, entry(2)), /does not follow the tip.*refusing a gap/);
    assert.throws(() => db.append(blocks[1]!.bytes, { ...entry(1), prevHash: blocks[1]!.header.hash }), /gap/);
    db.append(blocks[1]!.bytes, entry(1));
    assert.equal(db.length, 2);
    db.close();
  });

  it("a write that runs out of space stores nothing; after space returns the same block is stored", () => {
    const dir = join(mnt, "db");
    const db = ChainDb.open(dir);
    let i = 0;
    let failure: unknown;
    for (; i < blocks.length; i++) {
      try {
        db.append(blocks[i]!.bytes, entry(i));
      } catch (error) {
        failure = error;
        break;
      }
    }
    assert.ok(failure instanceof StorageError, `expected a StorageError, got ${String(failure)}`);
    assert.equal(failure.code, "ENOSPC");
    assert.ok(i > 5 && i < blocks.length, `${i} blocks fit`);
    assert.equal(db.length, i);
    const end = db.entry(i - 1)!.offset + 8 + blocks[i - 1]!.bytes.length;
    assert.equal(statSync(join(dir, "chain.dat")).size, end, "chain.dat ends at the last complete block");
    assert.equal(statSync(join(dir, "chain.idx")).size, i * 60);
    // Not writable while full; writable once space is freed (here by a rollback of five blocks).
    assert.throws(() => db.checkWritable(4096), StorageError);
    db.close();
    const reopened = ChainDb.open(dir);
    assert.equal(reopened.length, i);
    assert.equal(reopened.report.truncatedDataBytes, 0);
    reopened.truncate(i - 5); // frees room for a few blocks
    reopened.checkWritable(2048);
    reopened.append(blocks[i - 5]!.bytes, entry(i - 5));
    assert.equal(reopened.length, i - 4);
    reopened.close();
    rmSync(dir, { recursive: true });
  });

  it("a batch that cannot be made durable is dropped whole by abandon()", () => {
    const dir = join(mnt, "batch");
    const db = ChainDb.open(dir);
    for (let i = 0; i < 3; i++) db.append(blocks[i]!.bytes, entry(i));
    let i = 3;
    assert.throws(() => {
      for (; i < blocks.length; i++) db.append(blocks[i]!.bytes, entry(i), { sync: false });
    }, StorageError);
    assert.ok(db.length > 3);
    db.abandon();
    assert.equal(db.length, 3);
    assert.equal(statSync(join(dir, "chain.idx")).size, 3 * 60);
    db.close();
    const reopened = ChainDb.open(dir);
    assert.equal(reopened.length, 3);
    reopened.close();
    rmSync(dir, { recursive: true });
  });

  it("a snapshot that cannot be written leaves the previous one whole and no temporary file", () => {
    const dir = join(mnt, "snap");
    saveSnapshot(dir, { blockCount: 0, tipHash: null, state: { small: true } });
    fill(join(mnt, "filler"));
    assert.throws(
      () => saveSnapshot(dir, { blockCount: 1, tipHash: "ab", state: { big: "x".repeat(200_000) } }),
      (e: unknown) => e instanceof StorageError && /previous file is kept/.test(e.message),
    );
    assert.deepEqual(readdirSync(join(dir, "snapshots")), ["state-000000000000.json"]);
    assert.deepEqual(loadSnapshot(dir, () => true)?.state, { small: true });
    rmSync(join(mnt, "filler"));
  });
});
