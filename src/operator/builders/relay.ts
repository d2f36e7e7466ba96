// Relay -> a StatefulSet of relay nodes, one Service per relay (the type the spec asks for: in the cluster,
// on node ports, or behind load balancers), a shared headless Service (the StatefulSet's governing Service, and
// one name for all relays), and a NetworkPolicy that opens the node-to-node port to everyone, the metrics port
// only to the scrape source and the operator, and the API port (transaction submission) only to the relays
// themselves and the operator. Pure, like the producer's builders, whose pod pieces it shares (node-pod.ts).
import type { V1NetworkPolicyPeer, V1Service, V1StatefulSet } from "@kubernetes/client-node";
import type { RelaySpec } from "../../api/relay.ts";
import { commonLabels, names, type Owner, ownerReference, selectorLabels } from "../names.ts";
import { apiIngress, metricsIngress, type WireIngressRule, type WireNetworkPolicy } from "./network-policy.ts";
import { baseVolumes, dataClaimTemplate, nodeArgs, nodeContainer, headlessService, nodePodSpec } from "./node-pod.ts";

export interface RelayInput {
  /** The Relay. */
  owner: Owner;
  spec: RelaySpec;
  /** The operator's pods, which read the relays' /metrics for status: they get the metrics and the API port. */
  operatorPeer?: V1NetworkPolicyPeer;
}

export interface RelayObjects {
  statefulSet: V1StatefulSet;
  /** The shared headless Service, named like the Relay. */
  service: V1Service;
  /** One per relay pod, named like the pod, in ordinal order. */
  relayServices: V1Service[];
  networkPolicy: WireNetworkPolicy;
}

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";

/** The pool the relays belong to, for the poolfleet.io/pool label: spec.poolRef, else the Relay itself. */
export function relayPool(owner: Owner, spec: RelaySpec): string {
  return spec.poolRef?.name ?? owner.name;
}

/** Each pod reads its own topology file, found by its name (Kubernetes expands $(POD_NAME) in args). */
export function relayArgs(spec: RelaySpec): string[] {
  return nodeArgs(spec, "$(POD_NAME).json");
}

function perRelayService(
  input: RelayInput,
  ordinal: number,
  metadataBase: { labels: Record<string, string> },
): V1Service {
  const { owner, spec } = input;
  const pod = names.relayPod(owner.name, ordinal);
  const svc = spec.service;
  const nodePort = svc.type === "NodePort" ? svc.nodePorts?.[ordinal] : undefined;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: pod,
      namespace: owner.namespace,
      labels: metadataBase.labels,
      ...(svc.annotations && Object.keys(svc.annotations).length ? { annotations: { ...svc.annotations } } : {}),
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      type: svc.type,
      selector: { ...selectorLabels("relay", owner.name), [POD_NAME_LABEL]: pod },
      // A relay that is still syncing is not ready, but its producer and peers must reach it all the same.
      publishNotReadyAddresses: true,
      ports: [
        {
          name: "node",
          port: spec.port,
          targetPort: "node",
          protocol: "TCP",
          ...(nodePort !== undefined ? { nodePort } : {}),
        },
      ],
      ...(svc.type === "LoadBalancer" && svc.loadBalancerSourceRanges
        ? { loadBalancerSourceRanges: [...svc.loadBalancerSourceRanges] }
        : {}),
    },
  };
}

export function buildRelayNetworkPolicy(input: RelayInput): WireNetworkPolicy {
  const { owner, spec } = input;
  const ingress: WireIngressRule[] = [
    // Node-to-node from anywhere: relays are the pool's face to the network (and its producer comes in here).
    { ports: [{ protocol: "TCP", port: spec.port }] },
    apiIngress([{ podSelector: { matchLabels: selectorLabels("relay", owner.name) } }], input.operatorPeer),
    ...metricsIngress(spec.metrics, input.operatorPeer),
  ];
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: owner.name,
      namespace: owner.namespace,
      labels: commonLabels("relay", owner.name, relayPool(owner, spec)),
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      podSelector: { matchLabels: selectorLabels("relay", owner.name) },
      // Ingress only: relays dial peers anywhere on the internet.
      policyTypes: ["Ingress"],
      ingress,
    },
  };
}

export function buildRelay(input: RelayInput): RelayObjects {
  const { owner, spec } = input;
  const selector = selectorLabels("relay", owner.name);
  const labels = commonLabels("relay", owner.name, relayPool(owner, spec));
  const metadata = {
    name: owner.name,
    namespace: owner.namespace,
    labels,
    ownerReferences: [ownerReference(owner)],
  };
  const { volumes, mounts } = baseVolumes(spec, names.relayTopology(owner.name));
  const env = [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }];

  const statefulSet: V1StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata,
    spec: {
      replicas: spec.replicas,
      serviceName: owner.name,
      selector: { matchLabels: selector },
      // Relays are interchangeable: start and replace them side by side.
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      // A relay's chain database takes hours to resync: a scale-down or delete keeps the volume.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: { labels },
        spec: nodePodSpec(nodeContainer(spec, relayArgs(spec), mounts, env), volumes),
      },
      volumeClaimTemplates: [dataClaimTemplate(spec, labels)],
    },
  };

  const service = headlessService(metadata, selector, spec.port);

  const relayServices = Array.from({ length: spec.replicas }, (_, i) => perRelayService(input, i, { labels }));
  return { statefulSet, service, relayServices, networkPolicy: buildRelayNetworkPolicy(input) };
}
