// Serving from the node's chain database: a client syncs and fetches what is on disk, and a block appended
// (with notify) reaches a client waiting at the tip.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeHeader } from "../../src/chain/header.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { ChainDbSource } from "../../src/network/chain-db-source.ts";
import { connectPeer, listen } from "../../src/network/peer.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { chain, MAGIC } from "./helpers.ts";

const hex = bytesToHex;
const append = (db: ChainDb, b: (typeof chain)[number]) =>
  db.append(b.bytes, { slot: b.header.body.slot, blockNo: b.header.body.blockNumber, hash: b.header.hash });

describe("ChainDbSource", () => {
  it("serves chain-sync and block-fetch from the chain database, and wakes waiting clients on notify", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-net-db-"));
    const db = ChainDb.open(dir);
    for (const b of chain.slice(0, 6)) append(db, b);
    const source = new ChainDbSource(db);
    const server = await listen({ magic: MAGIC, source });
    try {
      const peer = await connectPeer("127.0.0.1", server.port, { magic: MAGIC });
      const { tip } = await peer.chainSync.findIntersect([
        { slot: chain[2]!.header.body.slot, hash: chain[2]!.header.hash },
      ]);
      assert.equal(tip.blockNo, 5n);
      const back = await peer.chainSync.requestNext();
      assert.equal(back.kind, "backward");
      const got: string[] = [];
      for (let i = 3; i < 6; i++) {
        const ev = await peer.chainSync.requestNext();
        assert.equal(ev.kind, "forward");
        if (ev.kind === "forward") got.push(hex(decodeHeader(ev.header.bytes).hash));
      }
      assert.deepEqual(
        got,
        chain.slice(3, 6).map((b) => hex(b.header.hash)),
      );
      peer.chainSync.onAwait = () => {
        append(db, chain[6]!);
        source.notify();
      };
      const next = await peer.chainSync.requestNext();
      assert.ok(next.awaited && next.kind === "forward");
      assert.equal(hex(decodeHeader(next.header.bytes).hash), hex(chain[6]!.header.hash));
      const blocks = await peer.blockFetch.fetchRange(
        { slot: chain[0]!.header.body.slot, hash: chain[0]!.header.hash },
        { slot: chain[6]!.header.body.slot, hash: chain[6]!.header.hash },
      );
      assert.deepEqual(
        blocks?.map((b) => hex(b.bytes)),
        chain.slice(0, 7).map((b) => hex(b.bytes)),
      );
      peer.close();
    } finally {
      await server.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
