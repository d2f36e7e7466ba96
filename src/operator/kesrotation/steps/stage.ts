// Step Staging -> AwaitingSignature: the staging Job generates the new KES key in its own pod and writes the staged
// Secret (the operator never makes key material); then the opcert request (the staged key's public half, the KES
// period computed online and the counter) is published as a ConfigMap and in status.
import type { V1Secret } from "@kubernetes/client-node";
import { rotationNames, STAGED_FILES } from "../../../api/kesrotation-objects.ts";
import { keyHash } from "../../../keys/consistency.ts";
import { KIND } from "../../kind-refs.ts";
import type { ReconcileContext } from "../../manager/context.ts";
import { stageJob } from "../build-jobs.ts";
import { buildRequestConfigMap } from "../build-request.ts";
import { kesVkeyIn } from "../certs.ts";
import { runKesJob } from "../jobs.ts";
import type { Rotation } from "../status.ts";
import { Stop, type Tracked } from "../tracked.ts";

/** The rotation at AwaitingSignature, or undefined while the staging Job runs. */
export async function stage(ctx: ReconcileContext, t: Tracked, r: Rotation): Promise<Rotation | undefined> {
  const { ns, owner, obs } = t;
  const poolName = t.target.labelValue;
  let staged = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: r.stagedSecretName });
  if (!staged) {
    const job = stageJob({ owner, pool: poolName, spec: t.target.spec, counter: r.counter });
    const state = await runKesJob(ctx, t, job, "StagingJobFailed", `generating the new KES key`);
    if (state === "waiting") return undefined;
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
  const next = (obs.rotation = { ...r, step: "AwaitingSignature", kesVkeyHash: vkeyHash, kesPeriod });
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
  return next;
}
