// Issue 15, defect 4: peers that ask for a lot and read nothing must not make the node hold it in memory. Thirty
// block-fetch clients ask for the whole chain (6000 blocks, ~5 MB: more than loopback's kernel buffers take) and
// stop reading; eight raw clients pipeline chain-sync MsgRequestNext past the ingress limit and read nothing. What
// the server holds for sending (its EgressBudget, measured at every change: `peak`) stays under the budget's limit
// plus one frame per connection; the pipeliners are dropped with a reason; the block-fetch clients, once they read
// again, get every block.
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeMsgBlock } from "../../src/network/block-fetch.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { encodeEraBlock } from "../../src/network/era.ts";
import { message, tag24 } from "../../src/network/wire.ts";
import { EgressBudget } from "../../src/network/egress-budget.ts";
import { connectPeer, type NodeServer, type PeerConnection } from "../../src/network/peer.ts";
import type { BlockPoint } from "../../src/network/points.ts";
import { forgeChain } from "../helpers/forge.ts";
import { waitFor } from "../helpers/wait.ts";
import { handshaken } from "./fuzz.ts";
import { MAGIC, nextDisconnect, sdu, startServer } from "./helpers.ts";

const BLOCKS = 6000;
const FETCHERS = 30;
const PIPELINERS = 8;
const LIMIT = 1024 * 1024;
/** Slack per connection: producers that passed the check in the same tick each add one message (~1 kB here). */
const PER_CONNECTION = 16 * 1024;

const chain = forgeChain(BLOCKS);
const point = (i: number): BlockPoint => ({ slot: chain[i]!.header.body.slot, hash: chain[i]!.header.hash });

describe("egress bound", () => {
  const budget = new EgressBudget(LIMIT);
  let server: NodeServer;
  const peers: PeerConnection[] = [];
  const sockets: Socket[] = [];
  before(async () => {
    // The write timeout (below) is not what this test is about: long enough for the non-reading phase.
    server = await startServer(new MemoryChainSource(chain.map((b) => b.bytes)), {
      egressBudget: budget,
      timeouts: { sduWriteMs: 600_000 },
    });
  });
  after(async () => {
    for (const p of peers) p.close();
    for (const s of sockets) s.destroy();
    await server.close();
  });

  it("non-reading peers asking for the whole chain hold at most the budget; readers are then served", async () => {
    const fetches: Promise<number>[] = [];
    for (let i = 0; i < FETCHERS; i++) {
      const peer = await connectPeer("127.0.0.1", server.port, { magic: MAGIC });
      peers.push(peer);
      peer.mux.socket.pause(); // reads nothing until resumed
      fetches.push(
        peer.blockFetch.fetchRange(point(0), point(BLOCKS - 1)).then(
          (b) => b?.length ?? -1,
          () => -2,
        ),
      );
    }
    // 300 000 pipelined MsgRequestNext (600 kB, over chain-sync's ingress limit of 462 kB) from each pipeliner.
    const overruns: string[] = [];
    const off = server.onDisconnect((d) => {
      if (/chain-sync ingress queue overrun/.test(d.reason)) overruns.push(d.reason);
    });
    const request = sdu(2, Buffer.alloc(60_000, Uint8Array.of(0x81, 0x00)));
    for (let i = 0; i < PIPELINERS; i++) {
      const s = await handshaken(server.port);
      s.on("error", () => {});
      s.pause();
      sockets.push(s);
      for (let k = 0; k < 10; k++) s.write(request);
    }
    await waitFor("every pipeliner dropped for its overrun", () => overruns.length === PIPELINERS, 60_000);
    off();
    // Everyone has asked; the fetchers' kernel buffers are full and the server has stopped producing for them.
    await waitFor("the budget to be spent", () => budget.over, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const bound = LIMIT + (FETCHERS + PIPELINERS) * PER_CONNECTION;
    const held = { peak: budget.peak, now: budget.buffered, bound };
    console.log(JSON.stringify(held));
    assert.ok(budget.peak <= bound, `held for sending at most ${bound} bytes: ${JSON.stringify(held)}`);
    assert.equal(server.connections.size, FETCHERS, "the fetchers are still connected, waiting");

    for (const p of peers) p.mux.socket.resume();
    const got = await Promise.all(fetches);
    assert.deepEqual(got, Array<number>(FETCHERS).fill(BLOCKS), "every reader got the whole chain");
    assert.ok(budget.peak <= bound, `still at most ${bound}: ${budget.peak}`);
    for (const p of peers) p.close();
    await waitFor("the connections to close", () => server.connections.size === 0, 10_000);
    assert.equal(budget.buffered, 0, "nothing is held once every connection closed");
  });

  it("MsgBlock, encoded in one allocation, is byte for byte the generic encoding", () => {
    const sizes = [0, 1, 21, 22, 200, 65_533, 65_534, 70_000];
    for (const era of ["Shelley", "Babbage", "Conway"] as const)
      for (const n of sizes) {
        const block = { era, bytes: Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff) };
        assert.deepEqual(encodeMsgBlock(block), message(4, tag24(encodeEraBlock(block))), `${era}, ${n} bytes`);
      }
  });
});

describe("SDU write timeout", () => {
  let server: NodeServer;
  before(async () => {
    server = await startServer(new MemoryChainSource(chain.map((b) => b.bytes)), { timeouts: { sduWriteMs: 1500 } });
  });
  after(() => server.close());

  it("a peer that takes none of our bytes for sduWriteMs is dropped; one that reads stays", async () => {
    const reader = await connectPeer("127.0.0.1", server.port, { magic: MAGIC });
    const s = await handshaken(server.port);
    s.on("error", () => {});
    s.pause();
    const dropped = nextDisconnect(server, /SDU write timeout: the peer took none of our bytes for 1500 ms/, 30_000);
    s.write(sdu(3, encodeCbor([0, [point(0).slot, point(0).hash], [point(BLOCKS - 1).slot, point(BLOCKS - 1).hash]])));
    // A reader fetches the whole chain meanwhile, and is not dropped.
    const blocks = await reader.blockFetch.fetchRange(point(0), point(BLOCKS - 1));
    assert.equal(blocks?.length, BLOCKS);
    await dropped;
    assert.equal(server.connections.size, 1, "only the reader is left");
    reader.close();
    s.destroy();
  });
});
