// Reads a node's Prometheus /metrics (src/node/metrics.ts names what poolfleet-node exports) into the figures the
// operator puts in status: tip, blocks forged, KES periods left, peers. The fetch is injectable so tests can point
// it at a real node on loopback or inject a fault; the scrape is bounded in time and size and never throws.
import type { V1Pod } from "@kubernetes/client-node";
import { NODE_METRICS, POOL_METRICS } from "../../formats/node-metric-names.ts";
import { NODE_API_PORT } from "../builders/node-pod.ts";

export { NODE_METRICS, POOL_METRICS };

export type NodeFigures = { -readonly [K in keyof typeof NODE_METRICS]?: number };

export type PoolFigures = { -readonly [K in keyof typeof POOL_METRICS]?: number };

const POOL_LABEL = /(?:^|,)\s*pool="((?:[^"\\]|\\.)*)"/;

/** Each pool's figures from a node's metrics text: display name -> figures. Other labelled series are skipped. */
export function poolFigures(text: string): Map<string, PoolFigures> {
  const byName = new Map<string, keyof typeof POOL_METRICS>(
    (Object.entries(POOL_METRICS) as [keyof typeof POOL_METRICS, string][]).map(([k, v]) => [v, k]),
  );
  const out = new Map<string, PoolFigures>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line.startsWith("poolfleet_pool_")) continue;
    const m = SAMPLE.exec(line);
    const field = m ? byName.get(m[1]!) : undefined;
    if (!m || !field || m[2] === undefined) continue;
    const pool = POOL_LABEL.exec(m[2].slice(1, -1))?.[1];
    const value = Number(m[3]);
    if (pool === undefined || !Number.isFinite(value)) continue;
    const figures = out.get(pool) ?? {};
    figures[field] = value;
    out.set(pool, figures);
  }
  return out;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$/;

/**
 * The unlabelled samples of a Prometheus text exposition (version 0.0.4): name -> value. Comments, labelled
 * samples and malformed lines are skipped; NaN and infinities are kept as JavaScript numbers.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m || m[2] !== undefined) continue;
    const v = m[3]!;
    const value = v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v);
    if (Number.isNaN(value) && v !== "NaN") continue;
    out.set(m[1]!, value);
  }
  return out;
}

/** The node's figures from its metrics text; a figure the node does not export (yet) is left out. */
export function nodeFigures(text: string): NodeFigures {
  const samples = parsePrometheusText(text);
  const out: NodeFigures = {};
  for (const [field, name] of Object.entries(NODE_METRICS) as [keyof typeof NODE_METRICS, string][]) {
    const v = samples.get(name);
    if (v !== undefined && Number.isFinite(v)) out[field] = v;
  }
  return out;
}

export type Fetch = (url: string, init: { signal: AbortSignal }) => Promise<Response>;

export type ScrapeResult =
  { ok: true; figures: NodeFigures; pools?: Map<string, PoolFigures> } | { ok: false; error: string };

const MAX_BYTES = 4 * 1024 * 1024;

/** A URL on one of the node's HTTP ports (metrics, or API) at `path`. */
export function nodeUrl(podIP: string, port: number, path: string): string {
  return podIP.includes(":") ? `http://[${podIP}]:${port}${path}` : `http://${podIP}:${port}${path}`;
}

export function metricsUrl(podIP: string, port: number): string {
  return nodeUrl(podIP, port, "/metrics");
}

/**
 * The node's API port in `pod`: its container port named "api" (node-pod.ts writes NODE_API_PORT there), else
 * NODE_API_PORT. The leader schedule is there, not on the metrics port, which the scrape source may reach.
 */
export function apiPortOf(pod: V1Pod | undefined): number {
  for (const c of pod?.spec?.containers ?? [])
    for (const p of c.ports ?? []) if (p.name === "api" && p.containerPort) return p.containerPort;
  return NODE_API_PORT;
}

/**
 * The first leader slot the node reports within the next `minutes` (its /api/leader-schedule, on the API port
 * `port`), or undefined when it
 * reports none — or cannot be asked (no pod IP, not answering): a producer that is not running leads nothing.
 */
/** What a producer says of its leader slots in a window: its first one (if any), or that it could not be asked. */
export type LeaderSlotView = { known: true; next?: { slot: string; at: string } } | { known: false; why: string };

/** The producer's first leader slot within `minutes` (/api/leader-schedule on its API port). Never throws. */
export async function leaderSlotView(
  podIP: string | undefined,
  port: number,
  minutes: number,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<LeaderSlotView> {
  if (!podIP) return { known: false, why: "the producer pod has no IP" };
  const doFetch: Fetch = options.fetch ?? ((u, init) => fetch(u, init));
  const url = nodeUrl(podIP, port, `/api/leader-schedule?minutes=${minutes}`);
  try {
    const res = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 3000) });
    if (!res.ok) return { known: false, why: `${url} answered HTTP ${res.status}` };
    const body = (await res.json()) as { slots?: { slot: string; at: string }[] };
    if (!Array.isArray(body.slots)) return { known: false, why: `${url} sent no slot list` };
    return body.slots[0] ? { known: true, next: body.slots[0] } : { known: true };
  } catch (e) {
    return {
      known: false,
      why: `${url}: ${(e as Error).name === "TimeoutError" ? "timed out" : (e as Error).message}`,
    };
  }
}

/** The producer's first leader slot within `minutes`; undefined when it leads none or cannot be asked. */
export async function nextLeaderSlot(
  podIP: string | undefined,
  port: number,
  minutes: number,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<{ slot: string; at: string } | undefined> {
  const view = await leaderSlotView(podIP, port, minutes, options);
  return view.known ? view.next : undefined;
}

/** GET `url` and read the node's figures. Bounded by `timeoutMs` and 4 MiB; a failure is a result, not a throw. */
export async function scrapeNode(
  url: string,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<ScrapeResult> {
  const doFetch: Fetch = options.fetch ?? ((u, init) => fetch(u, init));
  const signal = AbortSignal.timeout(options.timeoutMs ?? 3000);
  try {
    const res = await doFetch(url, { signal });
    if (!res.ok) return { ok: false, error: `${url} answered HTTP ${res.status}` };
    const length = Number(res.headers.get("content-length") ?? 0);
    if (length > MAX_BYTES) return { ok: false, error: `${url} sent ${length} bytes, more than ${MAX_BYTES}` };
    const text = await res.text();
    if (text.length > MAX_BYTES) return { ok: false, error: `${url} sent more than ${MAX_BYTES} bytes` };
    return { ok: true, figures: nodeFigures(text), pools: poolFigures(text) };
  } catch (error) {
    const e = error as Error;
    const why = e.name === "TimeoutError" || signal.aborted ? "timed out" : e.message;
    return { ok: false, error: `${url}: ${why}` };
  }
}

/** The status `tip` from a node's figures (api/common.ts `tip`), or undefined before the node has one. */
export function tipOf(figures: NodeFigures): { slot: number; blockNo?: number } | undefined {
  if (figures.tipSlot === undefined || figures.tipSlot < 0) return undefined;
  const tip: { slot: number; blockNo?: number } = { slot: Math.floor(figures.tipSlot) };
  if (figures.tipBlock !== undefined && figures.tipBlock >= 0) tip.blockNo = Math.floor(figures.tipBlock);
  return tip;
}

/** The highest tip among several nodes (the Relay's status.tip). */
export function highestTip<T extends { slot: number }>(tips: readonly (T | undefined)[]): T | undefined {
  let best: T | undefined;
  for (const t of tips) if (t && (!best || t.slot > best.slot)) best = t;
  return best;
}
