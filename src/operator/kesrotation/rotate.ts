// The rotation as a sequence of steps (steps/*.ts), one function each, every step's record persisted in status
// before the next begins, so a restarted operator resumes where it was and never makes a second key or counter:
//   start   (none -> Staging)               renewal time reached, no other rotation of the pool in flight
//   stage   (Staging -> AwaitingSignature)  the staging Job makes the staged KES key; the opcert request is published
//   verify  (AwaitingSignature -> Verified) the handed-back certificate (person or Auto signing Job) passes the gate
//   swap    (Verified -> Swapped)           away from leader slots, the new set is written to the pool's Secret
//   finish  (Swapped -> done)               the producer forges with the new certificate (or the timeout passes)
// Key material is made and used in Jobs (jobs.ts); the operator reads the staged Secret (its public kes.vkey for the
// request, kes.skey at the swap) and never the cold key.
import type { ReconcileContext } from "../manager/context.ts";
import { lateConfirmation } from "./confirm.ts";
import { finish } from "./steps/finish.ts";
import { stage } from "./steps/stage.ts";
import { start } from "./steps/start.ts";
import { swap } from "./steps/swap.ts";
import { verify } from "./steps/verify.ts";
import type { Tracked } from "./tracked.ts";

/** One pass over the rotation's steps, as far as each allows this reconcile. */
export async function rotate(ctx: ReconcileContext, t: Tracked): Promise<void> {
  const { obs } = t;
  let r = obs.rotation;
  await lateConfirmation(ctx, t);

  if (r?.step === "Swapped" && t.runningHash === r.newKeysHash) return finish(ctx, t, r);
  if (!r) r = await start(ctx, t);
  if (r?.step === "Staging") r = await stage(ctx, t, r);
  if (r?.step === "AwaitingSignature" || r?.step === "Verified") {
    const verified = await verify(ctx, t, r);
    r = verified && (await swap(ctx, t, verified.r, verified.set));
  }
  if (r?.step === "Swapped" && t.runningHash !== r.newKeysHash) {
    // Written, and the holder has not rolled onto it: say so when its gate refused the set.
    if (t.target.keysRefused)
      obs.blocked = {
        reason: "NewKeySetRefused",
        message: `${t.target.label} refused the new key set (${t.target.keysRefused}); the producer keeps revision ${t.runningHash.slice(0, 8)}`,
      };
  }
}
