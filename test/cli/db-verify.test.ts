// `poolfleet-cli db verify` (issue 15 defect 8): a read-only check of a chain database. Sound: exit 0. A flipped
// byte, a torn tail, a gap, a foreign chain under --config: exit 1 with one line per problem naming the block and
// offset; and the files are left exactly as they were (the node's open would repair them; the check must not).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, runCli } from "../helpers/cli.ts";
import { forgeChain } from "../helpers/forge.ts";

const root = mkdtempSync(join(tmpdir(), "pf-verify-"));
const blocks = forgeChain(8);
let n = 0;
function goodDb(): string {
  const dir = join(root, `db${n++}`);
  const db = ChainDb.open(dir);
  for (const b of blocks)
    db.append(b.bytes, { slot: b.header.body.slot, blockNo: b.header.body.blockNumber, hash: b.header.hash });
  db.close();
  return dir;
}
const offsets = (dir: string) => {
  const db = ChainDb.open(dir);
  const o = Array.from({ length: db.length }, (_, i) => db.entry(i)!.offset);
  db.close();
  return o;
};
const files = (dir: string) => [readFileSync(join(dir, "chain.dat")), readFileSync(join(dir, "chain.idx"))];
async function verify(dir: string, extra: string[] = []) {
  const before = files(dir);
  const r = await runCli(["db", "verify", "--database-path", dir, ...extra]);
  assert.deepEqual(files(dir), before, "db verify changed the database");
  return { code: r.code, lines: r.stdout.trim().split("\n"), stderr: r.stderr };
}

describe("poolfleet-cli db verify", () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it("a sound database: exit 0 with its tip", async () => {
    const r = await verify(goodDb());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.lines[0]!, /sound: 8 blocks, tip block 7 at slot 22 .*headers not re-validated/);
  });

  it("a flipped byte: exit 1 naming the record, its offset and the checksum", async () => {
    const dir = goodDb();
    const at = offsets(dir)[3]!;
    const dat = readFileSync(join(dir, "chain.dat"));
    dat[at + 8 + 50]! ^= 0x01;
    writeFileSync(join(dir, "chain.dat"), dat);
    const r = await verify(dir);
    assert.equal(r.code, 1);
    assert.deepEqual(r.lines, [`${dir}: record 3 at offset ${at}: fails its checksum`]);
  });

  it("a truncated tail: exit 1 naming the torn record (and left as it is)", async () => {
    const dir = goodDb();
    const at = offsets(dir)[7]!;
    truncateSync(join(dir, "chain.dat"), statSync(join(dir, "chain.dat")).size - 10);
    const r = await verify(dir);
    assert.equal(r.code, 1);
    assert.match(r.lines.join("\n"), new RegExp(`record 7 at offset ${at}: cut short`));
    assert.match(r.lines.join("\n"), /chain.idx lists 8 blocks, chain.dat holds 7/);
  });

  it("a gap: exit 1 naming the block after it, the missing count and the broken link", async () => {
    // Blocks 0-3 and 5-7, written in the database's own format (ChainDb refuses to make a gap).
    const dir = goodDb();
    const o = offsets(dir);
    const dat = readFileSync(join(dir, "chain.dat"));
    const records = o.map((start, i) => dat.subarray(start, o[i + 1] ?? dat.length));
    const kept = [0, 1, 2, 3, 5, 6, 7];
    const index: Buffer[] = [];
    let offset = 0;
    for (const i of kept) {
      const rec = Buffer.alloc(60);
      rec.writeBigUInt64BE(BigInt(offset), 0);
      rec.writeBigUInt64BE(blocks[i]!.header.body.slot, 8);
      rec.writeBigUInt64BE(blocks[i]!.header.body.blockNumber, 16);
      Buffer.from(blocks[i]!.header.hash).copy(rec, 24);
      rec.writeUInt32BE(crc32(rec.subarray(0, 56)), 56);
      index.push(rec);
      offset += records[i]!.length;
    }
    writeFileSync(join(dir, "chain.dat"), Buffer.concat(kept.map((i) => records[i]!)));
    writeFileSync(join(dir, "chain.idx"), Buffer.concat(index));
    const r = await verify(dir);
    assert.equal(r.code, 1);
    const at = o[4]!; // block 5 now starts where block 4 did
    assert.deepEqual(r.lines, [
      `${dir}: block 5 (slot 16, record 4 at offset ${at}): follows block 3 (gap: 1 missing)`,
      `${dir}: block 5 (slot 16, record 4 at offset ${at}): prev-hash ${Buffer.from(blocks[4]!.header.hash).toString("hex")} is not block 3's hash ${Buffer.from(blocks[3]!.header.hash).toString("hex")}`,
    ]);
  });

  describe("with --config", () => {
    const devnet = join(root, "devnet");
    before(() => createDevnet(devnet, { slotLength: "0.1", epochLength: 100, securityParam: 5 }));

    it("re-validates headers: a chain from other keys is refused at its first block", async () => {
      const r = await verify(goodDb(), ["--config", join(devnet, "config.json")]);
      assert.equal(r.code, 1);
      assert.match(r.lines[0]!, /block 0 \(slot 1, record 0 at offset 0\): invalid header: /);
      assert.equal(r.lines.length, 1);
      assert.match(r.stderr, /header validation stopped at block 0/);
    });

    it("a config that is not JSON: one clear line", async () => {
      writeFileSync(join(root, "bad.json"), "{");
      const r = await verify(goodDb(), ["--config", join(root, "bad.json")]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /bad.json: is not valid JSON/);
    });
  });

  it("not a directory: one clear line", async () => {
    const r = await runCli(["db", "verify", "--database-path", join(root, "nope")]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /nope: is not a directory/);
  });
});
