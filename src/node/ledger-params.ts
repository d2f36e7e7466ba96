// The parameters the node judges a transaction or block with at a point of its chain: the network's (config.ts),
// with the horizon of the slot-to-time conversion Plutus scripts see set where the hard-fork combinator stops
// vouching that no era change happens — the first epoch boundary at or after the tip's slot plus the safe zone
// ceil(3k/f), as the era history the node answers state queries with (network/state-queries.ts). A validity
// bound at or past it is `TimeTranslationPastHorizon`, as cardano-node refuses it.
import { stabilityWindow } from "../consensus/nonce.ts";
import type { LedgerParams } from "../ledger/params.ts";
import type { Network } from "./config.ts";

const cache = new WeakMap<Network, { horizon: bigint; params: LedgerParams }>();

/** The first slot past the safe zone of a chain whose tip is at `tipSlot` (null: no block yet). */
export function horizonAt(net: Network, tipSlot: bigint | null): bigint {
  const window = BigInt(stabilityWindow(net.genesis.securityParam, net.genesis.activeSlotsCoeff, false));
  const epochLength = BigInt(net.genesis.epochLength);
  const safe = (tipSlot ?? 0n) + window;
  return ((safe + epochLength - 1n) / epochLength) * epochLength;
}

/** `net.ledgerParams` with the conversion's horizon for a chain whose tip is at `tipSlot`. */
export function ledgerParamsAt(net: Network, tipSlot: bigint | null): LedgerParams {
  const time = net.ledgerParams.plutus?.time;
  if (!time) return net.ledgerParams;
  const horizon = horizonAt(net, tipSlot);
  const hit = cache.get(net);
  if (hit?.horizon === horizon) return hit.params;
  // One object per horizon (it moves once an epoch), so what is derived from it stays cached.
  const params = { ...net.ledgerParams, plutus: { ...net.ledgerParams.plutus!, time: { ...time, horizon } } };
  cache.set(net, { horizon, params });
  return params;
}
