// Prometheus metrics of the node (prom-client), one registry per node.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "poolfleet_node_" });
  const g = (name: string, help: string) => new Gauge({ name: `poolfleet_${name}`, help, registers: [registry] });
  const c = (name: string, help: string) => new Counter({ name: `poolfleet_${name}`, help, registers: [registry] });
  // Per-pool series for nodes holding several pools (a key bundle); `pool` is the pool's display name.
  const pg = (name: string, help: string) =>
    new Gauge({ name: `poolfleet_pool_${name}`, help, labelNames: ["pool"] as const, registers: [registry] });
  const pc = (name: string, help: string) =>
    new Counter({ name: `poolfleet_pool_${name}`, help, labelNames: ["pool"] as const, registers: [registry] });
  const perPool = {
    poolKeysValid: pg("keys_valid", "1 when the pool's keys pass the consistency gate and it forges"),
    poolForgingNow: pg(
      "forging_now",
      "1 while this node may forge the pool (keys valid, active at its redundancy level, lease held when fenced)",
    ),
    poolSlotsLed: pc("slots_led_total", "slots the pool led (forged for it, or lost to another pool of this node)"),
    poolBlocksForged: pc("blocks_forged_total", "blocks this node forged for the pool"),
    poolSlotsLostToGroup: pc(
      "slots_lost_to_group_total",
      "slots the pool led in which another pool of this node forged the one block",
    ),
    poolKesPeriodsRemaining: pg("kes_periods_remaining", "KES periods left on the pool's operational certificate"),
    poolKesExpiry: pg("kes_expiration_timestamp_seconds", "when the pool's KES window ends (unix seconds)"),
    poolOpcertCounter: pg("opcert_counter", "issue number of the pool's operational certificate in use"),
  };
  return {
    registry,
    ...perPool,
    /** Drop a pool's labelled series (it left the bundle). */
    removePool(pool: string): void {
      for (const m of Object.values(perPool)) m.remove({ pool });
    },
    tipSlot: g("tip_slot", "slot of the chain tip"),
    tipBlock: g("tip_block", "block number of the chain tip"),
    tipEpoch: g("tip_epoch", "epoch of the chain tip"),
    blocksForged: c("blocks_forged_total", "blocks this node forged"),
    blocksAdopted: c("blocks_adopted_total", "blocks adopted onto the chain (durable)"),
    leaderChecks: c("leader_checks_total", "slots checked for leadership"),
    slotsLed: c("slots_led_total", "slots this node's pool led"),
    peersConnected: g("peers_connected", "node-to-node connections open"),
    mempoolTxs: g("mempool_txs", "transactions in the mempool"),
    mempoolBytes: g("mempool_bytes", "bytes of transactions in the mempool"),
    txsSubmitted: c("txs_submitted_total", "transactions accepted into the mempool"),
    txsRejected: c("txs_rejected_total", "transactions refused by the mempool"),
    txsInBlocks: c("txs_in_blocks_total", "transactions in blocks adopted"),
    kesCurrentPeriod: g("kes_current_period", "current KES period"),
    kesPeriodsRemaining: g("kes_periods_remaining", "KES periods left on the operational certificate"),
    kesExpiry: g(
      "kes_expiration_timestamp_seconds",
      "when the operational certificate's KES window ends (unix seconds)",
    ),
    opcertCounter: g("opcert_counter", "issue number of the operational certificate in use"),
    chainOpcertCounter: g(
      "chain_opcert_counter",
      "the last operational-certificate issue number the chain has seen for this node's pool (a producer's only)",
    ),
    forgingEnabled: g("forging_enabled", "1 when the node has consistent producer keys and forges"),
    storageHealthy: g(
      "storage_healthy",
      "1 when the chain database can be written, 0 after a failed write until space returns",
    ),
    storageFailures: c(
      "storage_failures_total",
      "failed writes to the chain database or its snapshots (probes included)",
    ),
    keysValid: g("keys_valid", "1 when producer keys are configured and pass the consistency gate, 0 otherwise"),
  };
}

export type NodeMetrics = ReturnType<typeof createMetrics>;
