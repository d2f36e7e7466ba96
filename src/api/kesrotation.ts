// KesRotation: keep a pool's KES key and operational certificate renewed ahead of expiry, on cert-manager's
// model (computed expiry, renew-before, reminders). Three modes:
//   MonitorOnly  reminders (Events, metrics, webhook) only; a person rotates by hand.
//   Assisted     (default) the operator makes the new KES key and an opcert request; a person signs it offline
//                with the cold key and hands the certificate back; the gate checks it before any pod sees it.
//   Auto         a Job signs the request with a cold key kept in the cluster. Opt-in only, with an explicit
//                acknowledgement, because it puts the pool's most valuable key into etcd.
import { z } from "zod";
import { cel, conditions, intOrString, localRef, objectName, observedGeneration, secretKeyRef } from "./common.ts";

/** Slots per KES period × max evolutions gives about 93 days on mainnet; renewing needs less than that. */
export const MAX_KES_EVOLUTIONS = 62;

export const renewBefore = cel(
  intOrString(
    z.union([
      z.int(),
      z
        .string()
        .max(16)
        .regex(/^[0-9]{1,4}(d|h|m)$/),
    ]),
  )
    .default("14d")
    .describe(
      "How long before the KES key expires to renew it: a duration in days, hours or minutes (14d, 336h) or a " +
        "number of KES periods (8). Default 14d.",
    ),
  {
    rule: `type(self) != int || (self >= 1 && self < ${MAX_KES_EVOLUTIONS})`,
    message: `renewBefore as KES periods must be between 1 and ${MAX_KES_EVOLUTIONS - 1}`,
  },
  {
    rule: "type(self) == int || int(self.substring(0, size(self) - 1)) > 0",
    message: "renewBefore must be longer than zero",
  },
);

export const KES_MODES = ["MonitorOnly", "Assisted", "Auto"] as const;

