// StakePool with spec.relays.replicas -> the Relay object the operator creates for it (`<pool>-relay`), owned by the
// pool. Only what the pool decides is set (network, the pool it serves, count, the node image and metrics
// scraping); everything else is the Relay's own default, which a person may change on the Relay. Pure.
import type { KubernetesObject } from "@kubernetes/client-node";
import { API_VERSION } from "../../api/common.ts";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { commonLabels, names, type Owner, ownerReference } from "../names.ts";

export interface PoolRelay extends KubernetesObject {
  spec: {
    network: StakePoolSpec["network"];
    poolRef: { name: string };
    replicas: number;
    image: StakePoolSpec["image"];
    metrics: StakePoolSpec["metrics"];
  };
}

/** The pool's (or group's) own Relay, or undefined when the pool names an existing one (spec.relays.relayRef). */
export function buildPoolRelay(
  owner: Owner,
  spec: Pick<StakePoolSpec, "relays" | "network" | "image" | "metrics">,
): PoolRelay | undefined {
  const replicas = spec.relays.replicas;
  if (replicas === undefined) return undefined;
  const name = names.relay(owner.name);
  return {
    apiVersion: API_VERSION,
    kind: "Relay",
    metadata: {
      name,
      namespace: owner.namespace,
      labels: commonLabels("relay", name, owner.name),
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      network: structuredClone(spec.network),
      poolRef: { name: owner.name },
      replicas,
      image: structuredClone(spec.image),
      metrics: structuredClone(spec.metrics),
    },
  };
}
