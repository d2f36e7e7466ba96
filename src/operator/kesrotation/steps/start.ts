// No rotation in flight -> Staging: once the renewal time is reached, and only when no other KesRotation of the
// same pool is rotating it. The next counter is fixed here, recorded before anything is made for it.
import { rotationNames } from "../../../api/kesrotation-objects.ts";
import { KIND } from "../../kind-refs.ts";
import type { ReconcileContext } from "../../manager/context.ts";
import type { Rotation } from "../status.ts";
import { displayOf } from "../target.ts";
import type { KesRotationObject, Tracked } from "../tracked.ts";

/** The new rotation record, or undefined when none starts now (obs.blocked says why if something holds it). */
export async function start(ctx: ReconcileContext, t: Tracked): Promise<Rotation | undefined> {
  const { ns, owner, obs } = t;
  if (!obs.schedule?.rotationDue) return undefined;
  const other = ctx
    .list<KesRotationObject>(KIND.KesRotation, ns)
    .find(
      (o) =>
        o.metadata?.name !== owner.name &&
        displayOf(o.spec as Parameters<typeof displayOf>[0]) === t.target.display &&
        o.status?.rotation,
    );
  if (other) {
    obs.blocked = {
      reason: "AnotherRotationInFlight",
      message: `KesRotation ${other.metadata!.name} is already rotating ${t.target.label}; this one waits`,
    };
    return undefined;
  }
  const counter = t.lastCounter + 1;
  const r = (obs.rotation = {
    step: "Staging",
    counter,
    stagedSecretName: rotationNames.staged(owner.name, counter),
    startedAt: obs.now.toISOString(),
    previousKeysHash: t.runningHash,
  });
  await t.persist();
  await ctx.event(t.rot, "Normal", "RotationStarted", `Renewal time reached: rotating to issue number ${counter}`);
  return r;
}
