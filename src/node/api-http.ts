// The node's API on --api-port (closed unless given): the ledger summary at /api/ledger, the node-to-node
// connections at /api/peers, the pool's coming leader slots at /api/leader-schedule?minutes=N (what a KES swap
// waits on: it restarts the producer), and transaction submission at POST /api/submit/tx (cardano-submit-api's
// interface: the raw CBOR transaction as the body, the transaction id as a JSON string back). A producer's leader
// slots are a map of when to attack it, so this port is only for the operator and the pool's relays (the
// NetworkPolicy says so), never for whoever scrapes metrics. Never a key byte.
import type { Server } from "node:http";
import { InputError } from "../formats/errors.ts";
import { json, listenHttp } from "./http.ts";

export interface ApiSources {
  ledger(): unknown;
  peers(): unknown;
  /**
   * The pools' leader slots in the next `minutes` (a producer; a relay answers with none); `pool`: one pool by
   * display name (a multi-pool node), an InputError when the node holds no such pool.
   */
  leaderSchedule(minutes: number, pool?: string): unknown | Promise<unknown>;
  /** Largest request body accepted by the submit endpoint. */
  readonly maxTxBytes: number;
  submitTx(bytes: Uint8Array): { accepted: true; id: string } | { accepted: false; error: string };
}

export function startApi(host: string, port: number, sources: ApiSources): Promise<Server> {
  return listenHttp("--api-port", host, port, (req, path, send, res) => {
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
    if (path === "/api/ledger") return send(200, "application/json", json(sources.ledger()));
    if (path === "/api/peers") return send(200, "application/json", json(sources.peers()));
    if (path === "/api/leader-schedule") {
      const query = new URL(req.url ?? "/", "http://x").searchParams;
      const minutes = Number(query.get("minutes") ?? "10");
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120)
        return send(400, "application/json", json("minutes must be a whole number from 1 to 120"));
      // Computed off the slot path (leader-schedule.ts): the answer comes on a later turn of the event loop.
      Promise.resolve()
        .then(() => sources.leaderSchedule(minutes, query.get("pool") ?? undefined))
        .then(
          (schedule) => send(200, "application/json", json(schedule)),
          (error: unknown) =>
            // An unknown ?pool= name is the caller's mistake, said as such.
            error instanceof InputError
              ? send(404, "application/json", json(error.message))
              : send(500, "application/json", json(`leader schedule failed: ${(error as Error).message}`)),
        );
      return;
    }
    send(404, "text/plain", "not found: try /api/ledger, /api/peers, /api/leader-schedule or POST /api/submit/tx\n");
  });
}
