// A KesRotation's status from what the controller observed: the schedule of the certificate the producer runs,
// the reminder and rotation records, and any problem that stopped tracking. Pure, so an unchanged rotation gives
// an unchanged status and its apply is skipped.
//
// Conditions (cert-manager's Ready/Issuing plus dingo-operator's RotationDue/KeysValid):
//   Ready        the running certificate is valid now
//   RotationDue  the renewal time has been reached
//   Issuing      a rotation is in flight (reason: its step)
//   KeysValid    the last certificate handed back passed the rotation gate, and the StakePool took the new set
//   ForgingConfirmed  the producer reported forging with the last rotation's certificate (its counter)
import type { KesRotationStatus } from "../../api/kesrotation.ts";
import type { KesSchedule } from "../../keys/kes-schedule.ts";
import { type Condition, type ConditionInput, nextConditions } from "../controllers/conditions.ts";

export type Rotation = NonNullable<KesRotationStatus["rotation"]>;

export interface RotationObservation {
  generation: number | undefined;
  previous: KesRotationStatus | undefined;
  now: Date;
  mode: "MonitorOnly" | "Assisted" | "Auto";
  suspended: boolean;
  /** status.pool: the StakePool's name, or `<group>/<pool>`. */
  pool?: string;
  /** Why tracking is impossible (no pool, no keys, no genesis), as a condition reason and message. */
  problem?: { reason: string; message: string };
  schedule?: KesSchedule;
  /** Issue counter of the running certificate (the last seen; the StakePool does not report the chain's). */
  counter?: number;
  reminder?: KesRotationStatus["reminder"];
  rotation?: Rotation;
  request?: KesRotationStatus["request"];
  lastRotation?: KesRotationStatus["lastRotation"];
  /** Why a rotation cannot proceed right now (another rotation of the pool in flight, the StakePool refused...). */
  blocked?: { reason: string; message: string };
  /** The ForgingConfirmed=False message of a rotation completed without confirmation (how to roll back). */
  notConfirmedMessage?: string;
}

const iso = (d: Date) => d.toISOString();

function issuing(o: RotationObservation): ConditionInput {
  const r = o.rotation;
  if (r) {
    const what: Record<Rotation["step"], string> = {
      Staging: `Staging a new KES key in Secret ${r.stagedSecretName}`,
      AwaitingSignature: `Waiting for the certificate with issue number ${r.counter} at KES period ${r.kesPeriod ?? "?"}, signed offline (see status.request)`,
      Verified: "The signed certificate passed the rotation gate; writing the new key set",
      Swapped: "The new key set was written to the pool's key Secret; waiting for the StakePool to roll onto it",
      // (then WaitingForForging, set as blocked by confirm.ts)
    };
    // While blocked (a Job running or failed, a leader slot, a refused set) the reason says why, else the step.
    return {
      type: "Issuing",
      status: "True",
      reason: o.blocked?.reason ?? r.step,
      message: o.blocked?.message ?? what[r.step],
    };
  }
  if (o.blocked) return { type: "Issuing", status: "False", ...o.blocked };
  if (o.mode === "MonitorOnly")
    return { type: "Issuing", status: "False", reason: "MonitorOnly", message: "Mode MonitorOnly: rotate by hand" };
  if (o.suspended)
    return { type: "Issuing", status: "False", reason: "Suspended", message: "spec.suspend is true: no rotation" };
  return { type: "Issuing", status: "False", reason: "NotDue", message: "No rotation in flight" };
}

function keysValid(o: RotationObservation): ConditionInput {
  if (o.rotation?.refusal)
    return { type: "KeysValid", status: "False", reason: "CertificateRefused", message: o.rotation.refusal };
  if (o.blocked?.reason === "NewKeySetRefused") return { type: "KeysValid", status: "False", ...o.blocked };
  if (o.problem) return { type: "KeysValid", status: "Unknown", ...o.problem };
  return {
    type: "KeysValid",
    status: "True",
    reason: "GatePassed",
    message: "The producer runs a key set that passed the gate",
  };
}

