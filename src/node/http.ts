// The node's HTTP endpoints on the metrics port: /metrics, /health, /ready, /config — what a monitoring system may
// scrape. The API (the pool's coming leader slots, transaction submission, ledger, peers) is on its own port
// (api-http.ts): whoever may scrape metrics must not learn when a producer leads or push it transactions, so a
// request for /api/* here is answered 404 with a hint. Never a key byte.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";

export interface HttpSources {
  readonly registry: Registry;
  /** "unhealthy" (storage failed) answers 503, so a liveness probe fails; "degraded" is still 200. */
  health(): { status: "ok" | "degraded" | "unhealthy"; [k: string]: unknown };
  /** Not ready answers 503 with the reason (readiness.ts). */
  ready(): { readonly ready: boolean; readonly reason?: string };
  config(): unknown;
}

export type Send = (code: number, type: string, body: string) => void;

export const json = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

/** A listener that could not bind: the host and port, the system's reason (EADDRINUSE, EACCES, ...), the flag. */
export class ListenError extends Error {
  constructor(what: string, host: string, port: number, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    const at = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const hint = code === "EADDRINUSE" ? "; another process has that port, choose another" : "";
    super(`cannot listen on ${at}: ${code} (${what}${hint})`, { cause });
    this.name = "ListenError";
  }
}

/** Serve `handle` on host:port; rejects with a ListenError when the port cannot be bound. */
export function listenHttp(
  what: string,
  host: string,
  port: number,
  handle: (req: IncomingMessage, path: string, send: Send, res: ServerResponse) => void,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const send: Send = (code, type, body) => {
      res.writeHead(code, { "content-type": type });
      res.end(body);
    };
    handle(req, path, send, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) => reject(new ListenError(what, host, port, error)));
    server.listen(port, host, () => resolve(server));
  });
}

export function startHttp(host: string, port: number, sources: HttpSources): Promise<Server> {
  return listenHttp("--metrics-port", host, port, (req, path, send) => {
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
    if (path === "/api" || path.startsWith("/api/"))
      return send(
        404,
        "text/plain",
        "not found: the API (/api/...) is not served on the metrics port; it listens on --api-port " +
          "(POOLFLEET_API_PORT), closed unless given\n",
      );
    send(404, "text/plain", "not found: try /metrics, /health, /ready or /config\n");
  });
}