export const kesRotationSpec = cel(
  z
    .object({
      poolRef: cel(
        localRef("StakePool").describe(
          "The StakePool whose KES key this rotation keeps fresh (or groupPoolRef for a pool in a MultikeyGroup).",
        ),
        {
          rule: "self == oldSelf",
          message: "poolRef is immutable; create a new KesRotation for another pool",
        },
      ).optional(),
      groupPoolRef: cel(
        z
          .object({
            group: objectName.describe("Name of the MultikeyGroup in the same namespace."),
            pool: z
              .string()
              .min(1)
              .max(63)
              .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
              .describe("The pool's name in the group (spec.pools[].name)."),
          })
          .describe(
            "A pool inside a MultikeyGroup whose KES key this rotation keeps fresh (instead of poolRef). The swap " +
              "writes that pool's key Secret alone; the group's other pools keep their keys.",
          ),
        {
          rule: "self == oldSelf",
          message: "groupPoolRef is immutable; create a new KesRotation for another pool",
        },
      ).optional(),
      mode: z
        .enum(KES_MODES)
        .default("Assisted")
        .describe(
          "MonitorOnly: reminders only. Assisted: the operator prepares the new KES key and an opcert request that a " +
            "person signs offline. Auto: a Job signs with a cold key kept in the cluster (needs auto.*).",
        ),
      renewBefore,
      reminderDays: z
        .array(z.int().min(1).max(93).describe("Days before expiry."))
        .min(1)
        .max(10)
        .default([14, 7, 3, 1])
        .describe("Send a reminder (Warning Event, metric, webhook) when this many days of KES validity are left.")
        .meta({ "x-kubernetes-list-type": "set" }),
      auto: cel(
        z
          .object({
            coldKeySecretRef: secretKeyRef("the pool's cold signing key (cold.skey)", "cold.skey"),
            counterSecretRef: secretKeyRef("the opcert issue counter (cold.counter)", "cold.counter").optional(),
            acknowledgeColdKeyInCluster: z
              .boolean()
              .default(false)
              .describe(
                "Must be true for Auto: you accept that the pool's cold signing key is stored in this cluster, where " +
                  "anyone who can read that Secret controls the pool.",
              ),
          })
          .describe("Settings for mode Auto."),
        {
          rule: "self.acknowledgeColdKeyInCluster == true",
          message:
            "Auto mode keeps the cold signing key in the cluster: set auto.acknowledgeColdKeyInCluster to true to accept that",
          fieldPath: ".acknowledgeColdKeyInCluster",
        },
      ).optional(),
      webhook: z
        .object({
          urlSecretRef: secretKeyRef("the webhook URL (it may contain a token)", "url"),
        })
        .describe("Also POST reminders and rotation steps as JSON to a webhook. The URL is never logged.")
        .optional(),
      suspend: z
        .boolean()
        .default(false)
        .describe("Pause rotation steps (reminders continue); for maintenance windows."),
      leaderSlotMarginMinutes: z
        .int()
        .min(0)
        .max(120)
        .default(10)
        .describe(
          "The swap restarts the producer: it waits while the producer reports a leader slot within this many " +
            "minutes (its /api/leader-schedule). 0 turns the wait off.",
        ),
      forgingConfirmationTimeout: z
        .string()
        .max(16)
        .regex(/^[0-9]{1,4}(d|h|m)$/)
        .default("30m")
        .describe(
          "After the swap, the rotation completes when the producer reports forging with the new certificate's " +
            "counter (StakePool Forging=True and status.producer.opcertCounter). If it has not within this long " +
            "(its metrics cannot be read, or it does not forge), the rotation completes as NOT confirmed, with a " +
            "Warning Event and ForgingConfirmed=False saying how to roll back. A duration: 30m, 2h. Default 30m.",
        ),
    })
    .describe("Desired KES rotation policy for one pool."),
  {
    rule: "has(self.poolRef) != has(self.groupPoolRef)",
    message: "name exactly one pool: poolRef (a StakePool) or groupPoolRef (a pool in a MultikeyGroup)",
  },
  {
    rule: "has(self.poolRef) == has(oldSelf.poolRef)",
    message: "poolRef and groupPoolRef are immutable; create a new KesRotation for another pool",
  },
  {
    rule: "self.mode != 'Auto' || has(self.auto)",
    message:
      "Auto mode requires auto.coldKeySecretRef and auto.acknowledgeColdKeyInCluster: true (the cold key would live in the cluster)",
    fieldPath: ".auto",
    reason: "FieldValueRequired",
  },
  {
    rule: "self.mode == 'Auto' || !has(self.auto)",
    message: "auto is only for mode Auto; MonitorOnly and Assisted keep the cold key out of the cluster",
    fieldPath: ".auto",
    reason: "FieldValueForbidden",
  },
);

export const KES_PHASES = ["Pending", "Valid", "RenewalDue", "AwaitingSignature", "Rolling", "Expired"] as const;

export const ROTATION_STEPS = ["Staging", "AwaitingSignature", "Verified", "Swapped"] as const;

const keysHash = z.string().regex(/^[0-9a-f]{64}$/);

