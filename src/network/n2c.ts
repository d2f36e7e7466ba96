// The node-to-client server: the local socket (--socket-path) that cardano-cli-style tools and gouroboros's
// node-to-client client connect to. One mux per connection, the N2C handshake, then local chain-sync (whole
// blocks), local tx-submission, local state-query and local tx-monitor. Anything a client does wrong ends that
// connection only, as on node-to-node.
// The socket file: a stale one (nothing accepts on it) is replaced; one another process is listening on, or a
// path that is not a socket, is refused; mode 0660 after bind (owner and group, like cardano-node's socket
// under its usual umask), and the file is removed on close.
import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import type { ChainSource } from "./chain-source.ts";
import { answerN2cHandshake, N2C_VERSIONS, n2cVersionName } from "./n2c-handshake.ts";
import { INGRESS_LIMITS, N2C_PROTOCOL, type NetworkTimeouts, timeoutsWith } from "./limits.ts";
import { localChainSyncSpec, localChainSyncTimeLimit, serveLocalChainSync } from "./local-chain-sync.ts";
import { type Acquire, localStateQuerySpec, serveLocalStateQuery } from "./local-state-query.ts";
import { localTxMonitorSpec, type MempoolSnapshot, serveLocalTxMonitor } from "./local-tx-monitor.ts";
import { type LocalSubmitResult, localTxSubmissionSpec, serveLocalTxSubmission } from "./local-tx-submission.ts";
import { ConnectionClosedError, Mux, type NetLog, silentLog } from "./mux.ts";
import { DisconnectLog } from "./peer.ts";
import { Driver } from "./protocol.ts";

export const SOCKET_MODE = 0o660;

export interface LocalServices {
  readonly magic: number;
  readonly source: ChainSource;
  /** A transaction from local tx-submission (era index and the transaction's own bytes). */
  readonly submitTx: (hfcIndex: number, tx: Uint8Array) => LocalSubmitResult;
  /** Local state-query's ledger states; without it the mini-protocol is not served. */
  readonly acquire?: Acquire;
  /** Local tx-monitor's mempool snapshots; without it the mini-protocol is not served. */
  readonly mempool?: () => MempoolSnapshot;
  readonly log?: NetLog;
  readonly timeouts?: Partial<NetworkTimeouts>;
  readonly versions?: readonly number[];
  readonly maxConnections?: number;
}

/** The socket path cannot be ours: in use by another process, not a socket, or too long. */
export class SocketPathError extends Error {
  override name = "SocketPathError";
}

/** sun_path holds 108 bytes with the terminating NUL; libuv silently cuts a longer path, so it is refused. */
export const MAX_SOCKET_PATH_BYTES = 107;

export class LocalServer extends DisconnectLog {
  readonly server: Server;
  /** The Unix socket's path, or for the TCP listener "host:port". */
  readonly path: string;
  readonly connections = new Set<Mux>();
  handshakes = 0;

  constructor(server: Server, path: string) {
    super();
    this.server = server;
    this.path = path;
  }

  /** The TCP listener's port (0 for a Unix socket). */
  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : 0;
  }

  /** Stop accepting, close every connection, remove the socket file (a Unix socket's). */
  async close(): Promise<void> {
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const mux of this.connections) mux.close("the node is shutting down");
    await done;
    if (this.port === 0) removeIfSocket(this.path);
  }
}

function removeIfSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** Whether something accepts connections on the Unix socket at `path`. */
function someoneListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const timer = setTimeout(() => finish(true), 2000);
    const finish = (answer: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(answer);
    };
    s.once("connect", () => finish(true));
    s.once("error", () => finish(false));
  });
}

/** Make `path` free for our socket: replace a stale socket, refuse a live one or anything that is not a socket. */
async function claimPath(path: string): Promise<void> {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new SocketPathError(`the path is ${bytes} bytes; a Unix socket path has at most ${MAX_SOCKET_PATH_BYTES}`);
  }
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!stat.isSocket()) throw new SocketPathError(`${path} exists and is not a socket; not replacing it`);
  if (await someoneListening(path)) throw new SocketPathError(`another process is listening on ${path}`);
  unlinkSync(path);
}

/** Listen on the Unix socket at `path` and serve local clients. */
export async function listenLocal(path: string, services: LocalServices): Promise<LocalServer> {
  await claimPath(path);
  const local = serveLocal(path, services);
  await listening(local.server, (done) => local.server.listen(path, done));
  chmodSync(path, SOCKET_MODE);
  return local;
}

