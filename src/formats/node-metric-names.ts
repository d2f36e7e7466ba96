// The names of the poolfleet-node /metrics series that other programs read: the node registers them
// (src/node/metrics.ts) and the operator reads a producer's status from them (src/operator/node-client/). One leaf
// both import, so a rename cannot leave one side reading a series the other no longer writes. A format of the
// node's metrics endpoint, like config.json is of its start.

/** Unlabelled series of every node. */
export const NODE_METRICS = {
  tipSlot: "poolfleet_tip_slot",
  tipBlock: "poolfleet_tip_block",
  tipEpoch: "poolfleet_tip_epoch",
  blocksForged: "poolfleet_blocks_forged_total",
  peersConnected: "poolfleet_peers_connected",
  kesCurrentPeriod: "poolfleet_node_kes_current_period",
  kesPeriodsRemaining: "poolfleet_node_kes_periods_remaining",
  kesExpirySeconds: "poolfleet_node_kes_expiration_timestamp_seconds",
  opcertCounter: "poolfleet_opcert_counter",
  chainOpcertCounter: "poolfleet_chain_opcert_counter",
  forgingEnabled: "poolfleet_forging_enabled",
  keysValid: "poolfleet_keys_valid",
} as const;

/** Per-pool series of a node holding a key bundle, labelled pool="<display name>". */
export const POOL_METRICS = {
  keysValid: "poolfleet_pool_keys_valid",
  forgingNow: "poolfleet_pool_forging_now",
  blocksForged: "poolfleet_pool_blocks_forged_total",
  kesPeriodsRemaining: "poolfleet_pool_kes_periods_remaining",
  opcertCounter: "poolfleet_pool_opcert_counter",
  /** The pool's last opcert issue number on the node's chain (Praos's counter), once it has forged a block. */
  chainOpcertCounter: "poolfleet_pool_chain_opcert_counter",
} as const;