function forgingConfirmed(o: RotationObservation): ConditionInput {
  if (o.blocked?.reason === "WaitingForForging")
    return { type: "ForgingConfirmed", status: "Unknown", reason: "WaitingForForging", message: o.blocked.message };
  const last = o.lastRotation;
  if (!last || last.forgingConfirmed === undefined)
    return {
      type: "ForgingConfirmed",
      status: "Unknown",
      reason: "NoRotation",
      message: "No rotation has completed with this operator",
    };
  if (last.forgingConfirmed)
    return {
      type: "ForgingConfirmed",
      status: "True",
      reason: "Confirmed",
      message: `The producer reported forging with issue number ${last.counter} at ${last.confirmedAt ?? "?"}`,
    };
  return {
    type: "ForgingConfirmed",
    status: "False",
    reason: "NotConfirmed",
    message: o.notConfirmedMessage ?? `The producer has not reported forging with issue number ${last.counter}`,
  };
}

export function kesRotationStatus(o: RotationObservation): KesRotationStatus {
  const s = o.schedule;
  const ready: ConditionInput = o.problem
    ? { type: "Ready", status: "False", ...o.problem }
    : s!.status === "valid"
      ? {
          type: "Ready",
          status: "True",
          reason: "Valid",
          message: `The KES key is valid until ${iso(s!.expiresAt)} (${s!.periodsRemaining} periods left)`,
        }
      : s!.status === "expired"
        ? {
            type: "Ready",
            status: "False",
            reason: "Expired",
            message: `The KES key expired at ${iso(s!.expiresAt)}: the pool forges nothing until it is rotated`,
          }
        : {
            type: "Ready",
            status: "False",
            reason: "NotYetValid",
            message: `The certificate starts at KES period ${s!.startPeriod}, after the current ${s!.currentPeriod}`,
          };
  const due: ConditionInput = !s
    ? { type: "RotationDue", status: "Unknown", reason: "NoSchedule", message: "The KES window is not known" }
    : s.rotationDue
      ? {
          type: "RotationDue",
          status: "True",
          reason: "RenewalTimeReached",
          message: `Renewal was due at ${iso(s.renewalTime)}; the key expires at ${iso(s.expiresAt)}`,
        }
      : { type: "RotationDue", status: "False", reason: "NotDue", message: `Renewal is due at ${iso(s.renewalTime)}` };
  const conditions = nextConditions(
    o.previous?.conditions as Condition[] | undefined,
    [ready, due, issuing(o), keysValid(o), forgingConfirmed(o)],
    o.generation,
    o.now,
  );
  const step = o.rotation?.step;
  const phase: KesRotationStatus["phase"] =
    !s || o.problem
      ? "Pending"
      : s.status === "expired" && !step
        ? "Expired"
        : step === "Verified" || step === "Swapped"
          ? "Rolling"
          : step === "AwaitingSignature"
            ? "AwaitingSignature"
            : step === "Staging" || s.rotationDue
              ? "RenewalDue"
              : "Valid";
  return {
    observedGeneration: o.generation,
    phase,
    ...(o.pool ? { pool: o.pool } : {}),
    conditions,
    ...(s
      ? {
          currentPeriod: s.currentPeriod,
          startPeriod: s.startPeriod,
          endPeriod: s.endPeriod,
          periodsLeft: s.endPeriod - s.currentPeriod,
          expiresAt: iso(s.expiresAt),
          renewalTime: iso(s.renewalTime),
        }
      : {}),
    ...(o.counter !== undefined ? { counter: o.counter, nextCounter: o.counter + 1 } : {}),
    ...(o.reminder ? { lastReminderDays: o.reminder.days, reminder: o.reminder } : {}),
    ...(o.request ? { request: o.request } : {}),
    ...(o.rotation ? { rotation: o.rotation } : {}),
    ...(o.lastRotation ? { lastRotation: o.lastRotation } : {}),
  };
}
