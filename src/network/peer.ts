// Node-to-node connections: `connectPeer` dials a peer, runs the handshake and returns the initiator-side clients
// of every mini-protocol; `listen` accepts peers, runs the handshake and serves chain-sync, block-fetch,
// keep-alive, tx-submission2 and peer-sharing from a ChainSource. Whatever a peer does wrong ends that connection
// only, with the reason logged and kept; the process and the other connections carry on.
import { connect, createServer, type Server, type Socket } from "node:net";
import { BlockFetchClient, blockFetchSpec, blockFetchTimeLimit, serveBlockFetch } from "./block-fetch.ts";
import type { ChainSource } from "./chain-source.ts";
import { ChainSyncClient, chainSyncSpec, chainSyncTimeLimit, serveChainSync } from "./chain-sync.ts";
import { answerHandshake, N2N_VERSIONS, type Negotiated, proposeHandshake, type VersionData } from "./handshake.ts";
import { KeepAliveClient, keepAliveSpec, keepAliveTimeLimit, serveKeepAlive } from "./keep-alive.ts";
import { INGRESS_LIMITS, type NetworkTimeouts, PROTOCOL, timeoutsWith } from "./limits.ts";
import type { EgressBudget } from "./egress-budget.ts";
import { ConnectionClosedError, Mux, type NetLog, type Side, silentLog } from "./mux.ts";
import {
  type PeerAddress,
  PeerSharingClient,
  peerSharingSpec,
  peerSharingTimeLimit,
  servePeerSharing,
} from "./peer-sharing.ts";
import { Driver, type Message, type ProtocolSpec, type TimeLimit } from "./protocol.ts";
import {
  runTxSubmissionClient,
  serveTxSubmission,
  type TxOffer,
  type TxSubmissionMessage,
  txSubmissionSpec,
  type TxSubmissionState,
  txSubmissionTimeLimit,
} from "./tx-submission.ts";

/** cardano-node's DiffusionMode: a block producer dials out only (InitiatorOnly); relays do both. */
export type DiffusionMode = "InitiatorOnly" | "InitiatorAndResponder";

/** What the responder side serves. */
export interface ResponderServices {
  readonly source: ChainSource;
  /** Transactions pulled from the peer by tx-submission2 (raw era-wrapped items); absent: none are pulled. */
  readonly acceptTxs?: (txs: readonly Uint8Array[], peer: string) => void;
  /** Peers to share; absent: an empty list. */
  readonly sharePeers?: () => readonly PeerAddress[];
}

interface CommonOptions {
  readonly magic: number;
  readonly diffusionMode?: DiffusionMode;
  readonly peerSharing?: boolean;
  readonly timeouts?: Partial<NetworkTimeouts>;
  readonly log?: NetLog;
  /** Handshake versions to offer or accept (default 14 and 15). */
  readonly versions?: readonly number[];
  /** What all connections may queue for sending together (default: the process-wide budget, 64 MiB). */
  readonly egressBudget?: EgressBudget;
}

function driverFor<S extends string, M extends Message>(
  mux: Mux,
  protocol: number,
  side: Side,
  spec: ProtocolSpec<S, M>,
  timeLimit: TimeLimit<S>,
): Driver<S, M> {
  const channel = mux.channel(protocol, side, INGRESS_LIMITS[protocol]!);
  return new Driver(channel, spec, side === "initiator" ? "client" : "server", timeLimit);
}

/** Run a server loop; anything it throws other than a closed connection is our bug: close, log, never crash. */
function supervise(mux: Mux, log: NetLog, what: string, run: Promise<void>): void {
  run.catch((error: unknown) => {
    if (error instanceof ConnectionClosedError) return;
    const reason = `internal error in ${what}: ${(error as Error).message}`;
    log.warn({ peer: mux.label, err: error }, reason);
    mux.close(reason);
  });
}

