// Backup producers and the fence, as processes on loopback (seeds/002's redundancy levels, issue 16): a backup at
// level 1 holding a superset of the main's pools takes over each pool alone after exactly k of that pool's leader
// slots went without its block; the seed's own example (the main lacks key e) works; a main frozen with SIGSTOP
// loses its pool to the backup only after its lease lapsed, and on waking does not forge one block for it.
// Judged from the nodes' own logs (every forged block is logged with its pool id and slot) and their chains.
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { poolIdOf, readOperationalCertificate } from "../../src/formats/opcert.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { createDevnet } from "../helpers/cli.ts";
import { freePort, startNode, type RunningNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const root = mkdtempSync(join(tmpdir(), "pf-fallback-"));
const devnet = join(root, "devnet");
const running: RunningNode[] = [];
const K = 3;
const poolId = (p: string) =>
  bytesToHex(poolIdOf(readOperationalCertificate(join(devnet, "pools", p, "node.cert")).coldVkey));

function bundle(name: string, pools: string[]): string {
  const dir = join(root, name);
  for (const p of pools) cpSync(join(devnet, "pools", p), join(dir, p), { recursive: true });
  return dir;
}

interface Forged {
  poolId: string;
  slot: bigint;
}
const forgedBy = (node: RunningNode, from = 0): Forged[] =>
  node.logs
    .slice(from)
    .filter((l) => l.includes('"forged and adopted block"'))
    .map((l) => JSON.parse(l) as { poolId: string; slot: string })
    .map((r) => ({ poolId: r.poolId, slot: BigInt(r.slot) }));
const takeovers = (node: RunningNode) =>
  node.logs
    .filter((l) => l.includes('"taking over the pool'))
    .map((l) => JSON.parse(l) as { pool: string; missesInARow: number });

/** A main and a backup on loopback, each the other's local root, sharing one lease directory. */
async function pair(name: string, mainPools: string[], backupPools: string[]) {
  const home = join(root, name);
  mkdirSync(home);
  const ports = [await freePort(), await freePort()];
  const leases = join(home, "leases");
  const nodes: RunningNode[] = [];
  for (const [i, role] of (["main", "backup"] as const).entries()) {
    const topology = join(home, `${role}-topology.json`);
    writeFileSync(topology, topologyJson([{ address: "127.0.0.1", port: ports[1 - i]! }]));
    const node = await startNode([
      "--config",
      join(devnet, "config.json"),
      "--database-path",
      join(home, `${role}-db`),
      "--topology",
      topology,
      "--port",
      String(ports[i]),
      "--shelley-key-bundle",
      bundle(`${name}-${role}-keys`, role === "main" ? mainPools : backupPools),
      "--node-name",
      role,
      "--redundancy-level",
      role === "main" ? "0" : "1",
      "--takeover-after-missed-slots",
      String(K),
      "--pool-lease-dir",
      leases,
      "--pool-lease-seconds",
      "1",
    ]);
    running.push(node);
    nodes.push(node);
  }
  return { main: nodes[0]!, backup: nodes[1]! };
}

/** No pool has blocks from both nodes in one slot, and a pool's blocks move from one node to the other at most once. */
function assertOneForgerPerPool(main: Forged[], backup: Forged[]): void {
  const seen = new Set<string>();
  for (const f of [...main, ...backup]) {
    const key = `${f.poolId}@${f.slot}`;
    assert.ok(!seen.has(key), `two blocks for pool ${f.poolId} in slot ${f.slot}`);
    seen.add(key);
  }
  for (const id of new Set(backup.map((f) => f.poolId))) {
    const lastMain = main.filter((f) => f.poolId === id).reduce((m, f) => (f.slot > m ? f.slot : m), -1n);
    const firstBackup = backup.filter((f) => f.poolId === id).reduce((m, f) => (f.slot < m ? f.slot : m), 1n << 62n);
    assert.ok(
      lastMain < firstBackup,
      `pool ${id}: the main forged in slot ${lastMain}, after the backup began at ${firstBackup}`,
    );
  }
}

before(async () => {
  // Four pools with a quarter of the stake each, 0.1 s slots, f = 1/2: each pool leads about one slot in six.
  await createDevnet(devnet, {
    pools: 4,
    slotLength: "0.1",
    epochLength: 300,
    activeSlotCoeff: "0.5",
    securityParam: 10,
  });
});
after(() => {
  for (const n of running) n.child.kill("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("backup producers and pool leases", () => {
  it("seeds/002's example: the main lacks key e; the backup forges for e alone after k misses, and for all once the main dies", async () => {
    const { main, backup } = await pair("e", ["pool1", "pool2", "pool3"], ["pool1", "pool2", "pool3", "pool4"]);
    const e = poolId("pool4");
    await waitFor(
      "the backup forges for e",
      async () => forgedBy(backup).some((f) => f.poolId === e) || undefined,
      90_000,
    );
    const took = takeovers(backup);
    assert.equal(took.length, 1, `only e is taken over while the main runs: ${JSON.stringify(took)}`);
    assert.equal(took[0]!.pool, "backup-3");
    assert.equal(took[0]!.missesInARow, K, "after exactly k missed leader slots");
    await waitFor(
      "the main forges for its three pools",
      async () => new Set(forgedBy(main).map((f) => f.poolId)).size === 3 || undefined,
      60_000,
    );
    assert.ok(
      forgedBy(backup).every((f) => f.poolId === e),
      "the backup forges nothing but e while the main runs",
    );
    // The main dies: each of its pools moves to the backup after k of that pool's missed leader slots.
    await main.kill9();
    await waitFor(
      "the backup forges for all four pools",
      async () => new Set(forgedBy(backup).map((f) => f.poolId)).size === 4 || undefined,
      120_000,
    );
    const all = takeovers(backup);
    assert.deepEqual(all.map((t) => t.pool).sort(), ["backup-0", "backup-1", "backup-2", "backup-3"]);
    for (const t of all) assert.equal(t.missesInARow, K);
    assertOneForgerPerPool(forgedBy(main), forgedBy(backup));
    await backup.stop();
  });

  it("a frozen main loses its pool only after its lease lapsed, and on waking forges not one block for it", async () => {
    const { main, backup } = await pair(
      "freeze",
      ["pool1", "pool2", "pool3", "pool4"],
      ["pool1", "pool2", "pool3", "pool4"],
    );
    await waitFor("the main forges", async () => forgedBy(main).length >= 5 || undefined, 60_000);
    assert.equal(takeovers(backup).length, 0, "a healthy main keeps its pools");
    main.child.kill("SIGSTOP");
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300)); // what the main wrote before the stop has arrived
    const mainLinesAtStop = main.logs.length;
    await waitFor("the backup takes over every pool", async () => takeovers(backup).length === 4 || undefined, 120_000);
    // The lease is 1 s (margin 1/3 s): no takeover can come sooner than that after the freeze.
    assert.ok(Date.now() - stoppedAt > 1_333);
    // Taking a pool over makes the backup want its lease; it forges once it holds it, a moment later.
    await waitFor(
      "the backup forges for all four",
      async () => new Set(forgedBy(backup).map((f) => f.poolId)).size === 4 || undefined,
      60_000,
    );
    assert.ok(forgedBy(backup)[0], "the backup forged");
    main.child.kill("SIGCONT");
    // The main wakes with its windows closed: it must win a new lease write first, and the backup holds them.
    await waitFor(
      "the main sees the backup holds its pools",
      async () =>
        main.logs.slice(mainLinesAtStop).some((l) => l.includes("another node holds the pool's lease")) || undefined,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 3_000)); // thirty slots in which the main's pools lead several times
    assert.deepEqual(forgedBy(main, mainLinesAtStop), [], "the woken main forged for a pool it no longer holds");
    const health = JSON.parse((await main.get("/health")).body);
    for (const p of health.forging.pools) assert.equal(p.forgingNow, false, `${p.pool} would forge`);
    assertOneForgerPerPool(forgedBy(main), forgedBy(backup));
    await main.stop();
    await backup.stop();
  });
});
