// `devnet up | status | down`: a whole local fleet — per pool one producer behind its relays — as poolfleet-node
// processes on loopback, with no cluster. `up` creates the genesis (or reuses the devnet already in --dir),
// starts every node, shows a live status table until Ctrl-C or --duration, then stops them cleanly; with
// --detach it leaves them running for `devnet status` and `devnet down`. With --multikey the devnet is one group
// producer holding every pool (and with --backup a backup that takes pools over), and `devnet stop-node` stops or
// freezes one node so a person can watch a takeover.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "../../formats/errors.ts";
import type { Command, Flags, Output } from "../command.ts";
import { MAX_GROUP_POOLS, MULTIKEY_FLAGS, multikeyShape } from "../devnet/multikey-flags.ts";
import {
  type DevnetPlan,
  devnetPaths,
  nodeArgs,
  nodeCount,
  planDevnet,
  planMultikeyDevnet,
  topologyFor,
} from "../devnet/plan.ts";
import { poolStatus, poolTable } from "../devnet/pool-status.ts";
import { freePort, isFrozen, removePidFile, runningPid, startNodeProcess, stopProcess } from "../devnet/processes.ts";
import { rotateKes } from "../devnet/rotate-kes.ts";
import { devnetStatus, statusTable } from "../devnet/status.ts";
import { createDevnetFromOptions, devnetOptions, GENESIS_FLAGS, writeDevnet } from "./genesis.ts";

const DIR_FLAG = { type: "string", value: "DIR", description: "the devnet's directory (default ./devnet)" } as const;
const dirOf = (flags: Flags) => flags.optionalString("dir") ?? "devnet";

function readPlan(dir: string): DevnetPlan {
  const file = devnetPaths(dir).plan;
  let plan: DevnetPlan;
  try {
    plan = JSON.parse(readFileSync(file, "utf8")) as DevnetPlan;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(
      file,
      code === "ENOENT" ? "not found: no devnet here (start one with poolfleet-cli devnet up)" : "is not a devnet plan",
    );
  }
  if (plan.version !== 1 || !Array.isArray(plan.nodes)) throw new InputError(file, "is not a devnet plan (version 1)");
  return plan;
}

function running(dir: string, plan: DevnetPlan): string[] {
  return plan.nodes.filter((n) => runningPid(devnetPaths(dir).pid(n.name)) !== null).map((n) => n.name);
}

/** Parse "90", "90s", "5m" or "1h" as milliseconds. */
export function parseDuration(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!m) throw new InputError(where, `"${text}" is not a duration (e.g. 90, 90s, 5m, 1h)`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "s" | "m" | "h"];
}

async function stopAll(dir: string, plan: DevnetPlan, io: Output): Promise<void> {
  // Producers first, so no block is forged that its relays never see; then relays.
  const order = [...plan.nodes].sort((a, b) => (a.role === b.role ? 0 : a.role === "producer" ? -1 : 1));
  for (const node of order) {
    const pidFile = devnetPaths(dir).pid(node.name);
    const pid = runningPid(pidFile);
    if (pid !== null) {
      const clean = await stopProcess(pid);
      io.out(`${node.name}: ${clean ? "stopped" : "did not stop in time; killed"}`);
    }
    removePidFile(pidFile);
  }
}

async function waitReady(plan: DevnetPlan, timeoutMs: number): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let pending = plan.nodes.map((n) => n);
  while (pending.length > 0 && Date.now() < end) {
    const still = [];
    for (const n of pending) {
      try {
        const res = await fetch(`http://${plan.host}:${n.metricsPort}/ready`, { signal: AbortSignal.timeout(500) });
        if (res.status !== 200) still.push(n);
      } catch {
        still.push(n);
      }
    }
    pending = still;
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return pending.map((n) => n.name);
}

