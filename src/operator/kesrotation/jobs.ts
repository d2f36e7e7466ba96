// Running one of a rotation's Jobs (build-jobs.ts) from the KesRotation controller: start it once, with
// its ServiceAccount and RoleBinding, then follow it. The Job's name is deterministic and the step that needs it is
// recorded in status before it starts, so a restarted operator finds the Job in its cache and never starts a
// second one for the same counter. A failed Job stops the rotation with the pod's termination message (the CLI's
// error line; it never holds key bytes) in the condition and a Warning Event; nothing the producer runs changes.
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { KES_JOB_LABEL, kesJobRoleBinding, kesJobServiceAccount } from "./build-jobs.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { Stop, type Tracked } from "./tracked.ts";

/** The job controller labels a Job's pods with its name (Kubernetes 1.27+; the older `job-name` too). */
export const JOB_NAME_LABEL = "batch.kubernetes.io/job-name";
/** ...and its uid: a Job deleted and started again under the same name has other pods. */
export const JOB_UID_LABEL = "batch.kubernetes.io/controller-uid";
const MESSAGE_MAX = 600;

const condition = (job: V1Job, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === "True");

/** Why a failed Job failed, in one line: its last pod's termination message, else the Job's own condition. */
export function failureMessage(ctx: ReconcileContext, job: V1Job): string {
  const md = job.metadata!;
  const pods = ctx
    .list<V1Pod>(KIND.Pod, md.namespace!, { [JOB_NAME_LABEL]: md.name!, [JOB_UID_LABEL]: md.uid! })
    .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)));
  for (const pod of pods.reverse()) {
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    const text = term?.message?.trim();
    if (term && text) {
      const last = text.split("\n").filter(Boolean).at(-1)!;
      return `exit code ${term.exitCode}: ${last.slice(0, MESSAGE_MAX)}`;
    }
  }
  const failed = condition(job, "Failed");
  return `${failed?.reason ?? "Failed"}: ${failed?.message ?? "no pod reported why"}`.slice(0, MESSAGE_MAX);
}

/**
 * Starts the Job when it does not exist, else reports where it is. "done" when it completed; "waiting" while it
 * runs (obs.blocked says so); a failed Job throws Stop(failedReason).
 */
export async function runKesJob(
  ctx: ReconcileContext,
  t: Tracked,
  job: V1Job,
  failedReason: string,
  what: string,
): Promise<"done" | "waiting"> {
  const name = job.metadata!.name!;
  const poolName = t.target.labelValue;
  const live = ctx.get<V1Job>(KIND.Job, { namespace: t.ns, name });
  if (!live) {
    await ctx.apply(kesJobServiceAccount(t.owner, poolName));
    await ctx.apply(kesJobRoleBinding(t.owner, poolName, t.jobClusterRole));
    await ctx.apply(job);
    await ctx.event(t.rot, "Normal", "KesJobStarted", `Started Job ${name}: ${what}`);
    t.obs.blocked = { reason: "JobRunning", message: `Job ${name} is ${what}` };
    return "waiting";
  }
  if (condition(live, "Failed")) {
    const message =
      `Job ${name} (${what}) failed, ${failureMessage(ctx, live)}. Nothing the producer runs was changed. Fix the ` +
      `cause, then delete the Job (kubectl -n ${t.ns} delete job ${name}) and the operator runs it again`;
    await ctx.event(t.rot, "Warning", failedReason, message);
    throw new Stop(failedReason, message);
  }
  if (condition(live, "Complete")) return "done";
  t.obs.blocked = { reason: "JobRunning", message: `Job ${name} is ${what}` };
  return "waiting";
}

/** The rotation a Job's pod belongs to (its template carries the rotation's labels), for the controller's watch. */
export function rotationOfJobPod(pod: V1Pod): { namespace: string; name: string }[] {
  const labels = pod.metadata?.labels ?? {};
  const rotation = labels["poolfleet.io/kes-rotation"];
  return rotation && labels[KES_JOB_LABEL] ? [{ namespace: pod.metadata!.namespace!, name: rotation }] : [];
}
