// What each devnet node is doing, read from its pid file and its /metrics endpoint, as rows for a table or JSON.
import type { DevnetNode, DevnetPlan } from "./plan.ts";
import { devnetPaths } from "./plan.ts";
import { isAlive, isFrozen, readPid } from "./processes.ts";

export interface NodeStatus {
  readonly name: string;
  readonly role: "producer" | "relay";
  readonly pool: string;
  readonly pid: number | null;
  readonly running: boolean;
  /** Running but stopped by SIGSTOP (`devnet stop-node --freeze`): it answers nothing until woken. */
  readonly frozen: boolean;
  readonly port: number;
  readonly metricsPort: number;
  readonly apiPort: number | null;
  readonly tipSlot: number | null;
  readonly tipBlock: number | null;
  readonly peers: number | null;
  readonly blocksForged: number | null;
  readonly forging: boolean | null;
  readonly opcertCounter: number | null;
  readonly kesPeriodsLeft: number | null;
}

/** Prometheus text format: the value of an unlabelled sample, or null. */
export function sample(text: string, name: string): number | null {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : null;
}

export async function nodeStatus(dir: string, plan: DevnetPlan, node: DevnetNode): Promise<NodeStatus> {
  const pid = readPid(devnetPaths(dir).pid(node.name));
  const running = pid !== null && isAlive(pid);
  const frozen = running && isFrozen(pid);
  let text = "";
  if (running && !frozen) {
    try {
      const res = await fetch(`http://${plan.host}:${node.metricsPort}/metrics`, { signal: AbortSignal.timeout(1000) });
      text = await res.text();
    } catch {
      // starting up or stopping: figures unknown
    }
  }
  const producer = node.role === "producer";
  return {
    name: node.name,
    role: node.role,
    pool: node.pool,
    pid,
    running,
    frozen,
    port: node.port,
    metricsPort: node.metricsPort,
    apiPort: node.apiPort ?? null,
    tipSlot: sample(text, "poolfleet_tip_slot"),
    tipBlock: sample(text, "poolfleet_tip_block"),
    peers: sample(text, "poolfleet_peers_connected"),
    blocksForged: producer ? sample(text, "poolfleet_blocks_forged_total") : null,
    forging: producer && text ? sample(text, "poolfleet_forging_enabled") === 1 : null,
    opcertCounter: producer ? sample(text, "poolfleet_opcert_counter") : null,
    kesPeriodsLeft: producer ? sample(text, "poolfleet_node_kes_periods_remaining") : null,
  };
}

export function devnetStatus(dir: string, plan: DevnetPlan): Promise<NodeStatus[]> {
  return Promise.all(plan.nodes.map((n) => nodeStatus(dir, plan, n)));
}

export function statusTable(rows: readonly NodeStatus[]): string[] {
  const dash = (v: number | null) => (v === null ? "-" : String(v));
  const header = ["NODE", "ROLE", "PID", "PORT", "TIP SLOT", "BLOCK", "PEERS", "FORGED", "COUNTER", "KES LEFT"];
  const body = rows.map((r) => [
    r.name,
    r.role === "producer" ? (r.forging === false ? "producer (NOT forging)" : "producer") : "relay",
    r.running ? `${r.pid}${r.frozen ? " (frozen)" : ""}` : "stopped",
    String(r.port),
    dash(r.tipSlot),
    dash(r.tipBlock),
    dash(r.peers),
    dash(r.blocksForged),
    dash(r.opcertCounter),
    dash(r.kesPeriodsLeft),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  return [header, ...body].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}
