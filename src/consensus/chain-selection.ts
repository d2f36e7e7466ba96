// Praos chain selection, as ouroboros-consensus comparePraos: the longer chain (by block number) wins; at
// equal length, blocks of the same issuer in the same slot prefer the higher opcert issue number, and otherwise
// the lower VRF output wins (from Conway only when the two tips are at most `maxDist` slots apart). Never
// switch to a fork that would roll back more than k blocks (chooseFork, which the node's ChainStore applies).
export type VrfTiebreaker =
  { readonly kind: "unrestricted" } | { readonly kind: "restricted"; readonly maxDist: bigint };

/** Before Conway the VRF tiebreak applies to any two tips; from Conway only within 5 slots (mainnet setting). */
export const UNRESTRICTED: VrfTiebreaker = { kind: "unrestricted" };
export const CONWAY_TIEBREAKER: VrfTiebreaker = { kind: "restricted", maxDist: 5n };

export interface ChainSelectView {
  readonly blockNo: bigint;
  readonly slot: bigint;
  /** Issuer cold verification key. */
  readonly issuer: Uint8Array;
  readonly issueNo: bigint;
  /** The header's (leader) VRF output. */
  readonly vrfOutput: Uint8Array;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}
const sign = (x: bigint): number => (x > 0n ? 1 : x < 0n ? -1 : 0);

/** >0 when `a` is the better tip, <0 when `b` is, 0 when neither is preferred. */
export function compareTips(
  a: ChainSelectView,
  b: ChainSelectView,
  tiebreaker: VrfTiebreaker = CONWAY_TIEBREAKER,
): number {
  const byLength = sign(a.blockNo - b.blockNo);
  if (byLength !== 0) return byLength;
  if (a.slot === b.slot && compareBytes(a.issuer, b.issuer) === 0) {
    const byIssueNo = sign(a.issueNo - b.issueNo);
    if (byIssueNo !== 0) return byIssueNo;
  }
  const distance = a.slot > b.slot ? a.slot - b.slot : b.slot - a.slot;
  if (tiebreaker.kind === "unrestricted" || distance <= tiebreaker.maxDist) {
    return -compareBytes(a.vrfOutput, b.vrfOutput); // lower output is better
  }
  return 0;
}

/** Whether to switch from `ours` to `candidate`: only when the candidate is strictly better. */
export function preferCandidate(
  ours: ChainSelectView,
  candidate: ChainSelectView,
  tiebreaker?: VrfTiebreaker,
): boolean {
  return compareTips(candidate, ours, tiebreaker) > 0;
}

/** Whether to switch our chain to a fork: the one rule the node's ChainStore.adopt applies. */
export type ForkDecision =
  | { readonly switch: true; readonly rollback: number }
  | { readonly switch: false; readonly reason: "beyond-tip" | "too-deep" | "not-better"; readonly message: string };

/**
 * A fork that keeps the first `keep` of our `ourLength` blocks and ends at `candidate`: taken only when it rolls
 * back at most k blocks (ouroboros-consensus never switches deeper) and its tip is strictly preferred over ours
 * (compareTips). Extending our tip (keep = ourLength) is not a fork and is not decided here.
 */
export function chooseFork(input: {
  ourLength: number;
  keep: number;
  k: number;
  ours: ChainSelectView | undefined;
  candidate: ChainSelectView;
  tiebreaker?: VrfTiebreaker;
}): ForkDecision {
  const { ourLength, keep, k } = input;
  if (keep > ourLength)
    return { switch: false, reason: "beyond-tip", message: `fork point ${keep} is beyond our tip ${ourLength}` };
  const rollback = ourLength - keep;
  if (rollback > k)
    return {
      switch: false,
      reason: "too-deep",
      message: `fork is ${rollback} blocks deep, more than k = ${k} (ForkTooDeep)`,
    };
  if (input.ours && !preferCandidate(input.ours, input.candidate, input.tiebreaker))
    return { switch: false, reason: "not-better", message: "the fork is not better than our chain" };
  return { switch: true, rollback };
}
