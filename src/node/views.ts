// What the node's HTTP API shows of its state: the ledger summary (/api/ledger) and the node-to-node connections
// (/api/peers). Pure functions of the state; public facts only.
import { formatRational } from "../crypto/rational.ts";
import type { Mempool } from "../ledger/mempool.ts";
import type { NodeServer, PeerConnection } from "../network/peer.ts";
import type { NodeChain } from "./chain.ts";

/** Public ledger facts: epoch, pots, pools, the distribution in force, opcert counters and the mempool. */
export function ledgerSummary(chain: NodeChain, mempool: Mempool, tip: unknown) {
  const l = chain.ledger;
  return {
    epoch: l.epoch,
    tip,
    utxoEntries: l.utxo.size,
    stakeAddresses: l.accounts.size,
    pots: l.pots,
    pools: [...l.pools.values()].map((p) => ({
      poolId: p.operator,
      vrfKeyHash: p.vrfKeyHash,
      pledge: p.pledge,
      cost: p.cost,
      margin: formatRational(p.margin),
      retiring: l.retiring.get(p.operator) ?? null,
    })),
    stakeDistribution: Object.fromEntries([...l.poolDistr].map(([id, v]) => [id, formatRational(v.stake)])),
    // The last opcert issue number seen on chain per pool: a KES rotation's next counter is one above it.
    opcertCounters: Object.fromEntries(chain.state.counters),
    mempool: { txs: mempool.size, bytes: mempool.bytes, capacityBytes: mempool.capacityBytes },
  };
}

interface Ends {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}
const ends = (socket: Ends) => ({
  local: `${socket.localAddress}:${socket.localPort}`,
  remote: `${socket.remoteAddress}:${socket.remotePort}`,
});

/** Every node-to-node connection with both ends' addresses (tests match them across nodes). */
export function peerConnections(server: NodeServer | null, outbound: readonly PeerConnection[]) {
  return {
    inbound: [...(server?.connections ?? [])].map((mux) => ends(mux.socket)),
    outbound: outbound.map((c) => ({ ...ends(c.mux.socket), peer: c.remote })),
  };
}
