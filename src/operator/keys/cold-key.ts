// The pool's cold verification key as the operator finds it: the ConfigMap key a pool's spec names
// (spec.keys.coldVerificationKeyRef). The one lookup behind the StakePool's and the MultikeyGroup's key gate and the
// KesRotation's rotation gate, so a missing ConfigMap means the same thing to all three: the key set is refused.
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";

export type ColdKeyLookup =
  /** The spec names no cold key: the certificate's own cold key is the only one there is. */
  | { kind: "none" }
  | { kind: "found"; text: string; where: string }
  | { kind: "missing"; where: string; message: string };

export function coldKeyConfigMap(
  ctx: ReconcileContext,
  ns: string,
  keys: Pick<StakePoolSpec["keys"], "coldVerificationKeyRef">,
): ColdKeyLookup {
  const ref = keys.coldVerificationKeyRef;
  if (!ref) return { kind: "none" };
  const where = `ConfigMap ${ref.name}, key ${ref.key}`;
  const text = ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: ref.name })?.data?.[ref.key];
  if (text === undefined)
    return {
      kind: "missing",
      where,
      message: `${where} does not exist; it holds the pool's cold verification key (cold.vkey), which the gate checks the certificate against`,
    };
  return { kind: "found", text, where };
}