function startResponders(mux: Mux, services: ResponderServices, t: NetworkTimeouts, log: NetLog): void {
  const cs = driverFor(mux, PROTOCOL.chainSync, "responder", chainSyncSpec, chainSyncTimeLimit(t));
  const bf = driverFor(mux, PROTOCOL.blockFetch, "responder", blockFetchSpec, blockFetchTimeLimit(t));
  const ka = driverFor(mux, PROTOCOL.keepAlive, "responder", keepAliveSpec, keepAliveTimeLimit(t));
  const tx = driverFor(mux, PROTOCOL.txSubmission, "responder", txSubmissionSpec, txSubmissionTimeLimit(t));
  const ps = driverFor(mux, PROTOCOL.peerSharing, "responder", peerSharingSpec, peerSharingTimeLimit(t));
  const accept = services.acceptTxs;
  supervise(mux, log, "chain-sync server", serveChainSync(cs, services.source, mux));
  supervise(mux, log, "block-fetch server", serveBlockFetch(bf, services.source));
  supervise(mux, log, "keep-alive server", serveKeepAlive(ka));
  supervise(
    mux,
    log,
    "tx-submission2 server",
    serveTxSubmission(tx, accept ? (txs) => accept(txs, mux.label) : undefined),
  );
  supervise(mux, log, "peer-sharing server", servePeerSharing(ps, services.sharePeers ?? (() => [])));
}

/** An established outbound connection: the initiator-side client of each mini-protocol. */
export class PeerConnection {
  readonly mux: Mux;
  readonly remote: string;
  readonly version: number;
  readonly versionData: VersionData;
  readonly chainSync: ChainSyncClient;
  readonly blockFetch: BlockFetchClient;
  readonly keepAlive: KeepAliveClient;
  readonly peerSharing: PeerSharingClient | undefined;
  readonly #txDriver: Driver<TxSubmissionState, TxSubmissionMessage>;
  readonly #log: NetLog;

  constructor(mux: Mux, negotiated: Negotiated, t: NetworkTimeouts, log: NetLog) {
    this.mux = mux;
    this.remote = mux.label;
    this.version = negotiated.version;
    this.versionData = negotiated.data;
    this.#log = log;
    this.chainSync = new ChainSyncClient(
      driverFor(mux, PROTOCOL.chainSync, "initiator", chainSyncSpec, chainSyncTimeLimit(t)),
    );
    this.blockFetch = new BlockFetchClient(
      driverFor(mux, PROTOCOL.blockFetch, "initiator", blockFetchSpec, blockFetchTimeLimit(t)),
    );
    this.keepAlive = new KeepAliveClient(
      driverFor(mux, PROTOCOL.keepAlive, "initiator", keepAliveSpec, keepAliveTimeLimit(t)),
    );
    this.peerSharing = negotiated.data.peerSharing
      ? new PeerSharingClient(
          driverFor(mux, PROTOCOL.peerSharing, "initiator", peerSharingSpec, peerSharingTimeLimit(t)),
        )
      : undefined;
    this.#txDriver = driverFor(mux, PROTOCOL.txSubmission, "initiator", txSubmissionSpec, txSubmissionTimeLimit(t));
  }

  /** Why the connection closed, once it has. */
  get closed(): Promise<string> {
    return this.mux.closed;
  }

  /** Offer transactions to the peer (tx-submission2 outbound) until `offer` ends it or the connection closes. */
  offerTransactions(offer: TxOffer): Promise<void> {
    const run = runTxSubmissionClient(this.#txDriver, offer);
    supervise(this.mux, this.#log, "tx-submission2 client", run);
    return run.catch(() => {});
  }

  close(reason = "closed by us"): void {
    this.mux.close(reason);
  }
}

export interface ConnectOptions extends CommonOptions {
  /** Also serve the peer on this connection when both sides are InitiatorAndResponder. */
  readonly serve?: ResponderServices;
  readonly connectTimeoutMs?: number;
}

/** Dial `host:port`, run the handshake and return the connection (rejects with the reason on failure). */
export async function connectPeer(host: string, port: number, options: ConnectOptions): Promise<PeerConnection> {
  const t = timeoutsWith(options.timeouts);
  const log = options.log ?? silentLog;
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ConnectionClosedError(`connect to ${host}:${port} timed out`));
    }, options.connectTimeoutMs ?? t.handshakeMs);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once("error", (error) => {
      clearTimeout(timer);
      reject(new ConnectionClosedError(`connect to ${host}:${port} failed: ${error.message}`));
    });
  });
  const mux = new Mux(socket, {
    log,
    label: `${host}:${port}`,
    sduReadMs: t.handshakeMs,
    sduWriteMs: t.sduWriteMs,
    egressBudget: options.egressBudget,
  });
  mux.onClose((reason) => log.info({ peer: mux.label, reason }, "peer connection closed"));
  const mode = options.diffusionMode ?? "InitiatorOnly";
  const duplex = mode === "InitiatorAndResponder" && options.serve !== undefined;
  const negotiated = await proposeHandshake(
    mux,
    {
      networkMagic: options.magic,
      initiatorOnly: !duplex,
      peerSharing: options.peerSharing ?? false,
      query: false,
    },
    t.handshakeMs,
    options.versions ?? N2N_VERSIONS,
  );
  mux.sduReadMs = t.sduReadMs;
  const conn = new PeerConnection(mux, negotiated, t, log);
  if (duplex && !negotiated.data.initiatorOnly) startResponders(mux, options.serve!, t, log);
  log.info({ peer: mux.label, version: negotiated.version }, "connected to peer");
  return conn;
}

