// Names and labels of the objects the operator derives from a StakePool. Selector labels never change after
// creation (a StatefulSet's selector is immutable), so they hold only what identifies the workload.
import { MANAGER, type Owner } from "../api/owner.ts";

// Owner and MANAGER are shared with the KesRotation Jobs' command (api/owner.ts); re-exported for the operator.
export { MANAGER, type Owner };
export const NODE_UID = 10001;

export const names = {
  producer: (pool: string) => `${pool}-producer`,
  topology: (pool: string) => `${pool}-producer-topology`,
  /** The Relay the operator creates when a StakePool asks for relays by count. */
  relay: (pool: string) => `${pool}-relay`,
  /** The operator's immutable copy of a gated key set: `<pool>-keys-<first 8 hex of keysHash>`. */
  keyRevision: (pool: string, keysHash: string) => `${pool}-keys-${keysHash.slice(0, 8)}`,
  /** A relay pod, and its own Service (same name). */
  relayPod: (relay: string, ordinal: number) => `${relay}-${ordinal}`,
  /** The ConfigMap with one topology file per relay pod. */
  relayTopology: (relay: string) => `${relay}-topology`,
};

export type Component = "producer" | "relay";

/** Labels that select a workload's pods; stable for the object's life. */
export function selectorLabels(component: Component, instance: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "poolfleet-node",
    "app.kubernetes.io/instance": instance,
    "app.kubernetes.io/component": component,
  };
}

/** Labels on every object the operator writes for a pool. */
export function commonLabels(component: Component, instance: string, pool: string): Record<string, string> {
  return {
    ...selectorLabels(component, instance),
    "app.kubernetes.io/managed-by": MANAGER,
    "app.kubernetes.io/part-of": "poolfleet",
    "poolfleet.io/pool": pool,
  };
}

export function ownerReference(owner: Owner) {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.name,
    uid: owner.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}
