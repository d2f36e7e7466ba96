// The node's side of local state-query: what a client acquires. An acquire at the volatile tip, or at a point
// that is the tip, holds a copy of the ledger's maps taken then (later blocks do not change the client's answers;
// the copy costs one pass over the UTxO). The node keeps the ledger state of its tip only, so a point further back
// — one of the last k blocks, or the immutable tip k blocks back — is re-derived for that client by `stateAt`
// (ChainStore.stateForQuery: a kept snapshot plus a bounded replay) or refused as too old; a point not on the
// chain is refused as not on chain. The consensus state (nonces, opcert counters) is immutable and held as it is.
import type { ChainState } from "../consensus/chain-state.ts";
import { stabilityWindow } from "../consensus/nonce.ts";
import { LedgerState } from "../ledger/state.ts";
import type { ChainSource } from "../network/chain-source.ts";
import { ACQUIRE_FAILURE, type Acquire } from "../network/local-state-query.ts";
import { type Point, samePoint, type Tip } from "../network/points.ts";
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
    committeeResignAnchors: new Map(l.committeeResignAnchors),
    proposals: new Map(l.proposals),
    govRoots: new Map(l.govRoots),
    constitutionPolicy: l.constitutionPolicy,
    constitutionAnchor: l.constitutionAnchor,
    votes: new Map(l.votes),
    // Replaced whole when they change, never mutated in place.
    committeeThreshold: l.committeeThreshold,
    paramChanges: l.paramChanges,
    protocolVersion: l.protocolVersion,
    ratified: l.ratified,
    dormantEpochs: l.dormantEpochs,
  });
}

/** A past state the node re-derives for an acquire (ChainStore.stateForQuery), or why it cannot. */
export type PastState =
  { readonly ledger: LedgerState; readonly chain: ChainState; readonly tip: Tip } | "tip" | "too-old" | "not-on-chain";

export function stateQueryAcquire(node: {
  network: Pick<Network, "genesis" | "ledgerParams">;
  source: ChainSource;
  ledger: () => LedgerState;
  chain: () => ChainState;
  /** States of points other than the tip; without it only the tip is acquirable. */
  stateAt?: (target: Point | "immutable") => PastState;
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
  const held = (tip: Tip, ledger: LedgerState, c: ChainState) => {
    const chainDep = { lastSlot: c.tip?.slot ?? null, counters: c.counters, nonces: c.nonces };
    const view: QueryView = { ...constants, tip, tipPoint: tip.point, ledger, chainDep };
    return { answer: (query: Uint8Array, version: number) => answerQuery(view, query, version) };
  };
  const atTip = () => held(node.source.tip(), copyLedger(node.ledger()), node.chain());
  return (target) => {
    const tip = node.source.tip();
    if (target === "tip") return atTip();
    const where = target === "immutable" ? target : target.point;
    if (where !== "immutable" && samePoint(where, tip.point)) return atTip();
    if (!node.stateAt) {
      const onChain = where === "immutable" || node.source.has(where);
      return { failure: onChain ? ACQUIRE_FAILURE.pointTooOld : ACQUIRE_FAILURE.pointNotOnChain };
    }
    const past = node.stateAt(where);
    if (past === "tip") return atTip();
    if (past === "too-old") return { failure: ACQUIRE_FAILURE.pointTooOld };
    if (past === "not-on-chain") return { failure: ACQUIRE_FAILURE.pointNotOnChain };
    return held(past.tip, past.ledger, past.chain); // re-derived for this client alone: no copy needed
  };
}
