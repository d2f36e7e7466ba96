// Following one peer's chain: chain-sync headers in, block-fetch bodies from the same peer (the one that
// announced them), adoption through the ChainStore under one lock shared by all peers (so two peers announcing the
// same block fetch it once). Headers are checked as they arrive: they must decode, link to the previous one, and,
// where our chain state can judge them (they extend our tip in the ledger's epoch), pass full Praos header
// validation before any body is fetched. A peer that breaks a rule is disconnected with the reason; the node and
// the other peers carry on.
import { type Block, decodeBlock } from "../chain/block.ts";
import { decodeHeader, type Header, HeaderDecodeError } from "../chain/header.ts";
import { applyHeader, type ChainState } from "../consensus/chain-state.ts";
import { type ChainSelectView, compareTips } from "../consensus/chain-selection.ts";
import { bytesToHex, equalBytes } from "../crypto/bytes.ts";
import { ConnectionClosedError } from "../network/mux.ts";
import type { PeerConnection } from "../network/peer.ts";
import type { BlockPoint, Point } from "../network/points.ts";
import { type AdoptResult, type ChainStore, selectView } from "./chain-store.ts";

/** Headers gathered before fetching their blocks while the peer is still ahead of us (initial sync). */
const BATCH = 100;

export interface SyncHost {
  readonly store: ChainStore;
  /** Runs `fn` alone among all peers' adoptions. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Blocks were adopted from `peer` (mempool, metrics, logs). */
  adopted(peer: string, result: AdoptResult & { ok: true }): void;
  readonly log: { info(o: object, m: string): void; warn(o: object, m: string): void };
}

const pointOf = (h: Header): BlockPoint => ({ slot: h.body.slot, hash: h.hash });

class PeerRuleBroken extends Error {}

/** Follow `conn`'s chain until the connection closes; resolves with the reason. */
export async function followPeer(conn: PeerConnection, host: SyncHost): Promise<string> {
  try {
    await new PeerSync(conn, host).run();
  } catch (error) {
    if (error instanceof PeerRuleBroken) conn.close(error.message);
    else if (!(error instanceof ConnectionClosedError)) {
      host.log.warn({ peer: conn.remote, err: (error as Error).message }, "chain sync failed");
      conn.close(`chain sync failed: ${(error as Error).message}`);
    }
  }
  return conn.closed;
}

class PeerSync {
  readonly #conn: PeerConnection;
  readonly #host: SyncHost;
  /** The last point of the peer's chain that is also on ours (as far as we know). */
  #base: Point = "origin";
  /** The peer's headers after #base that we do not have, oldest first. */
  #pending: Header[] = [];
  /** Chain state after the pending headers, while they extend our tip in the ledger's epoch. */
  #headerState: ChainState | undefined;

  constructor(conn: PeerConnection, host: SyncHost) {
    this.#conn = conn;
    this.#host = host;
  }

