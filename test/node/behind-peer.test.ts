// A peer that is behind us on our own chain is catching up, not forking (issue 15, defect 3). An outside tester saw
// a relay resumed after SIGSTOP, 15 blocks behind, dropped by the producer with "chain-sync: fork of over k blocks
// that is not better than ours": the node following such a peer recognised only the last k+1 of its own blocks,
// so the older ones the peer announced while catching up piled up as a "fork". Here both ways it happens: a relay
// that starts with an empty database beside a producer whose chain is well past k + 100 blocks, and a relay frozen
// with SIGSTOP until it is more than k blocks behind. Real processes on loopback.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { topologyJson } from "../../src/formats/topology.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-behind-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

const K = 5;

function writeTopology(name: string, peers: number[]): void {
  const home = join(root, name);
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "topology.json"), topologyJson(peers.map((p) => ({ address: "127.0.0.1", port: p }))));
}

async function start(name: string, port: number, peers: number[], keys = false): Promise<RunningNode> {
  const home = join(root, name);
  writeTopology(name, peers);
  const node = await startNode([
    "--config",
    join(devnet, "config.json"),
    "--topology",
    join(home, "topology.json"),
    "--database-path",
    join(home, "db"),
    "--host-addr",
    "127.0.0.1",
    "--port",
    String(port),
    ...(keys ? poolKeyArgs(devnet) : []),
  ]);
  running.push(node);
  return node;
}

async function blockNo(n: RunningNode): Promise<number> {
  const tip = (JSON.parse((await n.get("/health")).body) as { tip: { blockNo: string } | null }).tip;
  return Number(tip?.blockNo ?? -1);
}

const dropped = (n: RunningNode) => n.logs.filter((l) => /fork of over|not better than ours/.test(l));

let producer: RunningNode;
let relay: RunningNode;
let relayPort: number;
let producerPort: number;

before(async () => {
  // 0.1 s slots, f = 0.9, one pool: about nine blocks a second, so the chain passes k + 100 blocks quickly.
  await createDevnet(devnet, { slotLength: "0.1", activeSlotCoeff: "0.9", securityParam: K });
  producerPort = await freePort();
  relayPort = await freePort();
  // The relay starts knowing no peer, so it stays at genesis while the producer, which dials it, forges on and
  // follows it from there.
  relay = await start("relay", relayPort, []);
  producer = await start("producer", producerPort, [relayPort], true);
});

describe("a peer behind us on our own chain", () => {
  it("is kept and caught up when it starts from an empty database, > k + 100 blocks behind", async () => {
    await waitFor("the producer to forge 120 blocks", async () => (await blockNo(producer)) >= 120, 90_000);
    // Now the relay learns of the producer (SIGHUP re-reads its topology) and syncs from genesis, announcing each
    // block it adopts to the producer, which already has them all.
    writeTopology("relay", [producerPort]);
    relay.child.kill("SIGHUP");
    const target = await blockNo(producer);
    await waitFor(`the relay to reach block ${target}`, async () => (await blockNo(relay)) >= target, 60_000);
    // The producer follows the relay too (it dials it): that connection must have survived the catch-up.
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(dropped(producer), [], "the producer did not take the catching-up relay for a fork");
    assert.deepEqual(dropped(relay), []);
    const peers = JSON.parse((await producer.api("/api/peers")).body) as { outbound: { remote: string }[] };
    assert.ok(
      peers.outbound.some((c) => c.remote === `127.0.0.1:${relayPort}`),
      `the producer is still connected to its relay: ${JSON.stringify(peers)}`,
    );

    // Freeze the relay until it is more than k blocks behind, then let it run again.
    const frozenAt = await blockNo(relay);
    relay.child.kill("SIGSTOP");
    try {
      await waitFor(
        `the producer to get ${2 * K} blocks past the frozen relay`,
        async () => (await blockNo(producer)) >= frozenAt + 2 * K,
        30_000,
      );
    } finally {
      relay.child.kill("SIGCONT");
    }
    const after = await blockNo(producer);
    await waitFor(`the resumed relay to reach block ${after}`, async () => (await blockNo(relay)) >= after, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(dropped(producer), [], "the producer did not take the resumed relay for a fork");
    const again = JSON.parse((await producer.api("/api/peers")).body) as { outbound: { remote: string }[] };
    assert.ok(
      again.outbound.some((c) => c.remote === `127.0.0.1:${relayPort}`),
      "still connected after the freeze",
    );
  });
});
