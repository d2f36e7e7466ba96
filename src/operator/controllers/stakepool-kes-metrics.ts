// KES expiry of every StakePool, with or without a KesRotation: the window of the key set its producer runs, as
// the StakePool controller's gate computes it for status.kes. The operator's per-KesRotation series
// (poolfleet_kes_*, metrics.ts) exist only for pools that have a rotation; these exist for every pool whose keys the
// gate has read, so a KES alert can cover them all. Labelled namespace and pool (the StakePool). Figures only.
import { Gauge, Registry } from "prom-client";
import type { KesWindow } from "../../keys/kes-schedule.ts";

export interface PoolKesMetrics {
  /** The window of the key set the pool's producer runs; undefined when it is not known (the series are dropped). */
  observe(namespace: string, pool: string, window: KesWindow | undefined): void;
  /** The StakePool is gone. */
  forget(namespace: string, pool: string): void;
}

const LABELS = ["namespace", "pool"] as const;

/** The StakePool controller's default registry; the operator's main serves it on /metrics. */
export const poolKesMetricsRegistry = new Registry();

/** Registers the gauges once per registry (a second controller on the same registry shares them). */
export function registerPoolKesMetrics(registry: Registry): PoolKesMetrics {
  const gauge = (name: string, help: string): Gauge =>
    (registry.getSingleMetric(name) as Gauge | undefined) ??
    new Gauge({ name, help, labelNames: LABELS, registers: [registry] });
  const expiration = gauge(
    "poolfleet_stakepool_kes_expiration_timestamp_seconds",
    "When the KES window of the key set a StakePool's producer runs ends (unix seconds), with or without a KesRotation.",
  );
  const remaining = gauge(
    "poolfleet_stakepool_kes_periods_remaining",
    "KES periods the StakePool's operational certificate still covers after the current one.",
  );
  return {
    observe(namespace, pool, window) {
      const l = { namespace, pool };
      if (!window) return this.forget(namespace, pool);
      expiration.set(l, window.expiresAt.getTime() / 1000);
      remaining.set(l, Math.max(0, window.end - window.current));
    },
    forget(namespace, pool) {
      for (const g of [expiration, remaining]) g.remove({ namespace, pool });
    },
  };
}
