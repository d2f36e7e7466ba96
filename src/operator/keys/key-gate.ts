// The key gate as a controller runs it: a pool's key Secret data, its cold verification key (cold-key.ts) and the
// network's slot clock, through keys/secret-gate.ts. Shared by the StakePool controller (one pool), the MultikeyGroup
// controller (each pool of a group on its own) and the KesRotation's swap (the new set, before it is written), so
// all three refuse exactly the same key sets.
import type { StakePoolSpec } from "../../api/stakepool.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import { gateKeys, type GateResult } from "../../keys/secret-gate.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { coldKeyConfigMap } from "./cold-key.ts";

/** What the gate needs of a pool's spec: its keys and (optionally) the pool id it must be. */
export interface PoolKeysSpec {
  keys: StakePoolSpec["keys"];
  poolId?: string | undefined;
}

/** The gate over a Secret's data, with the pool's cold key and clock. */
export function gatePool(
  ctx: ReconcileContext,
  ns: string,
  spec: PoolKeysSpec,
  secretName: string,
  data: Record<string, string> | undefined,
  clock: SlotClock | undefined,
): GateResult {
  const cold = coldKeyConfigMap(ctx, ns, spec.keys);
  if (cold.kind === "missing")
    return {
      passed: false,
      checks: [],
      failure: { check: "key-file", reason: "ColdKeyNotFound", message: cold.message },
    };
  return gateKeys({
    secretName,
    data,
    ...(cold.kind === "found" ? { coldVerificationKey: { text: cold.text, name: cold.where } } : {}),
    ...(spec.poolId ? { expectedPoolId: spec.poolId } : {}),
    ...(clock ? { clock } : {}),
    at: ctx.now(),
  });
}
