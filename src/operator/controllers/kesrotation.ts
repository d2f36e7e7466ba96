// The KesRotation controller: track a pool's KES window, remind ahead of expiry, and (Assisted, Auto) rotate.
//
// Tracking reads the certificate the producer runs (node.cert of the StakePool's current key revision; only
// that public file is decoded), the network's genesis and ctx.now(), and publishes the schedule in status and
// the four cert-manager-style gauges. Reminders: one Warning Event per threshold crossed, recorded in status
// (with the certificate's counter) before anything else happens, then the webhook, retried each reconcile until
// delivered. Rotation is a sequence of steps, each recorded in status before the next begins, with
// deterministic names (request.ts), so a restarted operator resumes and never makes a second key or counter:
//   Staging            -> the staging Job (<rotation>-stage-<n>) made the staged KES key Secret (once; immutable)
//   AwaitingSignature  -> the opcert request (status.request + ConfigMap) is published; in Auto mode the signing
//                         Job (<rotation>-sign-<n>) signs it with the mounted cold key
//   Verified           -> the handed-back certificate passed checkRotation (kes-key, signature, counter = n, window)
//   Swapped            -> the new set (staged kes.skey, running vrf.skey, new node.cert) was written into the
//                         pool's own key Secret; the StakePool's gate runs on it last and rolls the producer onto a
//                         new immutable revision, keeping the previous revision Secret for rollback
//   done               -> the producer runs the new revision; staged/request/signed objects are deleted.
// A refused certificate changes nothing the producer runs: Warning Event + KeysValid=False naming the check.
import type { KubernetesObject, V1Pod, V1Secret } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { kesRotationSpec, type KesRotationStatus } from "../../api/kesrotation.ts";
import { stakePoolSpec } from "../../api/stakepool.ts";
import { DEFAULT_KES_JOB_CLUSTERROLE } from "../builders/kes-jobs.ts";
import { SIGNED_FILE } from "../../api/kesrotation-objects.ts";
import { type KesMetrics, type KesSeries, registerKesMetrics } from "../kes/metrics.ts";
import { lastCounter } from "../../keys/rotation-gate.ts";
import { kesSchedule, parseRenewBefore, reminderToSend } from "../../keys/kes-schedule.ts";
import { keyRevisionName } from "../keys/revision.ts";
import { KIND } from "../kinds.ts";
import { rvNotNewer } from "../manager/apply.ts";
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult } from "../manager/context.ts";
import { names, type Owner } from "../names.ts";
import { apiPortOf, type Fetch, nextLeaderSlot } from "../status/node-metrics.ts";
import { rotationOfJobPod } from "./kesrotation-jobs.ts";
import { kesRotationStatus, type RotationObservation } from "./kesrotation-status.ts";
import { certIn, rotate, unb64 } from "./kesrotation-steps.ts";
import { type KesRotationObject, type StakePoolObject, Stop, type Tracked } from "./kesrotation-tracked.ts";
import { postWebhook } from "./kesrotation-webhook.ts";
import { clockFor } from "./stakepool.ts";

export const KESROTATION_CONTROLLER = "poolfleet-kesrotation";

export interface KesRotationControllerOptions {
  /** Longest wait between reconciles (Secrets handed back are not watched). Default 60 s. */
  pollMs?: number;
  /**
   * Registry for the poolfleet_kes_* gauges. Default: kesMetricsRegistry, which the operator's main adds to the
   * manager's registry (the Controller contract has no hook for a controller's own metrics yet).
   */
  registry?: Registry;
  webhookTimeoutMs?: number;
  /** How the producer's leader schedule is fetched (tests inject faults); default the global fetch. */
  fetch?: Fetch;
  /** The ClusterRole bound to the rotation Jobs' ServiceAccount (kes-jobs.ts); default poolfleet-kes-job. */
  jobClusterRole?: string;
}

