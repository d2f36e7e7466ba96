// The consensus state a node carries along its chain (ouroboros-consensus's PraosState): tip, the last opcert
// counter seen per pool, and the nonces. Applying a header validates it first; nothing invalid is applied.
import type { Header } from "../chain/header.ts";
import { issuerPoolId } from "../chain/header.ts";
import { bytesToHex, hexToBytes } from "../crypto/bytes.ts";
import type { SlotClock } from "../formats/slot-clock.ts";
import { type PoolView, type PraosParams, type PraosValidationError, validateHeader } from "./header-validation.ts";
import {
  applyBlockNonce,
  initialNonceState,
  type Nonce,
  type NonceState,
  praosNonceValue,
  stabilityWindow,
  tickToEpoch,
} from "./nonce.ts";

export interface Tip {
  readonly slot: bigint;
  readonly blockNo: bigint;
  readonly hash: Uint8Array;
}

export interface ChainState {
  readonly tip: Tip | null;
  readonly counters: ReadonlyMap<string, bigint>;
  readonly nonces: NonceState;
}

export interface ChainRules {
  readonly params: PraosParams;
  readonly clock: SlotClock;
  readonly securityParam: number;
  /** Conway's 4k/f randomness window from this epoch (0 on a Conway-from-genesis devnet). */
  readonly conwayFromEpoch: number;
}

export function initialChainState(shelleyGenesisHash: Uint8Array): ChainState {
  return { tip: null, counters: new Map(), nonces: initialNonceState(shelleyGenesisHash) };
}

export type ApplyResult = { ok: true; state: ChainState } | { ok: false; errors: PraosValidationError[] };

/** The nonce state ticked into the epoch of `slot` (what validation of a header in that slot uses). */
export function noncesAt(state: ChainState, rules: ChainRules, slot: bigint): NonceState {
  return tickToEpoch(state.nonces, rules.clock.epochOfSlot(Number(slot)));
}

/**
 * Validate `header` on top of `state` and return the new state. `stake` is the pool distribution in force for
 * the header's epoch (the ledger's, ticked to that epoch).
 */
export function applyHeader(
  state: ChainState,
  header: Header,
  rules: ChainRules,
  stake: ReadonlyMap<string, PoolView>,
): ApplyResult {
  const slot = header.body.slot;
  if (state.tip && slot <= state.tip.slot) {
    return {
      ok: false,
      errors: [
        {
          kind: "LedgerViewUnavailable",
          reason: "slot not after tip",
          message: `header slot ${slot} is not after the tip's slot ${state.tip.slot}`,
        },
      ],
    };
  }
  const epoch = rules.clock.epochOfSlot(Number(slot));
  const nonces = tickToEpoch(state.nonces, epoch);
  const errors = validateHeader(header, {
    params: rules.params,
    epochNonce: nonces.epochNonce,
    ledger: { pool: (id) => stake.get(id), ocertCounter: (id) => state.counters.get(id) },
  });
  if (errors.length > 0) return { ok: false, errors };
  const window = stabilityWindow(
    rules.securityParam,
    rules.params.activeSlotCoeff.value,
    epoch >= rules.conwayFromEpoch,
  );
  const counters = new Map(state.counters);
  counters.set(bytesToHex(issuerPoolId(header)), header.body.opcert.sequenceNumber);
  return {
    ok: true,
    state: {
      tip: { slot, blockNo: header.body.blockNumber, hash: header.hash },
      counters,
      nonces: applyBlockNonce(
        nonces,
        { slot: Number(slot), prevHash: header.body.prevHash, nonce: praosNonceValue(header.body.leaderVrf.output) },
        rules.clock.firstSlotOfEpoch(epoch + 1),
        window,
      ),
    },
  };
}

// JSON form for snapshots: hex for bytes, strings for bigints.
const n2j = (n: Nonce) => (n ? bytesToHex(n) : null);
const j2n = (s: unknown): Nonce => (typeof s === "string" ? hexToBytes(s) : null);

export function chainStateToJson(state: ChainState): unknown {
  return {
    tip: state.tip
      ? { slot: `${state.tip.slot}`, blockNo: `${state.tip.blockNo}`, hash: bytesToHex(state.tip.hash) }
      : null,
    counters: Object.fromEntries([...state.counters].map(([k, v]) => [k, `${v}`])),
    nonces: {
      epoch: state.nonces.epoch,
      evolving: n2j(state.nonces.evolving),
      candidate: n2j(state.nonces.candidate),
      epochNonce: n2j(state.nonces.epochNonce),
      previousEpochNonce: n2j(state.nonces.previousEpochNonce),
      lab: n2j(state.nonces.lab),
      lastEpochBlock: n2j(state.nonces.lastEpochBlock),
    },
  };
}

export function chainStateFromJson(json: unknown): ChainState {
  const j = json as {
    tip: { slot: string; blockNo: string; hash: string } | null;
    counters: Record<string, string>;
    nonces: {
      epoch: number;
      evolving: unknown;
      candidate: unknown;
      epochNonce: unknown;
      previousEpochNonce?: unknown;
      lab: unknown;
      lastEpochBlock: unknown;
    };
  };
  if (!j || typeof j !== "object" || !j.nonces || typeof j.nonces.epoch !== "number")
    throw new Error("not a chain state snapshot");
  return {
    tip: j.tip ? { slot: BigInt(j.tip.slot), blockNo: BigInt(j.tip.blockNo), hash: hexToBytes(j.tip.hash) } : null,
    counters: new Map(Object.entries(j.counters ?? {}).map(([k, v]) => [k, BigInt(v)])),
    nonces: {
      epoch: j.nonces.epoch,
      evolving: j2n(j.nonces.evolving),
      candidate: j2n(j.nonces.candidate),
      epochNonce: j2n(j.nonces.epochNonce),
      // Snapshots written before the field existed: the epoch nonce, as Praos starts it (translateChainDepState).
      previousEpochNonce: j2n(j.nonces.previousEpochNonce ?? j.nonces.epochNonce),
      lab: j2n(j.nonces.lab),
      lastEpochBlock: j2n(j.nonces.lastEpochBlock),
    },
  };
}
