// StakePool: one pool's block producer, hidden behind its relays. The operator runs one producer pod per pool
// (never two forgers for one pool), mounts the pool's hot keys read-only after they pass the consistency gate,
// and reports what a person checks first: is it forging, where is its tip, how long its KES key has left.
import { z } from "zod";
import {
  cel,
  conditions,
  disruption,
  localRef,
  network,
  nodeRuntimeFields,
  objectName,
  observedGeneration,
  tip,
} from "./common.ts";

// 28 bytes are 45 five-bit words, plus the 6-character checksum: 51 characters after "pool1" (56 in all).
export const POOL_ID_BECH32 = /^pool1[02-9ac-hj-np-z]{51}$/;
export const POOL_ID_HEX = /^[0-9a-f]{56}$/;

export const poolId = z
  .string()
  .regex(new RegExp(`${POOL_ID_BECH32.source}|${POOL_ID_HEX.source}`))
  .describe("The pool id: bech32 (pool1...) or the 56-hex-digit hash of the cold verification key.");

export const poolKeys = z
  .object({
    secretRef: localRef("Secret").describe(
      "Secret holding the producer's hot keys as cardano-cli text envelopes: kes.skey, vrf.skey and node.cert " +
        "(the operational certificate). Mounted read-only with mode 0400; never logged.",
    ),
    coldVerificationKeyRef: z
      .object({
        name: objectName.describe("Name of the ConfigMap in the same namespace."),
        key: z
          .string()
          .min(1)
          .max(253)
          .default("cold.vkey")
          .describe("Key in the ConfigMap holding the cold verification key text envelope."),
      })
      .describe(
        "ConfigMap with the pool's cold verification key (public). When given, the consistency gate also checks " +
          "the operational certificate's signature and the pool id against it.",
      )
      .optional(),
  })
  .describe("The pool's keys. Cold signing keys never belong here: they stay outside the cluster.");

export const poolRelays = cel(
  z
    .object({
      replicas: z
        .int()
        .min(1)
        .max(20)
        .describe("The operator creates a Relay named <pool>-relay with this many replicas.")
        .optional(),
      relayRef: localRef("Relay")
        .describe("Use an existing Relay instead (its spec.poolRef must name this pool).")
        .optional(),
    })
    .default({ replicas: 2 })
    .describe("The relays the producer talks to, and the only peers it may talk to. Default: 2 relays."),
  {
    rule: "has(self.replicas) != has(self.relayRef)",
    message: "relays needs exactly one of replicas (the operator creates the relays) or relayRef (an existing Relay)",
  },
);

export const stakePoolSpec = z
  .object({
    network,
    poolId: poolId.optional(),
    keys: poolKeys,
    relays: poolRelays,
    ...nodeRuntimeFields,
    disruption,
    paused: z
      .boolean()
      .default(false)
      .describe("Stop reconciling the pool's objects (the running producer keeps running as it is)."),
  })
  .describe("Desired state of a stake pool's block producer.");

export const STAKE_POOL_PHASES = ["Pending", "Progressing", "Forging", "Degraded", "KeysInvalid", "Paused"] as const;

export const stakePoolStatus = z
  .object({
    observedGeneration: observedGeneration.optional(),
    phase: z.enum(STAKE_POOL_PHASES).describe("One-word summary of the pool's state.").optional(),
    conditions: conditions.optional(),
    poolId: z
      .string()
      .regex(POOL_ID_BECH32)
      .describe("The pool id (bech32) read from the cold verification key or the operational certificate.")
      .optional(),
    tip: tip.optional(),
    kes: z
      .object({
        currentPeriod: z.int().min(0).describe("The current KES period of the network.").optional(),
        startPeriod: z.int().min(0).describe("KES period the operational certificate starts at.").optional(),
        endPeriod: z.int().min(0).describe("First KES period the certificate is no longer valid in.").optional(),
        periodsLeft: z.int().describe("endPeriod minus currentPeriod; 0 or less means expired.").optional(),
        expiresAt: z.iso.datetime().describe("Wall-clock time the KES key expires.").optional(),
        counter: z.int().min(0).describe("Issue counter of the operational certificate.").optional(),
        counterOnChain: z
          .int()
          .min(0)
          .describe("The last issue counter the chain has seen for this pool, as the producer reports it.")
          .optional(),
      })
      .describe("The KES window of the mounted operational certificate.")
      .optional(),
    blocksForged: z
      .int()
      .min(0)
      .describe("Blocks the producer has forged since it started (from /metrics).")
      .optional(),
    producer: z
      .object({
        statefulSet: z.string().describe("Name of the producer's StatefulSet.").optional(),
        ready: z.boolean().describe("Whether the producer pod is ready.").optional(),
        keysHash: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .describe("Digest of the public key material the running pod was rolled onto (no secret bytes).")
          .optional(),
        opcertCounter: z
          .int()
          .min(0)
          .describe(
            "Issue counter of the operational certificate the producer says it forges with " +
              "(poolfleet_opcert_counter on its /metrics); absent while its metrics are not read.",
          )
          .optional(),
      })
      .describe("The producer workload.")
      .optional(),
    relays: z
      .object({
        name: z.string().describe("Name of the Relay object.").optional(),
        readyReplicas: z.int().min(0).describe("Relays ready.").optional(),
      })
      .describe("The pool's relays.")
      .optional(),
  })
  .describe("Observed state of the stake pool, written by the operator.");

export type StakePoolSpec = z.infer<typeof stakePoolSpec>;
export type StakePoolSpecInput = z.input<typeof stakePoolSpec>;
export type StakePoolStatus = z.infer<typeof stakePoolStatus>;
