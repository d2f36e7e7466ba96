// Praos chain selection, as ouroboros-consensus comparePraos: the longer chain (by block number) wins; at
// equal length, blocks of the same issuer in the same slot prefer the higher opcert issue number, and otherwise
// the lower VRF output wins (from Conway only when the two tips are at most `maxDist` slots apart). Never
// switch to a fork that would roll back more than k blocks.
import { bytesToHex } from "../crypto/bytes.ts";

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

export interface BlockRef {
  readonly hash: Uint8Array;
  readonly prevHash: Uint8Array | null;
  readonly view: ChainSelectView;
}

export type SelectionResult =
  | { readonly switched: true; readonly rollback: number; readonly tip: BlockRef }
  | {
      readonly switched: false;
      readonly reason: "not-better" | "fork-too-deep" | "does-not-connect";
      readonly detail: string;
    };

/** The selected chain (its last k+ blocks suffice) and the rule for switching to a candidate fork. */
export class ChainSelector {
  readonly k: number;
  readonly tiebreaker: VrfTiebreaker;
  #chain: BlockRef[] = [];

  constructor(k: number, tiebreaker: VrfTiebreaker = CONWAY_TIEBREAKER) {
    this.k = k;
    this.tiebreaker = tiebreaker;
  }

  get chain(): readonly BlockRef[] {
    return this.#chain;
  }

  get tip(): BlockRef | undefined {
    return this.#chain.at(-1);
  }

  /**
   * Consider a candidate: blocks from just after an intersection with our chain (or from genesis) to its tip.
   * Switches when the candidate tip is preferred and the rollback is at most k blocks.
   */
  consider(candidate: readonly BlockRef[]): SelectionResult {
    if (candidate.length === 0) return { switched: false, reason: "not-better", detail: "empty candidate" };
    const anchor = candidate[0]!.prevHash;
    const anchorHex = anchor ? bytesToHex(anchor) : null;
    let keep: number;
    if (anchorHex === null) keep = 0;
    else {
      const i = this.#chain.findLastIndex((b) => bytesToHex(b.hash) === anchorHex);
      if (i < 0)
        return { switched: false, reason: "does-not-connect", detail: `intersection ${anchorHex} is not on our chain` };
      keep = i + 1;
    }
    for (let i = 1; i < candidate.length; i++) {
      if (bytesToHex(candidate[i]!.prevHash ?? new Uint8Array()) !== bytesToHex(candidate[i - 1]!.hash)) {
        return {
          switched: false,
          reason: "does-not-connect",
          detail: `candidate block ${i} does not extend block ${i - 1}`,
        };
      }
    }
    const rollback = this.#chain.length - keep;
    const tip = this.tip;
    const candidateTip = candidate.at(-1)!;
    if (tip && !preferCandidate(tip.view, candidateTip.view, this.tiebreaker)) {
      return {
        switched: false,
        reason: "not-better",
        detail: `candidate tip block ${candidateTip.view.blockNo} is not preferred over ours ${tip.view.blockNo}`,
      };
    }
    if (rollback > this.k) {
      return {
        switched: false,
        reason: "fork-too-deep",
        detail: `switching would roll back ${rollback} blocks; at most k = ${this.k}`,
      };
    }
    this.#chain = [...this.#chain.slice(0, keep), ...candidate];
    return { switched: true, rollback, tip: candidateTip };
  }
}
