// The relays in front of a producer (a StakePool's or a MultikeyGroup's): the Relay named by the spec (its own, or
// an existing one by relayRef), with the replicas and port its topology and NetworkPolicy are built from.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { relayName } from "../builders/network-policy.ts";
import type { RelaySet } from "../builders/topology.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import type { Owner } from "../names.ts";

const DEFAULT_RELAY_PORT = 3001;

export interface RelayObject extends KubernetesObject {
  spec?: { replicas?: number; port?: number; poolRef?: { name: string } };
  status?: { readyReplicas?: number };
}

export function relaySetOf(
  ctx: ReconcileContext,
  owner: Owner,
  spec: Pick<StakePoolSpec, "relays">,
): { set: RelaySet; live: RelayObject | undefined } {
  const name = relayName(owner, spec);
  const live = ctx.get<RelayObject>(KIND.Relay, { namespace: owner.namespace, name });
  const set: RelaySet = {
    name,
    replicas: spec.relays.replicas ?? live?.spec?.replicas ?? 0,
    port: live?.spec?.port ?? DEFAULT_RELAY_PORT,
  };
  return { set, live };
}
