// What the KesRotation controller's parts share about one tracked rotation (controller.ts tracks it, rotate.ts and
// steps/ run its steps, confirm.ts and jobs.ts serve the steps): the objects read, the rotation's context, and
// Stop. Its own module so those parts import it and not each other in a circle.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KesRotationSpec, KesRotationStatus } from "../../api/kesrotation.ts";
import type { OperationalCertificate } from "../../formats/opcert.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import type { Owner } from "../names.ts";
import type { RotationObservation } from "./status.ts";
import type { StakePoolSpec } from "../../api/stakepool.ts";

export interface KesRotationObject extends KubernetesObject {
  spec: unknown;
  status?: KesRotationStatus;
}

/** A problem that stops this reconcile's progress, with a condition reason. Messages carry no secret bytes. */
export class Stop extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface Tracked {
  ns: string;
  owner: Owner;
  rot: KesRotationObject;
  spec: KesRotationSpec;
  /** The pool rotated and what its holder (StakePool or MultikeyGroup) reports of it. */
  target: RotationTarget;
  clock: SlotClock;
  running: OperationalCertificate;
  runningHash: string;
  obs: RotationObservation;
  persist: () => Promise<void>;
  /** The last issue counter used (on chain when known): the new certificate carries the next one. */
  lastCounter: number;
  /** The producer's first leader slot within `minutes`, if it reports one. */
  nextLeaderSlot: (minutes: number) => Promise<{ slot: string; at: string } | undefined>;
  /** The ClusterRole the Jobs' ServiceAccount is bound to (the chart's <release>-kes-job). */
  jobClusterRole: string;
}

/** What the rotation needs of the pool's spec: its network (the clock), image (the Jobs), keys and pool id. */
export type TargetSpec = Pick<StakePoolSpec, "network" | "image" | "keys" | "poolId">;

export interface RotationTarget {
  kind: "StakePool" | "MultikeyGroup";
  /** The object holding the pool: a StakePool, or the MultikeyGroup. */
  object: KubernetesObject;
  /** status.pool and the webhook's `pool`: the StakePool's name, or `<group>/<pool>`. */
  display: string;
  /** How messages name it: "StakePool p" or "pool a of MultikeyGroup g". */
  label: string;
  /** The poolfleet.io/pool label of the rotation's Jobs and Secrets: the StakePool's name, or `<group>-<pool>`. */
  labelValue: string;
  spec: TargetSpec;
  /** keysHash of the revision the producer runs (or is being rolled onto); undefined before any passed. */
  runningHash: string | undefined;
  /** The revision Secret of a key set of this pool. */
  revisionName: (keysHash: string) => string;
  /** The pool's last issue number on the producer's chain, when it reports it. */
  counterOnChain: number | undefined;
  /** Whether the producer reports forging the pool, and with which certificate. */
  forging: { status: "True" | "False" | "Unknown"; reason: string; opcertCounter: number | undefined };
  /** The producer's gate refuses the pool's current key Secret: why (the set written by a swap is not taken). */
  keysRefused: string | undefined;
  /** The producer's pod, whose /api/leader-schedule says when it leads. */
  producerPod: string;
}
