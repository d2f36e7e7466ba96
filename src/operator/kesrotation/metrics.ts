// KES metrics in cert-manager's style (certmanager_certificate_expiration_timestamp_seconds,
// …_renewal_timestamp_seconds, …_ready_status{condition}): absolute timestamps rather than countdowns, so an
// alert is `poolfleet_kes_expiration_timestamp_seconds - time() < 7 * 86400` and keeps working while the
// operator is down. One series per KesRotation (namespace, name) and its pool; the operator registers them once
// in its registry and forgets a rotation's series when the object is deleted. Figures only: nothing here can
// carry key material.
import { Gauge, type Registry } from "prom-client";
import type { KesSchedule } from "../../keys/kes-schedule.ts";

export interface KesSeries {
  readonly namespace: string;
  /** The KesRotation's name. */
  readonly name: string;
  /** The StakePool it keeps fresh. */
  readonly pool: string;
}

export type ConditionStatus = "True" | "False" | "Unknown";
const CONDITION_STATUSES: readonly ConditionStatus[] = ["True", "False", "Unknown"];
const LABELS = ["namespace", "name", "pool"] as const;

export interface KesMetrics {
  /** Record a rotation's schedule (undefined when its certificate cannot be read) and its Ready condition. */
  observe(series: KesSeries, schedule: KesSchedule | undefined, ready: ConditionStatus): void;
  /** Drop every series of a rotation (the KesRotation was deleted). */
  forget(series: KesSeries): void;
}

export function registerKesMetrics(registry: Registry): KesMetrics {
  const gauge = (name: string, help: string, labelNames: readonly string[] = LABELS) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const expiration = gauge(
    "poolfleet_kes_expiration_timestamp_seconds",
    "When the pool's KES key and operational certificate stop being valid (unix seconds).",
  );
  const renewal = gauge(
    "poolfleet_kes_renewal_timestamp_seconds",
    "When the KES key is due for renewal: expiry minus renewBefore (unix seconds).",
  );
  const remaining = gauge(
    "poolfleet_kes_periods_remaining",
    "KES periods the operational certificate still covers, counting the current one (0 once expired or not yet valid).",
  );
  const ready = gauge(
    "poolfleet_kes_ready_status",
    "The KesRotation's Ready condition: 1 on the series whose condition label is its status, 0 on the others.",
    [...LABELS, "condition"],
  );
  const labels = (s: KesSeries) => ({ namespace: s.namespace, name: s.name, pool: s.pool });
  const dropFigures = (s: KesSeries) => {
    for (const g of [expiration, renewal, remaining]) g.remove(labels(s));
  };
  return {
    observe(series, schedule, status) {
      const l = labels(series);
      if (schedule) {
        expiration.set(l, schedule.expiresAt.getTime() / 1000);
        renewal.set(l, schedule.renewalTime.getTime() / 1000);
        remaining.set(l, schedule.periodsRemaining);
      } else {
        dropFigures(series);
      }
      for (const c of CONDITION_STATUSES) ready.set({ ...l, condition: c }, c === status ? 1 : 0);
    },
    forget(series) {
      dropFigures(series);
      for (const c of CONDITION_STATUSES) ready.remove({ ...labels(series), condition: c });
    },
  };
}
