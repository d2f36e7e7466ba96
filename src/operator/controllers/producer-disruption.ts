// When a drain may evict a pool's producer: the policy behind its PodDisruptionBudget, a pure function of what the
// producer says of its leader slots and the clock (cert-manager's shape: policy as a function, clock injected).
// A single-replica producer behind minAvailable 1 blocks every drain forever; behind nothing, a drain may take it
// a second before it leads a slot, and the block is lost. So the budget opens (minAvailable 0) only while the
// producer reports no leader slot within the margin (the margin KES swaps respect), and closes again before the
// next one. A producer that cannot be asked keeps the budget closed: losing a block is worse than a waiting drain.
// A producer that is not ready is not forging, so there is nothing to protect and a drain may go.
import type { LeaderSlotView } from "../node-client/node-metrics.ts";

export interface DisruptionDecision {
  allowed: boolean;
  /** Condition reason and message (DisruptionAllowed). */
  reason: "ProducerNotReady" | "NoLeaderSlotNear" | "LeaderSlotNear" | "ScheduleUnknown";
  message: string;
  /** When the decision may change (the next leader slot enters the margin, or the near one has passed). */
  recheckInMs?: number;
}

/** How far ahead to ask: twice the margin, so an open budget knows when to close. */
export const lookaheadMinutes = (marginMinutes: number) => 2 * marginMinutes;

export function producerDisruption(input: {
  producerReady: boolean;
  view: LeaderSlotView | undefined;
  now: Date;
  marginMinutes: number;
}): DisruptionDecision {
  const { now, marginMinutes } = input;
  if (!input.producerReady || !input.view)
    return {
      allowed: true,
      reason: "ProducerNotReady",
      message: "The producer is not ready, so it forges nothing a drain could interrupt",
    };
  const view = input.view;
  if (!view.known)
    return {
      allowed: false,
      reason: "ScheduleUnknown",
      message: `The producer's leader schedule cannot be read (${view.why}); evictions wait until it can`,
    };
  const marginMs = marginMinutes * 60_000;
  const at = view.next ? Date.parse(view.next.at) : undefined;
  if (at !== undefined && at - now.getTime() <= marginMs)
    return {
      allowed: false,
      reason: "LeaderSlotNear",
      message: `The producer leads slot ${view.next!.slot} at ${view.next!.at}, within ${marginMinutes} minutes; evictions wait until it has passed`,
      recheckInMs: Math.max(1000, at - now.getTime() + 1000),
    };
  return {
    allowed: true,
    reason: "NoLeaderSlotNear",
    message:
      `The producer leads no slot within ${marginMinutes} minutes` +
      (view.next ? ` (next: slot ${view.next.slot} at ${view.next.at})` : "") +
      "; one eviction may proceed",
    ...(at !== undefined ? { recheckInMs: Math.max(1000, at - marginMs - now.getTime()) } : {}),
  };
}