export interface ListenOptions extends CommonOptions, ResponderServices {
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** Connections beyond this are closed at once (cardano-node's AcceptedConnectionsLimit hard limit). */
  readonly maxConnections?: number;
}

/** Refused connections are logged at most this often (the count of the others goes with the next line). */
const REFUSAL_LOG_MS = 10_000;

export interface Disconnect {
  readonly peer: string;
  readonly reason: string;
}

/** Why connections ended, the most recent (bounded), for status pages and tests; node-to-node and -client alike. */
export class DisconnectLog {
  readonly disconnects: Disconnect[] = [];
  readonly #listeners = new Set<(d: Disconnect) => void>();

  onDisconnect(listener: (d: Disconnect) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @internal */
  recordDisconnect(d: Disconnect): void {
    this.disconnects.push(d);
    if (this.disconnects.length > 100) this.disconnects.shift();
    for (const f of [...this.#listeners]) f(d);
  }
}

/** A listening node-to-node server. */
export class NodeServer extends DisconnectLog {
  readonly server: Server;
  readonly connections = new Set<Mux>();
  handshakes = 0;

  constructor(server: Server) {
    super();
    this.server = server;
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === "string") throw new Error("the server is not listening on TCP");
    return a.port;
  }

  /** Connections refused at the limit, in all. */
  refused = 0;
  #refusedSinceLog = 0;
  #lastRefusalLog = -Infinity;

  /**
   * @internal A connection refused at the limit: logged with its address, at most once per REFUSAL_LOG_MS (a flood
   * of refused connections must not become a flood of log lines); the next line says how many were not logged.
   */
  recordRefusal(peer: string, reason: string, log: NetLog): void {
    this.refused++;
    this.#refusedSinceLog++;
    const now = Date.now();
    if (now - this.#lastRefusalLog < REFUSAL_LOG_MS) return;
    log.warn({ peer, reason, refusedSinceLastLog: this.#refusedSinceLog, refused: this.refused }, "peer refused");
    this.#lastRefusalLog = now;
    this.#refusedSinceLog = 0;
  }

  /** Stop accepting, close every connection. */
  async close(): Promise<void> {
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const mux of this.connections) mux.close("the server is shutting down");
    await done;
  }
}

/** Listen for node-to-node peers and serve them from `options.source`. */
export async function listen(options: ListenOptions): Promise<NodeServer> {
  const t = timeoutsWith(options.timeouts);
  const log = options.log ?? silentLog;
  const ours: VersionData = {
    networkMagic: options.magic,
    initiatorOnly: (options.diffusionMode ?? "InitiatorAndResponder") === "InitiatorOnly",
    peerSharing: options.peerSharing ?? false,
    query: false,
  };
  const maxConnections = options.maxConnections ?? 512;
  const server = createServer();
  const node = new NodeServer(server);
  server.on("connection", (socket) => {
    const mux = new Mux(socket, {
      log,
      sduReadMs: t.handshakeMs,
      sduWriteMs: t.sduWriteMs,
      egressBudget: options.egressBudget,
    });
    if (node.connections.size >= maxConnections) {
      const reason = `over the limit of ${maxConnections} connections`;
      mux.close(reason);
      node.recordRefusal(mux.label, reason, log);
      return;
    }
    node.connections.add(mux);
    mux.onClose((reason) => {
      node.connections.delete(mux);
      log.info({ peer: mux.label, reason }, "peer disconnected");
      node.recordDisconnect({ peer: mux.label, reason });
    });
    answerHandshake(mux, ours, t.handshakeMs, options.versions ?? N2N_VERSIONS).then(
      (negotiated) => {
        node.handshakes++;
        mux.sduReadMs = t.sduReadMs;
        log.info({ peer: mux.label, version: negotiated.version }, "peer connected");
        startResponders(mux, options, t, log);
      },
      (error: unknown) => {
        if (!(error instanceof ConnectionClosedError)) mux.close(`handshake failed: ${(error as Error).message}`);
      },
    );
  });
  server.on("error", (error) => log.warn({ err: error }, "node-to-node server error"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return node;
}
