// Status conditions by Kubernetes conventions: one per type; lastTransitionTime moves only when status flips, so
// re-stating an unchanged condition writes nothing; observedGeneration says which spec it was computed from.
import type { z } from "zod";
import type { condition } from "../../api/common.ts";

export type Condition = z.infer<typeof condition>;

export interface ConditionInput {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
}

/** The conditions with `next` set: the previous lastTransitionTime kept unless the status changed. */
export function setCondition(
  previous: readonly Condition[] | undefined,
  next: ConditionInput,
  generation: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(previous ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const stamp = new Date(Math.floor(now.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
  const c: Condition = {
    type: next.type,
    status: next.status,
    reason: next.reason,
    message: next.message,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : stamp,
  };
  if (i >= 0) list[i] = c;
  else list.push(c);
  return list;
}
