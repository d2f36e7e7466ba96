// The last wait of a rotation: after the StakePool runs the new key revision, the producer must report forging
// with the new certificate before the rotation completes. "Reports" means the holder's status, written from the
// node's own /metrics: a StakePool's condition Forging=True (poolfleet_forging_enabled) and
// status.producer.opcertCounter (poolfleet_opcert_counter, the certificate the node forges with), or a group's
// status.pools[].forgingNow and opcertCounter (poolfleet_pool_*), equal to the rotation's counter. A revision
// that is mounted but not loaded, or a node that runs but refused the new keys, does not pass.
//
// The rule for a producer whose metrics cannot be read (kwok pods serve none; a NetworkPolicy may block the
// scrape; a node that does not forge): keep waiting up to spec.forgingConfirmationTimeout (default 30m) from
// when the new revision was first seen running, then complete the rotation as NOT confirmed, loudly: one Warning
// Event (ForgingNotConfirmed), lastRotation.forgingConfirmed=false and condition ForgingConfirmed=False saying how
// to roll back. The rotation does complete (its staged copies are deleted, the next renewal can start): nothing
// more can be done automatically, and a rotation left open forever would block the next one. If the producer
// reports the new certificate later, ForgingConfirmed turns True by itself.
import { parseRenewBefore } from "../../keys/kes-schedule.ts";
import type { ReconcileContext } from "../manager/context.ts";
import type { Rotation } from "./status.ts";
import type { RotationTarget, Tracked } from "./tracked.ts";

/** What the producer reports, in words, for conditions. */
function report(target: RotationTarget): string {
  const { forging } = target;
  return (
    `Forging=${forging.status} (${forging.reason}), ` + `opcert counter ${forging.opcertCounter ?? "not reported"}`
  );
}

/** The pool's holder says its producer forges it with a certificate carrying `counter`. */
export function forgesWith(target: RotationTarget, counter: number): boolean {
  return target.forging.status === "True" && target.forging.opcertCounter === counter;
}

/** The ForgingConfirmed=False message: what was not seen, and how to roll back. */
export function notConfirmedMessage(target: RotationTarget, counter: number, previousHash?: string): string {
  const previous = previousHash ? `revision ${target.revisionName(previousHash)}` : "the previous revision";
  return (
    `The producer of ${target.label} has not reported forging with issue number ${counter} (it reports ` +
    `${report(target)}). Check its /metrics and log; if it does not forge, roll back to ${previous}, which is kept ` +
    "(docs/kes-rotation.md section 7). This turns True by itself once the producer reports the new certificate."
  );
}

/**
 * Swapped and the StakePool runs the new revision: "confirmed" when the producer reports it forges with the new
 * certificate, "unconfirmed" once the timeout has passed without that, else "waiting" (t.obs.blocked says what
 * for). The moment the new revision was first seen running is recorded in status before the wait counts from it.
 */
export async function awaitForging(
  ctx: ReconcileContext,
  t: Tracked,
  r: Rotation,
): Promise<"confirmed" | "unconfirmed" | "waiting"> {
  if (forgesWith(t.target, r.counter)) return "confirmed";
  const { obs } = t;
  let since = r.runningSince;
  if (!since) {
    since = obs.now.toISOString();
    obs.rotation = { ...r, runningSince: since };
    await t.persist();
  }
  const timeout = t.spec.forgingConfirmationTimeout;
  const parsed = parseRenewBefore(timeout, "spec.forgingConfirmationTimeout"); // a duration: the CRD's pattern
  const deadline = Date.parse(since) + ("ms" in parsed ? parsed.ms : 0);
  if (obs.now.getTime() >= deadline) return "unconfirmed";
  obs.blocked = {
    reason: "WaitingForForging",
    message:
      `${t.target.label} runs key revision ${t.target.revisionName(r.newKeysHash!)}; waiting until ` +
      `${new Date(deadline).toISOString()} (spec.forgingConfirmationTimeout ${timeout}) for its producer to report ` +
      `forging with issue number ${r.counter}: it reports ${report(t.target)}`,
  };
  return "waiting";
}

/** A rotation completed unconfirmed whose producer now reports the certificate: record it and say so. */
export async function lateConfirmation(ctx: ReconcileContext, t: Tracked): Promise<void> {
  const last = t.obs.lastRotation;
  if (last?.forgingConfirmed !== false || last.counter === undefined) return;
  if (!forgesWith(t.target, last.counter)) {
    t.obs.notConfirmedMessage = notConfirmedMessage(t.target, last.counter, last.previousKeysHash);
    return;
  }
  t.obs.lastRotation = { ...last, forgingConfirmed: true, confirmedAt: t.obs.now.toISOString() };
  await t.persist();
  await ctx.event(
    t.rot,
    "Normal",
    "ForgingConfirmed",
    `The producer of ${t.target.label} now reports forging with issue number ${last.counter}`,
  );
}
