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
    --shelley-operational-certificate devnet/pools/pool1/node.cert --metrics-port 12798 --api-port 12799

Many pools in one node: --shelley-key-bundle DIR instead of the three key flags; DIR holds one sub-directory
per pool (at most 32) with kes.skey, vrf.skey and node.cert, and optionally identities.json (display names).
Each pool is gated on its own; a refused pool does not stop the others. --node-name names the node's pools
(<name>-<index>) in logs and metrics. A backup: --redundancy-level 1 (2, ...) takes a pool over after
level x --takeover-after-missed-slots (default 3) of its leader slots went empty; the group's nodes
share the pool leases and a node forges a pool only while it holds its lease (--pool-lease-seconds, default 30):
--pool-lease-dir DIR (a shared directory) or, in a cluster, --pool-lease-namespace NS (a coordination.k8s.io
Lease per pool in NS, with the pod's service account, or KUBECONFIG / ~/.kube/config outside a pod; the
account needs get, create and update on Leases). Give one of the two, not both.

Endpoints on the metrics port: /metrics, /health (503 "unhealthy" when the chain database cannot be written),
/ready (503 with the reason until caught up — tip within --max-caught-up-age seconds, default 1200 — and,
for a relay, a peer connected; and while storage is failed), /config.
On the API port (closed unless --api-port is given; --api-host defaults to 127.0.0.1): /api/leader-schedule,
POST /api/submit/tx, /api/ledger, /api/peers. It tells when a producer leads: open it only to the operator and relays.
--socket-path PATH serves node-to-client on a Unix socket (mode 0660): handshake V_16..V_22, local chain-sync,
local tx-submission, local state-query (at the tip), local tx-monitor; a stale socket file is replaced, one another
process listens on fails the start. --node-to-client-port serves the same on TCP for clients in the cluster (closed
unless given; --node-to-client-host defaults to 127.0.0.1): whoever reaches it can submit transactions.
Start-up fails (exit 1, one line naming the file and field, or the host:port) on a bad config.json or genesis,
a missing or mismatching ShelleyGenesisHash, or a port that cannot be bound.
Storage: a block is adopted, announced and logged durable only once fully written and fsynced; a failed write
(a full disk) stops forging and adoption until a block's worth can be written again, then the node carries on
from its last stored block. Check a database with: poolfleet-cli db verify --database-path DIR.
Signals: SIGHUP re-reads the key files and the topology; SIGTERM or SIGINT stop (exit 1 if a step failed).
--watch-keys SECONDS re-reads the keys as SIGHUP does when their files change (a mounted Secret updated in place).`;

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
  let node: PoolfleetNode | undefined;
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
    // What did start (the metrics port, the chain database) is closed, or the process would live on, half started.
    await node?.stop().catch(() => false);
    return 1;
  }
  const running = node;
  // Exit 0 after a clean stop, 1 when a step of it failed (e.g. the final snapshot on a full disk).
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping");
      running.stop().then(
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
      running.reloadKeys();
      running.reloadTopology();
    });
  });
}
