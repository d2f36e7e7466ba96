// What the KesRotation controller's parts share about one tracked rotation (controller.ts tracks it, rotate.ts and
// steps/ run its steps, confirm.ts and jobs.ts serve the steps): the objects read, the rotation's context, and
// Stop. Its own module so those parts import it and not each other in a circle.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KesRotationSpec, KesRotationStatus } from "../../api/kesrotation.ts";
import type { StakePoolSpec, StakePoolStatus } from "../../api/stakepool.ts";
import type { OperationalCertificate } from "../../formats/opcert.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import type { Owner } from "../names.ts";
import type { RotationObservation } from "./status.ts";

export interface KesRotationObject extends KubernetesObject {
  spec: unknown;
  status?: KesRotationStatus;
}
export interface StakePoolObject extends KubernetesObject {
  spec: unknown;
  status?: StakePoolStatus;
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
  poolSpec: StakePoolSpec;
  pool: StakePoolObject;
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
