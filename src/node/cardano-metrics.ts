// cardano-node's Prometheus names beside ours, so gLiveView, nview and the common cardano-node dashboards read a
// poolfleet node unchanged. cardano-node turns its EKG metrics into Prometheus names as
// cardano_node_metrics_<name>_int (integers), _real (doubles), and upTime_ns / blockdelay_s as they are; the samples
// carry no labels (gLiveView matches `^name[[:space:]]value`). Each series here is read at scrape time from the
// node's own poolfleet_* series (or from the chain), so the two namings can never disagree.
import { Gauge, type Metric, type Registry } from "prom-client";
import { type NodeMetrics, unset } from "./metrics.ts";

/** Figures that are not a poolfleet_* series: read from the node at scrape time. */
export interface CardanoSources {
  /** The tip's slot within its epoch, or undefined before the first block. */
  slotInEpoch(): number | undefined;
  /** Blocks per slot over the last k blocks (cardano-node's chain density), or undefined before two blocks. */
  density(): number | undefined;
  /** When the node started (unix ms). */
  readonly startedAt: number;
}

/** cardano-node's name -> how its value is derived, in the order README lists them. */
export const CARDANO_METRICS = [
  "cardano_node_metrics_slotNum_int",
  "cardano_node_metrics_blockNum_int",
  "cardano_node_metrics_epoch_int",
  "cardano_node_metrics_slotInEpoch_int",
  "cardano_node_metrics_density_real",
  "cardano_node_metrics_txsInMempool_int",
  "cardano_node_metrics_mempoolBytes_int",
  "cardano_node_metrics_txsProcessedNum_int",
  "cardano_node_metrics_Forge_forge_about_to_lead_int",
  "cardano_node_metrics_Forge_node_is_leader_int",
  "cardano_node_metrics_Forge_forged_int",
  "cardano_node_metrics_Forge_adopted_int",
  "cardano_node_metrics_Forge_didnt_adopt_int",
  "cardano_node_metrics_slotsMissedNum_int",
  "cardano_node_metrics_currentKESPeriod_int",
  "cardano_node_metrics_remainingKESPeriods_int",
  "cardano_node_metrics_operationalCertificateStartKESPeriod_int",
  "cardano_node_metrics_operationalCertificateExpiryKESPeriod_int",
  "cardano_node_metrics_connectedPeers_int",
  "cardano_node_metrics_blockfetchclient_blockdelay_s",
  "cardano_node_metrics_nodeStartTime_int",
  "cardano_node_metrics_upTime_ns",
] as const;

type CardanoName = (typeof CARDANO_METRICS)[number];

/** The sum of a metric's samples (all label values) as prom-client holds them now; undefined when it has none. */
async function valueOf(metric: Metric): Promise<number | undefined> {
  const { values } = await metric.get();
  return values.length === 0 ? undefined : values.reduce((sum, v) => sum + v.value, 0);
}

export function registerCardanoMetrics(registry: Registry, m: NodeMetrics, sources: CardanoSources): void {
  // A figure that is undefined is left out of the scrape (as cardano-node leaves out what it has not traced yet).
  const derive: Record<CardanoName, [string, () => Promise<number | undefined> | number | undefined]> = {
    cardano_node_metrics_slotNum_int: ["slot of the chain tip", () => valueOf(m.tipSlot)],
    cardano_node_metrics_blockNum_int: ["block number of the chain tip", () => valueOf(m.tipBlock)],
    cardano_node_metrics_epoch_int: ["epoch of the chain tip", () => valueOf(m.tipEpoch)],
    cardano_node_metrics_slotInEpoch_int: ["the tip's slot within its epoch", () => sources.slotInEpoch()],
    cardano_node_metrics_density_real: ["blocks per slot over the last k blocks", () => sources.density()],
    cardano_node_metrics_txsInMempool_int: ["transactions in the mempool", () => valueOf(m.mempoolTxs)],
    cardano_node_metrics_mempoolBytes_int: ["bytes of transactions in the mempool", () => valueOf(m.mempoolBytes)],
    cardano_node_metrics_txsProcessedNum_int: ["transactions in blocks adopted", () => valueOf(m.txsInBlocks)],
    cardano_node_metrics_Forge_forge_about_to_lead_int: ["slots checked for leadership", () => valueOf(m.leaderChecks)],
    cardano_node_metrics_Forge_node_is_leader_int: ["slots this node's pool led", () => valueOf(m.slotsLed)],
    cardano_node_metrics_Forge_forged_int: [
      "blocks this node forged (adopted or not)",
      async () => ((await valueOf(m.blocksForged)) ?? 0) + ((await valueOf(m.blocksNotAdopted)) ?? 0),
    ],
    cardano_node_metrics_Forge_adopted_int: ["blocks this node forged and adopted", () => valueOf(m.blocksForged)],
    cardano_node_metrics_Forge_didnt_adopt_int: [
      "blocks this node forged that were not adopted",
      () => valueOf(m.blocksNotAdopted),
    ],
    cardano_node_metrics_slotsMissedNum_int: [
      "leader slots without a block adopted (poolfleet_leader_slots_missed_total, all reasons)",
      () => valueOf(m.leaderSlotsMissed),
    ],
    cardano_node_metrics_currentKESPeriod_int: ["current KES period", () => valueOf(m.kesCurrentPeriod)],
    cardano_node_metrics_remainingKESPeriods_int: [
      "KES periods left on the operational certificate",
      () => valueOf(m.kesPeriodsRemaining),
    ],
    cardano_node_metrics_operationalCertificateStartKESPeriod_int: [
      "first KES period of the operational certificate",
      () => valueOf(m.kesStartPeriod),
    ],
    cardano_node_metrics_operationalCertificateExpiryKESPeriod_int: [
      "KES period the operational certificate expires at",
      () => valueOf(m.kesEndPeriod),
    ],
    cardano_node_metrics_connectedPeers_int: ["node-to-node connections open", () => valueOf(m.peersConnected)],
    cardano_node_metrics_blockfetchclient_blockdelay_s: [
      "delay of the latest block from a peer after its slot began (seconds)",
      () => valueOf(m.blockDelay),
    ],
    cardano_node_metrics_nodeStartTime_int: ["when the node started (unix seconds)", () => sources.startedAt / 1000],
    cardano_node_metrics_upTime_ns: ["time since the node started (nanoseconds)", () => uptimeNs(sources.startedAt)],
  };
  for (const name of CARDANO_METRICS) {
    const [help, read] = derive[name];
    new Gauge({
      name,
      help: `${help} (cardano-node's name)`,
      registers: [registry],
      // A figure the node does not have (a relay's certificate periods, density before two blocks) stays out.
      async collect() {
        const v = await read();
        if (v === undefined || !Number.isFinite(v)) unset(this);
        else this.set(v);
      },
    });
  }
}

/**
 * Blocks per slot over the last k blocks of the chain (cardano-node's chain density: with f = 0.05 about 0.05), from
 * genesis while the chain is shorter than k; undefined before two blocks.
 */
export function chainDensity(
  chain: { readonly length: number; entry(i: number): { readonly slot: bigint } | undefined },
  k: number,
): number | undefined {
  const n = chain.length;
  if (n < 2) return undefined;
  const blocks = Math.min(n, k);
  const first = n === blocks ? 0n : chain.entry(n - blocks)!.slot;
  return blocks / (Number(chain.entry(n - 1)!.slot - first) + 1);
}

function uptimeNs(startedAt: number): number {
  return Math.max(0, Date.now() - startedAt) * 1e6;
}
