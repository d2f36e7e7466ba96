// Whole nodes against hostile peers, both ways. Inbound: a bounded fuzz run against a forging producer's
// node-to-node port while a relay follows it. Outbound: the relay's topology also lists two bad peers it dials —
// one that serves a chain of well-formed blocks that are not valid on this network (forged with keys no pool
// registered), one that answers with random bytes. Afterwards the producer is alive and still forging, the relay
// is alive and on the producer's chain, and the bad peers were disconnected with their reasons.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { MemoryChainSource } from "../../src/network/chain-source.ts";
import { listen, type NodeServer } from "../../src/network/peer.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { forgeChain } from "../helpers/forge.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";
import { fuzzPort } from "../network/fuzz.ts";

const root = mkdtempSync(join(tmpdir(), "pf-hostile-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
const servers: (Server | NodeServer)[] = [];
after(async () => {
  for (const n of running) n.child.kill("SIGKILL");
  for (const s of servers) void s.close();
});

const tipOf = async (n: RunningNode) =>
  JSON.parse((await n.get("/health")).body) as { status: string; tip: { blockNo: string; hash: string } | null };

describe("hostile peers", () => {
  it("a fuzzed producer and a relay dialling bad peers stay alive and in sync", async () => {
    await createDevnet(devnet, { slotLength: "0.1", activeSlotCoeff: "0.5" });
    // Bad peer 1: a real Ouroboros server with a chain no pool of this network forged.
    const foreign = await listen({ magic: 42, source: new MemoryChainSource(forgeChain(30).map((b) => b.bytes)) });
    servers.push(foreign);
    // Bad peer 2 (a fault injector, not a node): answers every connection with random bytes.
    const noise = createServer((s) => {
      s.on("error", () => {});
      s.write(Uint8Array.from({ length: 64 }, () => Math.floor(Math.random() * 256)));
      setTimeout(() => s.destroy(), 200);
    });
    await new Promise<void>((resolve) => noise.listen(0, "127.0.0.1", resolve));
    servers.push(noise);
    const noisePort = (noise.address() as { port: number }).port;

    const [pP, pR] = [await freePort(), await freePort()];
    const common = (name: string, port: number, peers: number[]) => {
      const home = join(root, name);
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, "topology.json"), topologyJson(peers.map((p) => ({ address: "127.0.0.1", port: p }))));
      return [
        "--config",
        join(devnet, "config.json"),
        "--topology",
        join(home, "topology.json"),
        "--database-path",
        join(home, "db"),
        "--port",
        String(port),
      ];
    };
    const producer = await startNode([...common("producer", pP, []), ...poolKeyArgs(devnet)]);
    running.push(producer);
    const relay = await startNode(common("relay", pR, [pP, foreign.port, noisePort]));
    running.push(relay);
    await waitFor("a few blocks", async () => Number((await tipOf(producer)).tip?.blockNo ?? -1) >= 2, 30_000);

    // Inbound: fuzz the producer while it forges and the relay follows it.
    const db = ChainDb.open(join(root, "producer", "db"));
    const header = decodeBlock(db.readBlock(0)).header;
    db.close();
    const before = Number((await tipOf(producer)).tip!.blockNo);
    const { runs, seed } = await fuzzPort(pP, header, { batches: 15, ms: 15_000 });
    assert.ok(runs >= 50, `fuzz connections ran: ${runs} (seed ${seed})`);

    const health = await tipOf(producer);
    assert.equal(health.status, "ok", `the producer is healthy after the fuzz (seed ${seed})`);
    await waitFor(
      "the producer to keep forging",
      async () => Number((await tipOf(producer)).tip!.blockNo) >= before + 3,
      30_000,
    );
    await waitFor(
      "the relay on the producer's tip",
      async () => (await tipOf(relay)).tip?.hash === (await tipOf(producer)).tip?.hash,
      30_000,
    );
    const relayLog = relay.logs.join("\n");
    console.log(
      relay.logs
        .filter((l) => /closed|cannot/.test(l))
        .slice(0, 8)
        .join("\n"),
    );
    assert.match(relayLog, new RegExp(`127\\.0\\.0\\.1:${foreign.port}.*(invalid header|invalid block)`));
    assert.doesNotMatch(relayLog, /chain sync failed|internal error/, "every bad peer was a handled disconnect");
    assert.equal(producer.child.exitCode, null);
    assert.equal(relay.child.exitCode, null);
    assert.equal(await relay.stop(), 0);
    assert.equal(await producer.stop(), 0);
  });
});
