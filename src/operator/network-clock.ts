// The slot clock of a pool's network as a controller reads it: a preset network's facts (networks.ts), or a custom
// network's shelley-genesis.json from the ConfigMap its spec names. Used by every controller that places KES
// periods in time (StakePool, MultikeyGroup, KesRotation).
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../api/stakepool.ts";
import type { SlotClock } from "../formats/slot-clock.ts";
import { KIND } from "./kind-refs.ts";
import type { ReconcileContext } from "./manager/context.ts";
import { networkClock, SHELLEY_GENESIS_KEY } from "./networks.ts";

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
