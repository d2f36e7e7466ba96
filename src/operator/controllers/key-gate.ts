// The key gate as a controller runs it: a pool's key Secret data, its cold verification key (from the ConfigMap
// its keys name) and the network's slot clock, through keys/secret-gate.ts. Shared by the StakePool controller (one pool)
// and the MultikeyGroup controller (each pool of a group on its own), so both refuse exactly the same key sets.
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import type { SlotClock } from "../../formats/slot-clock.ts";
import { gateKeys, type GateResult } from "../../keys/secret-gate.ts";
import { KIND } from "../kinds.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { networkClock, SHELLEY_GENESIS_KEY } from "../networks.ts";

/** The network's slot clock, or undefined when a custom network's genesis is not (yet) readable. */
export function clockFor(
  ctx: ReconcileContext,
  ns: string,
  spec: Pick<StakePoolSpec, "network">,
): SlotClock | undefined {
  try {
    if (spec.network.name !== "custom") return networkClock(spec.network);
    const ref = spec.network.configMapRef?.name;
    const cm = ref ? ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: ref }) : undefined;
    const text = cm?.data?.[SHELLEY_GENESIS_KEY];
    if (!text) return undefined;
    return networkClock(spec.network, { text, where: `ConfigMap ${ref}, key ${SHELLEY_GENESIS_KEY}` });
  } catch (e) {
    ctx.log.warn({ err: (e as Error).message }, "cannot read the network's genesis: KES window not checked");
    return undefined;
  }
}

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
  const coldRef = spec.keys.coldVerificationKeyRef;
  let coldVerificationKey: { text: string; name: string } | undefined;
  if (coldRef) {
    const cm = ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: coldRef.name });
    const text = cm?.data?.[coldRef.key];
    const where = `ConfigMap ${coldRef.name}, key ${coldRef.key}`;
    if (text === undefined) {
      return {
        passed: false,
        checks: [],
        failure: {
          check: "key-file",
          reason: "ColdKeyNotFound",
          message: `${where} does not exist; it holds the pool's cold verification key (cold.vkey), which the gate checks the certificate against`,
        },
      };
    }
    coldVerificationKey = { text, name: where };
  }
  return gateKeys({
    secretName,
    data,
    ...(coldVerificationKey ? { coldVerificationKey } : {}),
    ...(spec.poolId ? { expectedPoolId: spec.poolId } : {}),
    ...(clock ? { clock } : {}),
    at: ctx.now(),
  });
}
