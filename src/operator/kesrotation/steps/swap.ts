// Step Verified -> Swapped: away from the producer's leader slots (writing the set rolls the producer), the new set
// (staged kes.skey, the running vrf.skey, the verified node.cert) runs through the pool's own key gate and is
// written into the pool's key Secret; the StakePool controller then rolls the producer onto a new immutable
// revision, keeping the previous one for rollback.
import type { V1Secret } from "@kubernetes/client-node";
import { SIGNED_FILE, STAGED_FILES } from "../../../api/kesrotation-objects.ts";
import { KEY_FILES } from "../../../keys/secret-gate.ts";
import { gatePool } from "../../keys/key-gate.ts";
import { KIND } from "../../kind-refs.ts";
import type { ReconcileContext } from "../../manager/context.ts";
import { b64 } from "../certs.ts";
import type { Rotation } from "../status.ts";
import { Stop, type Tracked } from "../tracked.ts";
import type { VerifiedSet } from "./verify.ts";

export async function swap(ctx: ReconcileContext, t: Tracked, r: Rotation, set: VerifiedSet): Promise<Rotation> {
  const { ns, obs } = t;
  const margin = t.spec.leaderSlotMarginMinutes;
  if (margin > 0) {
    const next = await t.nextLeaderSlot(margin);
    if (next)
      throw new Stop(
        "WaitingForLeaderSlot",
        `The producer leads slot ${next.slot} at ${next.at}, within ${margin} minutes; the swap restarts it, so it ` +
          "waits until the slot has passed (spec.leaderSlotMarginMinutes)",
      );
  }
  const revision = await ctx.read<V1Secret>(KIND.Secret, {
    namespace: ns,
    name: t.target.revisionName(t.runningHash),
  });
  const vrf = revision?.data?.[KEY_FILES.vrf];
  if (!vrf) throw new Stop("RevisionUnreadable", `the running key revision has no ${KEY_FILES.vrf}`);
  const data: Record<string, string> = {
    [KEY_FILES.kes]: set.staged.data![STAGED_FILES.kes]!,
    [KEY_FILES.vrf]: vrf,
    [KEY_FILES.opcert]: set.signed.data![SIGNED_FILE]!,
    "kes.vkey": b64(set.kesVkeyText),
  };
  const userSecret = t.target.spec.keys.secretRef.name;
  // The pool's own gate (the StakePool's, or the group's for this pool), run here first so a set it would refuse is
  // never written.
  const pre = gatePool(ctx, ns, t.target.spec, userSecret, data, t.clock);
  if (!pre.passed) throw new Stop("NewKeySetRefused", `The new key set fails the pool's gate: ${pre.failure!.message}`);
  await ctx.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: userSecret, namespace: ns }, data });
  const next = (obs.rotation = { ...r, step: "Swapped", newKeysHash: pre.keysHash! });
  await t.persist();
  await ctx.event(
    t.rot,
    "Normal",
    "KeySetWritten",
    `Wrote the new key set ${pre.keysHash!.slice(0, 8)} to Secret ${userSecret}; ${t.target.label} rolls onto it`,
  );
  return next;
}
