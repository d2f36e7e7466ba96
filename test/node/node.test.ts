// poolfleet-node as a process on a 1-pool devnet: it forges at the rate f predicts, every block validates
// under the Praos chain validator, it restarts where it stopped, survives kill -9, refuses inconsistent keys
// (seeds/003) and never forges on a damaged database.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, poolKeyArgs, runCli } from "../helpers/cli.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-node-"));
const devnet = join(root, "devnet");
const pool = (f: string) => join(devnet, "pools", "pool1", f);
const args = (db: string, keys = poolKeyArgs(devnet)) => [
  "--config",
  join(devnet, "config.json"),
  "--database-path",
  db,
  ...keys,
];
const running: RunningNode[] = [];
async function start(db: string, keys?: string[]) {
  const n = await startNode(args(db, keys));
  running.push(n);
  return n;
}

/** Re-validate a database from genesis with the chain validator; returns the number of blocks. */
function validateDatabase(db: string): number {
  const net = loadNetwork(join(devnet, "config.json"));
  const chain = ChainDb.open(db);
  const validator = NodeChain.genesis(net);
  for (let i = 0; i < chain.length; i++) {
    const block = decodeBlock(chain.readBlock(i));
    const r = validator.applyBlock(block);
    assert.ok(r.ok, `block ${i}: ${!r.ok && r.message}`);
    assert.equal(block.header.body.blockNumber, BigInt(i));
  }
  const n = chain.length;
  chain.close();
  return n;
}

before(async () => {
  // 0.1 s slots and f = 1/2 with all the stake: about five blocks a second.
  await createDevnet(devnet, { slotLength: "0.1", epochLength: 100, activeSlotCoeff: "0.5", securityParam: 5 });
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
});

