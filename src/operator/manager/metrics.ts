// The operator's Prometheus metrics, in a registry of their own (two managers in one test process must not
// share counters), and the two small HTTP servers: /metrics on the metrics address, /healthz and /readyz on the
// health address. Labels carry controller names, kinds and verbs only: never object data.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export class ManagerMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: "poolfleet_operator_reconcile_total",
    help: "Reconciles finished, by controller and result (success, error, requeue).",
    labelNames: ["controller", "result"] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: "poolfleet_operator_reconcile_errors_total",
    help: "Reconciles that failed and were retried with backoff.",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: "poolfleet_operator_reconcile_duration_seconds",
    help: "Time one reconcile took.",
    labelNames: ["controller"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "poolfleet_operator_queue_depth",
    help: "Keys waiting in a controller's work queue.",
    labelNames: ["controller"] as const,
    registers: [this.registry],
  });
  readonly writes = new Counter({
    name: "poolfleet_operator_writes_total",
    help: "Writes sent to the API server (create, apply, update, patch, delete), by controller, verb and kind.",
    labelNames: ["controller", "verb", "kind"] as const,
    registers: [this.registry],
  });
  readonly skippedApplies = new Counter({
    name: "poolfleet_operator_apply_skipped_total",
    help: "Applies not sent because the live object already held every desired field.",
    labelNames: ["controller", "kind"] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: "poolfleet_operator_leader",
    help: "1 while this instance holds the leader lease and runs the controllers.",
    registers: [this.registry],
  });
  readonly informerRestarts = new Gauge({
    name: "poolfleet_operator_informer_restarts",
    help: "Times an informer restarted after a list or watch failure.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });

  constructor(processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: "poolfleet_operator_" });
  }

  /** Sum of the writes counter, optionally for one controller. */
  async writeCount(controller?: string): Promise<number> {
    const m = await this.writes.get();
    return m.values.filter((v) => !controller || v.labels.controller === controller).reduce((a, v) => a + v.value, 0);
  }
}

export interface Endpoint {
  server: Server;
  port: number;
}

/** Parses ":8080", "0.0.0.0:8080" or "127.0.0.1:0" (port 0: any free port, for tests). */
export function parseAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  const host = i > 0 ? addr.slice(0, i) : "0.0.0.0";
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad address "${addr}": want host:port`);
  return { host, port };
}

export async function listen(
  addr: string,
  routes: Record<string, () => Promise<{ status: number; body: string; type?: string }>>,
): Promise<Endpoint> {
  const { host, port } = parseAddr(addr);
  const server = createServer((req, res) => {
    const route = routes[(req.url ?? "/").split("?")[0]!];
    if (!route) {
      res.writeHead(404).end("not found\n");
      return;
    }
    route().then(
      (r) => res.writeHead(r.status, { "Content-Type": r.type ?? "text/plain; charset=utf-8" }).end(r.body),
      (e: Error) => res.writeHead(500).end(`${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
