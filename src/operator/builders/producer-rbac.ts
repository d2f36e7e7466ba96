// A MultikeyGroup producer's identity (issue 16): the node fences each pool with a coordination.k8s.io Lease
// (poolfleet-node --pool-lease-namespace, README "Backups and the fence"), so the producer pods of a main group
// and of its backups need a token that may read and write Leases in the group's namespace, and nothing else.
//   <group>-producer   ServiceAccount the group's producer pod runs as (its token mounted: the node loads the
//                      in-cluster credentials), a Role of the same name allowing exactly PRODUCER_LEASE_RULES, and
//                      the RoleBinding between them. All three are owned by the group and go with it.
// StakePool pods keep no token at all (node-pod.ts). Pure.
import type { V1PolicyRule, V1Role, V1RoleBinding, V1ServiceAccount } from "@kubernetes/client-node";
import { commonLabels, names, type Owner, ownerReference } from "../names.ts";

/**
 * What a producer's token may do: get, create and update Leases in its own namespace (the node's lease store,
 * src/node/fencing). Not list, watch, delete or patch; no other resource. The chart grants the operator these same
 * verbs on Leases, which the API server requires before it lets the operator write a Role granting them.
 */
export const PRODUCER_LEASE_RULES: V1PolicyRule[] = [
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
];

/** The ServiceAccount, Role and RoleBinding name of a group's producer (the StatefulSet's name too). */
export const producerServiceAccountName = (group: string) => names.producer(group);

function metadata(owner: Owner) {
  return {
    name: producerServiceAccountName(owner.name),
    namespace: owner.namespace,
    labels: commonLabels("producer", owner.name, owner.name),
    ownerReferences: [ownerReference(owner)],
  };
}

export function producerServiceAccount(owner: Owner): V1ServiceAccount {
  // The producer pod asks for its token itself (group-producer.ts); any other pod run as this account gets none.
  return { apiVersion: "v1", kind: "ServiceAccount", metadata: metadata(owner), automountServiceAccountToken: false };
}

export function producerLeaseRole(owner: Owner): V1Role {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: metadata(owner),
    rules: PRODUCER_LEASE_RULES,
  };
}

export function producerRoleBinding(owner: Owner): V1RoleBinding {
  const name = producerServiceAccountName(owner.name);
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: metadata(owner),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name, namespace: owner.namespace }],
  };
}

/** The three objects, in the order they are applied (the account, what it may do, the grant). */
export function buildProducerRbac(owner: Owner): [V1ServiceAccount, V1Role, V1RoleBinding] {
  return [producerServiceAccount(owner), producerLeaseRole(owner), producerRoleBinding(owner)];
}
