// Leader slots the node let pass without running: when the slot loop wakes up more than a slot late (the process
// was stopped, the event loop stalled, the machine slept), the slots in between were never checked, and any the
// pool led went without a block. They are checked late, so poolfleet_leader_slots_missed_total{reason="stalled"}
// counts them honestly rather than not at all. Bounded: a stall longer than MAX_LATE_CHECKS slots has its last
// MAX_LATE_CHECKS checked and the rest reported as unchecked.

export const MAX_LATE_CHECKS = 5000;

/**
 * The slots in [from, to) the pool led, by `leads` (true: led; false: not; undefined: cannot tell, e.g. the stake
 * distribution of that epoch is not known yet), and how many slots went unchecked (beyond the bound, or unknown).
 */
export function lateLeaderSlots(
  from: bigint,
  to: bigint,
  leads: (slot: bigint) => boolean | undefined,
): { led: bigint[]; unchecked: number } {
  if (to <= from) return { led: [], unchecked: 0 };
  const start = to - from > BigInt(MAX_LATE_CHECKS) ? to - BigInt(MAX_LATE_CHECKS) : from;
  let unchecked = Number(start - from);
  const led: bigint[] = [];
  for (let slot = start; slot < to; slot++) {
    const r = leads(slot);
    if (r === undefined) unchecked++;
    else if (r) led.push(slot);
  }
  return { led, unchecked };
}
