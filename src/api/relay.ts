// Relay: a StatefulSet of relay nodes with one Service per relay plus a shared one. The relays are the only
// peers of their pool's producer (a local root in their topology) and the pool's face to the network.
import { z } from "zod";
import { cel, conditions, localRef, network, nodeRuntimeFields, observedGeneration, tip } from "./common.ts";

const HOST = /^(([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?|[0-9a-fA-F:.]+)$/;

export const peer = z
  .object({
    address: z.string().min(1).max(253).regex(HOST).describe("DNS name or IP address of the peer."),
    port: z.int().min(1).max(65535).default(3001).describe("Node-to-node port of the peer."),
  })
  .describe("A peer to connect to.");

export const relayService = cel(
  z
    .object({
      type: z
        .enum(["ClusterIP", "NodePort", "LoadBalancer"])
        .default("ClusterIP")
        .describe("Type of the per-relay Services that expose the relays to the network."),
      nodePorts: z
        .array(z.int().min(30000).max(32767).describe("A node port."))
        .max(20)
        .describe("For type NodePort: the node port of each relay, in ordinal order (one per replica).")
        .optional(),
      loadBalancerSourceRanges: z
        .array(
          z
            .string()
            .regex(/^[0-9a-fA-F:.]+\/[0-9]{1,3}$/)
            .describe("A CIDR."),
        )
        .max(32)
        .describe("For type LoadBalancer: source CIDRs allowed through the load balancer.")
        .optional(),
      annotations: z
        .record(z.string().max(317), z.string().max(4096))
        .describe("Annotations for the per-relay Services (cloud load-balancer settings, external-dns names).")
        .optional(),
    })
    .describe("How the relays are exposed."),
  {
    rule: "!has(self.nodePorts) || self.type == 'NodePort'",
    message: "service.nodePorts is only for service type NodePort",
    fieldPath: ".nodePorts",
    reason: "FieldValueForbidden",
  },
  {
    rule: "!has(self.loadBalancerSourceRanges) || self.type == 'LoadBalancer'",
    message: "service.loadBalancerSourceRanges is only for service type LoadBalancer",
    fieldPath: ".loadBalancerSourceRanges",
    reason: "FieldValueForbidden",
  },
  {
    rule: "!has(self.nodePorts) || self.nodePorts.all(p, self.nodePorts.exists_one(q, q == p))",
    message: "service.nodePorts must be distinct",
    fieldPath: ".nodePorts",
  },
);

export const relaySpec = cel(
  z
    .object({
      network,
      poolRef: localRef("StakePool")
        .describe("The StakePool whose producer these relays serve: it becomes a local root in their topology.")
        .optional(),
      replicas: z.int().min(1).max(20).default(2).describe("Number of relay nodes."),
      service: relayService.default({ type: "ClusterIP" }),
      publicPeers: z
        .array(peer)
        .max(64)
        .describe("Public peers (public roots in the topology). Unset: the network preset's bootstrap peers.")
        .optional(),
      useLedgerAfterSlot: z
        .int()
        .min(-1)
        .describe("Slot after which peers are also taken from the ledger; -1 turns ledger peers off.")
        .optional(),
      ...nodeRuntimeFields,
    })
    .describe("Desired state of a set of relay nodes."),
  {
    rule: "!has(self.service.nodePorts) || size(self.service.nodePorts) == self.replicas",
    message: "service.nodePorts needs exactly one port per replica",
    fieldPath: ".service.nodePorts",
  },
);

export const relayStatus = z
  .object({
    observedGeneration: observedGeneration.optional(),
    phase: z.enum(["Pending", "Progressing", "Ready", "Degraded"]).describe("One-word summary.").optional(),
    conditions: conditions.optional(),
    replicas: z.int().min(0).describe("Relay pods that exist.").optional(),
    readyReplicas: z.int().min(0).describe("Relay pods that are ready.").optional(),
    selector: z.string().describe("Label selector of the relay pods (for the scale subresource).").optional(),
    serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).describe("Type of the relay Services.").optional(),
    tip: tip.describe("The highest tip among the relays.").optional(),
    relays: z
      .array(
        z
          .object({
            name: z.string().describe("Pod name."),
            ready: z.boolean().describe("Whether the relay is ready.").optional(),
            address: z.string().describe("Address the relay is reachable at from outside, when known.").optional(),
            tip: tip.optional(),
          })
          .describe("One relay."),
      )
      .max(20)
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
      .describe("Each relay's state.")
      .optional(),
  })
  .describe("Observed state of the relays, written by the operator.");

export type RelaySpec = z.infer<typeof relaySpec>;
export type RelaySpecInput = z.input<typeof relaySpec>;
export type RelayStatus = z.infer<typeof relayStatus>;
