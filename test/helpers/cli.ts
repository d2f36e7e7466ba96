// Runs the real poolfleet-cli as a child process on the pinned Node.js, as a user would.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/poolfleet-cli.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: timeoutMs,
      env,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface DevnetShape {
  readonly pools?: number;
  /** Seconds, as the flag takes it ("0.1"). */
  readonly slotLength?: string;
  /** The active slot coefficient f ("0.5"). */
  readonly activeSlotCoeff?: string;
  readonly securityParam?: number;
  readonly epochLength?: number;
  readonly slotsPerKesPeriod?: number;
}

/** `poolfleet-cli genesis create` into `dir`; throws with its stderr when it fails. */
export async function createDevnet(dir: string, shape: DevnetShape = {}): Promise<void> {
  const flags: [string, string | number | undefined][] = [
    ["--pools", shape.pools ?? 1],
    ["--slot-length", shape.slotLength],
    ["--active-slot-coeff", shape.activeSlotCoeff],
    ["--security-param", shape.securityParam],
    ["--epoch-length", shape.epochLength],
    ["--slots-per-kes-period", shape.slotsPerKesPeriod],
  ];
  const args = ["genesis", "create", "--out-dir", dir];
  for (const [flag, value] of flags) if (value !== undefined) args.push(flag, String(value));
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`genesis create failed (${r.code}): ${r.stderr}`);
}

/** poolfleet-node's flags for a devnet pool's hot keys (genesis create writes them to DIR/pools/NAME). */
export function poolKeyArgs(devnet: string, pool = "pool1"): string[] {
  const file = (f: string) => `${devnet}/pools/${pool}/${f}`;
  return [
    "--shelley-kes-key",
    file("kes.skey"),
    "--shelley-vrf-key",
    file("vrf.skey"),
    "--shelley-operational-certificate",
    file("node.cert"),
  ];
}
