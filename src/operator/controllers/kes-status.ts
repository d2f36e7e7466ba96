// The StakePool's status.kes from the gate's KES window (keys/kes-schedule.ts kesWindow) and the certificate's
// counter: the figures `kubectl get` shows and KES reminders are computed from. Pure.
import type { StakePoolStatus } from "../../api/stakepool.ts";
import type { KesWindow } from "../../keys/kes-schedule.ts";

export type KesStatus = NonNullable<StakePoolStatus["kes"]>;

export function kesStatus(window: KesWindow, counter: number): KesStatus {
  return {
    currentPeriod: window.current,
    startPeriod: window.start,
    endPeriod: window.end,
    periodsLeft: window.end - window.current,
    // Whole seconds: status that changes every millisecond would be a write on every reconcile.
    expiresAt: new Date(Math.floor(window.expiresAt.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    counter,
  };
}
