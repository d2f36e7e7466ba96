// A NetworkPolicy evaluator with Kubernetes semantics (networking.k8s.io/v1, as the API reference and
// https://kubernetes.io/docs/concepts/services-networking/network-policies/ define them), for table tests of the
// policies the operator builds. It answers one question: may this connection be made?
//
//  - A policy applies to the pods its podSelector selects in its own namespace ({} selects all of them).
//  - policyTypes: as given; when absent, Ingress always, plus Egress when the policy has egress rules.
//  - A pod selected by at least one policy of a type is isolated in that direction: only what some rule of some
//    such policy allows gets through (the union of all of them). A pod no policy selects is open.
//  - A connection needs both ends: the source's egress and the destination's ingress. External addresses have
//    no policies of their own.
//  - A rule with no peers (from/to absent or empty) matches every peer; with no ports, every port.
//  - A peer is an ipBlock (cidr minus except), or selectors: podSelector alone = pods in the policy's
//    namespace; namespaceSelector alone = all pods in matching namespaces; both = matching pods in matching
//    namespaces (AND within one peer, OR across peers).
//  - A port is a number or a container port name (resolved on the destination pod), with an optional endPort;
//    protocol defaults to TCP.
// ipBlock against pod IPs is implementation-defined in Kubernetes (the docs say ipBlock is meant for addresses
// outside the cluster); this evaluator matches it on any address, which is the stricter reading for tests.
import type { V1LabelSelector, V1NetworkPolicyPeer, V1NetworkPolicyPort } from "@kubernetes/client-node";
import type { WireIngressRule, WireNetworkPolicy } from "../../src/operator/builders/network-policy.ts";

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface Pod {
  /** A short name for messages, e.g. "producer". */
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  /** Named container ports, for policies that name a port. */
  ports?: Record<string, number>;
}

export interface External {
  name: string;
  ip: string;
}

export type Endpoint = Pod | External;

export interface Connection {
  from: Endpoint;
  to: Endpoint;
  port: number;
  protocol: Protocol;
}

export interface Cluster {
  policies: WireNetworkPolicy[];
  /** Namespace labels by name; kubernetes.io/metadata.name is added as the API server does. */
  namespaces: Record<string, Record<string, string>>;
}

const isPod = (e: Endpoint): e is Pod => "namespace" in e;

export function selects(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    switch (e.operator) {
      case "In":
        if (!has || !(e.values ?? []).includes(value!)) return false;
        break;
      case "NotIn":
        if (has && (e.values ?? []).includes(value!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`label selector operator ${e.operator} is not one Kubernetes knows`);
    }
  }
  return true;
}

function ipv4(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split("/");
  const n = Number(bits);
  if (!base || !Number.isInteger(n) || n < 0 || n > 32) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const mask = n === 0 ? 0 : (~0 << (32 - n)) >>> 0;
  return (ipv4(ip) & mask) === (ipv4(base) & mask);
}

function namespaceLabels(cluster: Cluster, ns: string): Record<string, string> {
  return { ...cluster.namespaces[ns], "kubernetes.io/metadata.name": ns };
}

function peerMatches(cluster: Cluster, policyNs: string, peer: V1NetworkPolicyPeer, other: Endpoint): boolean {
  if (peer.ipBlock) {
    return inCidr(other.ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((c) => inCidr(other.ip, c));
  }
  if (!isPod(other)) return false; // selectors only ever match pods
  if (!peer.namespaceSelector && !peer.podSelector) {
    throw new Error(`a NetworkPolicy peer in ${policyNs} has neither ipBlock nor a selector (the API refuses it)`);
  }
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, namespaceLabels(cluster, other.namespace))
    : other.namespace === policyNs;
  return nsOk && selects(peer.podSelector, other.labels);
}

function portMatches(ports: V1NetworkPolicyPort[] | undefined, conn: Connection): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? "TCP") !== conn.protocol) return false;
    if (p.port === undefined) return true;
    let port: number | undefined;
    if (typeof p.port === "number") port = p.port;
    else if (/^\d+$/.test(p.port)) port = Number(p.port);
    else port = isPod(conn.to) ? conn.to.ports?.[p.port] : undefined;
    if (port === undefined) return false;
    return p.endPort === undefined ? conn.port === port : conn.port >= port && conn.port <= p.endPort;
  });
}

function types(policy: WireNetworkPolicy): string[] {
  const spec = policy.spec!;
  if (spec.policyTypes && spec.policyTypes.length) return spec.policyTypes;
  return spec.egress && spec.egress.length ? ["Ingress", "Egress"] : ["Ingress"];
}

/** Policies of one direction that select this pod. */
function isolating(cluster: Cluster, pod: Pod, direction: "Ingress" | "Egress"): WireNetworkPolicy[] {
  return cluster.policies.filter(
    (p) =>
      p.metadata?.namespace === pod.namespace &&
      types(p).includes(direction) &&
      selects(p.spec!.podSelector, pod.labels),
  );
}

/** The rule's peers (wire JSON, as builders, the API server and YAML spell them). */
function fromPeers(rule: WireIngressRule): V1NetworkPolicyPeer[] | undefined {
  return rule.from;
}

export interface Verdict {
  allowed: boolean;
  /** Which side refused, for failure messages. */
  reason: string;
}

export function evaluate(cluster: Cluster, conn: Connection): Verdict {
  if (isPod(conn.from)) {
    const pols = isolating(cluster, conn.from, "Egress");
    if (pols.length) {
      const ok = pols.some((p) =>
        (p.spec!.egress ?? []).some(
          (rule) =>
            (!rule.to?.length || rule.to.some((peer) => peerMatches(cluster, p.metadata!.namespace!, peer, conn.to))) &&
            portMatches(rule.ports, conn),
        ),
      );
      if (!ok) return { allowed: false, reason: `egress of ${conn.from.name} refused by ${names(pols)}` };
    }
  }
  if (isPod(conn.to)) {
    const pols = isolating(cluster, conn.to, "Ingress");
    if (pols.length) {
      const ok = pols.some((p) =>
        (p.spec!.ingress ?? []).some((rule) => {
          const peers = fromPeers(rule);
          return (
            (!peers?.length || peers.some((peer) => peerMatches(cluster, p.metadata!.namespace!, peer, conn.from))) &&
            portMatches(rule.ports, conn)
          );
        }),
      );
      if (!ok) return { allowed: false, reason: `ingress of ${conn.to.name} refused by ${names(pols)}` };
    }
  }
  return { allowed: true, reason: "allowed" };
}

function names(pols: WireNetworkPolicy[]): string {
  return pols.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(", ");
}
