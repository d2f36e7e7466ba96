// poolfleet-node: `run` with cardano-node's flags (each also POOLFLEET_<FLAG>), JSON logs on stdout.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pino from "pino";
import { InputError } from "../formats/errors.ts";
import { envName, NODE_FLAGS, type NodeFlag, resolveOptions } from "./config.ts";
import { PoolfleetNode } from "./node.ts";

const USAGE = `poolfleet-node run — an Ouroboros Praos node (relay, or producer when given keys)

Flags (each also an environment variable; the flag wins):
${NODE_FLAGS.map((f) => `  --${f.padEnd(34)}${envName(f)}`).join("\n")}

Example:
  poolfleet-node run --config devnet/config.json --topology devnet/topology.json --database-path db \\
    --shelley-kes-key devnet/pools/pool1/kes.skey --shelley-vrf-key devnet/pools/pool1/vrf.skey \\
    --shelley-operational-certificate devnet/pools/pool1/node.cert --metrics-port 12798

Endpoints on the metrics port: /metrics, /health (503 "unhealthy" when the chain database cannot be written),
/ready (503 with the reason until caught up — tip within --max-caught-up-age seconds, default 1200 — and,
for a relay, a peer connected; and while storage is failed), /config.
Storage: a block is adopted, announced and logged durable only once fully written and fsynced; a failed write
(a full disk) stops forging and adoption until a block's worth can be written again, then the node carries on
from its last stored block. Check a database with: poolfleet-cli db verify --database-path DIR.
Signals: SIGHUP re-reads the key files and the topology; SIGTERM or SIGINT stop (exit 1 if a step failed).`;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "--version") {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    console.log(`poolfleet-node ${pkg.version}`);
    return 0;
  }
  if (argv[0] !== "run" || argv.includes("--help")) {
    console.log(USAGE);
    return argv[0] === "run" || argv.includes("--help") || argv.length === 0 ? 0 : 1;
  }
  // JSON lines for machines; readable lines when a person watches a terminal.
  const log = pino(
    { base: { service: "poolfleet-node" }, timestamp: pino.stdTimeFunctions.isoTime },
    process.stdout.isTTY
      ? pino.transport({ target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l" } })
      : undefined,
  );
  let node: PoolfleetNode;
  try {
    const { values } = parseArgs({
      args: argv.slice(1),
      options: Object.fromEntries(NODE_FLAGS.map((f) => [f, { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
    });
    node = new PoolfleetNode(resolveOptions(values as Partial<Record<NodeFlag, string>>, process.env), log);
    await node.start();
  } catch (error) {
    const message = error instanceof InputError ? error.message : (error as Error).message.split("\n")[0];
    log.fatal({ reason: message }, "poolfleet-node cannot start");
    console.error(`poolfleet-node: ${message}`);
    return 1;
  }
  // Exit 0 after a clean stop, 1 when a step of it failed (e.g. the final snapshot on a full disk).
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      node.stop().then(
        (clean) => resolve(clean ? 0 : 1),
        (error: Error) => {
          log.error({ err: error.message }, "stop failed");
          resolve(1);
        },
      );
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      log.info("SIGHUP: re-reading producer keys and topology");
      node.reloadKeys();
      node.reloadTopology();
    });
  });
}