describe("poolfleet-node", () => {
  it("forges at the rate f predicts, and every stored block validates from genesis", async () => {
    const db = join(root, "db-rate");
    const node = await start(db);
    await waitFor("ready", async () => (await node.get("/ready")).status === 200);
    await new Promise((r) => setTimeout(r, 4000));
    const checks = (await node.metric("poolfleet_leader_checks_total"))!;
    const forged = (await node.metric("poolfleet_blocks_forged_total"))!;
    assert.ok(checks >= 25, `${checks} slots checked in 4 s of 0.1 s slots`);
    // With all the stake, P(lead) = f = 1/2 per slot.
    assert.ok(forged > checks * 0.25 && forged < checks * 0.75, `${forged} blocks in ${checks} slots`);
    const health = JSON.parse((await node.get("/health")).body);
    assert.equal(health.status, "ok");
    assert.equal(health.forging.enabled, true);
    const config = (await node.get("/config")).body;
    for (const f of ["kes.skey", "vrf.skey"]) {
      const secret = JSON.parse(readFileSync(pool(f), "utf8")).cborHex.slice(8, 40);
      assert.ok(!config.includes(secret) && !node.logs.join("\n").includes(secret), `${f} bytes leaked`);
    }
    assert.equal(await node.stop(), 0);
    assert.match(node.logs.at(-1)!, /stopped cleanly/);
    assert.ok(validateDatabase(db) >= forged);
  });

  it("restarts where it stopped and forges on", async () => {
    const db = join(root, "db-restart");
    const first = await start(db);
    await waitFor("three blocks", async () => ((await first.metric("poolfleet_tip_block")) ?? -1) >= 3 || undefined);
    await first.stop();
    const tip = validateDatabase(db);
    const second = await start(db);
    await waitFor(
      "forging past the old tip",
      async () => ((await second.metric("poolfleet_tip_block")) ?? -1) >= tip + 2 || undefined,
    );
    await second.stop();
    assert.ok(validateDatabase(db) >= tip + 3);
  });

  it("kill -9 at random moments: every restart reopens a consistent chain keeping every durable block", async () => {
    const db = join(root, "db-crash");
    let durable = -1;
    for (let round = 0; round < 5; round++) {
      const node = await start(db);
      await waitFor("ready", async () => (await node.get("/ready")).status === 200);
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 900)));
      await node.kill9();
      for (const line of node.logs) {
        const m = /"event":"adopted".*"blockNo":"(\d+)"/.exec(line);
        if (m) durable = Math.max(durable, Number(m[1]));
      }
      const blocks = validateDatabase(db);
      assert.ok(
        blocks >= durable + 1,
        `round ${round}: ${blocks} blocks stored, block ${durable} was reported durable`,
      );
    }
    assert.ok(durable >= 3, "the node forged across the rounds");
  });

  it("seeds/003: a producer whose KES key does not match its certificate does not forge, and says so", async () => {
    const r = await runCli([
      "node",
      "key-gen-KES",
      "--verification-key-file",
      join(root, "other-kes.vkey"),
      "--signing-key-file",
      join(root, "other-kes.skey"),
    ]);
    assert.equal(r.code, 0);
    const keys = [
      "--shelley-kes-key",
      join(root, "other-kes.skey"),
      "--shelley-vrf-key",
      pool("vrf.skey"),
      "--shelley-operational-certificate",
      pool("node.cert"),
    ];
    const node = await start(join(root, "db-mismatch"), keys);
    await waitFor("ready", async () => (await node.get("/ready")).status === 200);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await node.metric("poolfleet_forging_enabled"), 0);
    assert.equal(await node.metric("poolfleet_keys_valid"), 0);
    assert.equal(await node.metric("poolfleet_blocks_forged_total"), 0);
    const health = JSON.parse((await node.get("/health")).body);
    assert.equal(health.status, "degraded");
    assert.match(health.forging.reason, /is NOT the hot key certified by/);
    assert.ok(node.logs.some((l) => l.includes("NOT forging") && l.includes("is NOT the hot key")));
    // Put the right key in place and SIGHUP: the node starts forging without a restart.
    copyFileSync(pool("kes.skey"), join(root, "other-kes.skey"));
    node.child.kill("SIGHUP");
    await waitFor(
      "forging after SIGHUP",
      async () => (await node.metric("poolfleet_forging_enabled")) === 1 || undefined,
    );
    await waitFor("a block", async () => ((await node.metric("poolfleet_blocks_forged_total")) ?? 0) > 0 || undefined);
    await node.stop();
  });

  it("a damaged block the node must replay stops it with a clear message; a torn tail is cut and it forges on", async () => {
    const db = join(root, "db-damage");
    const node = await start(db);
    await waitFor("five blocks", async () => ((await node.metric("poolfleet_tip_block")) ?? -1) >= 4 || undefined);
    await node.kill9(); // no snapshot at stop: the restart replays from genesis (fewer than 20 blocks)
    const chain = ChainDb.open(db);
    const offset = chain.entry(1)!.offset;
    chain.close();
    const dat = join(db, "chain.dat");
    const bytes = readFileSync(dat);
    bytes[offset + 60]! ^= 0xff;
    writeFileSync(dat, bytes);
    const broken = await startNode(args(db));
    running.push(broken);
    assert.equal(await broken.exited, 1);
    assert.ok(
      broken.logs.some((l) => /fails its checksum/.test(l)),
      broken.logs.join("\n"),
    );
    bytes[offset + 60]! ^= 0xff; // repair it, then tear the tail instead
    writeFileSync(dat, bytes.subarray(0, bytes.length - 7));
    const healed = await start(db);
    await waitFor(
      "forging again",
      async () => ((await healed.metric("poolfleet_blocks_forged_total")) ?? 0) > 0 || undefined,
    );
    await healed.stop();
    validateDatabase(db);
  });

  it("refuses bad flags with one clear line", async () => {
    const node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(root, "db-x"),
      "--shelley-kes-key",
      pool("kes.skey"),
    ]);
    assert.equal(await node.exited, 1);
    assert.ok(
      node.logs.some((l) =>
        l.startsWith("poolfleet-node: producer keys: --shelley-vrf-key, --shelley-operational-certificate missing"),
      ),
      node.logs.join("\n"),
    );
  });
});