export const kesRotationStatus = z
  .object({
    observedGeneration: observedGeneration.optional(),
    phase: z.enum(KES_PHASES).describe("One-word summary of the rotation.").optional(),
    pool: z
      .string()
      .describe("The pool rotated: the StakePool's name, or <group>/<pool> for a pool in a MultikeyGroup.")
      .optional(),
    conditions: conditions.optional(),
    currentPeriod: z.int().min(0).describe("The network's current KES period.").optional(),
    startPeriod: z.int().min(0).describe("KES period the current operational certificate starts at.").optional(),
    endPeriod: z.int().min(0).describe("First KES period the current certificate is no longer valid in.").optional(),
    periodsLeft: z.int().describe("endPeriod minus currentPeriod.").optional(),
    expiresAt: z.iso.datetime().describe("When the current KES key expires.").optional(),
    renewalTime: z.iso.datetime().describe("When the next renewal starts (expiresAt minus renewBefore).").optional(),
    counter: z.int().min(0).describe("Issue counter of the current operational certificate.").optional(),
    nextCounter: z.int().min(0).describe("The counter the next certificate must carry.").optional(),
    lastReminderDays: z.int().min(0).describe("The reminder threshold (days) last sent.").optional(),
    request: z
      .object({
        configMapName: z.string().describe("ConfigMap holding the opcert request (public material only).").optional(),
        kesPeriod: z.int().min(0).describe("KES period the new certificate starts at.").optional(),
        counter: z.int().min(0).describe("Issue counter the new certificate must carry.").optional(),
        createdAt: z.iso.datetime().describe("When the request was made.").optional(),
      })
      .describe("The open opcert request, while one is waiting for a signature.")
      .optional(),
    reminder: z
      .object({
        days: z.int().min(0).describe("The threshold (days before expiry) reminded of."),
        counter: z.int().min(0).describe("Issue counter of the certificate the reminder was about."),
        sentAt: z.iso.datetime().describe("When the Warning Event was recorded."),
        webhook: z
          .enum(["NotConfigured", "Pending", "Delivered"])
          .describe("Delivery of the reminder to spec.webhook; Pending is retried on every reconcile.")
          .optional(),
        webhookAttempts: z.int().min(0).describe("Webhook calls made for this reminder.").optional(),
        webhookError: z.string().max(1024).describe("Why the last webhook call failed (never the URL).").optional(),
      })
      .describe("The last reminder sent, recorded so that a restarted operator never sends it again.")
      .optional(),
    rotation: z
      .object({
        step: z
          .enum(ROTATION_STEPS)
          .describe(
            "Staging: making the new KES key. AwaitingSignature: the opcert request is published. Verified: the " +
              "signed certificate passed the gate. Swapped: the key set was written to the pool's key Secret, the " +
              "StakePool is rolling onto it, and then the producer must report forging with the new certificate.",
          ),
        counter: z.int().min(0).describe("The issue counter the new certificate must carry (last used + 1)."),
        stagedSecretName: z.string().describe("Secret holding the staged KES key (mounted by no pod)."),
        startedAt: z.iso.datetime().describe("When this rotation started."),
        previousKeysHash: keysHash.describe("The key revision the producer ran when the rotation started.").optional(),
        kesVkeyHash: z.string().describe("Blake2b-224 of the staged KES verification key.").optional(),
        kesPeriod: z
          .int()
          .min(0)
          .describe("KES period the new certificate must start at (computed online).")
          .optional(),
        signedDigest: z
          .string()
          .describe("sha256 of the signed certificate that passed the gate, or of the last one refused.")
          .optional(),
        refusal: z.string().max(4096).describe("Why the last signed certificate was refused.").optional(),
        newKeysHash: keysHash.describe("The key revision the StakePool is being rolled onto.").optional(),
        runningSince: z.iso
          .datetime()
          .describe(
            "When the StakePool was first seen running the new revision; the wait for the producer to report " +
              "forging with the new certificate (spec.forgingConfirmationTimeout) counts from here.",
          )
          .optional(),
      })
      .describe("The rotation in flight, one step at a time; every step is recorded before the next begins.")
      .optional(),
    lastRotation: z
      .object({
        completedAt: z.iso.datetime().describe("When the StakePool moved onto the new key revision.").optional(),
        counter: z.int().min(0).describe("Issue counter of the certificate rotated to.").optional(),
        keysHash: keysHash.describe("The key revision rotated to.").optional(),
        previousKeysHash: keysHash
          .describe("The revision rotated away from: kept as Secret <pool>-keys-<hash8> for rollback.")
          .optional(),
        forgingConfirmed: z
          .boolean()
          .describe(
            "Whether the producer reported forging with this certificate's counter; false: it had not within " +
              "spec.forgingConfirmationTimeout (see the ForgingConfirmed condition). Turns true if it later does.",
          )
          .optional(),
        confirmedAt: z.iso.datetime().describe("When the producer was seen forging with it.").optional(),
      })
      .describe("The last rotation that completed.")
      .optional(),
    failedAttempts: z.int().min(0).describe("Failed renewal attempts since the last success.").optional(),
    lastFailureTime: z.iso.datetime().describe("When the last renewal attempt failed.").optional(),
  })
  .describe("Observed state of the KES key and its rotation, written by the operator.");

export type KesRotationSpec = z.infer<typeof kesRotationSpec>;
export type KesRotationSpecInput = z.input<typeof kesRotationSpec>;
export type KesRotationStatus = z.infer<typeof kesRotationStatus>;