async function reconcile(
  ctx: ReconcileContext,
  key: ObjectKey,
  opts: {
    pollMs: number;
    metrics: KesMetrics;
    webhookTimeoutMs?: number;
    byPool: Map<string, Set<string>>;
    written: Map<string, { rv: string; status: KesRotationStatus }>;
    fetch?: Fetch;
    jobClusterRole: string;
  },
  seen: Map<string, KesSeries>,
): Promise<ReconcileResult> {
  const id = `${key.namespace}/${key.name}`;
  const rot = ctx.get<KesRotationObject>(KIND.KesRotation, key);
  if (!rot || rot.metadata?.deletionTimestamp) {
    const s = seen.get(id);
    if (s) opts.metrics.forget(s);
    seen.delete(id);
    opts.written.delete(id);
    for (const set of opts.byPool.values()) set.delete(id);
    return {};
  }
  const md = rot.metadata!;
  const ns = key.namespace;
  // The informer may not have caught up with this controller's last status write yet; a step or reminder must
  // never be redone from a stale copy (a second webhook call), so the status we last wrote wins over an older one.
  const mine = opts.written.get(id);
  const status = mine && rvNotNewer(md.resourceVersion, mine.rv) ? mine.status : rot.status;
  const owner: Owner = {
    apiVersion: rot.apiVersion!,
    kind: "KesRotation",
    name: md.name!,
    namespace: ns,
    uid: md.uid!,
  };
  const now = ctx.now();
  const obs: RotationObservation = {
    generation: md.generation,
    previous: status,
    now,
    mode: "Assisted",
    suspended: false,
    ...(status?.rotation ? { rotation: status.rotation } : {}),
    ...(status?.request ? { request: status.request } : {}),
    ...(status?.lastRotation ? { lastRotation: status.lastRotation } : {}),
  };
  const persist = async () => {
    const written = await ctx.applyStatus({
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      metadata: { name: owner.name, namespace: ns },
      status: kesRotationStatus(obs),
    } as KubernetesObject);
    const rv = written.metadata?.resourceVersion;
    if (rv) opts.written.set(id, { rv, status: (written as KesRotationObject).status ?? {} });
  };
  const done = async (): Promise<ReconcileResult> => {
    await persist();
    const next = obs.schedule?.nextChangeAt;
    const untilChange = next ? Math.max(1, next.getTime() - ctx.now().getTime()) : opts.pollMs;
    return { requeueAfterMs: Math.min(opts.pollMs, untilChange) };
  };

  const parsed = kesRotationSpec.safeParse(rot.spec);
  if (!parsed.success) {
    obs.problem = {
      reason: "SpecInvalid",
      message: `spec is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    };
    return done();
  }
  const spec = parsed.data;
  obs.mode = spec.mode;
  obs.suspended = spec.suspend;
  const poolName = spec.poolRef.name;
  for (const set of opts.byPool.values()) set.delete(id);
  const poolId = `${ns}/${poolName}`;
  if (!opts.byPool.has(poolId)) opts.byPool.set(poolId, new Set());
  opts.byPool.get(poolId)!.add(id);
  const series: KesSeries = { namespace: ns, name: owner.name, pool: poolName };
  seen.set(id, series);

  try {
    const pool = ctx.get<StakePoolObject>(KIND.StakePool, { namespace: ns, name: poolName });
    if (!pool) throw new Stop("PoolNotFound", `StakePool ${poolName} does not exist`);
    const poolParsed = stakePoolSpec.safeParse(pool.spec);
    if (!poolParsed.success) throw new Stop("PoolSpecInvalid", `StakePool ${poolName} has an invalid spec`);
    const poolSpec = poolParsed.data;
    const clock = clockFor(ctx, ns, poolSpec);
    if (!clock) throw new Stop("GenesisUnavailable", `The genesis of StakePool ${poolName}'s network is not readable`);
    const runningHash = pool.status?.producer?.keysHash;
    if (!runningHash)
      throw new Stop("WaitingForKeys", `StakePool ${poolName} runs no key set yet (none has passed its gate)`);
    const revisionName = keyRevisionName(poolName, runningHash);
    const revision = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: revisionName });
    if (!revision) throw new Stop("RevisionNotFound", `Key revision Secret ${revisionName} does not exist`);
    const running = certIn(revision.data, `Secret ${revisionName}, key ${SIGNED_FILE}`);
    // The last counter used: the chain's when the producer reports it (a certificate never forged with does not
    // raise it), else the running certificate's.
    const last = lastCounter({
      ...(pool.status?.kes?.counterOnChain !== undefined ? { onChain: pool.status.kes.counterOnChain } : {}),
      previousOpcert: running.sequenceNumber,
    })!;
    obs.counter = last.value;
    const schedule = kesSchedule({
      clock,
      opcert: running,
      now,
      renewBefore: parseRenewBefore(spec.renewBefore),
      reminderDays: spec.reminderDays,
    });
    obs.schedule = schedule;

    // Reminders: recorded before the webhook is tried, so a restart never sends a threshold twice.
    const prior = status?.reminder?.counter === running.sequenceNumber ? status.reminder : undefined;
    if (prior) obs.reminder = prior;
    const days = reminderToSend(schedule, prior?.days);
    const body = (d: number) => ({
      kind: "KesRotationReminder" as const,
      namespace: ns,
      rotation: owner.name,
      pool: poolName,
      thresholdDays: d,
      expiresAt: schedule.expiresAt.toISOString(),
      renewalTime: schedule.renewalTime.toISOString(),
      periodsLeft: schedule.endPeriod - schedule.currentPeriod,
      counter: running.sequenceNumber,
      message:
        `The KES key of pool ${poolName} expires at ${schedule.expiresAt.toISOString()} ` +
        `(${d} day${d === 1 ? "" : "s"} threshold, ${schedule.periodsRemaining} KES periods left); ` +
        (spec.mode === "MonitorOnly"
          ? "rotate it by hand (docs/kes-rotation.md section 5)"
          : `renewal is due at ${schedule.renewalTime.toISOString()}`),
    });
    if (days !== undefined) {
      obs.reminder = {
        days,
        counter: running.sequenceNumber,
        sentAt: now.toISOString(),
        webhook: spec.webhook ? "Pending" : "NotConfigured",
      };
      await persist();
      await ctx.event(rot, "Warning", "KesExpiringSoon", body(days).message);
    }
    if (obs.reminder?.webhook === "Pending" && spec.webhook) {
      const ref = spec.webhook.urlSecretRef;
      const s = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: ref.name });
      const url = s?.data?.[ref.key];
      const outcome = url
        ? await postWebhook(unb64(url), body(obs.reminder.days), opts.webhookTimeoutMs)
        : ({ ok: false, error: `Secret ${ref.name}, key ${ref.key} does not exist` } as const);
      const { webhookError: _old, ...rest } = obs.reminder;
      obs.reminder = {
        ...rest,
        webhookAttempts: (obs.reminder.webhookAttempts ?? 0) + 1,
        ...(outcome.ok ? { webhook: "Delivered" as const } : { webhookError: outcome.error }),
      };
      if (!outcome.ok) ctx.log.warn({ error: outcome.error }, "reminder webhook failed; retried next reconcile");
    }

    if (spec.mode !== "MonitorOnly" && !spec.suspend) {
      const nextLeader = async (minutes: number) => {
        const pod = await ctx.read<V1Pod>(KIND.Pod, { namespace: ns, name: `${names.producer(poolName)}-0` });
        const fetchOpt = opts.fetch ? { fetch: opts.fetch } : {};
        return nextLeaderSlot(pod?.status?.podIP, apiPortOf(pod), minutes, fetchOpt);
      };
      const t: Tracked = {
        ns,
        owner,
        rot,
        spec,
        poolSpec,
        pool,
        clock,
        running,
        runningHash,
        obs,
        persist,
        nextLeaderSlot: nextLeader,
        lastCounter: last.value,
        jobClusterRole: opts.jobClusterRole,
      };
      await rotate(ctx, t);
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    if (obs.schedule) obs.blocked = { reason: e.reason, message: e.message };
    else obs.problem = { reason: e.reason, message: e.message };
  }
  const ready = kesRotationStatus(obs).conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown";
  opts.metrics.observe(series, obs.problem ? undefined : obs.schedule, ready);
  return done();
}

