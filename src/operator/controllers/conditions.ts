// Status conditions the Kubernetes way (metav1.Condition): lastTransitionTime moves only when a condition's
// status flips, so a reconcile that finds the same truth writes the same condition and the apply is skipped.
import type { z } from "zod";
import type { condition } from "../../api/common.ts";

export type Condition = z.infer<typeof condition>;

export interface ConditionInput {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/** Whole seconds, as the API server stores metav1.Time: a fresher millisecond is not a change. */
export function conditionTime(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The new conditions, keeping each one's lastTransitionTime when its status did not change. */
export function nextConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return {
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message.slice(0, 32768),
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : conditionTime(now),
    };
  });
}

/** Phase Degraded and Ready=False for `reason`: what a controller writes when it refuses its object whole. */
export function refusedStatus(
  previous: readonly Condition[] | undefined,
  reason: string,
  message: string,
  generation: number | undefined,
  now: Date,
) {
  return {
    observedGeneration: generation,
    phase: "Degraded" as const,
    conditions: nextConditions(previous, [{ type: "Ready", status: "False", reason, message }], generation, now),
  };
}