/**
 * The same protocols on a TCP port, for clients in the cluster (ogmios, kupo, db-sync sidecars): closed unless the
 * node is given a port. Anyone who reaches it can submit transactions and read the ledger, as on the socket.
 */
export async function listenLocalTcp(host: string, port: number, services: LocalServices): Promise<LocalServer> {
  const local = serveLocal(`${host}:${port}`, services);
  await listening(local.server, (done) => local.server.listen(port, host, done));
  return local;
}

function listening(server: Server, listen: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    listen(() => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** A server (not yet listening) that runs the N2C handshake and the local responders on each connection. */
function serveLocal(where: string, services: LocalServices): LocalServer {
  const t = timeoutsWith(services.timeouts);
  const log = services.log ?? silentLog;
  const maxConnections = services.maxConnections ?? 64;
  const server = createServer();
  const local = new LocalServer(server, where);
  let serial = 0;
  server.on("connection", (socket) => {
    const mux = new Mux(socket, { log, sduReadMs: t.handshakeMs, label: `local client ${++serial}` });
    if (local.connections.size >= maxConnections) {
      mux.close(`over the limit of ${maxConnections} local connections`);
      return;
    }
    local.connections.add(mux);
    mux.onClose((reason) => {
      local.connections.delete(mux);
      log.info({ client: mux.label, reason }, "local client disconnected");
      local.recordDisconnect({ peer: mux.label, reason });
    });
    answerN2cHandshake(mux, services.magic, t.handshakeMs, services.versions ?? N2C_VERSIONS).then(
      (negotiated) => {
        local.handshakes++;
        mux.sduReadMs = t.sduReadMs;
        log.info({ client: mux.label, version: n2cVersionName(negotiated.version) }, "local client connected");
        startLocalResponders(mux, services, log, negotiated.version);
      },
      (error: unknown) => {
        if (!(error instanceof ConnectionClosedError)) mux.close(`handshake failed: ${(error as Error).message}`);
      },
    );
  });
  server.on("error", (error) => log.warn({ err: error }, "node-to-client server error"));
  return local;
}

function startLocalResponders(mux: Mux, services: LocalServices, log: NetLog, version: number): void {
  const cs = new Driver(
    mux.channel(N2C_PROTOCOL.localChainSync, "responder", INGRESS_LIMITS[N2C_PROTOCOL.localChainSync]!),
    localChainSyncSpec,
    "server",
    localChainSyncTimeLimit,
  );
  const tx = new Driver(
    mux.channel(N2C_PROTOCOL.localTxSubmission, "responder", INGRESS_LIMITS[N2C_PROTOCOL.localTxSubmission]!),
    localTxSubmissionSpec,
    "server",
    () => null,
  );
  supervise(mux, log, "local chain-sync server", serveLocalChainSync(cs, services.source, mux));
  supervise(mux, log, "local tx-submission server", serveLocalTxSubmission(tx, services.submitTx));
  if (services.acquire) {
    const lsq = new Driver(
      mux.channel(N2C_PROTOCOL.localStateQuery, "responder", INGRESS_LIMITS[N2C_PROTOCOL.localStateQuery]!),
      localStateQuerySpec,
      "server",
      () => null, // cardano-node waits for local clients for ever
    );
    supervise(
      mux,
      log,
      "local state-query server",
      serveLocalStateQuery(lsq, services.acquire, log, mux.label, version),
    );
  }
  if (services.mempool) {
    const monitor = new Driver(
      mux.channel(N2C_PROTOCOL.localTxMonitor, "responder", INGRESS_LIMITS[N2C_PROTOCOL.localTxMonitor]!),
      localTxMonitorSpec,
      "server",
      () => null,
    );
    supervise(mux, log, "local tx-monitor server", serveLocalTxMonitor(monitor, services.mempool, mux));
  }
}

/** A server loop that throws anything but a closed connection has a bug: close, log, never crash. */
function supervise(mux: Mux, log: NetLog, what: string, run: Promise<void>): void {
  run.catch((error: unknown) => {
    if (error instanceof ConnectionClosedError) return;
    const reason = `internal error in ${what}: ${(error as Error).message}`;
    log.warn({ client: mux.label, err: error }, reason);
    mux.close(reason);
  });
}
