// Chain-sync, block-fetch, keep-alive, peer-sharing and tx-submission2 between our client and our server over
// loopback TCP, on a chain of real forged Praos blocks.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeEraBlock } from "../../src/chain/block.ts";
import { decodeHeader } from "../../src/chain/header.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { encodeEraBlock } from "../../src/network/era.ts";
import { connectPeer, type NodeServer, type PeerConnection } from "../../src/network/peer.ts";
import { encodeEraTx, encodeEraTxId, type OutboundTx } from "../../src/network/tx-submission.ts";
import { decodePeerAddress, encodePeerAddress } from "../../src/network/peer-sharing.ts";
import { decodeCbor, encodeCbor } from "../../src/codec/cbor.ts";
import { forgeChain } from "../helpers/forge.ts";
import { chain, MAGIC, startServer } from "./helpers.ts";

const hex = bytesToHex;

describe("node-to-node sync over loopback", () => {
  let source: MemoryChainSource;
  let server: NodeServer;
  const received: Uint8Array[] = [];

  before(async () => {
    source = new MemoryChainSource(chain.slice(0, 8).map((b) => b.bytes));
    server = await startServer(source, {
      acceptTxs: (txs) => received.push(...txs),
      sharePeers: () => [
        { host: "10.1.2.3", port: 3001 },
        { host: "2001:db8:0:0:0:0:0:1", port: 3002 },
      ],
      peerSharing: true,
    });
  });
  after(() => server.close());

  const dial = (): Promise<PeerConnection> =>
    connectPeer("127.0.0.1", server.port, { magic: MAGIC, peerSharing: true });

  it("chain-sync follows the chain from origin, hashes match, and a new block reaches a waiting client", async () => {
    const peer = await dial();
    assert.equal(peer.version, 15);
    const { intersect, tip } = await peer.chainSync.findIntersect(["origin"]);
    assert.equal(intersect, "origin");
    assert.equal(tip.blockNo, 7n);
    const first = await peer.chainSync.requestNext();
    assert.equal(first.kind, "backward", "the server first rolls back to the intersection");
    const hashes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const ev = await peer.chainSync.requestNext();
      assert.equal(ev.kind, "forward");
      if (ev.kind !== "forward") return;
      assert.equal(ev.header.era, "Conway");
      const header = decodeHeader(ev.header.bytes);
      hashes.push(hex(header.hash));
      if (i > 0) assert.equal(hex(header.body.prevHash!), hashes[i - 1]);
    }
    assert.deepEqual(
      hashes,
      chain.slice(0, 8).map((b) => hex(b.header.hash)),
    );
    // At the tip: the server answers AwaitReply, then RollForward once a block is added.
    let awaited = false;
    peer.chainSync.onAwait = () => {
      awaited = true;
      source.add(chain[8]!.bytes);
    };
    const next = await peer.chainSync.requestNext();
    assert.ok(awaited && next.awaited);
    assert.equal(next.kind, "forward");
    if (next.kind === "forward") assert.equal(hex(decodeHeader(next.header.bytes).hash), hex(chain[8]!.header.hash));
    assert.equal(next.tip.blockNo, 8n);
    peer.chainSync.done();
    peer.close();
  });

  it("chain-sync: intersect at a later point (the server rolls back to it first); unknown points", async () => {
    const peer = await dial();
    const point = source.blocks[5]!.point;
    const { intersect } = await peer.chainSync.findIntersect([{ slot: 999n, hash: new Uint8Array(32) }, point]);
    assert.ok(intersect !== undefined && intersect !== "origin" && hex(intersect.hash) === hex(point.hash));
    const back = await peer.chainSync.requestNext();
    assert.ok(back.kind === "backward" && back.point !== "origin" && back.point.slot === point.slot);
    const fwd = await peer.chainSync.requestNext();
    assert.ok(fwd.kind === "forward" && hex(decodeHeader(fwd.header.bytes).hash) === hex(chain[6]!.header.hash));
    const notFound = await peer.chainSync.findIntersect([{ slot: 1n, hash: new Uint8Array(32) }]);
    assert.equal(notFound.intersect, undefined);
    peer.close();
  });

  it("chain-sync: a client past a rolled-back block is rolled back to the last point it shares", async () => {
    const forked = new MemoryChainSource(chain.slice(0, 6).map((b) => b.bytes));
    const s = await startServer(forked);
    try {
      const peer = await connectPeer("127.0.0.1", s.port, { magic: MAGIC });
      await peer.chainSync.findIntersect([forked.blocks[2]!.point]);
      await peer.chainSync.requestNext(); // roll back to the intersection
      for (let i = 3; i < 6; i++) await peer.chainSync.requestNext();
      forked.rollbackTo(forked.blocks[3]!.point);
      forked.add(forgeChain(1, 100n)[0]!.bytes);
      const back = await peer.chainSync.requestNext();
      assert.ok(back.kind === "backward" && back.point !== "origin");
      assert.equal(hex(back.point.hash), hex(chain[3]!.header.hash));
      const fwd = await peer.chainSync.requestNext();
      assert.ok(fwd.kind === "forward" && decodeHeader(fwd.header.bytes).body.slot === 100n);
      peer.close();
    } finally {
      await s.close();
    }
  });

  it("block-fetch returns a range byte for byte, and NoBlocks for an unknown range", async () => {
    const peer = await dial();
    const from = source.blocks[1]!.point;
    const to = source.blocks[6]!.point;
    const blocks = await peer.blockFetch.fetchRange(from, to);
    assert.ok(blocks);
    assert.equal(blocks.length, 6);
    blocks.forEach((b, i) => {
      assert.equal(b.era, "Conway");
      assert.equal(hex(b.bytes), hex(chain[1 + i]!.bytes));
      // The [era, block] form is what src/chain reads.
      assert.equal(hex(decodeEraBlock(encodeEraBlock(b)).block.header.hash), hex(chain[1 + i]!.header.hash));
    });
    const none = await peer.blockFetch.fetchRange(to, from);
    assert.equal(none, undefined);
    const streamed = [];
    for await (const b of peer.blockFetch.stream(from, from)) streamed.push(b);
    assert.equal(streamed.length, 1);
    peer.blockFetch.done();
    peer.close();
  });

  it("keep-alive echoes the cookie; peer-sharing returns the shared addresses", async () => {
    const peer = await dial();
    const rtt = await peer.keepAlive.ping();
    assert.ok(rtt >= 0 && rtt < 5000);
    await peer.keepAlive.ping();
    assert.ok(peer.peerSharing);
    const peers = await peer.peerSharing.request(5);
    assert.deepEqual(peers, [
      { host: "10.1.2.3", port: 3001 },
      { host: "2001:db8:0:0:0:0:0:1", port: 3002 },
    ]);
    assert.equal((await peer.peerSharing.request(1)).length, 1);
    peer.close();
  });

  it("peer addresses carry the words ouroboros-network encodes (IPv4 byte-swapped, IPv6 big-endian words)", () => {
    assert.deepEqual(decodeCbor(encodePeerAddress({ host: "1.2.3.4", port: 3001 })), [0, 0x04030201, 3001]);
    assert.deepEqual(
      decodeCbor(encodePeerAddress({ host: "2001:db8::1", port: 3002 })),
      [1, 0x20010db8, 0, 0, 1, 3002],
    );
    assert.deepEqual(decodePeerAddress(encodeCbor([1, 0xfe800000, 0, 0x02000000, 0xabcd, 1])), {
      host: "fe80:0:0:0:200:0:0:abcd",
      port: 1,
    });
  });

  it("tx-submission2 moves offered transactions to the server", async () => {
    const peer = await dial();
    const txs: OutboundTx[] = [1, 2, 3].map((i) => {
      const body = Uint8Array.of(0x82, 0x01, i);
      return { id: encodeEraTxId(6, new Uint8Array(32).fill(i)), size: body.length, tx: encodeEraTx(6, body) };
    });
    let queue = [...txs];
    let calls = 0;
    const done = peer.offerTransactions({
      next: async (max) => {
        calls++;
        const out = queue.slice(0, max);
        queue = queue.slice(max);
        return out;
      },
    });
    await done;
    assert.ok(calls >= 2);
    assert.deepEqual(
      received.map(hex),
      txs.map((t) => hex(t.tx)),
    );
    peer.close();
  });
});
