// Prometheus metrics of the node (prom-client), one registry per node. The node's KES series are
// poolfleet_node_kes_*: the operator exports poolfleet_kes_* per KesRotation, and one Prometheus scraping both must
// not see two meanings under one name. cardano-node's own names (cardano_node_metrics_*) are derived from these in
// cardano-metrics.ts.
import { NODE_METRICS, POOL_METRICS } from "../formats/node-metric-names.ts";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { processEgress } from "../network/egress-budget.ts";

/** Why a leader slot went without an adopted block (poolfleet_leader_slots_missed_total{reason}). */
export const MISSED_REASONS = ["stalled", "not-caught-up", "storage", "not-adopted"] as const;
export type MissedReason = (typeof MISSED_REASONS)[number];

/** Drop an unlabelled gauge's sample, so the scrape leaves it out until it is set (prom-client would show 0). */
export function unset(gauge: Gauge): Gauge {
  (gauge as unknown as { hashMap: Record<string, unknown> }).hashMap = {};
  return gauge;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "poolfleet_node_" });
  const g = (name: string, help: string) => new Gauge({ name, help, registers: [registry] });
  const c = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  // Per-pool series for nodes holding several pools (a key bundle); `pool` is the pool's display name.
  const pg = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ["pool"] as const, registers: [registry] });
  const pc = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ["pool"] as const, registers: [registry] });
  const perPool = {
    poolKeysValid: pg(POOL_METRICS.keysValid, "1 when the pool's keys pass the consistency gate and it forges"),
    poolForgingNow: pg(
      POOL_METRICS.forgingNow,
      "1 while this node may forge the pool (keys valid, active at its redundancy level, lease held when fenced)",
    ),
    poolSlotsLed: pc(
      "poolfleet_pool_slots_led_total",
      "slots the pool led (forged for it, or lost to another pool of this node)",
    ),
    poolBlocksForged: pc(POOL_METRICS.blocksForged, "blocks this node forged for the pool"),
    poolSlotsLostToGroup: pc(
      "poolfleet_pool_slots_lost_to_group_total",
      "slots the pool led in which another pool of this node forged the one block",
    ),
    poolKesPeriodsRemaining: pg(
      POOL_METRICS.kesPeriodsRemaining,
      "KES periods left on the pool's operational certificate",
    ),
    poolKesExpiry: pg(
      "poolfleet_pool_kes_expiration_timestamp_seconds",
      "when the pool's KES window ends (unix seconds)",
    ),
    poolOpcertCounter: pg(POOL_METRICS.opcertCounter, "issue number of the pool's operational certificate in use"),
    poolChainOpcertCounter: pg(
      POOL_METRICS.chainOpcertCounter,
      "the pool's last operational certificate issue number on this node's chain",
    ),
  };
  return {
    registry,
    ...perPool,
    /** Drop a pool's labelled series (it left the bundle). */
    removePool(pool: string): void {
      for (const m of Object.values(perPool)) m.remove({ pool });
    },
    tipSlot: g(NODE_METRICS.tipSlot, "slot of the chain tip"),
    tipBlock: g(NODE_METRICS.tipBlock, "block number of the chain tip"),
    tipEpoch: g(NODE_METRICS.tipEpoch, "epoch of the chain tip"),
    blocksForged: c(NODE_METRICS.blocksForged, "blocks this node forged"),
    blocksAdopted: c("poolfleet_blocks_adopted_total", "blocks adopted onto the chain (durable)"),
    leaderChecks: c("poolfleet_leader_checks_total", "slots checked for leadership"),
    leaderChecksLate: c(
      "poolfleet_leader_checks_late_total",
      "leader checks that finished after their slot had ended (the event loop was held up)",
    ),
    leaderChecksMissed: c(
      "poolfleet_leader_checks_missed_total",
      "slots a forging node never checked because the slot loop ran late (skipped after a stall)",
    ),
    slotsLed: c("poolfleet_slots_led_total", "slots this node's pool led (checked on time, or late after a stall)"),
    leaderSlotsMissed: (() => {
      const m = new Counter({
        name: "poolfleet_leader_slots_missed_total",
        help: "leader slots of this node's pool without a block adopted, by reason (stalled: the slot loop did not run in the slot)",
        labelNames: ["reason"],
        registers: [registry],
      });
      for (const reason of MISSED_REASONS) m.inc({ reason }, 0);
      return m;
    })(),
    blocksNotAdopted: c(
      "poolfleet_blocks_not_adopted_total",
      "blocks this node forged that failed validation or storing",
    ),
    blockDelay: unset(
      g(
        "poolfleet_block_delay_seconds",
        "how long after its slot began the latest block adopted from a peer arrived (while following the tip)",
      ),
    ),
    caughtUp: g(
      "poolfleet_caught_up",
      "1 when the chain tip is recent (or every upstream peer says we are at its tip)",
    ),
    peersConnected: g(NODE_METRICS.peersConnected, "node-to-node connections open"),
    egressBuffered: new Gauge({
      name: "poolfleet_network_egress_buffered_bytes",
      help: "bytes held for sending to peers, not yet taken by the kernel (bounded: 64 MiB in all connections)",
      registers: [registry],
      collect() {
        this.set(processEgress.buffered);
      },
    }),
    mempoolTxs: g("poolfleet_mempool_txs", "transactions in the mempool"),
    mempoolBytes: g("poolfleet_mempool_bytes", "bytes of transactions in the mempool"),
    txsSubmitted: c("poolfleet_txs_submitted_total", "transactions accepted into the mempool"),
    txsRejected: c("poolfleet_txs_rejected_total", "transactions refused by the mempool"),
    txsInBlocks: c("poolfleet_txs_in_blocks_total", "transactions in blocks adopted"),
    kesCurrentPeriod: g(NODE_METRICS.kesCurrentPeriod, "current KES period"),
    // A producer's only: left out of the scrape until producer keys pass the gate.
    kesPeriodsRemaining: unset(g(NODE_METRICS.kesPeriodsRemaining, "KES periods left on the operational certificate")),
    kesStartPeriod: unset(g("poolfleet_node_kes_start_period", "first KES period of the operational certificate")),
    kesEndPeriod: unset(
      g("poolfleet_node_kes_end_period", "first KES period the operational certificate no longer covers"),
    ),
    kesExpiry: unset(
      g(NODE_METRICS.kesExpirySeconds, "when the operational certificate's KES window ends (unix seconds)"),
    ),
    opcertCounter: g(NODE_METRICS.opcertCounter, "issue number of the operational certificate in use"),
    chainOpcertCounter: g(
      NODE_METRICS.chainOpcertCounter,
      "the last operational-certificate issue number the chain has seen for this node's pool (a producer's only)",
    ),
    forgingEnabled: g(NODE_METRICS.forgingEnabled, "1 when the node has consistent producer keys and forges"),
    storageHealthy: g(
      "poolfleet_storage_healthy",
      "1 when the chain database can be written, 0 after a failed write until space returns",
    ),
    storageFailures: c(
      "poolfleet_storage_failures_total",
      "failed writes to the chain database or its snapshots (probes included)",
    ),
    keysValid: g(
      NODE_METRICS.keysValid,
      "1 when producer keys are configured and pass the consistency gate, 0 otherwise",
    ),
  };
}

export type NodeMetrics = ReturnType<typeof createMetrics>;
