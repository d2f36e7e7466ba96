// Multikey bench (issue 16): one node holding 32 pools, seeds/002's most per group. In process, the node's own
// parts: a `genesis create --pools 32` devnet with mainnet's shape (1 s slots, f = 0.05, 432000-slot epochs,
// 129600 slots per KES period), the real Forger over a real ChainStore on disk, with the 32-pool key bundle.
//   - leader checks: Forger.leadSlot over N consecutive slots (every pool's VRF proof and leader check each slot,
//     and the blocks the group leads forged, validated and stored), CPU time per slot from process.cpuUsage;
//   - memory: RSS and heap with the 32 pools loaded, after the slots;
//   - a real poolfleet-node process with the 32-pool bundle on the same genesis: its RSS and CPU per slot while it
//     forges, read from /proc (the whole node: leader checks, forging, timers, HTTP); then its API's longest
//     schedule request (/api/leader-schedule?minutes=120, all pools), timed, with the slots the node checked
//     meanwhile (the schedule is computed on the node's only thread);
//   - schedules: Forger.leaderSchedule for all 32 pools over a mainnet epoch (432000 slots), what
//     /api/leader-schedule runs. Single-threaded and about 13.8 million VRF evaluations, so --schedule-slots can
//     bound it: the time is then measured over that many slots and scaled to 432000, and says so.
// Standalone: node bench/multikey.ts [--slots N] [--schedule-slots N]; npm run bench runs it too (--skip-multikey).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pino from "pino";
import { freePort } from "../src/cli/devnet/processes.ts";
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
    forger.keys.load({ kind: "bundle", dir: join(devnet, "pools"), nodeName: "bench" });
    const forging = forger.keys.list.filter((p) => p.gate.forging).length;
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
    const schedule = (await forger.leaderSchedule((counted * slotMs) / 60_000)) as {
      complete: boolean;
      slotsExamined?: number;
      slots: unknown[];
    };
    const seconds = (performance.now() - t1) / 1000;
    const used = process.cpuUsage(cpu1);
    const cpuSeconds = (used.user + used.system) / 1e6;
    if (!schedule.complete) throw new Error("the schedule is incomplete: the slots left the known epochs");
    const examined = schedule.slotsExamined ?? counted;
    const perEpoch = (x: number) => ((x * EPOCH) / examined).toFixed(0);
    const scaled = examined < EPOCH ? `measured over ${examined} slots and scaled; ` : "";
    // CPU time is the steadier figure on a shared machine; wall time is what a caller of the API waits.
    console.log(
      `${"schedules, 32 pools, epoch".padEnd(28)}${perEpoch(cpuSeconds).padStart(9)} s CPU for ${EPOCH} slots ` +
        `(${perEpoch(seconds)} s wall; ${scaled}${schedule.slots.length} leader slots; ` +
        `${Math.round((POOLS * examined) / cpuSeconds)} VRF evaluations per CPU second, 1 thread)`,
    );
    forger.keys.wipe();
    store.close();
    await nodeProcess(devnet, root, net.clock.slotAt(Date.now()));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** utime + stime of a process in seconds, from /proc/PID/stat (fields 14 and 15, after the command's ")"). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 Hz on Linux
}

/** A real poolfleet-node holding the 32 pools: RSS and CPU per slot over 30 slots of forging. */
async function nodeProcess(devnet: string, root: string, firstSlot: number): Promise<void> {
  const bin = fileURLToPath(new URL("../bin/poolfleet-node.js", import.meta.url));
  const metrics = await freePort();
  const api = await freePort();
  const args = ["run", "--config", join(devnet, "config.json"), "--database-path", join(root, "node-db")];
  args.push(
    "--metrics-port",
    String(metrics),
    "--api-port",
    String(api),
    "--port",
    "0",
    "--shelley-key-bundle",
    join(devnet, "pools"),
  );
  const child = spawn(process.execPath, [bin, ...args, "--node-name", "bench"], { stdio: "ignore" });
  try {
    const ready = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${metrics}/ready`)).status === 200;
      } catch {
        return false;
      }
    };
    const until = Date.now() + 60_000;
    while (!(await ready())) {
      if (Date.now() > until || child.exitCode !== null) throw new Error("poolfleet-node did not get ready");
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3000)); // past start-up
    const cpu0 = cpuSecondsOf(child.pid!);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 30_000));
    const cpu = cpuSecondsOf(child.pid!) - cpu0;
    const slots = (Date.now() - t0) / 1000; // 1 s slots
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
    const sample = async (name: string) => {
      const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN);
    };
    const forged = await sample("poolfleet_blocks_forged_total");
    console.log(
      `${"node process, 32 pools".padEnd(28)}${((cpu * 1000) / slots).toFixed(1).padStart(9)} ms CPU/slot, ` +
        `${(rssKb / 1024).toFixed(0)} MB RSS (poolfleet-node with the bundle, ${slots.toFixed(0)} slots from slot ` +
        `${firstSlot}; ${forged} blocks forged since start)`,
    );
    const checks0 = await sample("poolfleet_leader_checks_total");
    const t1 = Date.now();
    const res = await fetch(`http://127.0.0.1:${api}/api/leader-schedule?minutes=120`);
    const body = (await res.json()) as { slots?: unknown[] };
    const seconds = (Date.now() - t1) / 1000;
    const checked = (await sample("poolfleet_leader_checks_total")) - checks0;
    if (res.status !== 200) throw new Error(`/api/leader-schedule answered ${res.status}`);
    console.log(
      `${"node: schedule, 120 min".padEnd(28)}${seconds.toFixed(1).padStart(9)} s for the API's longest request ` +
        `(32 pools × 7200 slots, ${body.slots?.length} leader slots); the node checked ${checked} of the ` +
        `${Math.round(seconds)} slots meanwhile`,
    );
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await new Promise((r) => child.once("exit", r));
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
