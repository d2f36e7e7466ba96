// MultikeyGroup: several pools forging from one producer. Each pool keeps its own keys (own Secret, own KES
// window); the group runs one producer process that holds all their hot keys, behind one set of relays. This is
// MultiversX's multikey idea brought to Cardano: fewer producers to run, the same one-forger-per-pool rule. A
// group can be the hot standby of another group: it follows the chain and forges only after the primary has been
// unready for a while, with a Lease fencing the two so one pool never has two forgers.
import { z } from "zod";
import { cel, conditions, localRef, network, nodeRuntimeFields, observedGeneration, tip } from "./common.ts";
import { poolId, poolKeys, poolRelays } from "./stakepool.ts";

/** MultiversX advises at most 50 keys per multikey group; the same cap keeps one producer's blast radius sane. */
export const MAX_POOLS_PER_GROUP = 50;

export const groupPool = z
  .object({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .describe("Short name of the pool within the group (a DNS label); used in mount paths, metrics and status."),
    poolId: poolId.optional(),
    keys: poolKeys,
  })
  .describe("One pool forging in this group.");

export const multikeyGroupSpec = z
  .object({
    network,
    pools: cel(
      z
        .array(groupPool)
        .min(1)
        .max(MAX_POOLS_PER_GROUP)
        .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
        .describe(`The pools whose keys this group's producer holds (1 to ${MAX_POOLS_PER_GROUP}).`),
      {
        rule: "self.all(p, self.exists_one(q, q.keys.secretRef.name == p.keys.secretRef.name))",
        message: "each pool in a group needs its own keys Secret",
      },
    ),
    standby: z
      .object({
        groupRef: localRef("MultikeyGroup").describe("The primary MultikeyGroup this group stands by for."),
        takeoverAfterSeconds: z
          .int()
          .min(30)
          .max(3600)
          .default(120)
          .describe("How long the primary's producer must be unready before this group starts forging."),
      })
      .describe(
        "Make this group a hot standby of another group with the same pools: it follows the chain and forges only " +
          "while the primary is down. A Lease makes sure only one of them forges.",
      )
      .optional(),
    relays: poolRelays,
    ...nodeRuntimeFields,
    paused: z
      .boolean()
      .default(false)
      .describe("Stop reconciling the group's objects (the running producer keeps running as it is)."),
  })
  .describe("Desired state of a group of pools sharing one block producer.");

export const multikeyGroupStatus = z
  .object({
    observedGeneration: observedGeneration.optional(),
    phase: z
      .enum(["Pending", "Progressing", "Forging", "Standby", "Degraded", "KeysInvalid", "Paused"])
      .describe("One-word summary of the group's state.")
      .optional(),
    conditions: conditions.optional(),
    role: z.enum(["Primary", "Standby"]).describe("Whether this group is a primary or a standby.").optional(),
    poolCount: z.int().min(0).describe("Number of pools in the group.").optional(),
    forgingPools: z.int().min(0).describe("Pools whose keys passed the gate and are forging.").optional(),
    tip: tip.optional(),
    pools: z
      .array(
        z
          .object({
            name: z.string().describe("The pool's name in the group."),
            poolId: z.string().describe("The pool id (bech32).").optional(),
            keysValid: z.boolean().describe("Whether the pool's keys passed the consistency gate.").optional(),
            kesPeriodsLeft: z.int().describe("KES periods left on the pool's operational certificate.").optional(),
            blocksForged: z.int().min(0).describe("Blocks forged for this pool since the producer started.").optional(),
          })
          .describe("One pool's state."),
      )
      .max(MAX_POOLS_PER_GROUP)
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
      .describe("Each pool's state.")
      .optional(),
  })
  .describe("Observed state of the group, written by the operator.");

export type MultikeyGroupSpec = z.infer<typeof multikeyGroupSpec>;
export type MultikeyGroupSpecInput = z.input<typeof multikeyGroupSpec>;
export type MultikeyGroupStatus = z.infer<typeof multikeyGroupStatus>;
