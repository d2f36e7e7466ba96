// A StakePool and a MultikeyGroup of the same name in one namespace would derive the same objects
// (`<name>-producer` StatefulSet, Service, PDB and NetworkPolicy, `<name>-producer-topology`, `<name>-relay`), and
// each controller's forced server-side apply would take them from the other: one producer pod alternating between
// two key sets. Admission cannot see across kinds, so the controllers decide: the older object keeps the name (the
// same order as pool-id claims, pool-claims.ts), the younger is refused with NameTaken and writes nothing else.
import type { KubernetesObject } from "@kubernetes/client-node";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { claimantName, claimantOf, compareClaims } from "./pool-claims.ts";

export const NAME_TAKEN = "NameTaken";

/** The refusal for `self` when an older object of the other kind has its name in its namespace, else undefined. */
export function nameTaken(
  ctx: ReconcileContext,
  kind: "StakePool" | "MultikeyGroup",
  self: KubernetesObject,
): { reason: typeof NAME_TAKEN; message: string } | undefined {
  const other = kind === "StakePool" ? "MultikeyGroup" : "StakePool";
  const md = self.metadata!;
  const twin = ctx.get<KubernetesObject>(KIND[other], { namespace: md.namespace!, name: md.name! });
  if (!twin || twin.metadata?.deletionTimestamp) return undefined;
  const mine = claimantOf(kind, self);
  const theirs = claimantOf(other, twin);
  if (compareClaims(theirs, mine) > 0) return undefined;
  return {
    reason: NAME_TAKEN,
    message:
      `${claimantName(theirs)} has this name and is older: a StakePool and a MultikeyGroup of one name in one ` +
      `namespace would share the producer objects (${md.name}-producer, ${md.name}-relay). Rename one; ` +
      `${claimantName(mine)} writes nothing until then.`,
  };
}
