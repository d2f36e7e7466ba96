// The shape of a local devnet: for each pool one producer hidden behind its relays, every node on loopback with
// its own node-to-node, metrics and API port. A producer's topology lists only its own relays; a relay's lists its
// producer and sibling relays as local roots and the other pools' relays as public roots. Pure: the ports come
// from the caller, and the plan is saved as devnet.json so `devnet status` and `devnet down` find every node.
import { join } from "node:path";
import { topologyJson } from "../../formats/topology.ts";

export interface DevnetNode {
  readonly name: string;
  readonly role: "producer" | "relay";
  /** The pool this node belongs to, e.g. "pool1". */
  readonly pool: string;
  readonly port: number;
  readonly metricsPort: number;
  /** /api/* (ledger, leader schedule, submission): off the metrics port. Absent in plans written before it. */
  readonly apiPort?: number;
}

export interface DevnetPlan {
  readonly version: 1;
  readonly pools: number;
  readonly relaysPerPool: number;
  readonly host: string;
  readonly nodes: DevnetNode[];
}

export function planDevnet(pools: number, relaysPerPool: number, nextPort: () => number): DevnetPlan {
  const nodes: DevnetNode[] = [];
  for (let p = 1; p <= pools; p++) {
    const pool = `pool${p}`;
    const ports = () => ({ port: nextPort(), metricsPort: nextPort(), apiPort: nextPort() });
    nodes.push({ name: `${pool}-producer`, role: "producer", pool, ...ports() });
    for (let r = 1; r <= relaysPerPool; r++) nodes.push({ name: `${pool}-relay${r}`, role: "relay", pool, ...ports() });
  }
  return { version: 1, pools, relaysPerPool, host: "127.0.0.1", nodes };
}

/** Files of a devnet directory. */
export const devnetPaths = (dir: string) => ({
  plan: join(dir, "devnet.json"),
  genesis: join(dir, "genesis"),
  config: join(dir, "genesis", "config.json"),
  poolKeys: (pool: string) => join(dir, "genesis", "pools", pool),
  nodeDir: (name: string) => join(dir, "nodes", name),
  log: (name: string) => join(dir, "logs", `${name}.log`),
  pid: (name: string) => join(dir, "run", `${name}.pid`),
});

export function topologyFor(plan: DevnetPlan, node: DevnetNode): string {
  const at = (n: DevnetNode) => ({ address: plan.host, port: n.port });
  const samePool = plan.nodes.filter((n) => n.pool === node.pool && n.name !== node.name);
  if (node.role === "producer") return topologyJson(samePool.filter((n) => n.role === "relay").map(at));
  const otherRelays = plan.nodes.filter((n) => n.pool !== node.pool && n.role === "relay");
  return topologyJson(samePool.map(at), { publicRoots: otherRelays.map(at) });
}

/** poolfleet-node's arguments for a node of the plan (a producer gets its pool's hot keys). */
export function nodeArgs(dir: string, plan: DevnetPlan, node: DevnetNode): string[] {
  const paths = devnetPaths(dir);
  const home = paths.nodeDir(node.name);
  const keys = paths.poolKeys(node.pool);
  return [
    "run",
    "--config",
    paths.config,
    "--topology",
    join(home, "topology.json"),
    "--database-path",
    join(home, "db"),
    "--socket-path",
    join(home, "node.socket"),
    "--host-addr",
    plan.host,
    "--port",
    String(node.port),
    "--metrics-port",
    String(node.metricsPort),
    ...(node.apiPort !== undefined ? ["--api-port", String(node.apiPort)] : []),
    ...(node.role === "producer"
      ? [
          "--shelley-kes-key",
          join(keys, "kes.skey"),
          "--shelley-vrf-key",
          join(keys, "vrf.skey"),
          "--shelley-operational-certificate",
          join(keys, "node.cert"),
        ]
      : []),
  ];
}
