// The shape of a local devnet: for each pool one producer hidden behind its relays, every node on loopback with
// its own node-to-node, metrics and API port. A producer's topology lists only its own relays; a relay's lists its
// producer and sibling relays as local roots and the other pools' relays as public roots. Pure: the ports come
// from the caller, and the plan is saved as devnet.json so `devnet status` and `devnet down` find every node.
// A multikey devnet (seeds/002, issue 16) is one group instead: a main producer holding every pool's keys (the
// genesis's pools directory is a key bundle), optionally a backup at redundancy level 1 holding the same pools,
// both fenced by one lease directory, behind the group's relays.
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
  /** In a multikey group: the producer's redundancy level (0 the main, 1 the backup). */
  readonly redundancyLevel?: number;
}

export interface MultikeyShape {
  readonly backup: boolean;
  /** A backup takes a pool over after this many of its leader slots in a row went without its block. */
  readonly takeoverAfterMissedSlots: number;
  /** The pool leases' duration: a frozen main stops forging, and a backup may start, only after it. */
  readonly leaseSeconds: number;
}

export interface DevnetPlan {
  readonly version: 1;
  readonly pools: number;
  readonly relaysPerPool: number;
  readonly host: string;
  readonly nodes: DevnetNode[];
  /** Present for a multikey devnet (`devnet up --multikey`); its nodes all belong to the pool "group". */
  readonly multikey?: MultikeyShape;
}

/** The "pool" every node of a multikey devnet belongs to: the group shares relays and topology. */
export const GROUP = "group";

/** How many nodes a plan will have, so the caller can find their ports first. */
export const nodeCount = (pools: number, relaysPerPool: number, multikey?: MultikeyShape): number =>
  multikey ? (multikey.backup ? 2 : 1) + relaysPerPool : pools * (1 + relaysPerPool);

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

/** One group producer holding all `pools`, optionally a backup, behind `relays` relays. */
export function planMultikeyDevnet(
  pools: number,
  relays: number,
  multikey: MultikeyShape,
  nextPort: () => number,
): DevnetPlan {
  const ports = () => ({ port: nextPort(), metricsPort: nextPort(), apiPort: nextPort() });
  const nodes: DevnetNode[] = [
    { name: `${GROUP}-main`, role: "producer", pool: GROUP, redundancyLevel: 0, ...ports() },
  ];
  if (multikey.backup)
    nodes.push({ name: `${GROUP}-backup`, role: "producer", pool: GROUP, redundancyLevel: 1, ...ports() });
  for (let r = 1; r <= relays; r++) nodes.push({ name: `${GROUP}-relay${r}`, role: "relay", pool: GROUP, ...ports() });
  return { version: 1, pools, relaysPerPool: relays, host: "127.0.0.1", nodes, multikey };
}

/** Files of a devnet directory. */
export const devnetPaths = (dir: string) => ({
  plan: join(dir, "devnet.json"),
  genesis: join(dir, "genesis"),
  config: join(dir, "genesis", "config.json"),
  poolKeys: (pool: string) => join(dir, "genesis", "pools", pool),
  /** Every pool's keys, one sub-directory each: the multikey producers' key bundle. */
  bundle: join(dir, "genesis", "pools"),
  /** The pool leases a multikey group's producers share (the fence: one forger per pool). */
  leases: join(dir, "leases"),
  nodeDir: (name: string) => join(dir, "nodes", name),
  log: (name: string) => join(dir, "logs", `${name}.log`),
  pid: (name: string) => join(dir, "run", `${name}.pid`),
});

export function topologyFor(plan: DevnetPlan, node: DevnetNode): string {
  const at = (n: DevnetNode) => ({ address: plan.host, port: n.port });
  const samePool = plan.nodes.filter((n) => n.pool === node.pool && n.name !== node.name);
  if (node.role === "producer") {
    const relays = samePool.filter((n) => n.role === "relay");
    // A group without relays: its producers follow each other directly.
    return topologyJson((relays.length > 0 ? relays : samePool).map(at));
  }
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
    ...(node.role === "producer" && plan.multikey ? multikeyArgs(dir, plan.multikey, node) : []),
    ...(node.role === "producer" && !plan.multikey
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

function multikeyArgs(dir: string, multikey: MultikeyShape, node: DevnetNode): string[] {
  const paths = devnetPaths(dir);
  return [
    "--shelley-key-bundle",
    paths.bundle,
    // The pools' display names are "<node name>-<index>": group-main-0, group-backup-0, ...
    "--node-name",
    node.name,
    "--redundancy-level",
    String(node.redundancyLevel ?? 0),
    "--takeover-after-missed-slots",
    String(multikey.takeoverAfterMissedSlots),
    "--pool-lease-dir",
    paths.leases,
    "--pool-lease-seconds",
    String(multikey.leaseSeconds),
  ];
}
