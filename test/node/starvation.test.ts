// Issue 15, defect 2: one peer (or one HTTP client) must not starve the forger. A real producer process is loaded,
// for 20 one-second slots, by hostile peers over real sockets — pipelined MsgFindIntersect with 1500 unknown points each,
// block-fetch requests for the whole chain, back to back — and by 40 concurrent /api/leader-schedule?minutes=120
// queries at a time; every slot in that window must have its leadership checked within the slot (the node's own
// poolfleet_leader_checks_total, _late_total and _missed_total say so).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeHeader } from "../../src/chain/header.ts";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { connectPeer, type PeerConnection } from "../../src/network/peer.ts";
import type { BlockPoint } from "../../src/network/points.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";
import { handshaken } from "../network/fuzz.ts";
import { sdu } from "../network/helpers.ts";

// One-second slots: on a shared, CPU-saturated machine the OS alone can hold a process for a few hundred ms.
const SLOT_MS = 1000;
const LOAD_SLOTS = 20;
const root = mkdtempSync(join(tmpdir(), "pf-starve-"));
const running: RunningNode[] = [];
const peers: PeerConnection[] = [];
after(() => {
  for (const p of peers) p.close();
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** MsgFindIntersect with 1500 points on no chain (slots < 2^16 keep the message under the 65535-byte limit). */
function unknownIntersect(): Buffer {
  const points = Array.from({ length: 1500 }, (_, i) => [40_000 + i, Uint8Array.from(randomBytes(32))]);
  return sdu(2, encodeCbor([4, points]));
}

describe("starvation", () => {
  it("a producer under hostile intersect/range traffic and leader-schedule queries checks every slot on time", async () => {
    const devnet = join(root, "devnet");
    await createDevnet(devnet, { slotLength: String(SLOT_MS / 1000), activeSlotCoeff: "0.5", epochLength: 1000 });
    const producer = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(root, "db"),
      ...poolKeyArgs(devnet),
    ]);
    running.push(producer);
    await waitFor(
      "the producer to forge a few blocks",
      async () => ((await producer.metric("poolfleet_tip_block")) ?? -1) >= 3,
      30_000,
    );
    const port = Number(/"port":(\d+)/.exec(producer.logs.find((l) => l.includes("serving node-to-node peers"))!)![1]);

    // The whole chain as it is now: the first block and the tip, for block-fetch ranges.
    const probe = await connectPeer("127.0.0.1", port, { magic: 42 });
    peers.push(probe);
    const { tip } = await probe.chainSync.findIntersect(["origin"]);
    await probe.chainSync.requestNext(); // roll back to origin
    const first = await probe.chainSync.requestNext();
    assert.equal(first.kind, "forward");
    const h = decodeHeader((first as { header: { bytes: Uint8Array } }).header.bytes);
    const from: BlockPoint = { slot: h.body.slot, hash: h.hash };
    assert.notEqual(tip.point, "origin");
    const to = tip.point as BlockPoint;

    const stopAt = Date.now() + LOAD_SLOTS * SLOT_MS;
    const busy = () => Date.now() < stopAt;
    let intersects = 0;
    let ranges = 0;
    let schedules = 0;
    const intersectPeer = async () => {
      const s = await handshaken(port, 42);
      s.on("error", () => {});
      s.on("data", () => {}); // read the MsgIntersectNotFound replies
      // Seven 57 kB requests at a time fit chain-sync's ingress limit; refill as they are answered.
      for (let round = 0; busy() && round < 10_000; round++) {
        s.write(Buffer.concat(Array.from({ length: 7 }, unknownIntersect)));
        intersects += 7;
        await new Promise((r) => setTimeout(r, 20));
      }
      s.destroy();
    };
    const rangePeer = async () => {
      const peer = await connectPeer("127.0.0.1", port, { magic: 42 });
      peers.push(peer);
      for (let round = 0; busy() && round < 10_000; round++) {
        const blocks = await peer.blockFetch.fetchRange(from, to);
        assert.ok(blocks && blocks.length >= 3, "the whole chain is served");
        ranges++;
      }
    };
    const scheduleClient = async () => {
      for (let round = 0; busy() && round < 10_000; round++) {
        const res = await producer.api("/api/leader-schedule?minutes=120");
        assert.equal(res.status, 200, res.body);
        schedules++;
      }
    };

    const over = await producer.api("/api/leader-schedule?minutes=121");
    assert.equal(over.status, 400);
    assert.match(over.body, /minutes must be a whole number from 1 to 120/);

    const checks0 = (await producer.metric("poolfleet_leader_checks_total"))!;
    const late0 = (await producer.metric("poolfleet_leader_checks_late_total"))!;
    const missed0 = (await producer.metric("poolfleet_leader_checks_missed_total"))!;
    const t0 = Date.now();
    await Promise.all([
      ...Array.from({ length: 4 }, intersectPeer),
      ...Array.from({ length: 4 }, rangePeer),
      ...Array.from({ length: 40 }, scheduleClient),
    ]);
    // Let the slot in progress finish before reading the counters.
    await new Promise((r) => setTimeout(r, 2 * SLOT_MS));
    const elapsed = Math.floor((Date.now() - t0) / SLOT_MS);
    const checks = (await producer.metric("poolfleet_leader_checks_total"))! - checks0;
    const late = (await producer.metric("poolfleet_leader_checks_late_total"))! - late0;
    const missed = (await producer.metric("poolfleet_leader_checks_missed_total"))! - missed0;
    const load = { intersects, ranges, schedules, elapsedSlots: elapsed, checks, late, missed, late0, missed0 };
    console.log(JSON.stringify(load));
    for (const l of producer.logs.filter((x) => /slot loop ran late|after its slot/.test(x))) console.log(l);
    assert.equal(missed, 0, `no slot went unchecked: ${JSON.stringify(load)}`);
    assert.equal(late, 0, `no check finished after its slot: ${JSON.stringify(load)}`);
    // Sampling the counter and the clock is not atomic: one slot either way.
    assert.ok(checks >= elapsed - 1, `a check for every slot elapsed: ${JSON.stringify(load)}`);
    assert.ok(intersects >= 100 && ranges >= 20 && schedules >= 100, `the load ran: ${JSON.stringify(load)}`);
    const egress = await producer.metric("poolfleet_network_egress_buffered_bytes");
    assert.ok(egress !== undefined && egress < 64 * 1024 * 1024, `egress held: ${egress}`);
    assert.equal(producer.child.exitCode, null);
    assert.equal(await producer.stop(), 0);
  });
});
