// The peers this node dials, from cardano-node's P2P topology: each local-root group is kept at its hotValency
// connections (trying the group's access points in turn), public roots and bootstrap peers likewise for relays.
// A block producer dials only its local roots (its own relays). Names are resolved again at every attempt, so a
// relay that moved (a new pod IP behind the same DNS name) is found; failed or dropped connections are retried with
// exponential backoff and jitter. `update` applies a new topology (SIGHUP) without touching groups that stayed.
import { lookup } from "node:dns/promises";
import type { AccessPoint, Topology } from "../formats/topology.ts";
import { localRoots } from "../formats/topology.ts";
import type { PeerConnection } from "../network/peer.ts";

export interface PeerGroup {
  /** Identity of the group across topology reloads. */
  readonly key: string;
  readonly kind: "local" | "public" | "bootstrap";
  readonly accessPoints: readonly AccessPoint[];
  readonly hotValency: number;
}

/** The groups to dial. A producer (keys given) dials its local roots only and never public or bootstrap peers. */
export function peerGroups(topology: Topology, producer: boolean): PeerGroup[] {
  const groups: PeerGroup[] = localRoots(topology).map((g) => ({
    key: "",
    kind: "local",
    accessPoints: g.accessPoints,
    hotValency: Math.min(g.hotValency, g.accessPoints.length),
  }));
  if (!producer) {
    for (const g of topology.publicRoots)
      groups.push({ key: "", kind: "public", accessPoints: g.accessPoints, hotValency: g.accessPoints.length });
    const bootstrap = topology.bootstrapPeers ?? [];
    if (bootstrap.length > 0)
      groups.push({ key: "", kind: "bootstrap", accessPoints: bootstrap, hotValency: bootstrap.length });
  }
  return groups
    .filter((g) => g.hotValency > 0)
    .map((g) => ({ ...g, key: JSON.stringify([g.kind, g.hotValency, g.accessPoints]) }));
}

export interface OutboundOptions {
  dial(host: string, port: number): Promise<PeerConnection>;
  /** Runs the connection; resolves (with the close reason) once it has closed. */
  use(conn: PeerConnection, group: PeerGroup): Promise<string>;
  /** Our own listening address, so a topology that lists us is not dialled. */
  readonly self?: { readonly host: string; readonly port: number };
  readonly log: { info(o: object, m: string): void; warn(o: object, m: string): void };
  readonly backoffMs?: { readonly initial: number; readonly max: number };
  /** Bounds a DNS lookup. */
  readonly resolveTimeoutMs?: number;
}

const DEFAULT_BACKOFF = { initial: 500, max: 60_000 };

class GroupKeeper {
  readonly group: PeerGroup;
  readonly #options: OutboundOptions;
  readonly #abort = new AbortController();
  readonly #inUse = new Set<number>();
  readonly connections = new Set<PeerConnection>();
  #next = 0;

  constructor(group: PeerGroup, options: OutboundOptions) {
    this.group = group;
    this.#options = options;
    for (let i = 0; i < group.hotValency; i++) void this.#slot();
  }

  stop(): void {
    this.#abort.abort();
    for (const c of this.connections) c.close("topology changed or node stopping");
  }

  /** One hot connection of the group: dial, use until closed, back off on failure, again. */
  async #slot(): Promise<void> {
    const backoff = this.#options.backoffMs ?? DEFAULT_BACKOFF;
    let delay = backoff.initial;
    while (!this.#abort.signal.aborted) {
      const index = this.#pick();
      if (index === undefined) {
        await this.#sleep(backoff.initial);
        continue;
      }
      const ap = this.group.accessPoints[index]!;
      this.#inUse.add(index);
      const conn = await this.#dial(ap);
      if (conn && !this.#abort.signal.aborted) {
        delay = backoff.initial;
        this.connections.add(conn);
        await this.#options.use(conn, this.group);
        this.connections.delete(conn);
      } else conn?.close("node stopping");
      this.#inUse.delete(index);
      // Jitter keeps relays that lost the same peer from redialling it in lockstep.
      await this.#sleep(delay * (0.5 + Math.random() / 2));
      delay = Math.min(delay * 2, backoff.max);
    }
  }

  /** The next access point no other slot of this group is using, round robin. */
  #pick(): number | undefined {
    const n = this.group.accessPoints.length;
    for (let i = 0; i < n; i++) {
      const index = (this.#next + i) % n;
      if (!this.#inUse.has(index)) {
        this.#next = index + 1;
        return index;
      }
    }
    return undefined;
  }

  async #dial(ap: AccessPoint): Promise<PeerConnection | undefined> {
    const { log, self } = this.#options;
    let addresses: string[];
    try {
      const timeout = this.#options.resolveTimeoutMs ?? 10_000;
      const found = await Promise.race([
        lookup(ap.address, { all: true }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timed out")), timeout).unref()),
      ]);
      addresses = found.map((a) => a.address);
    } catch (error) {
      log.warn({ peer: `${ap.address}:${ap.port}`, err: (error as Error).message }, "cannot resolve peer");
      return undefined;
    }
    for (const address of addresses) {
      if (self && ap.port === self.port && (address === self.host || ap.address === self.host)) {
        log.warn({ peer: `${address}:${ap.port}` }, "topology lists this node itself; not dialling it");
        continue;
      }
      try {
        return await this.#options.dial(address, ap.port);
      } catch (error) {
        log.info({ peer: `${address}:${ap.port}`, reason: (error as Error).message }, "cannot connect to peer");
      }
    }
    return undefined;
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done);
    });
  }
}

export class OutboundPeers {
  readonly #options: OutboundOptions;
  readonly #groups = new Map<string, GroupKeeper>();

  constructor(options: OutboundOptions) {
    this.#options = options;
  }

  /** Dial the groups of a (new) topology: groups that stayed keep their connections; removed ones are closed. */
  update(groups: readonly PeerGroup[]): void {
    const wanted = new Map(groups.map((g) => [g.key, g]));
    for (const [key, keeper] of this.#groups) {
      if (!wanted.has(key)) {
        keeper.stop();
        this.#groups.delete(key);
      }
    }
    for (const [key, group] of wanted) {
      if (!this.#groups.has(key)) this.#groups.set(key, new GroupKeeper(group, this.#options));
    }
  }

  get connections(): PeerConnection[] {
    return [...this.#groups.values()].flatMap((g) => [...g.connections]);
  }

  stop(): void {
    for (const keeper of this.#groups.values()) keeper.stop();
    this.#groups.clear();
  }
}
