// Issue 15 defect 1: a producer whose chain database sits on a filesystem that fills up (a tmpfs the test mounts,
// so the disk really is full: short writes and ENOSPC from the kernel, no fakes). While full: no block is adopted
// or logged durable, forging stops, /health is 503 "unhealthy" with the reason, /ready 503, the metrics say so,
// and the database (checked read-only with `poolfleet-cli db verify` while the node runs) ends at its last
// complete block with every link intact. When space returns: forging resumes on the last stored block (no gap, no
// self-fork), and every block ever logged durable is still there after a restart. On a full disk at start the
// node is not ready and does not forge, and SIGTERM still exits, leaving the older snapshots whole. A relay on a
// full disk adopts nothing from its producer until space returns, then catches up.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeBlock } from "../../src/chain/block.ts";
import { bytesToHex } from "../../src/crypto/bytes.ts";
import { topologyJson } from "../../src/formats/topology.ts";
import { ChainDb } from "../../src/storage/chain-db.ts";
import { createDevnet, poolKeyArgs, runCli } from "../helpers/cli.ts";
import { freePort, type RunningNode, startNode } from "../helpers/node-process.ts";
import { waitFor } from "../helpers/wait.ts";

const isRoot = process.getuid?.() === 0;
const root = mkdtempSync(join(tmpdir(), "pf-diskfull-"));
const devnet = join(root, "devnet");
const mnt = join(root, "mnt");
const db = join(mnt, "db");
const filler = join(mnt, "filler");
let mounted = false;
const running: RunningNode[] = [];
/** blockNo -> hash of every block a node logged `durable: true`, over all runs. */
const durable = new Map<number, string>();

async function start(extra: string[] = poolKeyArgs(devnet), path = db): Promise<RunningNode> {
  const n = await startNode(["--config", join(devnet, "config.json"), "--database-path", path, ...extra]);
  running.push(n);
  return n;
}

function collectDurable(n: RunningNode): void {
  for (const line of n.logs) {
    if (!line.includes('"durable":true')) continue;
    const e = JSON.parse(line) as { blockNo: string; hash: string };
    const seen = durable.get(Number(e.blockNo));
    // A second durable block with the same number would be a self-fork.
    assert.ok(seen === undefined || seen === e.hash, `block ${e.blockNo} logged durable as ${seen} and ${e.hash}`);
    durable.set(Number(e.blockNo), e.hash);
  }
}

