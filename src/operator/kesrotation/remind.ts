// Reminders: one Warning Event per threshold crossed, recorded in status (with the certificate's counter) before
// anything else happens, then the webhook, retried each reconcile until delivered. A restart never sends a
// threshold twice; a new certificate starts the thresholds again.
import type { V1Secret } from "@kubernetes/client-node";
import type { KesRotationSpec } from "../../api/kesrotation.ts";
import { type KesSchedule, reminderToSend } from "../../keys/kes-schedule.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { unb64 } from "./certs.ts";
import type { RotationObservation } from "./status.ts";
import { displayOf } from "./target.ts";
import type { KesRotationObject } from "./tracked.ts";
import { postWebhook, type WebhookReminder } from "./webhook.ts";

export interface ReminderInput {
  ns: string;
  rot: KesRotationObject;
  spec: KesRotationSpec;
  schedule: KesSchedule;
  /** Issue counter of the running certificate. */
  counter: number;
  obs: RotationObservation;
  persist: () => Promise<void>;
  webhookTimeoutMs?: number | undefined;
}

function reminderBody(r: ReminderInput, days: number): WebhookReminder {
  const { schedule, spec } = r;
  const pool = displayOf(spec);
  return {
    kind: "KesRotationReminder",
    namespace: r.ns,
    rotation: r.rot.metadata!.name!,
    pool,
    thresholdDays: days,
    expiresAt: schedule.expiresAt.toISOString(),
    renewalTime: schedule.renewalTime.toISOString(),
    periodsLeft: schedule.endPeriod - schedule.currentPeriod,
    counter: r.counter,
    message:
      `The KES key of pool ${pool} expires at ${schedule.expiresAt.toISOString()} ` +
      `(${days} day${days === 1 ? "" : "s"} threshold, ${schedule.periodsRemaining} KES periods left); ` +
      (spec.mode === "MonitorOnly"
        ? "rotate it by hand (docs/kes-rotation.md section 5)"
        : `renewal is due at ${schedule.renewalTime.toISOString()}`),
  };
}

export async function remind(ctx: ReconcileContext, r: ReminderInput): Promise<void> {
  const { obs, spec } = r;
  const previous = obs.previous?.reminder;
  const prior = previous?.counter === r.counter ? previous : undefined;
  if (prior) obs.reminder = prior;
  const days = reminderToSend(r.schedule, prior?.days);
  if (days !== undefined) {
    obs.reminder = {
      days,
      counter: r.counter,
      sentAt: obs.now.toISOString(),
      webhook: spec.webhook ? "Pending" : "NotConfigured",
    };
    await r.persist();
    await ctx.event(r.rot, "Warning", "KesExpiringSoon", reminderBody(r, days).message);
  }
  if (obs.reminder?.webhook !== "Pending" || !spec.webhook) return;
  const ref = spec.webhook.urlSecretRef;
  const s = await ctx.read<V1Secret>(KIND.Secret, { namespace: r.ns, name: ref.name });
  const url = s?.data?.[ref.key];
  const outcome = url
    ? await postWebhook(unb64(url), reminderBody(r, obs.reminder.days), r.webhookTimeoutMs)
    : ({ ok: false, error: `Secret ${ref.name}, key ${ref.key} does not exist` } as const);
  const { webhookError: _old, ...rest } = obs.reminder;
  obs.reminder = {
    ...rest,
    webhookAttempts: (obs.reminder.webhookAttempts ?? 0) + 1,
    ...(outcome.ok ? { webhook: "Delivered" as const } : { webhookError: outcome.error }),
  };
  if (!outcome.ok) ctx.log.warn({ error: outcome.error }, "reminder webhook failed; retried next reconcile");
}
