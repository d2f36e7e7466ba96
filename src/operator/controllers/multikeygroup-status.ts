// A MultikeyGroup's status from what its controller observed: each pool's gate verdict and claim, which pools the
// producer's bundle holds, the StatefulSet's readiness and the producer's per-pool /metrics. Pure, so the same
// observations give the same status and an unchanged group's status apply is skipped.
//
// Conditions: KeysValid (every pool's keys passed the gate), PoolClaims (no pool id is claimed first by another
// StakePool or main group), Ready (the producer pod is ready), Forging (every pool in the bundle forges, as its
// poolfleet_pool_forging_now says). Phase: KeysInvalid (no pool can run), Pending (no producer yet), Progressing,
// Degraded (ready, but a pool is refused or does not forge), Forging. A backup (role Backup) is meant not to forge:
// Forging False with reason Standby and phase Standby while its producer forges no pool; once it has taken a pool
// over, Forging True (reason TookOver) and phase Forging. Its pools that do not forge are not "NotForging".
// DisruptionAllowed: a drain may evict the producer now (away from the leader slots of every pool it holds).
import type { MultikeyGroupStatus } from "../../api/multikeygroup.ts";
import type { GateResult } from "../../keys/secret-gate.ts";
import { type PoolFigures, type ScrapeResult, tipOf } from "../node-client/node-metrics.ts";
import { type Condition, type ConditionInput, nextConditions } from "./conditions.ts";
import { POOL_CLAIMED } from "./pool-claims.ts";
import type { DisruptionDecision } from "./producer-disruption.ts";

export interface GroupPoolObservation {
  name: string;
  /** The gate's result for the pool's Secret, after the claim and duplicate checks (a refusal is a failure). */
  gate: GateResult;
  /** Whether the pool's keys passed the gate itself (a claimed pool's keys may be fine). */
  keysPassed: boolean;
  /** The first claimant, when the pool id is claimed by an older StakePool or main group. */
  claimedBy?: string;
  /** Whether the producer's bundle holds the pool (passed now, or kept on its last accepted revision). */
  inBundle: boolean;
  /** The node's display name for the pool (`<group>-<index>`), when in the bundle. */
  displayName?: string;
  /** keysHash of the revision the bundle holds for the pool, when in the bundle. */
  keysHash?: string;
}

export interface GroupObservation {
  generation: number | undefined;
  previous: readonly Condition[] | undefined;
  now: Date;
  pools: readonly GroupPoolObservation[];
  producerName: string;
  statefulSetExists: boolean;
  ready: boolean;
  scrape: ScrapeResult | undefined;
  /** Main (redundancy.level 0, the default) or Backup. */
  role?: "Main" | "Backup";
  /** Whether a drain may evict the producer now (producer-disruption.ts); absent while no producer exists. */
  disruption?: DisruptionDecision | undefined;
}

type PoolStatus = NonNullable<MultikeyGroupStatus["pools"]>[number];

const whole = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? Math.floor(v) : undefined);

function poolStatus(
  p: GroupPoolObservation,
  figures: PoolFigures | undefined,
  producerPod: string,
  backup: boolean,
): PoolStatus {
  const forgingNow = figures?.forgingNow !== undefined ? figures.forgingNow > 0 : undefined;
  const kesLeft = whole(figures?.kesPeriodsRemaining) ?? (p.gate.kes ? p.gate.kes.periodsLeft : undefined);
  const blocks = whole(figures?.blocksForged);
  const counter = whole(figures?.opcertCounter);
  const onChain = whole(figures?.chainOpcertCounter);
  const reason = !p.gate.passed
    ? p.gate.failure!.reason
    : !p.inBundle
      ? "NotMounted"
      : figures?.keysValid === 0
        ? "RefusedByNode"
        : forgingNow === false && !backup
          ? "NotForging"
          : undefined;
  return {
    name: p.name,
    ...(p.gate.poolId ? { poolId: p.gate.poolId } : {}),
    keysValid: p.keysPassed && (figures?.keysValid === undefined || figures.keysValid > 0),
    ...(p.keysHash ? { keysHash: p.keysHash } : {}),
    ...(counter !== undefined && counter >= 0 ? { opcertCounter: counter } : {}),
    ...(onChain !== undefined && onChain >= 0 ? { counterOnChain: onChain } : {}),
    ...(kesLeft !== undefined ? { kesPeriodsLeft: kesLeft } : {}),
    ...(blocks !== undefined ? { blocksForged: Math.max(0, blocks) } : {}),
    ...(forgingNow !== undefined ? { forgingNow } : {}),
    ...(forgingNow && p.displayName ? { forgedBy: `${producerPod} (${p.displayName})` } : {}),
    ...(p.claimedBy ? { claimedBy: p.claimedBy } : {}),
    ...(reason ? { reason } : {}),
  };
}

