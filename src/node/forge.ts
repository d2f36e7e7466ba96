// Forging one block: the leader check for the slot and, when elected, a signed block on top of the tip.
// Pure apart from evolving the KES key in memory (which erases the periods it leaves).
import { blockBodyHash, blockBodySize, encodeBlock } from "../chain/block.ts";
import { type Header, signPraosHeader } from "../chain/header.ts";
import type { ChainRules, ChainState } from "../consensus/chain-state.ts";
import { noncesAt } from "../consensus/chain-state.ts";
import type { PoolView } from "../consensus/header-validation.ts";
import { blockBodyParts, type Tx } from "../ledger/tx.ts";
import { praosLeaderValue, praosVrfInput } from "../consensus/vrf-input.ts";
import { checkLeaderNatValue } from "../crypto/leader.ts";
import { vrfEvaluate, vrfProve } from "../crypto/vrf.ts";
import type { ProducerKeys } from "./producer-keys.ts";

export type ForgeOutcome =
  | { readonly kind: "not-leader" }
  | { readonly kind: "kes-window"; readonly reason: string }
  | { readonly kind: "no-stake"; readonly reason: string }
  | { readonly kind: "forged"; readonly header: Header; readonly block: Uint8Array; readonly txs: readonly Tx[] };

export type LeaderOutcome =
  | Exclude<ForgeOutcome, { kind: "forged" }>
  | { readonly kind: "leader"; readonly output: Uint8Array; readonly proof: Uint8Array; readonly evolution: number };

/** Whether the pool leads `slot` with `stake` (the pool distribution in force for the slot's epoch). */
export function leaderCheck(
  slot: bigint,
  state: ChainState,
  rules: ChainRules,
  stake: ReadonlyMap<string, PoolView>,
  keys: ProducerKeys,
): LeaderOutcome {
  const epoch = rules.clock.epochOfSlot(Number(slot));
  const pool = stake.get(keys.poolId);
  if (!pool) return { kind: "no-stake", reason: `pool ${keys.poolId} has no stake in epoch ${epoch}` };
  const kesPeriod = BigInt(rules.clock.kesPeriodOfSlot(Number(slot)));
  const t = Number(kesPeriod - BigInt(keys.opcert.kesPeriod));
  if (t < 0 || t >= rules.params.maxKESEvolutions || t < keys.kes.period) {
    return {
      kind: "kes-window",
      reason: `KES period ${kesPeriod} is outside the certificate's window (from ${keys.opcert.kesPeriod}, ${rules.params.maxKESEvolutions} periods)`,
    };
  }
  const nonce = noncesAt(state, rules, slot).epochNonce;
  const { proof, output } = vrfProve(keys.vrf, praosVrfInput(slot, nonce));
  if (!checkLeaderNatValue(praosLeaderValue(output), pool.stake, rules.params.activeSlotCoeff))
    return { kind: "not-leader" };
  return { kind: "leader", output, proof, evolution: t };
}

/**
 * The slots in [from, from + count) the pool leads, as far as the distributions are known (`stakeFor` returns
 * undefined for an epoch it cannot tell). VRF outputs only, no proofs: what a leader schedule needs. `complete` is
 * false when some epoch's distribution was unknown.
 */
export function leaderSlots(
  from: bigint,
  count: number,
  state: ChainState,
  rules: ChainRules,
  stakeFor: (epoch: number) => ReadonlyMap<string, PoolView> | undefined,
  keys: ProducerKeys,
): { slots: bigint[]; complete: boolean } {
  const slots: bigint[] = [];
  let complete = true;
  for (let slot = from; slot < from + BigInt(count); slot++) {
    const stake = stakeFor(rules.clock.epochOfSlot(Number(slot)));
    if (!stake) complete = false;
    const pool = stake?.get(keys.poolId);
    if (!pool) continue;
    const output = vrfEvaluate(keys.vrf, praosVrfInput(slot, noncesAt(state, rules, slot).epochNonce));
    if (checkLeaderNatValue(praosLeaderValue(output), pool.stake, rules.params.activeSlotCoeff)) slots.push(slot);
  }
  return { slots, complete };
}

/**
 * Forge for `slot` if the pool leads it. `stake` is the pool distribution in force for the slot's epoch;
 * `selectTxs` is called only once elected, and returns the transactions for the block in an order that applies.
 */
export function forgeForSlot(
  slot: bigint,
  state: ChainState,
  rules: ChainRules,
  stake: ReadonlyMap<string, PoolView>,
  keys: ProducerKeys,
  selectTxs: () => readonly Tx[] = () => [],
): ForgeOutcome {
  const leader = leaderCheck(slot, state, rules, stake, keys);
  if (leader.kind !== "leader") return leader;
  const { output, proof, evolution: t } = leader;
  keys.kes.evolveTo(t);
  const txs = selectTxs();
  const parts = blockBodyParts(txs);
  const header = signPraosHeader(
    {
      blockNumber: state.tip ? state.tip.blockNo + 1n : 0n,
      slot,
      prevHash: state.tip ? state.tip.hash : null,
      issuerVkey: keys.opcert.coldVkey,
      vrfVkey: keys.vrf.publicKey,
      leaderVrf: { output, proof },
      blockBodySize: blockBodySize({ bodyParts: parts }),
      blockBodyHash: blockBodyHash({ bodyParts: parts }),
      opcert: {
        hotVkey: keys.opcert.hotVkey,
        sequenceNumber: BigInt(keys.opcert.sequenceNumber),
        kesPeriod: BigInt(keys.opcert.kesPeriod),
        sigma: keys.opcert.sigma,
      },
      protocolVersion: [10, 0],
    },
    keys.kes,
  );
  return { kind: "forged", header, block: encodeBlock(header, parts), txs };
}
