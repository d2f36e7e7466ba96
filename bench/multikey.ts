// Multikey bench (issue 16): one node holding 32 pools, seeds/002's most per group. In process, the node's own
// parts: a `genesis create --pools 32` devnet with mainnet's shape (1 s slots, f = 0.05, 432000-slot epochs,
// 129600 slots per KES period), the real Forger over a real ChainStore on disk, with the 32-pool key bundle.
//   - leader checks: Forger.leadSlot over N consecutive slots (every pool's VRF proof and leader check each slot,
//     and the blocks the group leads forged, validated and stored), CPU time per slot from process.cpuUsage;
//   - memory: RSS and heap with the 32 pools loaded, after the slots;
//   - schedules: Forger.leaderSchedule for all 32 pools over a mainnet epoch (432000 slots), what
//     /api/leader-schedule runs. Single-threaded and about 13.8 million VRF evaluations, so --schedule-slots can
//     bound it: the time is then measured over that many slots and scaled to 432000, and says so.
// Standalone: node bench/multikey.ts [--slots N] [--schedule-slots N]; npm run bench runs it too (--skip-multikey).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { main as cli } from "../src/cli/main.ts";
import { Mempool } from "../src/ledger/mempool.ts";
import { ChainStore } from "../src/node/chain-store.ts";
import { loadNetwork } from "../src/node/config.ts";
import { Forger } from "../src/node/forger.ts";
import { createMetrics } from "../src/node/metrics.ts";
import { PoolGuards } from "../src/node/pool-guard.ts";

const POOLS = 32;
const EPOCH = 432_000;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

export async function benchMultikey(slots: number, scheduleSlots: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "pf-bench-multikey-"));
  try {
    const devnet = join(root, "devnet");
    const quiet = { out() {}, err: (l: string) => console.error(l), stderrIsTTY: false, progress() {} };
    // The slots driven below are in the past when they are checked (a block from the future would be refused).
    const start = new Date(Math.floor(Date.now() / 1000) * 1000 - (slots + 60) * 1000);
    const argv = ["genesis", "create", "--pools", String(POOLS), "--out-dir", devnet, "--slot-length", "1"];
    argv.push("--epoch-length", String(EPOCH), "--active-slot-coeff", "0.05", "--security-param", "2160");
    argv.push("--slots-per-kes-period", "129600", "--start-time", start.toISOString().replace(/\.\d{3}Z$/, "Z"));
    if ((await cli(argv, quiet)) !== 0) throw new Error("genesis create failed");
    const rssBefore = process.memoryUsage().rss;

    const net = loadNetwork(join(devnet, "config.json"));
    const store = ChainStore.open(net, join(root, "db"));
    const log = pino({ level: "silent" });
    const metrics = createMetrics();
    const forger = new Forger({
      network: net,
      store: () => store,
      mempool: new Mempool(2 * net.ledgerParams.maxBlockBodySize),
      metrics,
      log,
      now: () => Date.now(),
      guards: new PoolGuards({ standby: { level: 0, missesPerLevel: 3, graceSlots: 5 } }, log),
      adopted: () => {},
    });
    forger.load({ kind: "bundle", dir: join(devnet, "pools"), nodeName: "bench" });
    const forging = forger.pools.filter((p) => p.gate.forging).length;
    if (forging !== POOLS) throw new Error(`only ${forging} of ${POOLS} pools passed the gate`);
    const rssLoaded = process.memoryUsage().rss;

    for (let s = 1n; s <= 5n; s++) forger.leadSlot(s); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let s = 6n; s < 6n + BigInt(slots); s++) forger.leadSlot(s);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    const cpuMsPerSlot = (cpu.user + cpu.system) / 1000 / slots;
    const forged = store.length;
    console.log(
      `${"leader checks, 32 pools".padEnd(28)}${cpuMsPerSlot.toFixed(1).padStart(9)} ms CPU/slot ` +
        `(${(wall / slots).toFixed(1)} ms wall; ${slots} slots, ${forged} blocks forged; ` +
        `${((cpuMsPerSlot / 1000) * 100).toFixed(1)}% of a core at 1 s slots)`,
    );
    const mem = process.memoryUsage();
    console.log(
      `${"memory, 32 pools".padEnd(28)}${mb(mem.rss).padStart(9)} RSS (heap ${mb(mem.heapUsed)}; ` +
        `${mb(rssLoaded - rssBefore)} more once the pools were loaded; bench process, in-process node)`,
    );

    const slotMs = net.clock.timeOfSlot(1) - net.clock.timeOfSlot(0);
    const counted = Math.min(scheduleSlots, EPOCH);
    const cpu1 = process.cpuUsage();
    const t1 = performance.now();
    const schedule = forger.leaderSchedule((counted * slotMs) / 60_000);
    const seconds = (performance.now() - t1) / 1000;
    const used = process.cpuUsage(cpu1);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (!schedule.complete) throw new Error("the schedule is incomplete: the slots left the known epochs");
    const examined = "slotsExamined" in schedule ? schedule.slotsExamined : counted;
    const perEpoch = (x: number) => ((x * EPOCH) / examined).toFixed(0);
    const scaled = examined < EPOCH ? `measured over ${examined} slots and scaled; ` : "";
    // CPU time is the steadier figure on a shared machine; wall time is what a caller of the API waits.
    console.log(
      `${"schedules, 32 pools, epoch".padEnd(28)}${perEpoch(cpuSeconds).padStart(9)} s CPU for ${EPOCH} slots ` +
        `(${perEpoch(seconds)} s wall; ${scaled}${schedule.slots.length} leader slots; ` +
        `${Math.round((POOLS * examined) / cpuSeconds)} VRF evaluations per CPU second, 1 thread)`,
    );
    forger.wipe();
    store.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i < 0 ? fallback : Number(args[i + 1]) || fallback;
  };
  if (args.includes("--help")) {
    console.log("node bench/multikey.ts [--slots N (default 600)] [--schedule-slots N (default 432000)]");
  } else {
    console.log(`multikey: one node holding ${POOLS} pools (mainnet shape: 1 s slots, f = 0.05)...`);
    await benchMultikey(opt("--slots", 600), opt("--schedule-slots", EPOCH));
  }
}