/** Where the gauges go when no registry is given; main.ts serves them on the operator's /metrics. */
export const kesMetricsRegistry = new Registry();

export function kesRotationController(opts: KesRotationControllerOptions = {}): Controller {
  const pollMs = opts.pollMs ?? 60_000;
  const metrics = registerKesMetrics(opts.registry ?? kesMetricsRegistry);
  const byPool = new Map<string, Set<string>>();
  const seen = new Map<string, KesSeries>();
  const written = new Map<string, { rv: string; status: KesRotationStatus }>();
  return {
    name: KESROTATION_CONTROLLER,
    primary: KIND.KesRotation,
    owns: [KIND.ConfigMap, KIND.Job],
    watches: [
      // A Job's pod finishing (its termination message explains a failure).
      { kind: KIND.Pod, map: (obj) => rotationOfJobPod(obj as V1Pod) },
      {
        // The StakePool's revision moving (a swap finished, a person rotated by hand) changes the schedule.
        kind: KIND.StakePool,
        map: (obj) =>
          [...(byPool.get(`${obj.metadata?.namespace}/${obj.metadata?.name}`) ?? [])].map((id) => {
            const [namespace, name] = id.split("/") as [string, string];
            return { namespace, name };
          }),
      },
    ],
    reconcile: (ctx, key) => {
      return reconcile(
        ctx,
        key,
        {
          pollMs,
          metrics,
          byPool,
          written,
          jobClusterRole: opts.jobClusterRole ?? DEFAULT_KES_JOB_CLUSTERROLE,
          ...(opts.webhookTimeoutMs !== undefined ? { webhookTimeoutMs: opts.webhookTimeoutMs } : {}),
          ...(opts.fetch ? { fetch: opts.fetch } : {}),
        },
        seen,
      );
    },
  };
}
