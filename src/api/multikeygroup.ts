// MultikeyGroup: several pools forging from one producer. Each pool keeps its own keys (own Secret, own KES
// window); the group runs one producer process that holds all their hot keys, behind one set of relays. This is
// MultiversX's multikey idea brought to Cardano: fewer producers to run, the same one-forger-per-pool rule. A
// group can be a backup of a main group (redundancy.level > 0): it follows the chain and takes over one pool at a
// time after that pool missed k of its leader slots in a row, with a per-pool lease fencing the two so one pool
// never has two forgers (seeds/002's per-key fallback; docs/multikey.md).
import { z } from "zod";
import {
  cel,
  conditions,
  disruption,
  localRef,
  network,
  nodeRuntimeFields,
  observedGeneration,
  tip,
} from "./common.ts";
import { poolId, poolKeys, poolRelays } from "./stakepool.ts";

/**
 * seeds/002 advises at most 32 keys per multikey group (the node runtime holds the same cap): one producer's
 * failure stops every pool it holds, and its slot checks grow with each pool.
 */
export const MAX_POOLS_PER_GROUP = 32;
export const MAX_POOLS_MESSAGE =
  `a MultikeyGroup holds at most ${MAX_POOLS_PER_GROUP} pools (seeds/002's advice: one producer's failure stops ` +
  "every pool it holds); split the pools over several groups";
/** The same rule at admission, before maxItems: the API server reports a CEL rule's own message. */
const MAX_POOLS_CEL_BOUND = 64;

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
        .max(MAX_POOLS_CEL_BOUND)
        .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] })
        .describe(`The pools whose keys this group's producer holds (1 to ${MAX_POOLS_PER_GROUP}).`),
      { rule: `size(self) <= ${MAX_POOLS_PER_GROUP}`, message: MAX_POOLS_MESSAGE },
      {
        rule: "self.all(p, self.exists_one(q, q.keys.secretRef.name == p.keys.secretRef.name))",
        message: "each pool in a group needs its own keys Secret",
      },
    ),
    redundancy: cel(
      z
        .object({
          level: z
            .int()
            .min(0)
            .max(9)
            .default(0)
            .describe("0: the main group (the default). 1, 2, ...: a backup group, which takes over later the higher."),
          mainGroupRef: localRef("MultikeyGroup")
            .describe("The main MultikeyGroup a backup group stands by for (required when level > 0, only then).")
            .optional(),
          takeoverAfterMissedSlots: z
            .int()
            .min(1)
            .max(100)
            .default(3)
            .describe(
              "k: a backup at level L takes a pool over, that pool alone, after L*k of its leader slots in a row " +
                "went without its block (seeds/002's per-key fallback).",
            ),
        })
        .default({ level: 0, takeoverAfterMissedSlots: 3 })
        .describe(
          "Main or backup. A backup holds the same pools' keys, follows the chain and forges a pool only after the " +
            "main missed it; a per-pool lease fences the two so one pool never has two forgers.",
        ),
      {
        rule: "(self.level > 0) == has(self.mainGroupRef)",
        message: "redundancy.mainGroupRef names the main group of a backup: required when level > 0, and only then",
      },
    ),
    relays: poolRelays,
    ...nodeRuntimeFields,
    disruption,
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
      .describe("One-word summary of the group's state (Standby: a backup whose producer forges no pool now).")
      .optional(),
    conditions: conditions.optional(),
    role: z.enum(["Main", "Backup"]).describe("Whether this group is a main group or a backup.").optional(),
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
            keysHash: z
              .string()
              .regex(/^[0-9a-f]{64}$/)
              .describe("The key revision the producer's bundle holds for the pool (its revision Secret's hash).")
              .optional(),
            opcertCounter: z
              .int()
              .min(0)
              .describe("Issue number of the operational certificate the producer forges the pool with.")
              .optional(),
            counterOnChain: z
              .int()
              .min(0)
              .describe("The pool's last issue number on the producer's chain (after its first block).")
              .optional(),
            kesPeriodsLeft: z.int().describe("KES periods left on the pool's operational certificate.").optional(),
            blocksForged: z.int().min(0).describe("Blocks forged for this pool since the producer started.").optional(),
            forgingNow: z
              .boolean()
              .describe(
                "Whether a node of this group may forge the pool now (its /metrics poolfleet_pool_forging_now).",
              )
              .optional(),
            forgedBy: z
              .string()
              .describe("The pod that forges the pool now, as `<pod> (<display name>)`; absent when none does.")
              .optional(),
            claimedBy: z
              .string()
              .describe('The older claimant of this pool id ("StakePool ns/name" or "MultikeyGroup ns/name").')
              .optional(),
            reason: z
              .string()
              .describe("Why the pool is refused or not forging (CamelCase word); absent while it is fine.")
              .optional(),
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
