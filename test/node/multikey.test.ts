// One poolfleet-node process holding several pools (a key bundle, MultikeyGroup's runtime, seeds/002): it forges
// for every pool, forges one block when two of its pools lead a slot (and counts the other as lost to the
// group), refuses a pool with a seeds/003 key mix alone while the others forge, takes a fixed pool back on SIGHUP,
// takes one back when its files change under --watch-keys (swapped as the kubelet swaps a Secret volume), and names
// pools by display name (node name + index, or a named identity) in metrics and /health.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { poolIdOf } from "../../src/formats/opcert.ts";
import { readOperationalCertificate } from "../../src/formats/opcert.ts";
import { NodeChain } from "../../src/node/chain.ts";
import { loadNetwork } from "../../src/node/config.ts";
import { readKeyBundle } from "../../src/node/key-bundle.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, runCli } from "../helpers/cli.ts";
import { startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-multikey-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
const POOLS = ["pool1", "pool2", "pool3", "pool4"];

async function start(db: string, bundle: string, nodeName = "mk", extra: string[] = []) {
  const n = await startNode([
    "--config",
    join(devnet, "config.json"),
    "--database-path",
    db,
    "--shelley-key-bundle",
    bundle,
    "--node-name",
    nodeName,
    ...extra,
  ]);
  running.push(n);
  return n;
}

/** Every sample of a labelled series, by its `pool` label. */
async function perPool(node: RunningNode, name: string): Promise<Map<string, number>> {
  const { body } = await node.get("/metrics");
  const out = new Map<string, number>();
  for (const m of body.matchAll(new RegExp(`^${name}\\{pool="([^"]+)"\\} (\\S+)$`, "gm"))) out.set(m[1]!, Number(m[2]));
  return out;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

/** A bundle: the devnet's pool directories (they hold the three files a bundle reads, and more). */
function makeBundle(name: string): string {
  const dir = join(root, name);
  for (const p of POOLS) cpSync(join(devnet, "pools", p), join(dir, p), { recursive: true });
  return dir;
}

before(async () => {
  // Four pools with a quarter of the stake each; 0.1 s slots, f = 1/2: a block about every 0.2 s in all, and
  // often two of the four pools lead the same slot.
  await createDevnet(devnet, {
    pools: 4,
    slotLength: "0.1",
    epochLength: 200,
    activeSlotCoeff: "0.5",
    securityParam: 5,
  });
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("one node, many pools", () => {
  it("forges for all four pools, one block per slot, and counts slots two pools led as lost to the group", async () => {
    const db = join(root, "db-all");
    const node = await start(db, makeBundle("bundle-all"));
    await waitFor(
      "every pool forged and some slot was led by two pools",
      async () => {
        const forged = await perPool(node, "poolfleet_pool_blocks_forged_total");
        const lost = await perPool(node, "poolfleet_pool_slots_lost_to_group_total");
        return (forged.size === 4 && [...forged.values()].every((v) => v > 0) && sum(lost) > 0) || undefined;
      },
      60_000,
    );
    // One scrape, so the figures are of one moment: every led slot was forged, lost to the group, or missed
    // (a loaded machine can stall the slot loop; those slots are counted missed, with a reason).
    const { body } = await node.get("/metrics");
    const total = (name: string) =>
      [...body.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "gm"))].reduce((a, m) => a + Number(m[1]), 0);
    const led = total("poolfleet_pool_slots_led_total");
    const forgedAll = total("poolfleet_pool_blocks_forged_total");
    const lostAll = total("poolfleet_pool_slots_lost_to_group_total");
    const missed = total("poolfleet_leader_slots_missed_total");
    assert.equal(
      led,
      forgedAll + lostAll + missed,
      `led ${led} != forged ${forgedAll} + lost ${lostAll} + missed ${missed}`,
    );
    assert.equal(await node.stop(), 0);
    // The chain: every block validates from genesis, one block per slot, blocks from all four pools.
    const net = loadNetwork(join(devnet, "config.json"));
    const chain = ChainDb.open(db);
    const validator = NodeChain.genesis(net);
    const issuers = new Set<string>();
    let lastSlot = -1n;
    for (let i = 0; i < chain.length; i++) {
      const block = decodeBlock(chain.readBlock(i));
      const r = validator.applyBlock(block);
      assert.ok(r.ok, `block ${i}: ${!r.ok && r.message}`);
      assert.ok(block.header.body.slot > lastSlot, `block ${i} is not in a later slot than the one before`);
      lastSlot = block.header.body.slot;
      issuers.add(bytesToHex(poolIdOf(block.header.body.issuerVkey)));
    }
    chain.close();
    const expected = POOLS.map((p) =>
      bytesToHex(poolIdOf(readOperationalCertificate(join(devnet, "pools", p, "node.cert")).coldVkey)),
    );
    assert.deepEqual([...issuers].sort(), expected.sort());
  });

  it("the log agrees: every pool forged, every slot lost to the group had a block, never two blocks in a slot", async () => {
    const node = await start(join(root, "db-sums"), makeBundle("bundle-sums"));
    await waitFor(
      "20 blocks, some from every pool",
      async () => {
        const f = await perPool(node, "poolfleet_pool_blocks_forged_total");
        return (f.size === 4 && [...f.values()].every((v) => v > 0) && sum(f) >= 20) || undefined;
      },
      60_000,
    );
    await node.stop();
    // After the stop, the log is the complete record of what the node forged and lost.
    const forgedLines = node.logs.filter((l) => l.includes('"forged and adopted block"'));
    const lostLines = node.logs.filter((l) => l.includes("slot lost to the group"));
    const byPool = new Map<string, number>();
    for (const l of forgedLines) {
      const pool = (JSON.parse(l) as { pool: string }).pool;
      byPool.set(pool, (byPool.get(pool) ?? 0) + 1);
    }
    assert.deepEqual([...byPool.keys()].sort(), ["mk-0", "mk-1", "mk-2", "mk-3"]);
    const slotsWithTwo = new Set(lostLines.map((l) => (JSON.parse(l) as { slot: string }).slot));
    const forgedSlots = new Set(forgedLines.map((l) => (JSON.parse(l) as { slot: string }).slot));
    for (const s of slotsWithTwo)
      assert.ok(forgedSlots.has(s), `slot ${s}: lost to the group, yet nothing forged in it`);
    assert.equal(forgedSlots.size, forgedLines.length, "never two blocks in one slot");
  });

  it("a pool with a seeds/003 key mix is refused alone, with its reason; the others forge; SIGHUP takes it back", async () => {
    const bundle = makeBundle("bundle-003");
    const r = await runCli([
      "node",
      "key-gen-KES",
      "--verification-key-file",
      join(root, "other-kes.vkey"),
      "--signing-key-file",
      join(root, "other-kes.skey"),
    ]);
    assert.equal(r.code, 0);
    cpSync(join(root, "other-kes.skey"), join(bundle, "pool2", "kes.skey"));
    const node = await start(join(root, "db-003"), bundle);
    await waitFor("ready", async () => (await node.get("/ready")).status === 200 || undefined);
    const valid = await perPool(node, "poolfleet_pool_keys_valid");
    assert.deepEqual(Object.fromEntries(valid), { "mk-0": 1, "mk-1": 0, "mk-2": 1, "mk-3": 1 });
    assert.equal(await node.metric("poolfleet_forging_enabled"), 1);
    assert.equal(await node.metric("poolfleet_keys_valid"), 0, "not every pool's keys are valid");
    const health = JSON.parse((await node.get("/health")).body);
    assert.equal(health.status, "degraded");
    const refused = health.forging.pools.find((p: { pool: string }) => p.pool === "mk-1");
    assert.equal(refused.enabled, false);
    assert.match(refused.reason, /is NOT the hot key certified by/);
    assert.ok(node.logs.some((l) => l.includes("NOT forging") && l.includes('"pool":"mk-1"')));
    await waitFor(
      "the three good pools forge",
      async () => {
        const f = await perPool(node, "poolfleet_pool_blocks_forged_total");
        return (["mk-0", "mk-2", "mk-3"].every((p) => (f.get(p) ?? 0) > 0) && !f.get("mk-1")) || undefined;
      },
      60_000,
    );
    // Fix the pool's key and SIGHUP: it forges too, without a restart.
    cpSync(join(devnet, "pools", "pool2", "kes.skey"), join(bundle, "pool2", "kes.skey"));
    node.child.kill("SIGHUP");
    await waitFor(
      "mk-1 forges after SIGHUP",
      async () => ((await perPool(node, "poolfleet_pool_blocks_forged_total")).get("mk-1") ?? 0) > 0 || undefined,
      60_000,
    );
    assert.equal(JSON.parse((await node.get("/health")).body).status, "ok");
    // No key byte in anything the node said.
    const skey = JSON.parse(readFileSync(join(root, "other-kes.skey"), "utf8")).cborHex as string;
    assert.ok(!node.logs.some((l) => l.includes(skey.slice(8, 72))), "a KES key reached the log");
    await node.stop();
  });

  it("--watch-keys: a pool re-keyed the way the kubelet updates a Secret volume is taken back without a signal or restart", async () => {
    // The kubelet's layout (AtomicWriter): the files live in a timestamped directory behind the `..data` symlink,
    // each visible entry a symlink through `..data`; an update writes a new directory and renames a new `..data`
    // symlink over the old one, so a reader sees the whole old set or the whole new one.
    const bundle = join(root, "bundle-watched");
    const version = (name: string, pool2Kes: string) => {
      const dir = join(bundle, name);
      for (const p of POOLS) {
        mkdirSync(join(dir, p), { recursive: true });
        for (const f of ["kes.skey", "vrf.skey", "node.cert"]) cpSync(join(devnet, "pools", p, f), join(dir, p, f));
      }
      cpSync(pool2Kes, join(dir, "pool2", "kes.skey"));
      symlinkSync(name, join(bundle, "..data_tmp"));
      renameSync(join(bundle, "..data_tmp"), join(bundle, "..data"));
    };
    mkdirSync(bundle);
    version("..2026_12_08_first", join(root, "other-kes.skey")); // seeds/003's mix for pool2 (made by the test above)
    for (const p of POOLS) symlinkSync(join("..data", p), join(bundle, p));
    const node = await start(join(root, "db-watched"), bundle, "mk", ["--watch-keys", "1"]);
    await waitFor("ready", async () => (await node.get("/ready")).status === 200 || undefined);
    assert.equal((await perPool(node, "poolfleet_pool_keys_valid")).get("mk-1"), 0, "pool2 refused at start");
    const pid = node.child.pid;
    version("..2026_12_08_second", join(devnet, "pools", "pool2", "kes.skey"));
    await waitFor(
      "mk-1 forges after its files changed",
      async () => ((await perPool(node, "poolfleet_pool_blocks_forged_total")).get("mk-1") ?? 0) > 0 || undefined,
      60_000,
    );
    assert.equal(node.child.pid, pid);
    assert.equal(node.child.exitCode, null, "the same process, never restarted");
    assert.equal(node.logs.filter((l) => l.includes("key files changed")).length, 1, "one reload for one swap");
    assert.deepEqual(Object.fromEntries(await perPool(node, "poolfleet_pool_keys_valid")), {
      "mk-0": 1,
      "mk-1": 1,
      "mk-2": 1,
      "mk-3": 1,
    });
    await node.stop();
  });

  it("named identities: the pools an identity lists take its node name; the rest the node's", async () => {
    const bundle = makeBundle("bundle-named");
    writeFileSync(
      join(bundle, "identities.json"),
      JSON.stringify({ identities: [{ identity: "brand-b", nodeName: "beta", pools: ["pool3", "pool1"] }] }),
    );
    assert.deepEqual(
      readKeyBundle(bundle, "gw").map((p) => [p.dir, p.displayName]),
      [
        ["pool1", "beta-1"],
        ["pool2", "gw-0"],
        ["pool3", "beta-0"],
        ["pool4", "gw-1"],
      ],
    );
    const node = await start(join(root, "db-named"), bundle, "gw");
    await waitFor("ready", async () => (await node.get("/ready")).status === 200 || undefined);
    const valid = await perPool(node, "poolfleet_pool_keys_valid");
    assert.deepEqual([...valid.keys()].sort(), ["beta-0", "beta-1", "gw-0", "gw-1"]);
    // A per-pool leader schedule by display name, and a clear 404 for a name the node does not hold.
    const one = JSON.parse((await node.api("/api/leader-schedule?minutes=1&pool=beta-0")).body);
    assert.equal(one.pools.length, 1);
    assert.equal(one.pools[0].pool, "beta-0");
    const bad = await node.api("/api/leader-schedule?minutes=1&pool=nope");
    assert.equal(bad.status, 404);
    assert.match(bad.body, /no pool named \\"nope\\"/);
    await node.stop();
  });
});
