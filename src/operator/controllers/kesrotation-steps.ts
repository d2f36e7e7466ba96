// The rotation steps of the KesRotation controller (kesrotation.ts has the tracking and reminders): Staging ->
// AwaitingSignature -> Verified -> Swapped -> done, each recorded in status (t.persist) before the next begins.
// Key material is made and used in Jobs (kesrotation-jobs.ts): the staging Job creates the staged KES key Secret,
// the Auto signing Job the signed certificate; the operator reads the staged Secret (its public kes.vkey for the
// request, kes.skey at the swap) and never the cold key.
import { createHash } from "node:crypto";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { rotationNames, SIGNED_FILE, STAGED_FILES } from "../../api/kesrotation-objects.ts";
import { parseEnvelope } from "../../formats/envelope.ts";
import { KEY_KINDS, keyFromEnvelope } from "../../formats/keys.ts";
import { keyHash } from "../../keys/consistency.ts";
import { type OperationalCertificate, opcertFromEnvelope } from "../../formats/opcert.ts";
import { kesJobNames, signJob, stageJob } from "../builders/kes-jobs.ts";
import { buildRequestConfigMap } from "../builders/kes-rotation.ts";
import { checkRotation } from "../../keys/rotation-gate.ts";
import { gateKeys, KEY_FILES } from "../../keys/secret-gate.ts";
import { keyRevisionName } from "../keys/revision.ts";
import { KIND } from "../kinds.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { awaitForging, lateConfirmation, notConfirmedMessage } from "./kesrotation-confirm.ts";
import { runKesJob } from "./kesrotation-jobs.ts";
import { type KesRotationObject, Stop, type Tracked } from "./kesrotation-tracked.ts";

export const b64 = (s: string) => Buffer.from(s).toString("base64");
export const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export function certIn(data: Record<string, string> | undefined, where: string): OperationalCertificate {
  const b = data?.[SIGNED_FILE];
  if (b === undefined) throw new Stop("CertificateMissing", `${where} has no ${SIGNED_FILE}`);
  try {
    return opcertFromEnvelope(parseEnvelope(unb64(b), where), where);
  } catch (e) {
    throw new Stop("CertificateUnreadable", (e as Error).message);
  }
}

export function kesVkeyIn(staged: V1Secret, where: string): { bytes: Uint8Array; text: string } {
  const text = unb64(staged.data?.[STAGED_FILES.kesVkey] ?? "");
  try {
    return { bytes: keyFromEnvelope(parseEnvelope(text, where), where, KEY_KINDS.kesVerification), text };
  } catch (e) {
    throw new Stop("StagedKeyUnreadable", (e as Error).message);
  }
}

/** The pool's cold verification key: its ConfigMap when the StakePool names one, else the running certificate's. */
export function coldKeyOf(ctx: ReconcileContext, ns: string, spec: StakePoolSpec, running: OperationalCertificate) {
  const ref = spec.keys.coldVerificationKeyRef;
  if (!ref) return { bytes: running.coldVkey, name: "the cold key of the running certificate" };
  const where = `ConfigMap ${ref.name}, key ${ref.key}`;
  const text = ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: ref.name })?.data?.[ref.key];
  if (text === undefined) throw new Stop("ColdKeyNotFound", `${where} does not exist`);
  try {
    return { bytes: keyFromEnvelope(parseEnvelope(text, where), where, KEY_KINDS.coldVerification), name: where };
  } catch (e) {
    throw new Stop("ColdKeyUnreadable", (e as Error).message);
  }
}

