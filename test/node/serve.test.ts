// poolfleet-node serves its chain to node-to-node peers on --host-addr/--port: a client over a real socket follows
// a forging producer with chain-sync (waiting at the tip for the next block it forges) and fetches the blocks
// with block-fetch, byte-identical to what the node stored.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeHeader } from "../../src/chain/header.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { connectPeer } from "../../src/network/peer.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { poolKeyArgs, runCli } from "../helpers/cli.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-serve-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
});

describe("poolfleet-node as a node-to-node server", () => {
  it("a peer follows the producer's chain with chain-sync and block-fetch", async () => {
    const g = await runCli(["genesis", "create", "--pools", "1", "--out-dir", devnet, "--slot-length", "0.1"]);
    assert.equal(g.code, 0, g.stderr);
    const port = await freePort();
    const db = join(root, "db");
    const node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      db,
      "--host-addr",
      "127.0.0.1",
      "--port",
      String(port),
      ...poolKeyArgs(devnet),
    ]);
    running.push(node);
    await waitFor(
      "two blocks",
      async () => ((await node.metric("poolfleet_tip_block")) ?? -1) >= 1 || undefined,
      30_000,
    );

    const peer = await connectPeer("127.0.0.1", port, { magic: 42 });
    const { intersect } = await peer.chainSync.findIntersect(["origin"]);
    assert.equal(intersect, "origin");
    assert.equal((await peer.chainSync.requestNext()).kind, "backward");
    const hashes: string[] = [];
    const points: { slot: bigint; hash: Uint8Array }[] = [];
    let awaitedOne = false;
    const end = Date.now() + 30_000;
    while ((hashes.length < 4 || !awaitedOne) && Date.now() < end) {
      const ev = await peer.chainSync.requestNext();
      assert.equal(ev.kind, "forward");
      if (ev.kind !== "forward") break;
      awaitedOne ||= ev.awaited;
      const header = decodeHeader(ev.header.bytes);
      if (hashes.length > 0) assert.equal(bytesToHex(header.body.prevHash!), hashes.at(-1));
      hashes.push(bytesToHex(header.hash));
      points.push({ slot: header.body.slot, hash: header.hash });
    }
    assert.ok(awaitedOne, "the client waited at the tip and got the next forged block");
    assert.ok((await node.metric("poolfleet_peers_connected"))! >= 1);
    assert.equal(await node.metric("poolfleet_chain_opcert_counter"), 0, "the chain has seen its certificate's 0");
    const fetched = await peer.blockFetch.fetchRange(points[0]!, points.at(-1)!);
    assert.equal(fetched?.length, points.length);
    peer.close();

    // The leader schedule it publishes (what a KES swap waits on): every block it then forges is on a listed slot.
    assert.equal((await node.api("/api/leader-schedule?minutes=0")).status, 400);
    const schedule = JSON.parse((await node.api("/api/leader-schedule?minutes=1")).body) as {
      forging: boolean;
      complete: boolean;
      slots: { slot: string; at: string }[];
    };
    assert.equal(schedule.forging, true);
    assert.ok(schedule.slots.length >= 3, `a 1-pool devnet leads about 1 slot in 10: ${schedule.slots.length}`);
    const listed = new Set(schedule.slots.map((x) => BigInt(x.slot)));
    const third = schedule.slots[2]!;
    const before = Number((await node.metric("poolfleet_tip_slot")) ?? 0);
    await waitFor("the third listed slot to pass", async () => Date.now() > Date.parse(third.at) + 500, 30_000);
    const tipSlot = (await node.metric("poolfleet_tip_slot"))!;
    assert.ok(tipSlot > before, "it forged in the window");
    assert.equal(await node.stop(), 0);

    const store = ChainDb.open(db);
    assert.deepEqual(
      hashes,
      Array.from({ length: hashes.length }, (_, i) => bytesToHex(store.entry(i)!.hash)),
    );
    fetched!.forEach((b, i) => assert.equal(bytesToHex(b.bytes), bytesToHex(store.readBlock(i)), `block ${i}`));
    const windowStart = BigInt(schedule.slots[0]!.slot);
    const windowEnd = BigInt(third.slot);
    let inWindow = 0;
    for (let i = 0; i < store.length; i++) {
      const slot = store.entry(i)!.slot;
      if (slot < windowStart || slot > windowEnd) continue;
      inWindow++;
      assert.ok(listed.has(slot), `block at slot ${slot} was scheduled`);
    }
    assert.ok(inWindow >= 1, "blocks were forged in the scheduled window");
    store.close();
  });
});
