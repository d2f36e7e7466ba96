// A misbehaving peer is disconnected with a reason and nothing else is affected: out-of-state messages,
// malformed and undecodable bytes, oversized SDUs and messages, stalls; then a bounded fuzz run, after which the
// server is alive and an honest client still syncs the whole chain.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeHeader } from "../../src/chain/header.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { encodeSduHeader } from "../../src/network/mux.ts";
import { connectPeer, type NodeServer, type PeerConnection } from "../../src/network/peer.ts";
import { fuzzPort, handshaken } from "./fuzz.ts";
import { chain, MAGIC, nextDisconnect, rawSocket, sdu, socketClosed, startServer } from "./helpers.ts";

const hex = bytesToHex;

async function syncAll(peer: PeerConnection, count: number): Promise<string[]> {
  await peer.chainSync.findIntersect(["origin"]);
  const hashes: string[] = [];
  for (let i = 0; i < count + 1 && hashes.length < count; i++) {
    const ev = await peer.chainSync.requestNext();
    if (ev.kind === "forward") hashes.push(hex(decodeHeader(ev.header.bytes).hash));
  }
  return hashes;
}

describe("misbehaving peers", () => {
  let server: NodeServer;
  const ours = chain.slice(0, 10).map((b) => hex(b.header.hash));
  before(async () => {
    const source = new MemoryChainSource(chain.slice(0, 10).map((b) => b.bytes));
    server = await startServer(source, { timeouts: { handshakeMs: 500, sduReadMs: 500 } });
  });
  after(() => server.close());

  it("an out-of-state message closes that connection with a reason; another client keeps syncing", async () => {
    const honest = await connectPeer("127.0.0.1", server.port, { magic: MAGIC });
    await honest.chainSync.findIntersect(["origin"]);
    await honest.chainSync.requestNext();
    const first = await honest.chainSync.requestNext();
    assert.equal(first.kind, "forward");

    const cases: [Uint8Array, RegExp][] = [
      // MsgIntersectFound is the server's message; in StIdle the client has agency.
      [
        sdu(2, encodeCbor([5, [], [[], 0]])),
        /chain-sync: in state StIdle the client sent MsgIntersectFound, which is not allowed/,
      ],
      [sdu(3, encodeCbor([4, 1])), /block-fetch: undecodable message from the client in state BFIdle/],
      [sdu(3, encodeCbor([2])), /block-fetch: in state BFIdle the client sent MsgStartBatch, which is not allowed/],
      [sdu(8, encodeCbor([1, 7])), /keep-alive: in state StClient the client sent MsgKeepAliveResponse/],
      [sdu(2, encodeCbor([99])), /chain-sync: undecodable message .* unknown chain-sync message tag 99/],
      [sdu(2, Uint8Array.of(0x82, 0x1c, 0x00)), /chain-sync: malformed message from the client in state StIdle/],
      [sdu(4, encodeCbor([0, true, 0, 3])), /tx-submission2: in state StInit the client sent MsgRequestTxIds/],
      [sdu(10, encodeCbor([1, []])), /peer-sharing: in state StIdle the client sent MsgSharePeers/],
      [sdu(2, encodeCbor([0]), true), /unknown mini-protocol 2 \(responder data, no initiator running here\)/],
      [sdu(9, encodeCbor([0])), /unknown mini-protocol 9/],
      [sdu(8, new Uint8Array(12288)), /keep-alive ingress queue overrun: 12288 bytes over the limit of 1408/],
    ];
    for (const [bytes, reason] of cases) {
      const seen = nextDisconnect(server, reason);
      const s = await handshaken(server.port);
      s.write(bytes);
      await socketClosed(s);
      await seen;
    }
    // Done twice on keep-alive: data after the protocol ended.
    const seen = nextDisconnect(server, /keep-alive: the client sent data in state StDone, after the protocol ended/);
    const s = await handshaken(server.port);
    s.write(Buffer.concat([sdu(8, encodeCbor([2])), sdu(8, encodeCbor([2]))]));
    await seen;
    s.destroy();

    // The honest client did not notice.
    const rest: string[] = [hex(decodeHeader((first as { header: { bytes: Uint8Array } }).header.bytes).hash)];
    for (let i = 1; i < 10; i++) {
      const ev = await honest.chainSync.requestNext();
      if (ev.kind === "forward") rest.push(hex(decodeHeader(ev.header.bytes).hash));
    }
    assert.deepEqual(rest, ours);
    assert.equal(honest.mux.closeReason, undefined);
    honest.close();
  });

  it("a message over the state's size limit, a stalled SDU and data before the handshake are disconnects", async () => {
    // A 70000-byte chain-sync message (over 65535) across several SDUs, well inside the 462000-byte ingress limit.
    let seen = nextDisconnect(
      server,
      /chain-sync: a (70008-byte )?message in state StIdle (grew past|is over) the limit/,
    );
    let s = await handshaken(server.port);
    const big = encodeCbor([4, [new Uint8Array(70_000)]]);
    for (let p = 0; p < big.length; p += 12288) s.write(sdu(2, big.subarray(p, p + 12288)));
    await seen;
    await socketClosed(s);

    seen = nextDisconnect(server, /SDU read timeout/);
    s = await handshaken(server.port);
    s.write(Buffer.concat([encodeSduHeader(0, 8, false, 100), Buffer.alloc(10)]));
    await seen;

    // A peer dripping one byte every 50 ms into a started SDU: the 500 ms bound counts from the SDU's first byte,
    // not from the last byte (re-arming on every byte kept such a peer for minutes in production).
    seen = nextDisconnect(server, /SDU read timeout/);
    s = await handshaken(server.port);
    s.write(encodeSduHeader(0, 8, false, 100));
    let dripped = 0;
    const drip = setInterval(() => {
      if (!s.destroyed && dripped < 100) {
        s.write(Buffer.of(0));
        dripped++;
      }
    }, 50);
    try {
      await seen;
    } finally {
      clearInterval(drip);
    }
    assert.ok(dripped < 40, `dropped while still dripping into the SDU (after ${dripped} of its 100 bytes)`);

    seen = nextDisconnect(server, /unknown mini-protocol 2/);
    s = await rawSocket(server.port);
    s.write(sdu(2, encodeCbor([0])));
    await seen;

    seen = nextDisconnect(server, /handshake: malformed message/);
    s = await rawSocket(server.port);
    s.write(sdu(0, Uint8Array.of(0xff, 0xff)));
    await seen;
  });

  it("connections over the limit are refused and logged with their address, at a bounded rate", async () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const log = {
      info: () => {},
      debug: () => {},
      warn: (obj: object, msg: string) => lines.push({ obj: obj as Record<string, unknown>, msg }),
    };
    const small = await startServer(new MemoryChainSource(chain.slice(0, 2).map((b) => b.bytes)), {
      maxConnections: 2,
      log,
    });
    const held = [await handshaken(small.port), await handshaken(small.port)];
    try {
      const refused = [];
      for (let i = 0; i < 5; i++) {
        const s = await rawSocket(small.port);
        refused.push(`127.0.0.1:${s.localPort}`);
        await socketClosed(s);
      }
      const logged = lines.filter((l) => l.msg === "peer refused");
      assert.equal(small.refused, 5);
      assert.equal(logged.length, 1, `one line for a burst of five: ${JSON.stringify(logged)}`);
      assert.equal(logged[0]!.obj.peer, refused[0]);
      assert.match(String(logged[0]!.obj.reason), /over the limit of 2 connections/);
    } finally {
      for (const s of held) s.destroy();
      await small.close();
    }
  });

  it("survives a bounded fuzz run; afterwards an honest client syncs and fetches everything", async () => {
    const before = server.disconnects.length;
    const { runs, seed: startSeed } = await fuzzPort(server.port, chain[1]!.header, { batches: 20, ms: 20_000 });
    assert.ok(runs >= 100, `at least 100 fuzz connections ran (seed ${startSeed}, ran ${runs})`);
    // Every fuzz connection was closed and accounted for.
    const end = Date.now() + 5000;
    while (server.connections.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const left = [...server.connections].map((m) => `${m.label} in=${m.bytesIn} out=${m.bytesOut}`);
    assert.deepEqual(left, [], `seed ${startSeed}`);
    assert.ok(server.disconnects.length > 0 && before >= 0);
    assert.ok(
      server.disconnects.every((d) => !d.reason.startsWith("internal error")),
      `no internal errors (seed ${startSeed}): ${JSON.stringify(server.disconnects.filter((d) => d.reason.startsWith("internal")))}`,
    );

    const honest = await connectPeer("127.0.0.1", server.port, { magic: MAGIC });
    assert.deepEqual(await syncAll(honest, 10), ours);
    const blocks = await honest.blockFetch.fetchRange(
      { slot: chain[0]!.header.body.slot, hash: chain[0]!.header.hash },
      { slot: chain[9]!.header.body.slot, hash: chain[9]!.header.hash },
    );
    assert.deepEqual(
      blocks?.map((b) => hex(b.bytes)),
      chain.slice(0, 10).map((b) => hex(b.bytes)),
    );
    honest.close();
  });
});