  get #store(): ChainStore {
    return this.#host.store;
  }

  async run(): Promise<void> {
    await this.#intersect();
    for (;;) {
      const event = await this.#conn.chainSync.requestNext();
      if (event.kind === "backward") {
        this.#rollBack(event.point);
        continue;
      }
      let header: Header;
      try {
        header = decodeHeader(event.header.bytes);
      } catch (error) {
        if (error instanceof HeaderDecodeError) throw new PeerRuleBroken(`undecodable header: ${error.message}`);
        throw error;
      }
      const peerAhead = event.tip.blockNo > header.body.blockNumber;
      this.#receive(header, !peerAhead);
      if (this.#pending.length > 0 && (!peerAhead || this.#pending.length >= BATCH)) {
        await this.#host.exclusive(() => this.#fetchAndAdopt());
      }
    }
  }

  async #intersect(): Promise<void> {
    const { intersect } = await this.#conn.chainSync.findIntersect(this.#store.intersectionPoints());
    if (intersect === undefined) throw new PeerRuleBroken("chain-sync: no intersection, not even at genesis");
    this.#base = intersect;
    this.#pending = [];
    this.#headerState = undefined;
  }

  #rollBack(point: Point): void {
    if (point !== "origin") {
      const i = this.#pending.findIndex((h) => equalBytes(h.hash, point.hash));
      if (i >= 0) {
        this.#pending.length = i + 1;
        this.#headerState = undefined;
        return;
      }
    }
    this.#base = point;
    this.#pending = [];
    this.#headerState = undefined;
  }

  /** `atTip`: the peer is not ahead, so this header is new news (and worth judging before its body comes). */
  #receive(header: Header, atTip: boolean): void {
    const last = this.#pending.at(-1);
    const prev = last ? last.hash : this.#base === "origin" ? null : this.#base.hash;
    const linked =
      prev === null ? header.body.prevHash === null : header.body.prevHash && equalBytes(header.body.prevHash, prev);
    if (!linked)
      throw new PeerRuleBroken(`chain-sync: header ${bytesToHex(header.hash)} does not follow the previous one`);
    // A block we already have, at any depth (from this or another peer): a peer that is behind us on our own chain
    // is catching up, not forking, however far behind it is.
    if (this.#pending.length === 0 && this.#store.indexOfPoint(pointOf(header)) >= 0) {
      this.#base = pointOf(header);
      return;
    }
    // While catching up, bodies follow at once in batches and applying a block validates its header: checking it
    // here too would do the VRF and KES work twice. At the tip, a header is judged before its body is fetched.
    if (atTip || this.#headerState) this.#validateHeader(header);
    this.#pending.push(header);
    if (this.#pending.length > this.#store.k + BATCH)
      throw new PeerRuleBroken(`chain-sync: fork of over ${this.#store.k} blocks that is not better than ours`);
  }

  /** Full header validation where our state can judge the header: it extends our tip, in the ledger's epoch. */
  #validateHeader(header: Header): void {
    const store = this.#store;
    const chain = store.chain;
    if (this.#pending.length === 0) {
      const tip = chain.tip;
      const extendsTip =
        tip === null ? this.#base === "origin" : this.#base !== "origin" && equalBytes(this.#base.hash, tip.hash);
      this.#headerState = extendsTip ? chain.state : undefined;
    }
    if (!this.#headerState) return;
    if (store.net.clock.epochOfSlot(Number(header.body.slot)) !== chain.ledger.epoch) {
      this.#headerState = undefined; // the next epoch's distribution is the ledger's to compute when it gets there
      return;
    }
    const r = applyHeader(this.#headerState, header, store.net.rules, chain.ledger.poolDistr);
    if (!r.ok) throw new PeerRuleBroken(`invalid header: ${r.errors.map((e) => e.message).join("; ")}`);
    this.#headerState = r.state;
  }

  async #fetchAndAdopt(): Promise<void> {
    const store = this.#store;
    // Another peer may have brought some of these blocks while we waited for the lock.
    while (this.#pending.length > 0 && store.indexOfPoint(pointOf(this.#pending[0]!)) >= 0) {
      this.#base = pointOf(this.#pending.shift()!);
    }
    if (this.#pending.length === 0) return;
    const keep = this.#base === "origin" ? 0 : store.recentIndexOf(this.#base.hash) + 1;
    if (keep === 0 && this.#base !== "origin") {
      // We switched away from the chain this peer was following us on: find where we meet again.
      await this.#intersect();
      return;
    }
    if (keep < store.length && !this.#better(selectView(this.#pending.at(-1)!))) return;
    const from = pointOf(this.#pending[0]!);
    const to = pointOf(this.#pending.at(-1)!);
    const blocks = await this.#conn.blockFetch.fetchRange(from, to);
    if (!blocks) throw new PeerRuleBroken("block-fetch: the peer does not have the blocks it announced");
    if (blocks.length !== this.#pending.length)
      throw new PeerRuleBroken(`block-fetch: asked for ${this.#pending.length} blocks, got ${blocks.length}`);
    const decoded = blocks.map((b, i): Block => {
      let block: Block;
      try {
        block = decodeBlock(b.bytes);
      } catch (error) {
        throw new PeerRuleBroken(`block-fetch: undecodable block: ${(error as Error).message}`);
      }
      if (!equalBytes(block.header.hash, this.#pending[i]!.hash))
        throw new PeerRuleBroken(`block-fetch: block ${i + 1} of the range is not the one announced`);
      return block;
    });
    const result = store.adopt(keep, decoded);
    if (result.ok) {
      this.#base = to;
      this.#pending = [];
      this.#headerState = undefined;
      this.#host.adopted(this.#conn.remote, result);
      return;
    }
    const applied = result.results?.length ?? 0;
    if (applied > 0) {
      this.#base = pointOf(this.#pending[applied - 1]!);
      this.#host.adopted(this.#conn.remote, {
        ok: true,
        results: result.results!,
        hashes: result.hashes!,
        rolledBack: 0,
      });
    }
    if (result.reason === "invalid") throw new PeerRuleBroken(`invalid block: ${result.message}`);
    // Not better (we forged or adopted meanwhile) or too deep: keep the headers; more may come.
    this.#pending = this.#pending.slice(applied);
  }

  #better(candidate: ChainSelectView): boolean {
    const ours = this.#store.tipHeader();
    return !ours || compareTips(candidate, selectView(ours)) > 0;
  }
}
