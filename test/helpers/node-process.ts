// Runs the real poolfleet-node as a child process on loopback and polls its HTTP endpoints.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../src/cli/devnet/processes.ts";
import { waitFor } from "./wait.ts";

export { freePort };

const BIN = fileURLToPath(new URL("../../bin/poolfleet-node.js", import.meta.url));

export interface RunningNode {
  readonly child: ChildProcess;
  /** The metrics port (/metrics, /health, /ready, /config). */
  readonly port: number;
  /** The API port (/api/*), unless the test gave --api-port itself (then 0: it knows its own). */
  readonly apiPort: number;
  readonly logs: string[];
  /** GET `path` on the metrics port. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** A request to `path` on the API port. */
  api(path: string, init?: RequestInit): Promise<{ status: number; body: string }>;
  metric(name: string): Promise<number | undefined>;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

/** Node-to-node on a free port unless the test chose one (3001, the default, would clash between tests). */
const withPort = (args: string[]) => (args.includes("--port") ? args : [...args, "--port", "0"]);

/** The API on a free port unless the test chose one (or has POOLFLEET_API_PORT in `env`: undefined turns it off). */
async function withApiPort(args: string[], env: NodeJS.ProcessEnv): Promise<{ args: string[]; apiPort: number }> {
  if (args.includes("--api-port") || Object.hasOwn(env, "POOLFLEET_API_PORT")) return { args, apiPort: 0 };
  const apiPort = await freePort();
  return { args: [...args, "--api-port", String(apiPort)], apiPort };
}

/**
 * A devnet's producer (`genesis create --out-dir devnet`): its config, pool NAME's KES key, VRF key and opcert, the
 * database at `db` and node-to-client on `socket`.
 */
export function startProducer(devnet: string, db: string, socket: string, pool = "pool1"): Promise<RunningNode> {
  const key = (f: string) => join(devnet, "pools", pool, f);
  return startNode([
    "--config",
    join(devnet, "config.json"),
    "--database-path",
    db,
    "--socket-path",
    socket,
    "--shelley-kes-key",
    key("kes.skey"),
    "--shelley-vrf-key",
    key("vrf.skey"),
    "--shelley-operational-certificate",
    key("node.cert"),
  ]);
}

export async function startNode(givenArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningNode> {
  const { args, apiPort } = await withApiPort(givenArgs, env);
  const given = args.indexOf("--metrics-port");
  const port = given >= 0 ? Number(args[given + 1]) : await freePort();
  const metricsArgs = given >= 0 ? [] : ["--metrics-port", String(port)];
  const child = spawn(process.execPath, [BIN, "run", ...withPort(args), ...metricsArgs], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const logs: string[] = [];
  let buffer = "";
  const take = (d: Buffer) => {
    buffer += d.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    logs.push(...lines);
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const node: RunningNode = {
    child,
    port,
    apiPort,
    logs,
    exited,
    async get(path) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.text() };
    },
    async api(path, init) {
      const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, init);
      return { status: res.status, body: await res.text() };
    },
    async metric(name) {
      const { body } = await node.get("/metrics");
      const m = new RegExp(`^${name} (\\S+)$`, "m").exec(body);
      return m ? Number(m[1]) : undefined;
    },
    async stop() {
      child.kill("SIGTERM");
      return exited;
    },
    async kill9() {
      child.kill("SIGKILL");
      await exited;
    },
  };
  return node;
}

/** POST a transaction's CBOR to a node's submit API: the HTTP status and the node's JSON answer. */
export async function submitTx(node: RunningNode, bytes: Uint8Array): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${node.apiPort}/api/submit/tx`, {
    method: "POST",
    headers: { "content-type": "application/cbor" },
    body: Buffer.from(bytes),
  });
  return { status: res.status, body: JSON.parse(await res.text()) as string };
}

/** Wait until the node's mempool is empty and at least `count` transactions are in its forged blocks. */
export async function txsForged(node: RunningNode, count: number): Promise<void> {
  await waitFor(
    `${count} transactions in forged blocks`,
    async () =>
      (await node.metric("poolfleet_mempool_txs")) === 0 &&
      ((await node.metric("poolfleet_txs_in_blocks_total")) ?? 0) >= count,
    30_000,
  );
}
