// The node's HTTP endpoints on the metrics port: /metrics, /health, /ready, /config, the ledger summary at
// /api/ledger, the node-to-node connections at /api/peers, the pool's coming leader slots at
// /api/leader-schedule?minutes=N (what a KES swap waits on: it restarts the producer), and transaction submission at POST /api/submit/tx (cardano-submit-api's interface: the raw CBOR
// transaction as the body, the transaction id as a JSON string back). Never a key byte.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HttpSources {
  readonly registry: Registry;
  /** "unhealthy" (storage failed) answers 503, so a liveness probe fails; "degraded" is still 200. */
  health(): { status: "ok" | "degraded" | "unhealthy"; [k: string]: unknown };
  /** Not ready answers 503 with the reason (readiness.ts). */
  ready(): { readonly ready: boolean; readonly reason?: string };
  config(): unknown;
  ledger(): unknown;
  peers(): unknown;
  /** The pool's leader slots in the next `minutes` (a producer; a relay answers with none). */
  leaderSchedule(minutes: number): unknown;
  /** Largest request body accepted by the submit endpoint. */
  readonly maxTxBytes: number;
  submitTx(bytes: Uint8Array): { accepted: true; id: string } | { accepted: false; error: string };
}

const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

export function startHttp(host: string, port: number, sources: HttpSources): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    if (path === "/api/submit/tx") {
      if (req.method !== "POST") return send(405, "text/plain", "POST the CBOR transaction to /api/submit/tx\n");
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > sources.maxTxBytes) {
          send(413, "application/json", json(`transaction larger than ${sources.maxTxBytes} bytes`));
          req.destroy();
        } else chunks.push(chunk);
      });
      req.on("end", () => {
        if (res.headersSent) return;
        const result = sources.submitTx(Uint8Array.from(Buffer.concat(chunks)));
        if (result.accepted) send(202, "application/json", json(result.id));
        else send(400, "application/json", json(result.error));
      });
      return;
    }
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    if (path === "/metrics") {
      sources.registry.metrics().then(
        (text) => send(200, sources.registry.contentType, text),
        () => send(500, "text/plain", "metrics unavailable\n"),
      );
      return;
    }
    if (path === "/health") {
      const health = sources.health();
      return send(health.status === "unhealthy" ? 503 : 200, "application/json", json(health));
    }
    if (path === "/ready") {
      const ready = sources.ready();
      return send(ready.ready ? 200 : 503, "application/json", json(ready));
    }
    if (path === "/config") return send(200, "application/json", json(sources.config()));
    if (path === "/api/ledger") return send(200, "application/json", json(sources.ledger()));
    if (path === "/api/peers") return send(200, "application/json", json(sources.peers()));
    if (path === "/api/leader-schedule") {
      const minutes = Number(new URL(req.url ?? "/", "http://x").searchParams.get("minutes") ?? "10");
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120)
        return send(400, "application/json", json("minutes must be a whole number from 1 to 120"));
      return send(200, "application/json", json(sources.leaderSchedule(minutes)));
    }
    send(
      404,
      "text/plain",
      "not found: try /metrics, /health, /ready, /config, /api/ledger, /api/peers, /api/leader-schedule or POST /api/submit/tx\n",
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