const list = (ps: readonly GroupPoolObservation[]) =>
  ps.map((p) => `pool ${p.name}: ${p.gate.failure!.reason}: ${p.gate.failure!.message}`).join("; ");

export function multikeyGroupStatus(o: GroupObservation): MultikeyGroupStatus {
  const figures = o.scrape?.ok ? o.scrape.figures : undefined;
  const perPool = o.scrape?.ok ? o.scrape.pools : undefined;
  const producerPod = `${o.producerName}-0`;
  const backup = o.role === "Backup";
  const pools = o.pools.map((p) =>
    poolStatus(p, p.displayName ? perPool?.get(p.displayName) : undefined, producerPod, backup),
  );
  const badKeys = o.pools.filter((p) => !p.gate.passed && p.gate.failure?.reason !== POOL_CLAIMED);
  const claimed = o.pools.filter((p) => p.gate.failure?.reason === POOL_CLAIMED);
  const mounted = o.pools.filter((p) => p.inBundle);
  const forging = pools.filter((p) => p.forgingNow === true).length;

  const keysValid: ConditionInput = badKeys.length
    ? {
        type: "KeysValid",
        status: "False",
        reason: badKeys.length === 1 ? badKeys[0]!.gate.failure!.reason : "PoolsRefused",
        message: `${badKeys.length} of ${o.pools.length} pools refused by the consistency gate (the others run): ${list(badKeys)}`,
      }
    : {
        type: "KeysValid",
        status: "True",
        reason: "GatePassed",
        message: `the keys of all ${o.pools.length} pools passed the consistency gate`,
      };
  const claims: ConditionInput = claimed.length
    ? { type: "PoolClaims", status: "False", reason: POOL_CLAIMED, message: list(claimed) }
    : {
        type: "PoolClaims",
        status: "True",
        reason: "PoolsOwned",
        message: "no pool id of this group is claimed by an older StakePool or main MultikeyGroup",
      };
  const ready: ConditionInput = !mounted.length
    ? {
        type: "Ready",
        status: "False",
        reason: "WaitingForKeys",
        message: "no pool of the group has passed the gate yet, so no producer runs",
      }
    : o.ready
      ? { type: "Ready", status: "True", reason: "ProducerReady", message: `StatefulSet ${o.producerName} is ready` }
      : {
          type: "Ready",
          status: "False",
          reason: "ProducerNotReady",
          message: `StatefulSet ${o.producerName} has no ready producer yet`,
        };
  const forgingCond: ConditionInput = !o.ready
    ? { type: "Forging", status: "False", reason: "ProducerNotReady", message: "No ready producer" }
    : !o.scrape?.ok
      ? {
          type: "Forging",
          status: "Unknown",
          reason: "MetricsUnavailable",
          message: o.scrape && !o.scrape.ok ? o.scrape.error : "The producer's /metrics have not been read",
        }
      : backup
        ? forging === 0
          ? {
              type: "Forging",
              status: "False",
              reason: "Standby",
              message: `a backup: the producer follows the chain and forges none of the ${mounted.length} pools it holds`,
            }
          : {
              type: "Forging",
              status: "True",
              reason: "TookOver",
              message: `a backup: the producer has taken over ${forging} of the ${mounted.length} pools it holds`,
            }
        : forging === mounted.length
          ? {
              type: "Forging",
              status: "True",
              reason: "Forging",
              message: `the producer forges for all ${forging} pools it holds`,
            }
          : {
              type: "Forging",
              status: "False",
              reason: "NotForging",
              message: `the producer forges for ${forging} of the ${mounted.length} pools it holds`,
            };
  const phase: MultikeyGroupStatus["phase"] = !mounted.length
    ? "KeysInvalid"
    : !o.statefulSetExists
      ? "Pending"
      : !o.ready
        ? "Progressing"
        : backup && forgingCond.reason === "Standby"
          ? "Standby"
          : forgingCond.status === "True" && !badKeys.length && !claimed.length
            ? "Forging"
            : forgingCond.status === "Unknown"
              ? "Progressing"
              : "Degraded";
  const tip = figures ? tipOf(figures) : undefined;
  return {
    observedGeneration: o.generation,
    phase,
    conditions: nextConditions(
      o.previous,
      [
        keysValid,
        claims,
        ready,
        forgingCond,
        ...(o.disruption && o.statefulSetExists
          ? [
              {
                type: "DisruptionAllowed",
                status: o.disruption.allowed ? ("True" as const) : ("False" as const),
                reason: o.disruption.reason,
                message: o.disruption.message,
              },
            ]
          : []),
      ],
      o.generation,
      o.now,
    ),
    role: o.role ?? "Main",
    poolCount: o.pools.length,
    forgingPools: forging,
    ...(tip ? { tip } : {}),
    pools,
  };
}
