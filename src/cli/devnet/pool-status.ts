// Which node forges each pool of a multikey devnet now, read from every running producer's /health
// (`forging.pools[]`: each pool's id, role, forgingNow) and /metrics (`poolfleet_pool_blocks_forged_total{pool}`).
// The producers name a pool by their own display name (group-main-0, group-backup-2…; the index follows their
// bundle's directory order), so rows are joined on the pool id, which the devnet's own certificates give.
import { join } from "node:path";
import { bytesToHex } from "../../crypto/bytes.ts";
import { poolIdOf, readOperationalCertificate } from "../../formats/opcert.ts";
import type { DevnetPlan } from "./plan.ts";
import { devnetPaths } from "./plan.ts";
import { isAlive, isFrozen, readPid } from "./processes.ts";

export interface PoolOnNode {
  /** The producer's display name for the pool. */
  readonly as: string;
  readonly role: string | null;
  readonly forgingNow: boolean;
  readonly missedInARow: number | null;
  readonly blocksForged: number | null;
}

export interface PoolStatus {
  /** The devnet's name for the pool (pool1, pool2, ...). */
  readonly pool: string;
  readonly poolId: string | null;
  /** The producers forging it now: one, or none while a pool changes hands (never two: the fence). */
  readonly forgingOn: string[];
  /** Per producer (by node name): what it says about the pool; a producer not answering is absent. */
  readonly nodes: Record<string, PoolOnNode>;
}

interface HealthPool {
  pool: string;
  poolId?: string;
  enabled: boolean;
  role?: string;
  forgingNow?: boolean;
  missedInARow?: number;
}

/** The value of `name{pool="<pool>"}` in a Prometheus text exposition, or null. */
export function poolSample(text: string, name: string, pool: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`pool="${pool}"`));
  const value = line === undefined ? NaN : Number(line.slice(line.lastIndexOf(" ") + 1));
  return Number.isFinite(value) ? value : null;
}

async function get(url: string): Promise<string | undefined> {
  try {
    // A frozen node (SIGSTOP) accepts the connection but never answers: the timeout bounds the wait.
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return await res.text();
  } catch {
    return undefined;
  }
}

function poolIdOfDir(dir: string): string | null {
  try {
    return bytesToHex(poolIdOf(readOperationalCertificate(join(dir, "node.cert")).coldVkey));
  } catch {
    return null;
  }
}

export async function poolStatus(dir: string, plan: DevnetPlan): Promise<PoolStatus[]> {
  const paths = devnetPaths(dir);
  const views = await Promise.all(
    plan.nodes
      .filter((n) => n.role === "producer")
      .map(async (n) => {
        const pid = readPid(paths.pid(n.name));
        if (pid === null || !isAlive(pid) || isFrozen(pid))
          return { node: n.name, pools: [] as HealthPool[], metrics: "" };
        const base = `http://${plan.host}:${n.metricsPort}`;
        const [health, metrics] = await Promise.all([get(`${base}/health`), get(`${base}/metrics`)]);
        let pools: HealthPool[] = [];
        try {
          pools = (JSON.parse(health ?? "") as { forging?: { pools?: HealthPool[] } }).forging?.pools ?? [];
        } catch {
          // starting up or stopping: nothing known
        }
        return { node: n.name, pools, metrics: metrics ?? "" };
      }),
  );
  const rows: PoolStatus[] = [];
  for (let p = 1; p <= plan.pools; p++) {
    const pool = `pool${p}`;
    const poolId = poolIdOfDir(paths.poolKeys(pool));
    const nodes: Record<string, PoolOnNode> = {};
    for (const view of views) {
      const seen = view.pools.find((h) => poolId !== null && h.poolId === poolId);
      if (!seen) continue;
      nodes[view.node] = {
        as: seen.pool,
        role: seen.role ?? null,
        forgingNow: seen.forgingNow === true,
        missedInARow: seen.missedInARow ?? null,
        blocksForged: poolSample(view.metrics, "poolfleet_pool_blocks_forged_total", seen.pool),
      };
    }
    const forgingOn = Object.entries(nodes)
      .filter(([, v]) => v.forgingNow)
      .map(([k]) => k);
    rows.push({ pool, poolId, forgingOn, nodes });
  }
  return rows;
}

export function poolTable(rows: readonly PoolStatus[], producers: readonly string[]): string[] {
  const header = ["POOL", "POOL ID", "FORGING ON", ...producers.map((p) => `FORGED BY ${p}`)];
  const body = rows.map((r) => [
    r.pool,
    r.poolId === null ? "-" : `${r.poolId.slice(0, 16)}…`,
    r.forgingOn.length === 0 ? "(none)" : r.forgingOn.join(", "),
    ...producers.map((p) => {
      const n = r.nodes[p];
      if (!n) return "-";
      // A standby's count of the pool's empty leader slots in a row: how close it is to taking the pool over.
      const missed = !n.forgingNow && n.missedInARow ? ` (missed ${n.missedInARow})` : "";
      return `${n.blocksForged ?? 0}${missed}`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  return [header, ...body].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd(),
  );
}
