// Running an interop harness (a Go or Rust program in test/interop/) that prints one JSON event per line on stdout:
// the events once it exits 0, else an error with its exit code, stderr and the events so far; killed after `ms`.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type HarnessEvent = Record<string, unknown> & { event: string };

export function runHarness(name: string, binary: string, args: string[], ms: number): Promise<HarnessEvent[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    const events: HarnessEvent[] = [];
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout! }).on("line", (line) => events.push(JSON.parse(line) as HarnessEvent));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} timed out; events ${JSON.stringify(events)}; stderr: ${stderr}`));
    }, ms);
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(events);
      else reject(new Error(`${name} exited with ${code}: ${stderr}; events ${JSON.stringify(events)}`));
    });
  });
}
