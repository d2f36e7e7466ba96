// The inputs of `query leadership-schedule --current | --next` read from the node over the socket, as cardano-cli
// reads them: the epoch and its first slot (GetEpochNo and the era history), the nonces (DebugChainDepState), and
// the pool's relative stake. --current: the epoch nonce and the distribution in force (GetPoolDistr2, the exact
// fraction the node's leader check uses). --next: the nonce the next epoch will have, candidate ⭒ the last
// epoch-block nonce (as Praos ticks into a new epoch), known only once the candidate is frozen — the randomness
// stabilisation window (4k/f in Conway) before the epoch's end — and the stake of the mark snapshot, which becomes
// the distribution in force at the next boundary.
import type { CborValue } from "../../codec/cbor.ts";
import { epochNonce, type Nonce, stabilityWindow } from "../../consensus/nonce.ts";
import { bytesToHex } from "../../crypto/bytes.ts";
import type { Rational } from "../../crypto/rational.ts";
import { InputError } from "../../formats/errors.ts";
import type { ShelleyGenesis } from "../../formats/genesis.ts";
import { conwayQuery, currentEraResult, withLocalNode } from "../local-node.ts";
import { num } from "./query-node.ts";

export interface NodeLeadershipInputs {
  readonly epoch: number;
  readonly start: number;
  readonly length: number;
  readonly nonce: Nonce;
  readonly sigma: Rational;
}

/** A ledger nonce: NeutralNonce [0] or Nonce [1, hash]. */
const nonceOf = (v: CborValue): Nonce => ((v as CborValue[])[0] === 1 ? ((v as CborValue[])[1] as Uint8Array) : null);

/** The chain-dependent state's nonces: [0, [lastSlot, counters, evolving, candidate, epoch, previous, lab, lastEpochBlock]]. */
export function praosState(answer: CborValue) {
  const [, inner] = currentEraResult(answer) as [CborValue, CborValue[]];
  const [, counters, , candidate, epoch, , , lastEpochBlock] = inner;
  return {
    counters: new Map([...(counters as Map<Uint8Array, CborValue>)].map(([id, n]) => [bytesToHex(id), num(n)])),
    candidate: nonceOf(candidate!),
    epochNonce: nonceOf(epoch!),
    lastEpochBlock: nonceOf(lastEpochBlock!),
  };
}

/** The first slot of `epoch` and the epoch length from the era history's last era (Conway). */
function epochBounds(history: CborValue, epoch: number): { start: number; length: number } {
  const eras = history as CborValue[][];
  const [startBound, , params] = eras.at(-1)! as [CborValue[], CborValue, CborValue[]];
  const length = num(params[0]!);
  return { start: num(startBound[1]!) + (epoch - num(startBound[2]!)) * length, length };
}

const fraction = (v: CborValue): Rational => {
  const [n, d] = (v as unknown as { value: [number | bigint, number | bigint] }).value;
  return { num: BigInt(n), den: BigInt(d) };
};

export async function nodeLeadershipInputs(
  target: { path: string; magic: number },
  poolId: Uint8Array,
  next: boolean,
  genesis: ShelleyGenesis,
): Promise<NodeLeadershipInputs> {
  const filter = [[poolId]];
  const [epochAnswer, history, point, chainDep, stake] = await withLocalNode(target, (n) =>
    n.query(
      conwayQuery(1),
      [0, [2, [0]]],
      [3],
      conwayQuery(13),
      next ? conwayQuery(20, filter) : conwayQuery(36, filter),
    ),
  );
  const current = num(currentEraResult(epochAnswer!));
  const epoch = current + (next ? 1 : 0);
  const { start, length } = epochBounds(history!, epoch);
  const nonces = praosState(chainDep!);
  const id = bytesToHex(poolId);
  if (!next) {
    const [pools] = currentEraResult(stake!) as [Map<Uint8Array, CborValue[]>];
    const entry = [...pools].find(([k]) => bytesToHex(k) === id);
    return {
      epoch,
      start,
      length,
      nonce: nonces.epochNonce,
      sigma: entry ? fraction(entry[1][0]!) : { num: 0n, den: 1n },
    };
  }
  const tipSlot = (point as CborValue[]).length ? num((point as CborValue[])[0]!) : 0;
  const frozenFrom = start - stabilityWindow(genesis.securityParam, genesis.activeSlotsCoeff, true);
  if (tipSlot < frozenFrom)
    throw new InputError(
      "--next",
      `epoch ${epoch}'s nonce is not fixed until slot ${frozenFrom} (the node's tip is at slot ${tipSlot}): ask again then`,
    );
  const [pools, totalMark] = currentEraResult(stake!) as [Map<Uint8Array, CborValue[]>, CborValue];
  const entry = [...pools].find(([k]) => bytesToHex(k) === id);
  const mark = entry ? BigInt(entry[1][0] as number | bigint) : 0n;
  const total = BigInt(totalMark as number | bigint);
  return {
    epoch,
    start,
    length,
    nonce: epochNonce(nonces.candidate, nonces.lastEpochBlock),
    sigma: total === 0n ? { num: 0n, den: 1n } : { num: mark, den: total },
  };
}
