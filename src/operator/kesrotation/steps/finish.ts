// Step Swapped -> done: the StakePool runs the new revision. Wait for the producer to report forging with the new
// certificate (confirm.ts), then delete the rotation's staged copies, record lastRotation and say how it ended.
import { rotationNames } from "../../../api/kesrotation-objects.ts";
import { KIND } from "../../kind-refs.ts";
import type { ReconcileContext } from "../../manager/context.ts";
import { kesJobNames } from "../build-jobs.ts";
import { awaitForging, notConfirmedMessage } from "../confirm.ts";
import type { Rotation } from "../status.ts";
import type { Tracked } from "../tracked.ts";

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export async function finish(ctx: ReconcileContext, t: Tracked, swapped: Rotation): Promise<void> {
  const { ns, owner, obs } = t;
  const outcome = await awaitForging(ctx, t, swapped);
  if (outcome === "waiting") return;
  const r = obs.rotation!;
  for (const [kind, name] of [
    [KIND.Job, kesJobNames.job(owner.name, "stage", r.counter)],
    [KIND.Job, kesJobNames.job(owner.name, "sign", r.counter)],
    [KIND.Secret, r.stagedSecretName],
    [KIND.Secret, rotationNames.signed(owner.name)],
    [KIND.ConfigMap, rotationNames.request(owner.name)],
  ] as const)
    await ctx.delete(kind, { namespace: ns, name });
  obs.lastRotation = {
    completedAt: obs.now.toISOString(),
    counter: r.counter,
    keysHash: r.newKeysHash,
    ...(r.previousKeysHash ? { previousKeysHash: r.previousKeysHash } : {}),
    forgingConfirmed: outcome === "confirmed",
    ...(outcome === "confirmed" ? { confirmedAt: obs.now.toISOString() } : {}),
  };
  obs.rotation = undefined;
  obs.request = undefined;
  if (outcome === "unconfirmed") obs.notConfirmedMessage = notConfirmedMessage(t.target, r.counter, r.previousKeysHash);
  await t.persist();
  if (outcome === "unconfirmed")
    await ctx.event(
      t.rot,
      "Warning",
      "ForgingNotConfirmed",
      `Rotation to issue number ${r.counter} completed WITHOUT confirmation within ` +
        `${t.spec.forgingConfirmationTimeout}: ${obs.notConfirmedMessage}`,
    );
  await ctx.event(
    t.rot,
    "Normal",
    "Rotated",
    `${capital(t.target.label)} runs key revision ${t.target.revisionName(r.newKeysHash!)} with issue number ${r.counter}` +
      (outcome === "confirmed" ? " and its producer forges with it; " : " (forging not confirmed); ") +
      `the previous revision ${r.previousKeysHash ? t.target.revisionName(r.previousKeysHash) : "(none)"} is kept for rollback`,
  );
}