export const devnetUp: Command = {
  path: ["devnet", "up"],
  summary: "run a local devnet: per pool one producer behind its relays, as processes on loopback",
  flags: {
    pools: { type: "string", value: "N", description: "stake pools (default 1)" },
    "relays-per-pool": {
      type: "string",
      value: "M",
      description: "relays in front of each producer (with --multikey: of the group; default 2)",
    },
    dir: DIR_FLAG,
    duration: { type: "string", value: "T", description: "stop after T (e.g. 90s, 5m); default: until Ctrl-C" },
    detach: { type: "boolean", description: "start the nodes and leave them running (see devnet status, devnet down)" },
    ...MULTIKEY_FLAGS,
    ...GENESIS_FLAGS,
  },
  example: "poolfleet-cli devnet up --pools 2 --relays-per-pool 2 --dir ./devnet",
  async run(flags, io) {
    const dir = dirOf(flags);
    const paths = devnetPaths(dir);
    const durationText = flags.optionalString("duration");
    const duration = durationText === undefined ? undefined : parseDuration(durationText, "--duration");
    const multikey = multikeyShape(flags);
    let plan: DevnetPlan;
    if (existsSync(paths.plan)) {
      plan = readPlan(dir);
      const alive = running(dir, plan);
      if (alive.length > 0)
        throw new InputError(dir, `devnet already running (${alive.join(", ")}): see devnet status, or devnet down`);
      io.out(
        plan.multikey
          ? `reusing the multikey devnet in ${dir} (${plan.pools} pools on ${plan.multikey.backup ? "a main and a backup" : "one producer"}, ${plan.relaysPerPool} relays)`
          : `reusing the devnet in ${dir} (${plan.pools} pools, ${plan.relaysPerPool} relays each)`,
      );
    } else {
      if (existsSync(dir) && readdirSync(dir).length > 0)
        throw new InputError(dir, "exists and is not a devnet directory; choose another --dir");
      const pools = flags.optionalNatural("pools") ?? 1;
      const relays = flags.optionalNatural("relays-per-pool") ?? 2;
      const most = multikey ? MAX_GROUP_POOLS : 20;
      if (pools < 1 || pools > most)
        throw new InputError("--pools", `must be between 1 and ${most}${multikey ? " (one group)" : ""}`);
      if (relays > 10) throw new InputError("--relays-per-pool", "must be at most 10");
      const devnet = createDevnetFromOptions(devnetOptions(flags, pools));
      writeDevnet(paths.genesis, devnet);
      const ports: number[] = [];
      // Three ports a node: node-to-node, metrics, API.
      for (let i = 0; i < nodeCount(pools, relays, multikey) * 3; i++) {
        let port = await freePort();
        while (ports.includes(port)) port = await freePort();
        ports.push(port);
      }
      const next = () => ports.shift()!;
      plan = multikey ? planMultikeyDevnet(pools, relays, multikey, next) : planDevnet(pools, relays, next);
      for (const node of plan.nodes) {
        mkdirSync(paths.nodeDir(node.name), { recursive: true });
        writeFileSync(join(paths.nodeDir(node.name), "topology.json"), topologyFor(plan, node));
      }
      writeFileSync(paths.plan, `${JSON.stringify(plan, null, 2)}\n`);
      io.out(
        multikey
          ? `created a multikey devnet in ${dir}: ${pools} pool(s) on ${multikey.backup ? "a main and a backup producer" : "one producer"}, ${relays} relay(s)`
          : `created a devnet in ${dir}: ${pools} pool(s), ${relays} relay(s) each`,
      );
    }
    for (const node of plan.nodes) {
      const pid = startNodeProcess(nodeArgs(dir, plan, node), paths.log(node.name), paths.pid(node.name));
      io.out(
        `${node.name}: started (pid ${pid}, node-to-node ${plan.host}:${node.port}, metrics :${node.metricsPort}` +
          `${node.apiPort !== undefined ? `, api :${node.apiPort}` : ""})`,
      );
    }
    const late = await waitReady(plan, 60_000);
    if (late.length > 0) {
      io.err(`not ready after 60 s: ${late.join(", ")} (logs in ${join(dir, "logs")}); stopping the devnet`);
      await stopAll(dir, plan, io);
      return 1;
    }
    if (flags.boolean("detach")) {
      io.out(`devnet running in the background: poolfleet-cli devnet status --dir ${dir}; stop with devnet down`);
      return 0;
    }
    return watch(dir, plan, io, duration);
  },
};

/** Show the status table until Ctrl-C, SIGTERM or the duration ends; then stop every node. */
async function watch(dir: string, plan: DevnetPlan, io: Output, duration: number | undefined): Promise<number> {
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = () => stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const timer = duration === undefined ? null : setTimeout(stop, duration);
  const tty = Boolean(process.stdout.isTTY);
  io.out(duration === undefined ? "press Ctrl-C to stop the devnet" : `running for ${duration / 1000} s`);
  try {
    for (let done = false; !done;) {
      const rows = await devnetStatus(dir, plan);
      const lines = [...statusTable(rows), ...(await poolLines(dir, plan))];
      if (tty) process.stdout.write("\x1b[H\x1b[2J");
      io.out(`devnet ${dir} — ${new Date().toISOString()}`);
      for (const line of lines) io.out(line);
      done = await Promise.race([
        stopped.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), tty ? 1000 : 5000)),
      ]);
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    io.out("stopping the devnet…");
    await stopAll(dir, plan, io);
  }
  return 0;
}

/** A multikey devnet's per-pool table (which producer forges each pool now), after a blank line. */
async function poolLines(dir: string, plan: DevnetPlan): Promise<string[]> {
  if (!plan.multikey) return [];
  const producers = plan.nodes.filter((n) => n.role === "producer").map((n) => n.name);
  return ["", ...poolTable(await poolStatus(dir, plan), producers)];
}