/** Fill the filesystem: big writes until ENOSPC, then smaller ones, down to single bytes (bounded). */
function fillDisk(): void {
  const fd = openSync(filler, "a");
  try {
    for (const size of [65536, 4096, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (let i = 0; i < 100_000; i++) {
        try {
          if (writeSync(fd, chunk) < size) break;
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

const health = async (n: RunningNode) => {
  const r = await n.get("/health");
  return {
    code: r.status,
    body: JSON.parse(r.body) as { status: string; reason?: string; tip: { blockNo: string; hash: string } | null },
  };
};

async function verify(
  config = true,
): Promise<{ code: number; report: { problems: string[]; blocks: number; dataBytes: number } }> {
  const r = await runCli([
    "db",
    "verify",
    "--database-path",
    db,
    ...(config ? ["--config", join(devnet, "config.json")] : []),
    "--output-json",
  ]);
  return { code: r.code ?? -1, report: JSON.parse(r.stdout) };
}

/** Every block logged durable is in the database at its height, with its hash; heights are contiguous. */
function assertDurableKept(): number {
  const chain = ChainDb.open(db);
  try {
    for (let i = 0; i < chain.length; i++) assert.equal(chain.entry(i)!.blockNo, BigInt(i), `height ${i}`);
    for (const [blockNo, hash] of durable) {
      assert.ok(blockNo < chain.length, `block ${blockNo} was logged durable; the database holds ${chain.length}`);
      assert.equal(
        bytesToHex(chain.entry(blockNo)!.hash),
        hash,
        `block ${blockNo} differs from the one logged durable`,
      );
      assert.equal(bytesToHex(decodeBlock(chain.readBlock(blockNo)).header.hash), hash);
    }
    return chain.length;
  } finally {
    chain.close();
  }
}

describe("a node on a disk that fills up", { skip: isRoot ? false : "needs root to mount a tmpfs" }, () => {
  before(async () => {
    await createDevnet(devnet, { slotLength: "0.1", epochLength: 100, activeSlotCoeff: "0.5", securityParam: 5 });
    mkdirSync(mnt);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=768k", "tmpfs", mnt]);
    mounted = true;
  });
  after(async () => {
    for (const n of running) {
      n.child.kill("SIGKILL");
      await n.exited;
    }
    // A lazy unmount when something still holds a file there (a failed test's open database).
    if (mounted) {
      try {
        execFileSync("umount", [mnt]);
      } catch {
        execFileSync("umount", ["-l", mnt]);
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("stops forging while full, says so, keeps the database sound, and resumes without a gap or a fork", async () => {
    const node = await start();
    await waitFor(
      "five blocks",
      async () => ((await node.metric("poolfleet_tip_block")) ?? -1) >= 5 || undefined,
      30_000,
    );
    fillDisk();
    const full = await waitFor(
      "/health unhealthy",
      async () => {
        const h = await health(node);
        return h.code === 503 ? h.body : undefined;
      },
      20_000,
    );
    assert.equal(full.status, "unhealthy");
    assert.match(full.reason!, /storage failed: .*ENOSPC/);
    assert.equal((await node.get("/ready")).status, 503);
    assert.equal(await node.metric("poolfleet_storage_healthy"), 0);
    assert.ok(((await node.metric("poolfleet_storage_failures_total")) ?? 0) > 0);
    // Forging stopped: no block forged or adopted over 20 slots; the tip stays where storage stopped.
    const forged = await node.metric("poolfleet_blocks_forged_total");
    const tip = await node.metric("poolfleet_tip_block");
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await node.metric("poolfleet_blocks_forged_total"), forged);
    assert.equal(await node.metric("poolfleet_tip_block"), tip);
    assert.equal((await health(node)).body.tip!.blockNo, String(tip));
    // Read-only check of the live database: it ends at its last complete block, every link intact.
    const live = await verify();
    assert.deepEqual(live.report.problems, []);
    assert.equal(live.code, 0);
    assert.equal(live.report.blocks, tip! + 1, "the database holds exactly the chain in memory");
    collectDurable(node);
    assert.equal(Math.max(...durable.keys()), tip, "the last block logged durable is the tip");

    rmSync(filler);
    await waitFor("/health ok again", async () => (await health(node)).code === 200 || undefined, 20_000);
    assert.equal(await node.metric("poolfleet_storage_healthy"), 1);
    assert.ok(node.logs.some((l) => l.includes("storage writable again")));
    await waitFor(
      "forging resumed",
      async () => ((await node.metric("poolfleet_blocks_forged_total")) ?? 0) >= forged! + 3 || undefined,
      30_000,
    );
    assert.equal(await node.stop(), 0);
    collectDurable(node);
    assert.deepEqual((await verify()).report.problems, []);
    const blocks = assertDurableKept();
    assert.ok(blocks >= tip! + 4, `${blocks} blocks after recovery, ${tip! + 1} before`);

    // A restart loses nothing logged durable and forges on from the stored tip.
    const again = await start();
    await waitFor(
      "forging after restart",
      async () => ((await again.metric("poolfleet_tip_block")) ?? -1) >= blocks + 1 || undefined,
      30_000,
    );
    assert.equal(await again.stop(), 0);
    collectDurable(again);
    assertDurableKept();
    assert.equal((await verify()).code, 0);
  });

  it("on a full disk at start it is not ready and does not forge, and SIGTERM exits leaving the snapshots whole", async () => {
    const snapshots = join(db, "snapshots");
    const earlier = readdirSync(snapshots).filter((f) => f.endsWith(".json"));
    assert.ok(earlier.length > 0, "the first run left snapshots");
    fillDisk();
    const node = await start();
    await waitFor("/health", async () => (await health(node)).code === 503 || undefined, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await node.get("/ready")).status, 503);
    assert.equal(await node.metric("poolfleet_blocks_forged_total"), 0);
    assert.equal(await node.metric("poolfleet_storage_healthy"), 0);
    node.child.kill("SIGTERM");
    const code = await Promise.race([node.exited, new Promise((r) => setTimeout(() => r("hung"), 15_000))]);
    assert.notEqual(code, "hung", "SIGTERM did not stop the node on a full disk");
    assert.equal(code, 1, "a stop whose final snapshot failed exits 1");
    assert.ok(node.logs.some((l) => l.includes("stopping: writing the final snapshot") && l.includes("ENOSPC")));
    // The older snapshots are whole and no temporary file was left behind.
    const left = readdirSync(snapshots);
    assert.deepEqual(
      left.filter((f) => f.endsWith(".tmp")),
      [],
    );
    for (const f of left) JSON.parse(readFileSync(join(snapshots, f), "utf8"));
    for (const f of earlier) assert.ok(left.includes(f), `${f} survived`);
    rmSync(filler);
    assertDurableKept();
    assert.equal((await verify()).code, 0);
  });

  it("a relay on a full disk adopts nothing from its producer until space returns, then catches up", async () => {
    const port = await freePort();
    const producer = await start([...poolKeyArgs(devnet), "--port", String(port)], join(root, "producer-db"));
    writeFileSync(join(root, "topology.json"), topologyJson([{ address: "127.0.0.1", port }]));
    const relayDb = join(mnt, "relay-db");
    const relay = await start(["--topology", join(root, "topology.json")], relayDb);
    const tipOf = async (n: RunningNode) => (await health(n)).body.tip;
    await waitFor(
      "the relay follows",
      async () => Number((await tipOf(relay))?.blockNo ?? -1) >= 3 || undefined,
      30_000,
    );
    fillDisk();
    await waitFor("relay /health unhealthy", async () => (await health(relay)).code === 503 || undefined, 20_000);
    const stuck = (await tipOf(relay))!;
    const at = Number((await tipOf(producer))!.blockNo);
    await waitFor(
      "the producer forges on",
      async () => Number((await tipOf(producer))!.blockNo) >= at + 5 || undefined,
      30_000,
    );
    assert.deepEqual(await tipOf(relay), stuck, "the relay adopted nothing while its disk was full");
    assert.equal((await relay.get("/ready")).status, 503);
    const live = await runCli(["db", "verify", "--database-path", relayDb, "--config", join(devnet, "config.json")]);
    assert.equal(live.code, 0, live.stdout);
    assert.match(live.stdout, new RegExp(`sound: ${Number(stuck.blockNo) + 1} blocks`));
    rmSync(filler);
    await waitFor(
      "the relay catches up with the producer",
      async () => {
        const [r, p] = [await tipOf(relay), await tipOf(producer)];
        return (r && p && r.hash === p.hash && Number(r.blockNo) > Number(stuck.blockNo) + 5) || undefined;
      },
      60_000,
    );
    assert.equal((await health(relay)).code, 200);
    assert.equal(await relay.stop(), 0);
    assert.equal(await producer.stop(), 0);
    const after = await runCli(["db", "verify", "--database-path", relayDb, "--config", join(devnet, "config.json")]);
    assert.equal(after.code, 0, after.stdout);
  });
});