/** One pass over the rotation's steps; each step's record is persisted before the next step begins. */
export async function rotate(ctx: ReconcileContext, t: Tracked): Promise<void> {
  const { ns, owner, obs } = t;
  const poolName = t.pool.metadata!.name!;
  let r = obs.rotation;
  await lateConfirmation(ctx, t);

  if (r?.step === "Swapped" && t.runningHash === r.newKeysHash) {
    // The StakePool runs the new revision; the producer must now report forging with the new certificate.
    const outcome = await awaitForging(ctx, t, r);
    if (outcome === "waiting") return;
    r = obs.rotation!;
    for (const [kind, name] of [
      [KIND.Job, kesJobNames.job(owner.name, "stage", r.counter)],
      [KIND.Job, kesJobNames.job(owner.name, "sign", r.counter)],
      [KIND.Secret, r.stagedSecretName],
      [KIND.Secret, rotationNames.signed(owner.name)],
      [KIND.ConfigMap, rotationNames.request(owner.name)],
    ] as const)
      await ctx.delete(kind, { namespace: ns, name });
    obs.lastRotation = {
      completedAt: obs.now.toISOString(),
      counter: r.counter,
      keysHash: r.newKeysHash,
      ...(r.previousKeysHash ? { previousKeysHash: r.previousKeysHash } : {}),
      forgingConfirmed: outcome === "confirmed",
      ...(outcome === "confirmed" ? { confirmedAt: obs.now.toISOString() } : {}),
    };
    obs.rotation = undefined;
    obs.request = undefined;
    if (outcome === "unconfirmed") obs.notConfirmedMessage = notConfirmedMessage(t.pool, r.counter, r.previousKeysHash);
    await t.persist();
    if (outcome === "unconfirmed")
      await ctx.event(
        t.rot,
        "Warning",
        "ForgingNotConfirmed",
        `Rotation to issue number ${r.counter} completed WITHOUT confirmation within ` +
          `${t.spec.forgingConfirmationTimeout}: ${obs.notConfirmedMessage}`,
      );
    await ctx.event(
      t.rot,
      "Normal",
      "Rotated",
      `Pool ${poolName} runs key revision ${keyRevisionName(poolName, r.newKeysHash!)} with issue number ${r.counter}` +
        (outcome === "confirmed" ? " and its producer forges with it; " : " (forging not confirmed); ") +
        `the previous revision ${r.previousKeysHash ? keyRevisionName(poolName, r.previousKeysHash) : "(none)"} is kept for rollback`,
    );
    return;
  }

  if (!r) {
    if (!obs.schedule?.rotationDue) return;
    const other = ctx
      .list<KesRotationObject>(KIND.KesRotation, ns)
      .find(
        (o) =>
          o.metadata?.name !== owner.name &&
          (o.spec as { poolRef?: { name?: string } })?.poolRef?.name === poolName &&
          o.status?.rotation,
      );
    if (other) {
      obs.blocked = {
        reason: "AnotherRotationInFlight",
        message: `KesRotation ${other.metadata!.name} is already rotating pool ${poolName}; this one waits`,
      };
      return;
    }
    const counter = t.lastCounter + 1;
    r = obs.rotation = {
      step: "Staging",
      counter,
      stagedSecretName: rotationNames.staged(owner.name, counter),
      startedAt: obs.now.toISOString(),
      previousKeysHash: t.runningHash,
    };
    await t.persist();
    await ctx.event(t.rot, "Normal", "RotationStarted", `Renewal time reached: rotating to issue number ${counter}`);
  }

  if (r.step === "Staging") {
    let staged = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: r.stagedSecretName });
    if (!staged) {
      const job = stageJob({ owner, pool: poolName, spec: t.poolSpec, counter: r.counter });
      const state = await runKesJob(ctx, t, job, "StagingJobFailed", `generating the new KES key`);
      if (state === "waiting") return;
      staged = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: r.stagedSecretName });
      if (!staged)
        throw new Stop(
          "StagedKeyMissing",
          `Job ${job.metadata!.name} completed but Secret ${r.stagedSecretName} does not exist; delete the Job and ` +
            "the operator runs it again",
        );
    }
    await ctx.event(t.rot, "Normal", "KesKeyStaged", `New KES key staged in Secret ${r.stagedSecretName}`);
    const vkey = kesVkeyIn(staged, `Secret ${r.stagedSecretName}, key ${STAGED_FILES.kesVkey}`);
    const kesPeriod = obs.schedule!.currentPeriod;
    const vkeyHash = keyHash(vkey.bytes);
    const cm = buildRequestConfigMap({
      owner,
      pool: poolName,
      kesVkeyText: vkey.text,
      kesVkeyHash: vkeyHash,
      kesPeriod,
      counter: r.counter,
    });
    await ctx.apply(cm);
    r = obs.rotation = { ...r, step: "AwaitingSignature", kesVkeyHash: vkeyHash, kesPeriod };
    obs.request = {
      configMapName: cm.metadata!.name!,
      kesPeriod,
      counter: r.counter,
      createdAt: obs.now.toISOString(),
    };
    await t.persist();
    await ctx.event(
      t.rot,
      "Normal",
      "OpcertRequested",
      `Sign KES key ${vkeyHash} at KES period ${kesPeriod} with issue number ${r.counter}: the commands are in ` +
        `ConfigMap ${cm.metadata!.name}; hand node.cert back as Secret ${rotationNames.signed(owner.name)}`,
    );
  }

  if (r.step === "AwaitingSignature" || r.step === "Verified") {
    const staged = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: r.stagedSecretName });
    if (!staged)
      throw new Stop(
        "StagedKeyMissing",
        `Secret ${r.stagedSecretName} (the staged KES key) is gone; delete status.rotation's request by recreating the KesRotation`,
      );
    const vkey = kesVkeyIn(staged, `Secret ${r.stagedSecretName}, key ${STAGED_FILES.kesVkey}`);
    const signedName = rotationNames.signed(owner.name);
    let signed = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: signedName });
    if (!signed && t.spec.mode === "Auto") {
      // Auto: the signing Job signs with the cold key the user named; then the same gate as for a person's.
      const job = signJob({
        owner,
        pool: poolName,
        spec: t.poolSpec,
        counter: r.counter,
        coldKeySecretRef: t.spec.auto!.coldKeySecretRef,
      });
      const state = await runKesJob(
        ctx,
        t,
        job,
        "SigningJobFailed",
        "signing the request with the in-cluster cold key",
      );
      if (state === "waiting") return;
      signed = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: signedName });
      if (!signed)
        throw new Stop(
          "SignedCertificateMissing",
          `Job ${job.metadata!.name} completed but Secret ${signedName} does not exist; delete the Job and the ` +
            "operator runs it again",
        );
    }
    if (!signed) return; // waiting for the person
    if (t.spec.mode === "Auto" && r.signedDigest === undefined)
      await ctx.event(t.rot, "Normal", "OpcertSigned", `The signing Job signed issue number ${r.counter}`);
    const digest = sha256(signed.data?.[SIGNED_FILE] ?? "");
    let verdict: { accepted: boolean; refusal?: string };
    try {
      const cert = certIn(signed.data, `Secret ${signedName}, key ${SIGNED_FILE}`);
      verdict = checkRotation({
        opcert: { cert, name: `Secret ${signedName}, key ${SIGNED_FILE}` },
        stagedKes: { verificationKey: vkey.bytes, name: `the staged KES key (Secret ${r.stagedSecretName})` },
        coldVerificationKey: coldKeyOf(ctx, ns, t.poolSpec, t.running),
        // Fixed when the rotation started, so a restart after the swap does not see its own counter as "used".
        last: { value: r.counter - 1, source: "in the previous certificate" },
        clock: t.clock,
        now: obs.now,
      });
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      verdict = { accepted: false, refusal: `Secret ${signedName} refused, nothing was changed: ${e.message}` };
    }
    if (!verdict.accepted) {
      if (r.signedDigest !== digest || r.refusal !== verdict.refusal) {
        obs.rotation = { ...r, step: "AwaitingSignature", signedDigest: digest, refusal: verdict.refusal! };
        await t.persist();
        await ctx.event(t.rot, "Warning", "CertificateRefused", verdict.refusal!);
      }
      return;
    }
    if (r.step !== "Verified" || r.signedDigest !== digest) {
      const { refusal: _gone, ...rest } = r;
      r = obs.rotation = { ...rest, step: "Verified", signedDigest: digest };
      await t.persist();
      await ctx.event(t.rot, "Normal", "CertificateAccepted", `Secret ${signedName} passed the rotation gate`);
    }
    // Timing: writing the set rolls the producer (a restart), so not while it is about to lead a slot.
    const margin = t.spec.leaderSlotMarginMinutes;
    if (margin > 0) {
      const next = await t.nextLeaderSlot(margin);
      if (next)
        throw new Stop(
          "WaitingForLeaderSlot",
          `The producer leads slot ${next.slot} at ${next.at}, within ${margin} minutes; the swap restarts it, so it ` +
            "waits until the slot has passed (spec.leaderSlotMarginMinutes)",
        );
    }
    const revision = await ctx.read<V1Secret>(KIND.Secret, {
      namespace: ns,
      name: keyRevisionName(poolName, t.runningHash),
    });
    const vrf = revision?.data?.[KEY_FILES.vrf];
    if (!vrf) throw new Stop("RevisionUnreadable", `the running key revision has no ${KEY_FILES.vrf}`);
    const data: Record<string, string> = {
      [KEY_FILES.kes]: staged.data![STAGED_FILES.kes]!,
      [KEY_FILES.vrf]: vrf,
      [KEY_FILES.opcert]: signed.data![SIGNED_FILE]!,
      "kes.vkey": b64(vkey.text),
    };
    const userSecret = t.poolSpec.keys.secretRef.name;
    // The StakePool's own gate, run here first so a set it would refuse is never written.
    const coldRef = t.poolSpec.keys.coldVerificationKeyRef;
    const coldText = coldRef
      ? ctx.get<V1ConfigMap>(KIND.ConfigMap, { namespace: ns, name: coldRef.name })?.data?.[coldRef.key]
      : undefined;
    const pre = gateKeys({
      secretName: userSecret,
      data,
      ...(coldText && coldRef ? { coldVerificationKey: { text: coldText, name: `ConfigMap ${coldRef.name}` } } : {}),
      ...(t.poolSpec.poolId ? { expectedPoolId: t.poolSpec.poolId } : {}),
      clock: t.clock,
      at: obs.now,
    });
    if (!pre.passed)
      throw new Stop("NewKeySetRefused", `The new key set fails the pool's gate: ${pre.failure!.message}`);
    await ctx.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: userSecret, namespace: ns }, data });
    r = obs.rotation = { ...r, step: "Swapped", newKeysHash: pre.keysHash! };
    await t.persist();
    await ctx.event(
      t.rot,
      "Normal",
      "KeySetWritten",
      `Wrote the new key set ${pre.keysHash!.slice(0, 8)} to Secret ${userSecret}; StakePool ${poolName} rolls onto it`,
    );
  }

  if (r.step === "Swapped" && t.runningHash !== r.newKeysHash) {
    const keysValid = t.pool.status?.conditions?.find((c) => c.type === "KeysValid");
    if (keysValid?.status === "False")
      obs.blocked = {
        reason: "NewKeySetRefused",
        message: `StakePool ${poolName} refused the new key set (${keysValid.message}); the producer keeps revision ${t.runningHash.slice(0, 8)}`,
      };
  }
}