export const devnetStatusCommand: Command = {
  path: ["devnet", "status"],
  summary: "every devnet node: role, pid, ports, tip, peers, blocks forged, opcert counter, KES periods left",
  flags: {
    dir: DIR_FLAG,
    "output-json": { type: "boolean", description: "print JSON instead of a table" },
  },
  example: "poolfleet-cli devnet status --dir ./devnet --output-json",
  async run(flags, io) {
    const dir = dirOf(flags);
    const plan = readPlan(dir);
    const rows = await devnetStatus(dir, plan);
    const pools = plan.multikey ? await poolStatus(dir, plan) : undefined;
    if (flags.boolean("output-json")) io.out(JSON.stringify({ dir, nodes: rows, ...(pools && { pools }) }, null, 2));
    else for (const line of [...statusTable(rows), ...(await poolLines(dir, plan))]) io.out(line);
    return 0;
  },
};

export const devnetDown: Command = {
  path: ["devnet", "down"],
  summary: "stop every node of a devnet (SIGTERM, then SIGKILL after 10 s); the chain stays for the next up",
  flags: { dir: DIR_FLAG },
  example: "poolfleet-cli devnet down --dir ./devnet",
  async run(flags, io) {
    const dir = dirOf(flags);
    const plan = readPlan(dir);
    if (running(dir, plan).length === 0) io.out("no devnet node is running");
    await stopAll(dir, plan, io);
    return 0;
  },
};

export const devnetRotateKes: Command = {
  path: ["devnet", "rotate-kes"],
  summary: "rotate a devnet pool's KES key: new key, next opcert, the rotation gate, atomic swap, SIGHUP",
  positionals: [{ name: "POOL", description: "the pool, as devnet status names it (pool1, pool2, ...)" }],
  flags: {
    dir: DIR_FLAG,
    "kes-key": {
      type: "string",
      value: "FILE",
      description: "deploy this KES signing key instead of making one (with --op-cert; e.g. signed offline)",
    },
    "op-cert": { type: "string", value: "FILE", description: "the operational certificate for --kes-key" },
  },
  example: "poolfleet-cli devnet rotate-kes pool1 --dir ./devnet",
  async run(flags, io) {
    const pool = flags.positional(0);
    const dir = dirOf(flags);
    const kesKeyFile = flags.optionalString("kes-key");
    const opcertFile = flags.optionalString("op-cert");
    if ((kesKeyFile === undefined) !== (opcertFile === undefined))
      throw new InputError(kesKeyFile ? "--op-cert" : "--kes-key", "--kes-key and --op-cert go together");
    const bring = kesKeyFile && opcertFile ? { kesKeyFile, opcertFile } : undefined;
    if (readPlan(dir).multikey)
      throw new InputError(dir, "rotate-kes rotates a single-pool devnet's producer; this is a multikey devnet");
    return rotateKes({ dir, plan: readPlan(dir), pool, io, ...(bring && { bring }) });
  },
};

export const devnetStopNode: Command = {
  path: ["devnet", "stop-node"],
  summary: "stop one devnet node cleanly, or freeze it (SIGSTOP) to watch a backup take its pools over",
  positionals: [{ name: "NODE", description: "the node, as devnet status names it (group-main, pool1-relay1, ...)" }],
  flags: {
    dir: DIR_FLAG,
    freeze: {
      type: "boolean",
      description:
        "SIGSTOP instead of a clean stop: the node keeps its leases until they run out (devnet down wakes it)",
    },
  },
  example: "poolfleet-cli devnet stop-node group-main --freeze --dir ./devnet",
  async run(flags, io) {
    const dir = dirOf(flags);
    const plan = readPlan(dir);
    const name = flags.positional(0);
    const node = plan.nodes.find((n) => n.name === name);
    if (!node) throw new InputError(name, `is not a node of this devnet (${plan.nodes.map((n) => n.name).join(", ")})`);
    const pidFile = devnetPaths(dir).pid(node.name);
    const pid = runningPid(pidFile);
    if (pid === null) throw new InputError(name, "is not running");
    if (flags.boolean("freeze")) {
      if (isFrozen(pid)) throw new InputError(name, "is frozen already");
      process.kill(pid, "SIGSTOP");
      io.out(`${name}: frozen (pid ${pid}); devnet down wakes and stops it`);
      return 0;
    }
    const clean = await stopProcess(pid);
    removePidFile(pidFile);
    io.out(`${name}: ${clean ? "stopped" : "did not stop in time; killed"} (devnet down, then up, starts it again)`);
    return 0;
  },
};
