// Step AwaitingSignature -> Verified: the handed-back certificate (a person's `kes submit`, or in Auto mode the
// signing Job's) passes the rotation gate (keys/rotation-gate.ts: KES key = the staged one, cold signature, counter
// exactly the rotation's, period window covers now). A refusal is recorded once per certificate handed back and
// changes nothing; a person fixes it by handing back another.
import type { V1Secret } from "@kubernetes/client-node";
import { rotationNames, SIGNED_FILE, STAGED_FILES } from "../../../api/kesrotation-objects.ts";
import { checkRotation } from "../../../keys/rotation-gate.ts";
import { KIND } from "../../kind-refs.ts";
import type { ReconcileContext } from "../../manager/context.ts";
import { signJob } from "../build-jobs.ts";
import { certIn, coldKeyOf, kesVkeyIn, sha256 } from "../certs.ts";
import { runKesJob } from "../jobs.ts";
import type { Rotation } from "../status.ts";
import { Stop, type Tracked } from "../tracked.ts";

/** What the swap writes: the staged key, its public half and the verified certificate. */
export interface VerifiedSet {
  staged: V1Secret;
  kesVkeyText: string;
  signed: V1Secret;
}

/**
 * The rotation at Verified with the material to swap in, or undefined while waiting for a signature (a person, or
 * the signing Job) or after a refusal.
 */
export async function verify(
  ctx: ReconcileContext,
  t: Tracked,
  r: Rotation,
): Promise<{ r: Rotation; set: VerifiedSet } | undefined> {
  const { ns, owner, obs } = t;
  const poolName = t.target.labelValue;
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
      spec: t.target.spec,
      counter: r.counter,
      coldKeySecretRef: t.spec.auto!.coldKeySecretRef,
    });
    const state = await runKesJob(ctx, t, job, "SigningJobFailed", "signing the request with the in-cluster cold key");
    if (state === "waiting") return undefined;
    signed = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: signedName });
    if (!signed)
      throw new Stop(
        "SignedCertificateMissing",
        `Job ${job.metadata!.name} completed but Secret ${signedName} does not exist; delete the Job and the ` +
          "operator runs it again",
      );
  }
  if (!signed) return undefined; // waiting for the person
  if (t.spec.mode === "Auto" && r.signedDigest === undefined)
    await ctx.event(t.rot, "Normal", "OpcertSigned", `The signing Job signed issue number ${r.counter}`);
  const digest = sha256(signed.data?.[SIGNED_FILE] ?? "");
  let verdict: { accepted: boolean; refusal?: string };
  try {
    const cert = certIn(signed.data, `Secret ${signedName}, key ${SIGNED_FILE}`);
    verdict = checkRotation({
      opcert: { cert, name: `Secret ${signedName}, key ${SIGNED_FILE}` },
      stagedKes: { verificationKey: vkey.bytes, name: `the staged KES key (Secret ${r.stagedSecretName})` },
      coldVerificationKey: coldKeyOf(ctx, ns, t.target.spec, t.running),
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
    return undefined;
  }
  let next = r;
  if (r.step !== "Verified" || r.signedDigest !== digest) {
    const { refusal: _gone, ...rest } = r;
    next = obs.rotation = { ...rest, step: "Verified", signedDigest: digest };
    await t.persist();
    await ctx.event(t.rot, "Normal", "CertificateAccepted", `Secret ${signedName} passed the rotation gate`);
  }
  return { r: next, set: { staged, kesVkeyText: vkey.text, signed } };
}
