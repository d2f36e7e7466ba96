// The node's side of local state-query: what a client acquires. The node keeps the ledger state at its tip
// only (no states of past blocks), so an acquire at the volatile tip, or at a point that is the tip, holds a copy
// of the ledger's maps taken then (later blocks do not change the client's answers; the copy costs one pass over
// the UTxO); a point further back on the chain is refused as too old, one not on the chain as not on chain, and
// the immutable tip (k blocks back) as too old. The consensus state (nonces, opcert counters) is immutable and
// held as it is.
import type { ChainState } from "../consensus/chain-state.ts";
import { stabilityWindow } from "../consensus/nonce.ts";
import { LedgerState } from "../ledger/state.ts";
import type { ChainSource } from "../network/chain-source.ts";
import { ACQUIRE_FAILURE, type Acquire } from "../network/local-state-query.ts";
import { samePoint } from "../network/points.ts";
import { answerQuery, type QueryView } from "../network/state-queries.ts";
import type { Network } from "./config.ts";

/** The protocol version poolfleet forges and reports (Conway, major 10). */
export const PROTOCOL_VERSION: readonly [number, number] = [10, 0];

/** A copy of the ledger's maps that later blocks do not change (their values are never mutated in place). */
export function copyLedger(l: LedgerState): LedgerState {
  return new LedgerState({
    epoch: l.epoch,
    utxo: new Map(l.utxo),
    accounts: new Map(l.accounts),
    pools: new Map(l.pools),
    futurePools: new Map(l.futurePools),
    retiring: new Map(l.retiring),
    poolDeposits: new Map(l.poolDeposits),
    pots: { ...l.pots },
    snapshots: l.snapshots,
    blocksCurrent: new Map(l.blocksCurrent),
    blocksPrev: new Map(l.blocksPrev),
    rewardUpdate: l.rewardUpdate,
    poolDistr: l.poolDistr,
    dreps: new Map(l.dreps),
    committee: new Map(l.committee),
    committeeHot: new Map(l.committeeHot),
    proposals: new Map(l.proposals),
    govRoots: new Map(l.govRoots),
    constitutionPolicy: l.constitutionPolicy,
    votes: new Map(l.votes),
  });
}

export function stateQueryAcquire(node: {
  network: Pick<Network, "genesis" | "ledgerParams">;
  source: ChainSource;
  ledger: () => LedgerState;
  chain: () => ChainState;
}): Acquire {
  const { genesis, ledgerParams } = node.network;
  const header = (genesis.document.protocolParams as Record<string, unknown> | undefined)?.maxBlockHeaderSize;
  const constants = {
    genesis,
    systemStart: genesis.systemStart,
    epochLength: genesis.epochLength,
    slotLengthMs: genesis.slotLengthMs,
    stabilityWindow: stabilityWindow(genesis.securityParam, genesis.activeSlotsCoeff, false),
    params: ledgerParams,
    protocolVersion: PROTOCOL_VERSION,
    maxBlockHeaderSize: typeof header === "number" ? header : 1100,
  };
  return (target) => {
    const tip = node.source.tip();
    if (target === "immutable") return { failure: ACQUIRE_FAILURE.pointTooOld };
    if (target !== "tip" && !samePoint(target.point, tip.point)) {
      const failure = node.source.has(target.point) ? ACQUIRE_FAILURE.pointTooOld : ACQUIRE_FAILURE.pointNotOnChain;
      return { failure };
    }
    const c = node.chain();
    const chainDep = { lastSlot: c.tip?.slot ?? null, counters: c.counters, nonces: c.nonces };
    const view: QueryView = { ...constants, tip, tipPoint: tip.point, ledger: copyLedger(node.ledger()), chainDep };
    return { answer: (query, version) => answerQuery(view, query, version) };
  };
}
