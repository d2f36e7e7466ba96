// The topology ConfigMaps (cardano-node P2P topology.json, written by formats/topology.ts).
//
// Producer (seeds/000 "Block Producer Topology"): its own relays and nothing else. One trustable local root group
// with every relay's own Service, no public roots, no bootstrap peers, ledger peers off (useLedgerAfterSlot -1).
//
// Relays: one file per relay pod (`<relay>-<n>.json`, chosen in the pod by its name), so no relay lists itself.
// Local roots: the pool's producer (its headless Service) and the other relays of the set, trustable, never
// advertised: peer sharing must never hand the producer's address to anybody. Public roots: spec.publicPeers, else
// the network preset's bootstrap peers (a custom network without publicPeers has none).
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { RelaySpec } from "../../api/relay.ts";
import { type AccessPoint, localRootOf, type LocalRoot, renderTopology } from "../../formats/topology.ts";
import { commonLabels, names, type Owner, ownerReference } from "../names.ts";
import { PRESETS } from "../networks.ts";

export const TOPOLOGY_KEY = "topology.json";
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** A Service's DNS name. Fully qualified: cardano-node resolves names itself and need not honour search domains. */
export function serviceHost(service: string, namespace: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  return `${service}.${namespace}.svc.${clusterDomain}`;
}

/** The relays a producer talks to, as the StakePool controller finds them (the Relay object or spec.relays). */
export interface RelaySet {
  name: string;
  replicas: number;
  port: number;
}

export function relayAccessPoints(relays: RelaySet, namespace: string, clusterDomain?: string): AccessPoint[] {
  return Array.from({ length: relays.replicas }, (_, i) => ({
    address: serviceHost(names.relayPod(relays.name, i), namespace, clusterDomain),
    port: relays.port,
  }));
}

export interface ProducerTopologyInput {
  /** The StakePool. */
  owner: Owner;
  relays: RelaySet;
  clusterDomain?: string;
}

export function producerTopologyJson(input: ProducerTopologyInput): string {
  const relays = relayAccessPoints(input.relays, input.owner.namespace, input.clusterDomain);
  return renderTopology({
    bootstrapPeers: null,
    localRoots: relays.length ? [localRootOf(relays, { trustable: true })] : [],
    publicRoots: [],
    useLedgerAfterSlot: -1,
  });
}

export function buildProducerTopology(input: ProducerTopologyInput): V1ConfigMap {
  const { owner } = input;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: names.topology(owner.name),
      namespace: owner.namespace,
      labels: commonLabels("producer", owner.name, owner.name),
      ownerReferences: [ownerReference(owner)],
    },
    data: { [TOPOLOGY_KEY]: producerTopologyJson(input) },
  };
}

export interface RelayTopologyInput {
  /** The Relay. */
  owner: Owner;
  spec: RelaySpec;
  /** The pool's producer, when spec.poolRef names a StakePool that exists: its name and node-to-node port. */
  producer?: { pool: string; port: number };
  clusterDomain?: string;
}

export function publicRootsOf(spec: RelaySpec): AccessPoint[] {
  if (spec.publicPeers) return spec.publicPeers.map((p) => ({ address: p.address, port: p.port }));
  return spec.network.name === "custom" ? [] : PRESETS[spec.network.name].bootstrapPeers.map((p) => ({ ...p }));
}

function useLedgerAfterSlot(spec: RelaySpec): number {
  if (spec.useLedgerAfterSlot !== undefined) return spec.useLedgerAfterSlot;
  return spec.network.name === "custom" ? -1 : PRESETS[spec.network.name].useLedgerAfterSlot;
}

/** The topology of relay `ordinal`: the producer and the other relays as local roots, public peers as public roots. */
export function relayTopologyJson(input: RelayTopologyInput, ordinal: number): string {
  const { owner, spec, producer, clusterDomain } = input;
  const localRoots: LocalRoot[] = [];
  if (producer) {
    const host = serviceHost(names.producer(producer.pool), owner.namespace, clusterDomain);
    localRoots.push(localRootOf([{ address: host, port: producer.port }], { trustable: true }));
  }
  const siblings = relayAccessPoints(
    { name: owner.name, replicas: spec.replicas, port: spec.port },
    owner.namespace,
    clusterDomain,
  ).filter((_, i) => i !== ordinal);
  if (siblings.length) localRoots.push(localRootOf(siblings, { trustable: true }));
  const publicRoots = publicRootsOf(spec);
  return renderTopology({
    bootstrapPeers: null,
    localRoots,
    publicRoots: publicRoots.length ? [{ accessPoints: publicRoots, advertise: false }] : [],
    useLedgerAfterSlot: useLedgerAfterSlot(spec),
  });
}

/** The file relay pod `ordinal` reads (its pod name + .json; the pod finds it through $(POD_NAME)). */
export function relayTopologyKey(relay: string, ordinal: number): string {
  return `${names.relayPod(relay, ordinal)}.json`;
}

export function buildRelayTopology(input: RelayTopologyInput): V1ConfigMap {
  const { owner, spec } = input;
  const data: Record<string, string> = {};
  for (let i = 0; i < spec.replicas; i++) data[relayTopologyKey(owner.name, i)] = relayTopologyJson(input, i);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: names.relayTopology(owner.name),
      namespace: owner.namespace,
      labels: commonLabels("relay", owner.name, input.producer?.pool ?? spec.poolRef?.name ?? owner.name),
      ownerReferences: [ownerReference(owner)],
    },
    data,
  };
}
