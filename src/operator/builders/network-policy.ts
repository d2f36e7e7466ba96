// StakePool -> the producer's NetworkPolicy: deny everything in both directions except
//   ingress  node-to-node from the pool's relays, metrics scraping from spec.metrics.scrapeFrom, and the API
//            (leader schedule, transaction submission) from the pool's relays and the operator only — never from
//            the scrape source: a producer's coming leader slots are a map of when to attack it;
//   egress   node-to-node to the pool's relays, and DNS to kube-dns; a MultikeyGroup's producer also reaches the
//            Kubernetes API (its pools' Leases, --pool-lease-namespace) on API_SERVER_PORTS.
// A podSelector alone in scrapeFrom means pods in the pool's own namespace (NetworkPolicy semantics).
import type {
  V1LabelSelector,
  V1NetworkPolicy,
  V1NetworkPolicyIngressRule,
  V1NetworkPolicyPeer,
  V1NetworkPolicySpec,
} from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { commonLabels, names, type Owner, ownerReference, selectorLabels } from "../names.ts";
import { NODE_API_PORT } from "./node-pod.ts";

/** What a producer's policy is built from: a StakePool's spec, or a MultikeyGroup's (the same fields). */
export type ProducerPolicySpec = Pick<StakePoolSpec, "relays" | "port" | "metrics">;

export interface NetworkPolicyInput {
  /** The StakePool or MultikeyGroup. */
  owner: Owner;
  spec: ProducerPolicySpec;
  /** Node-to-node port of the pool's relays (the Relay's spec.port). */
  relayPort: number;
  /**
   * The operator's own pods, when it reads the node's /metrics for status (tip, blocks forged): they get the metrics
   * port too. A namespaceSelector is needed when the operator runs in another namespace.
   */
  operatorPeer?: V1NetworkPolicyPeer;
  /**
   * Whether the operator reads /metrics (default true). It reaches the API port whenever operatorPeer is given: the
   * KES rotation controller asks the producer for its leader schedule there.
   */
  operatorScrapes?: boolean;
  /**
   * Egress to the Kubernetes API on API_SERVER_PORTS, for a group producer that fences its pools with Leases. No
   * destination is named: the API server is not a pod and its address differs per cluster (the Service's 443, or the
   * endpoint's 6443 where the policy is enforced after kube-proxy's translation).
   */
  apiServerEgress?: boolean;
}

/** The API server's Service port and its usual endpoint port. */
export const API_SERVER_PORTS = [443, 6443] as const;

/**
 * NetworkPolicy as the API server spells it. client-node's model renames the ingress rule's `from` (a keyword in
 * its generator) to `_from`; the operator writes wire JSON without the model serializer (manager/apply.ts).
 */
export type WireIngressRule = Omit<V1NetworkPolicyIngressRule, "_from"> & { from?: V1NetworkPolicyPeer[] };
export type WireNetworkPolicySpec = Omit<V1NetworkPolicySpec, "ingress"> & { ingress?: WireIngressRule[] };
export type WireNetworkPolicy = Omit<V1NetworkPolicy, "spec"> & { spec: WireNetworkPolicySpec };

/** The Relay whose pods may talk to the producer. */
export function relayName(owner: Owner, spec: Pick<StakePoolSpec, "relays">): string {
  return spec.relays.relayRef?.name ?? names.relay(owner.name);
}

export const DNS_PEER: V1NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
  podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
};

function selector(s: { matchLabels?: Record<string, string>; matchExpressions?: object[] }): V1LabelSelector {
  const out: V1LabelSelector = {};
  if (s.matchLabels) out.matchLabels = { ...s.matchLabels };
  if (s.matchExpressions)
    out.matchExpressions = structuredClone(s.matchExpressions) as V1LabelSelector["matchExpressions"];
  return out;
}

type NodeRuntimeMetrics = Pick<StakePoolSpec["metrics"], "port" | "scrapeFrom">;

/** The peer spec.metrics.scrapeFrom describes, or undefined when nobody may scrape. */
export function scrapePeer(scrape: StakePoolSpec["metrics"]["scrapeFrom"]): V1NetworkPolicyPeer | undefined {
  if (!scrape) return undefined;
  const peer: V1NetworkPolicyPeer = {};
  if (scrape.namespaceSelector) peer.namespaceSelector = selector(scrape.namespaceSelector);
  if (scrape.podSelector) peer.podSelector = selector(scrape.podSelector);
  return peer;
}

/**
 * Ingress to a node's metrics port: from the scrapers spec.metrics.scrapeFrom names, and from the operator when it
 * reads /metrics for status. Producer and relay policies both end with these rules.
 */
export function metricsIngress(
  metrics: NodeRuntimeMetrics,
  operatorPeer: V1NetworkPolicyPeer | undefined,
): WireIngressRule[] {
  const ports = () => [{ protocol: "TCP", port: metrics.port }];
  const rules: WireIngressRule[] = [];
  const scrape = scrapePeer(metrics.scrapeFrom);
  if (scrape) rules.push({ from: [scrape], ports: ports() });
  if (operatorPeer) rules.push({ from: [structuredClone(operatorPeer)], ports: ports() });
  return rules;
}

/**
 * Ingress to a node's API port (NODE_API_PORT): from `peers` (the pool's relays) and from the operator. Not from
 * the metrics scrape source, which is why the API has a port of its own.
 */
export function apiIngress(
  peers: V1NetworkPolicyPeer[],
  operatorPeer: V1NetworkPolicyPeer | undefined,
): WireIngressRule {
  const from = [...peers.map((p) => structuredClone(p)), ...(operatorPeer ? [structuredClone(operatorPeer)] : [])];
  return { from, ports: [{ protocol: "TCP", port: NODE_API_PORT }] };
}

export function buildProducerNetworkPolicy(input: NetworkPolicyInput): WireNetworkPolicy {
  const { owner, spec } = input;
  const relays: V1NetworkPolicyPeer = { podSelector: { matchLabels: selectorLabels("relay", relayName(owner, spec)) } };
  const ingress: WireNetworkPolicySpec = {
    podSelector: { matchLabels: selectorLabels("producer", owner.name) },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [relays], ports: [{ protocol: "TCP", port: spec.port }] }],
    egress: [
      { to: [relays], ports: [{ protocol: "TCP", port: input.relayPort }] },
      {
        to: [DNS_PEER],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ],
  };
  if (input.apiServerEgress)
    ingress.egress!.push({ ports: API_SERVER_PORTS.map((port) => ({ protocol: "TCP", port })) });
  ingress.ingress!.push(apiIngress([relays], input.operatorPeer));
  ingress.ingress!.push(
    ...metricsIngress(spec.metrics, input.operatorScrapes === false ? undefined : input.operatorPeer),
  );
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: names.producer(owner.name),
      namespace: owner.namespace,
      labels: commonLabels("producer", owner.name, owner.name),
      ownerReferences: [ownerReference(owner)],
    },
    spec: ingress,
  };
}
