// Child processes of the test control plane (etcd, kube-apiserver, and in the end-to-end tier
// kube-controller-manager, kube-scheduler and kwok): start with their output kept in a bounded tail, poll until
// ready while noticing an early exit, stop with SIGTERM then SIGKILL.
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:https";

/** The last `max` lines a process wrote, for failure messages. */
export class Tail {
  private lines: string[] = [];
  private partial = "";
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(d: Buffer): void {
    const parts = (this.partial + d.toString()).split("\n");
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  text(): string {
    return [...this.lines, this.partial].join("\n");
  }
}

export function spawnLogged(bin: string, args: string[], tail: Tail): ChildProcess {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => tail.push(d));
  child.stderr!.on("data", (d: Buffer) => tail.push(d));
  return child;
}

/** A message when the process has exited (with the end of its output), else undefined. */
export function exitedMessage(c: ChildProcess, name: string, tail: Tail): () => string | undefined {
  return () =>
    c.exitCode !== null || c.signalCode !== null
      ? `${name} exited (${c.exitCode ?? c.signalCode}); its output ends:\n${tail.text().slice(-3000)}`
      : undefined;
}

export interface Tls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** false for the self-signed serving certificates of kube-controller-manager and kube-scheduler. */
  rejectUnauthorized?: boolean;
}

/** The HTTP status of a GET, 0 when the request fails. */
export function httpsStatus(url: string, tls: Tls): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { ...tls, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Polls `check` every 100 ms until it is true, the deadline passes, or `exited` reports the process gone. */
export async function poll(
  what: string,
  deadline: number,
  check: () => Promise<boolean>,
  exited: () => string | undefined = () => undefined,
): Promise<void> {
  for (;;) {
    const dead = exited();
    if (dead) throw new Error(`${what}: ${dead}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready by the deadline`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs one of the scripts that provide a built binary (scripts/k8s-binaries.sh, helm-binary.sh): its stderr shows
 * as it comes (a cold build takes minutes), the last line of its stdout is what it provides. Killed after
 * `timeoutMs`; `errTail` is the end of its stderr, for the caller's error message.
 */
export async function runProvisionScript(
  script: string,
  timeoutMs: number,
): Promise<{ code: number | null; provided: string; errTail: string }> {
  const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => {
    err += d.toString();
    process.stderr.write(d);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  return { code, provided: out.trim().split("\n").at(-1) ?? "", errTail: err.slice(-4000) };
}

export async function stopProcess(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
