// The node's outbound side: the peers of its topology (dialled and redialled by OutboundPeers), and on each
// connection the three things a node does with a peer it dialled — follow its chain, offer it our mempool, keep the
// connection alive. Adoptions from all peers run one at a time.
import type { Logger } from "pino";
import { readTopology } from "../formats/topology.ts";
import { connectPeer, type PeerConnection } from "../network/peer.ts";
import type { AdoptResult, ChainStore } from "./chain-store.ts";
import { OutboundPeers, peerGroups } from "./outbound-peers.ts";
import { followPeer } from "./peer-sync.ts";
import { type MempoolFeed, mempoolOffer } from "./tx-offer.ts";

const KEEP_ALIVE_MS = 10_000;

export interface PeeringHost {
  readonly magic: number;
  readonly log: Logger;
  readonly feed: MempoolFeed;
  store(): ChainStore;
  stopping(): boolean;
  /** Blocks adopted from `peer` (mempool, metrics, logs). */
  adopted(peer: string, result: AdoptResult & { ok: true }): void;
}

export class Peering {
  readonly #host: PeeringHost;
  readonly #outbound: OutboundPeers;
  /** Adoptions from peers run one at a time (a promise chain). */
  #adopting: Promise<unknown> = Promise.resolve();
  /** Connections whose peer has said (chain-sync MsgAwaitReply) that we are at its tip. */
  readonly #atTip = new WeakSet<PeerConnection>();
  #configured = 0;

  constructor(host: PeeringHost, self: { host: string; port: number }) {
    this.#host = host;
    this.#outbound = new OutboundPeers({
      dial: (address, port) => connectPeer(address, port, { magic: host.magic, log: host.log, peerSharing: false }),
      use: (conn) => this.#use(conn),
      self,
      log: host.log,
    });
  }

  get connections(): PeerConnection[] {
    return this.#outbound.connections;
  }

  /** Upstream peers for readiness: access points in the topology, connected, and connected at their tip. */
  get upstream(): { configured: number; connected: number; atTip: number } {
    const conns = this.connections;
    return {
      configured: this.#configured,
      connected: conns.length,
      atTip: conns.filter((c) => this.#atTip.has(c)).length,
    };
  }

  /**
   * Dial the peers of the topology file (at start and on SIGHUP). A producer dials only its local roots; without
   * a topology the node dials nobody and only serves. A file that does not parse keeps the current peers.
   */
  reload(path: string | undefined, producer: boolean): void {
    if (!path) return;
    const log = this.#host.log;
    try {
      const groups = peerGroups(readTopology(path), producer);
      this.#outbound.update(groups);
      this.#configured = groups.reduce((n, g) => n + g.accessPoints.length, 0);
      log.info(
        { topology: path, groups: groups.map((g) => ({ kind: g.kind, hot: g.hotValency, peers: g.accessPoints })) },
        "topology loaded",
      );
    } catch (error) {
      log.error({ topology: path, reason: (error as Error).message }, "topology refused; keeping current peers");
    }
  }

  async stop(): Promise<void> {
    this.#outbound.stop();
    await this.#adopting;
  }

  /** An outbound connection: follow its chain, offer it our mempool, keep it alive; resolves when it closes. */
  #use(conn: PeerConnection): Promise<string> {
    const host = this.#host;
    conn.keepAlive.start(KEEP_ALIVE_MS);
    conn.chainSync.onAwait = () => this.#atTip.add(conn);
    void conn.offerTransactions(mempoolOffer(host.feed, conn.closed));
    return followPeer(conn, {
      store: host.store(),
      log: host.log,
      exclusive: (fn) => {
        const run = this.#adopting.then(() => (host.stopping() ? undefined : fn()));
        this.#adopting = run.catch(() => {});
        return run as Promise<Awaited<ReturnType<typeof fn>>>;
      },
      adopted: (peer, result) => host.adopted(peer, result),
    });
  }
}
