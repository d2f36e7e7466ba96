// The leader schedule of one pool over a slot range: for each slot, evaluate the VRF on the Praos input and
// apply the exact leader check. Pure apart from the progress callback; the CLI spreads ranges over workers.
import { type ActiveSlotCoeff, leaderCheck } from "../crypto/leader.ts";
import type { Rational } from "../crypto/rational.ts";
import { type VrfSecretKey, vrfEvaluate } from "../crypto/vrf.ts";
import { praosLeaderValue, praosVrfInput } from "./vrf-input.ts";

export interface ScheduleRange {
  /** First slot (inclusive). */
  readonly from: number;
  /** Last slot (exclusive). */
  readonly to: number;
}

export function leaderSlots(
  key: VrfSecretKey,
  epochNonce: Uint8Array | null,
  range: ScheduleRange,
  sigma: Rational,
  f: ActiveSlotCoeff,
  onProgress?: (slotsDone: number) => void,
  progressEvery = 4096,
): number[] {
  const isLeader = leaderCheck(sigma, f);
  const slots: number[] = [];
  for (let slot = range.from; slot < range.to; slot++) {
    const output = vrfEvaluate(key, praosVrfInput(slot, epochNonce));
    if (isLeader(praosLeaderValue(output))) slots.push(slot);
    if (onProgress && (slot - range.from + 1) % progressEvery === 0) onProgress(slot - range.from + 1);
  }
  onProgress?.(range.to - range.from);
  return slots;
}

/** Split [from, to) into `parts` contiguous ranges of near-equal size. */
export function splitRange(range: ScheduleRange, parts: number): ScheduleRange[] {
  const total = range.to - range.from;
  const n = Math.max(1, Math.min(parts, total));
  const out: ScheduleRange[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ from: range.from + Math.floor((total * i) / n), to: range.from + Math.floor((total * (i + 1)) / n) });
  }
  return out;
}
