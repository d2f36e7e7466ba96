// Devnet node processes: started in their own process group with output to a log file and a pid file, so they
// outlive a detached `devnet up` and `devnet down` can find them; stopped with SIGTERM (the node's clean
// shutdown) and, if one does not exit in time, SIGKILL. `devnet stop-node --freeze` stops one with SIGSTOP instead
// (a frozen main, to watch a backup take its pools over); a frozen node is woken (SIGCONT) before it is stopped.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_BIN = fileURLToPath(new URL("../../../bin/poolfleet-node.js", import.meta.url));

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

export function startNodeProcess(args: string[], logFile: string, pidFile: string): number {
  mkdirSync(dirname(logFile), { recursive: true });
  mkdirSync(dirname(pidFile), { recursive: true });
  const log = openSync(logFile, "a");
  try {
    const child = spawn(process.execPath, [NODE_BIN, ...args], { detached: true, stdio: ["ignore", log, log] });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start poolfleet-node (see ${logFile})`);
    writeFileSync(pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid in `pidFile` when that process is running, else null. */
export function runningPid(pidFile: string): number | null {
  const pid = readPid(pidFile);
  return pid !== null && isAlive(pid) ? pid : null;
}

/** Whether the process is stopped by a signal (SIGSTOP): state "T" in /proc/PID/stat; false where unknown. */
export function isFrozen(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ...": the command may hold spaces and parentheses, the state follows the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "T";
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to `graceMs` for exit, then SIGKILL. Resolves true when it exited on SIGTERM. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<boolean> {
  try {
    process.kill(pid, "SIGTERM");
    // A frozen node would hold the SIGTERM until woken, and be SIGKILLed without its clean stop.
    process.kill(pid, "SIGCONT");
  } catch {
    return true;
  }
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // gone meanwhile
  }
  return false;
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}
