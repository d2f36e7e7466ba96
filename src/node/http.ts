// The node's HTTP endpoints on the metrics port: /metrics, /health, /ready, /config. Never a key byte.
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HttpSources {
  readonly registry: Registry;
  health(): { status: "ok" | "degraded"; [k: string]: unknown };
  ready(): boolean;
  config(): unknown;
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
    if (req.method !== "GET") return send(405, "text/plain", "method not allowed\n");
    if (path === "/metrics") {
      sources.registry.metrics().then(
        (text) => send(200, sources.registry.contentType, text),
        () => send(500, "text/plain", "metrics unavailable\n"),
      );
      return;
    }
    if (path === "/health") return send(200, "application/json", json(sources.health()));
    if (path === "/ready")
      return sources.ready() ? send(200, "text/plain", "ready\n") : send(503, "text/plain", "not ready\n");
    if (path === "/config") return send(200, "application/json", json(sources.config()));
    send(404, "text/plain", "not found: try /metrics, /health, /ready or /config\n");
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
