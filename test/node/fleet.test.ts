// A stake pool on the wire, every node a real poolfleet-node process on loopback: one producer behind two relays,
// plus a far relay that knows only those two relays. Blocks the producer forges reach every relay; the producer
// talks to nobody but its relays; a transaction submitted at the far relay travels relay to relay into the
// producer's mempool and into a forged block; and killing a relay does not stop forging or propagation.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { blake2b256 } from "../../src/crypto/hash.ts";
import { KEY_KINDS, readKeyFile } from "../../src/formats/keys.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { blockTransactions } from "../../src/ledger/tx.ts";
import { buildTx } from "../../src/ledger/tx-build.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, poolKeyArgs } from "../helpers/cli.ts";
import { wallet } from "../helpers/ledger.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-fleet-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
});

interface FleetNode {
  readonly name: string;
  readonly port: number;
  readonly db: string;
  node: RunningNode;
}

interface Tip {
  blockNo: string;
  hash: string;
}

async function tipOf(n: FleetNode): Promise<Tip | null> {
  return (JSON.parse((await n.node.get("/health")).body) as { tip: Tip | null }).tip;
}

async function blockNo(n: FleetNode): Promise<number> {
  return Number((await tipOf(n))?.blockNo ?? -1);
}

interface Conn {
  local: string;
  remote: string;
}
async function connections(n: FleetNode): Promise<Conn[]> {
  const p = JSON.parse((await n.node.api("/api/peers")).body) as { inbound: Conn[]; outbound: Conn[] };
  return [...p.inbound, ...p.outbound];
}

async function start(name: string, port: number, peers: { local?: number[]; public?: number[] }, keys = false) {
  const home = join(root, name);
  mkdirSync(home, { recursive: true });
  const at = (p: number) => ({ address: "127.0.0.1", port: p });
  writeFileSync(
    join(home, "topology.json"),
    topologyJson((peers.local ?? []).map(at), { publicRoots: (peers.public ?? []).map(at) }),
  );
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
  return { name, port, db: join(home, "db"), node } satisfies FleetNode;
}

let producer: FleetNode;
let relay1: FleetNode;
let relay2: FleetNode;
let far: FleetNode;

before(async () => {
  // 0.2 s slots, f = 1/2: a block every 0.4 s on average.
  await createDevnet(devnet, { slotLength: "0.2", activeSlotCoeff: "0.5" });
  const [pP, p1, p2, p3] = [await freePort(), await freePort(), await freePort(), await freePort()];
  relay1 = await start("relay1", p1, { local: [pP, p2] });
  relay2 = await start("relay2", p2, { local: [pP, p1] });
  far = await start("far", p3, { public: [p1, p2] });
  producer = await start("producer", pP, { local: [p1, p2] }, true);
});

describe("a producer behind two relays, and a far relay", () => {
  it("propagates forged blocks to every relay, and the producer talks only to its relays", async () => {
    await waitFor("the producer to forge 5 blocks", async () => (await blockNo(producer)) >= 4, 60_000);
    const target = await tipOf(producer);
    for (const relay of [relay1, relay2, far]) {
      await waitFor(
        `${relay.name} to reach the producer's block ${target!.blockNo}`,
        async () => (await blockNo(relay)) >= Number(target!.blockNo),
        30_000,
      );
    }
    // Every connection of the producer has a relay of its own at the other end (matched by both endpoints).
    const mine = await connections(producer);
    const relayEnds = new Set<string>();
    for (const relay of [relay1, relay2])
      for (const c of await connections(relay)) relayEnds.add(`${c.remote}|${c.local}`);
    assert.ok(mine.length >= 2, `the producer is connected to its relays: ${JSON.stringify(mine)}`);
    for (const c of mine)
      assert.ok(
        relayEnds.has(`${c.local}|${c.remote}`),
        `producer connection ${c.local} <-> ${c.remote} is to a relay`,
      );
    const farEnds = new Set((await connections(far)).map((c) => c.remote));
    assert.ok(!farEnds.has(`127.0.0.1:${producer.port}`), "the far relay never reaches the producer directly");
    assert.ok(farEnds.size >= 2, "the far relay is connected to both relays");
  });

  it("relays a transaction submitted at the far relay into a block the producer forges", async () => {
    const pool1 = (f: string) => join(devnet, "pools", "pool1", f);
    const ownerPayment = readKeyFile(pool1("payment.skey"), KEY_KINDS.paymentSigning);
    const owner = wallet(ownerPayment, readKeyFile(pool1("stake.skey"), KEY_KINDS.stakeSigning));
    const recipient = wallet();
    const funds = 1_000_000_000_000n;
    const fee = 300_000n;
    const tx = buildTx(
      {
        inputs: [{ txId: blake2b256(owner.address), index: 0 }],
        outputs: [
          { address: recipient.address, coin: 5_000_000n },
          { address: owner.address, coin: funds - 5_000_000n - fee },
        ],
        fee,
      },
      [ownerPayment],
    );
    const res = await fetch(`http://127.0.0.1:${far.node.apiPort}/api/submit/tx`, {
      method: "POST",
      headers: { "content-type": "application/cbor" },
      body: Buffer.from(tx.bytes),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const id = bytesToHex(tx.body.id);
    await waitFor(
      "the transaction in a block on the far relay's chain",
      async () => ((await far.node.metric("poolfleet_txs_in_blocks_total")) ?? 0) >= 1,
      60_000,
    );
    assert.equal(await far.node.metric("poolfleet_mempool_txs"), 0, "the far relay's mempool let it go");
    assert.ok(((await producer.node.metric("poolfleet_txs_in_blocks_total")) ?? 0) >= 1);
    // Stop the far relay and read its database: the block holding the transaction was forged by pool1's producer.
    assert.equal(await far.node.stop(), 0);
    const db = ChainDb.open(far.db);
    let found = false;
    for (let i = 0; i < db.length && !found; i++) {
      const block = decodeBlock(db.readBlock(i));
      found = blockTransactions(block).some((t) => bytesToHex(t.body.id) === id);
    }
    db.close();
    assert.ok(found, `transaction ${id} is in a block of the far relay's chain`);
  });

  it("keeps forging and propagating when a relay is killed", async () => {
    await relay1.node.kill9();
    const before = await blockNo(producer);
    await waitFor("3 more blocks from the producer", async () => (await blockNo(producer)) >= before + 3, 60_000);
    const target = await blockNo(producer);
    await waitFor("relay2 to follow", async () => (await blockNo(relay2)) >= target, 30_000);
    // The producer's connections to relay1 are gone; to relay2 they stay.
    const mine = await connections(producer);
    const relay2Ends = new Set((await connections(relay2)).map((c) => `${c.remote}|${c.local}`));
    assert.ok(mine.length >= 1);
    for (const c of mine) assert.ok(relay2Ends.has(`${c.local}|${c.remote}`), "only relay2 is left");

    // The chains agree: relay2's chain is a prefix of (or equal to) the producer's.
    assert.equal(await relay2.node.stop(), 0);
    assert.equal(await producer.node.stop(), 0);
    const a = ChainDb.open(producer.db);
    const b = ChainDb.open(relay2.db);
    assert.ok(b.length >= target, `relay2 has ${b.length} blocks`);
    for (let i = 0; i < b.length; i++)
      assert.equal(bytesToHex(b.entry(i)!.hash), bytesToHex(a.entry(i)!.hash), `block ${i} is the producer's`);
    a.close();
    b.close();
  });
});
