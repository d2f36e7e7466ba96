// A StakePool's status from what the controller observed: the gate's verdict, the revision the producer runs,
// the StatefulSet's readiness and the node's own /metrics. Pure, so the same observations give the same status
// and an unchanged pool's status apply is skipped.
//
// Conditions: KeysValid (the user's Secret passed the gate), Ready (a producer pod is ready), Forging (the node
// says it forges), DisruptionAllowed (a drain may evict the producer now: producer-disruption.ts). Phase: KeysInvalid, Paused, Pending (no producer yet), Progressing (not ready, or forging not
// confirmed), Degraded (ready but the node says it does not forge), Forging.
import type { StakePoolStatus } from "../../api/stakepool.ts";
import type { GateResult } from "../../keys/secret-gate.ts";
import { kesStatus } from "./kes-status.ts";
import { type ScrapeResult, tipOf } from "../node-client/node-metrics.ts";
import { type Condition, type ConditionInput, nextConditions } from "./conditions.ts";
import type { DisruptionDecision } from "./producer-disruption.ts";

export interface PoolObservation {
  generation: number | undefined;
  previous: readonly Condition[] | undefined;
  now: Date;
  secretName: string;
  /** The gate over the user's Secret. */
  gate: GateResult;
  /** keysHash of the revision the producer runs (or is being rolled onto); undefined: no producer. */
  acceptedHash: string | undefined;
  /** The gate's facts about that revision (public parts only). */
  facts: GateResult | undefined;
  producerName: string;
  statefulSetExists: boolean;
  ready: boolean;
  /** The producer's /metrics, when a ready pod was scraped. */
  scrape: ScrapeResult | undefined;
  relays: { name: string; readyReplicas: number };
  /** Whether a drain may evict the producer now (producer-disruption.ts); absent while no producer exists. */
  disruption?: DisruptionDecision | undefined;
}

function kesOf(facts: GateResult | undefined): StakePoolStatus["kes"] {
  if (!facts?.opcert) return undefined;
  if (facts.kes) return kesStatus(facts.kes, facts.opcert.counter);
  return { startPeriod: facts.opcert.kesPeriod, counter: facts.opcert.counter };
}

function forgingCondition(o: PoolObservation): ConditionInput {
  if (!o.ready) return { type: "Forging", status: "False", reason: "ProducerNotReady", message: "No ready producer" };
  if (!o.scrape) {
    return {
      type: "Forging",
      status: "Unknown",
      reason: "MetricsUnavailable",
      message: "The producer's /metrics have not been read",
    };
  }
  if (!o.scrape.ok) {
    return { type: "Forging", status: "Unknown", reason: "MetricsUnavailable", message: o.scrape.error };
  }
  const enabled = o.scrape.figures.forgingEnabled;
  if (enabled === undefined) {
    return {
      type: "Forging",
      status: "Unknown",
      reason: "MetricsIncomplete",
      message: "The producer's /metrics do not say whether it forges",
    };
  }
  return enabled > 0
    ? { type: "Forging", status: "True", reason: "Forging", message: "The producer forges with the pool's keys" }
    : {
        type: "Forging",
        status: "False",
        reason: "NotForging",
        message: "The producer runs but does not forge (its /metrics say forging is disabled)",
      };
}

export function stakePoolStatus(o: PoolObservation): StakePoolStatus {
  const g = o.gate;
  const keysValid: ConditionInput = g.passed
    ? {
        type: "KeysValid",
        status: "True",
        reason: "GatePassed",
        message: `Secret ${o.secretName} passed the consistency gate (key set ${g.keysHash!.slice(0, 8)})`,
      }
    : { type: "KeysValid", status: "False", reason: g.failure!.reason, message: g.failure!.message };
  const ready: ConditionInput = !o.acceptedHash
    ? {
        type: "Ready",
        status: "False",
        reason: "WaitingForKeys",
        message: "No key set has passed the gate yet, so no producer runs",
      }
    : o.ready
      ? { type: "Ready", status: "True", reason: "ProducerReady", message: `StatefulSet ${o.producerName} is ready` }
      : {
          type: "Ready",
          status: "False",
          reason: "ProducerNotReady",
          message: `StatefulSet ${o.producerName} has no ready producer yet`,
        };
  const forging = forgingCondition(o);
  const phase: StakePoolStatus["phase"] = !g.passed
    ? "KeysInvalid"
    : !o.statefulSetExists
      ? "Pending"
      : forging.status === "True"
        ? "Forging"
        : o.ready && forging.status === "False"
          ? "Degraded"
          : "Progressing";
  const figures = o.scrape?.ok ? o.scrape.figures : undefined;
  const tip = figures ? tipOf(figures) : undefined;
  const onChain = figures?.chainOpcertCounter;
  const kes =
    onChain !== undefined && Number.isInteger(onChain) && onChain >= 0
      ? { ...kesOf(o.facts), counterOnChain: onChain }
      : kesOf(o.facts);
  return {
    observedGeneration: o.generation,
    phase,
    conditions: nextConditions(
      o.previous,
      [
        keysValid,
        ready,
        forging,
        ...(o.disruption && o.statefulSetExists
          ? [
              {
                type: "DisruptionAllowed",
                status: o.disruption.allowed ? "True" : "False",
                reason: o.disruption.reason,
                message: o.disruption.message,
              } as const,
            ]
          : []),
      ],
      o.generation,
      o.now,
    ),
    ...(o.facts?.poolId ? { poolId: o.facts.poolId } : {}),
    ...(tip ? { tip } : {}),
    ...(kes ? { kes } : {}),
    ...(figures?.blocksForged !== undefined ? { blocksForged: Math.max(0, Math.floor(figures.blocksForged)) } : {}),
    producer: {
      statefulSet: o.producerName,
      ready: o.ready,
      ...(o.acceptedHash ? { keysHash: o.acceptedHash } : {}),
      // What the node says it forges with: a KesRotation completes only when this is its new counter.
      ...(figures?.opcertCounter !== undefined && Number.isInteger(figures.opcertCounter) && figures.opcertCounter >= 0
        ? { opcertCounter: figures.opcertCounter }
        : {}),
    },
    relays: o.relays,
  };
}
