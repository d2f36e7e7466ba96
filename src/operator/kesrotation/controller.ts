// The KesRotation controller: track a pool's KES window, remind ahead of expiry, and (Assisted, Auto) rotate.
//
//   track.ts   the certificate the producer runs, the network's clock and now -> the schedule, status, gauges
//   remind.ts  one Warning Event per threshold crossed, then the webhook until delivered
//   rotate.ts  the rotation's steps (steps/*.ts), each recorded in status before the next begins:
//              Staging -> AwaitingSignature -> Verified -> Swapped -> done
// A refused certificate changes nothing the producer runs: Warning Event + KeysValid=False naming the check.
// The prologue (the object from the cache, deleted?, the spec parsed, SpecInvalid) is the manager's
// (manager/typed-controller.ts); this file holds what a reconcile of a valid KesRotation does and the state the
// controller keeps between reconciles (the status it last wrote, its gauges' series, which rotations name a pool).
import type { KubernetesObject, V1Pod } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { type KesRotationSpec, kesRotationSpec, type KesRotationStatus } from "../../api/kesrotation.ts";
import { KIND } from "../kind-refs.ts";
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult } from "../manager/context.ts";
import { type Primary, SPEC_INVALID, typedController } from "../manager/typed-controller.ts";
import { apiPortOf, type Fetch, nextLeaderSlot } from "../node-client/node-metrics.ts";
import { DEFAULT_KES_JOB_CLUSTERROLE } from "./build-jobs.ts";
import { rotationOfJobPod } from "./jobs.ts";
import { type KesMetrics, type KesSeries, registerKesMetrics } from "./metrics.ts";
import { remind } from "./remind.ts";
import { rotate } from "./rotate.ts";
import { kesRotationStatus, type RotationObservation } from "./status.ts";
import { displayOf, heldBy } from "./target.ts";
import { track } from "./track.ts";
import { type KesRotationObject, Stop, type Tracked } from "./tracked.ts";

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
  /** The ClusterRole bound to the rotation Jobs' ServiceAccount (build-jobs.ts); default poolfleet-kes-job. */
  jobClusterRole?: string;
}

/** What the controller keeps between reconciles. */
interface ControllerState {
  pollMs: number;
  metrics: KesMetrics;
  /** The pool's holder, "StakePool/ns/name" or "MultikeyGroup/ns/name" -> the KesRotations naming it, for the watches. */
  byPool: Map<string, Set<string>>;
  /** The gauges' series per rotation, to forget them when it goes. */
  seen: Map<string, KesSeries>;
  opts: KesRotationControllerOptions;
}

/** A reconcile's observation and how it is written: persist() after every step, done() once at the end. */
function begin(ctx: ReconcileContext, p: Omit<Primary<unknown, KesRotationStatus>, "spec">, s: ControllerState) {
  const id = `${p.key.namespace}/${p.key.name}`;
  // p.object carries the status this controller last wrote when the informer has not caught up with it
  // (manager/typed-controller.ts): a step or reminder is never redone from a stale copy (a second webhook call).
  const status = p.object.status;
  const obs: RotationObservation = {
    generation: p.generation,
    previous: status,
    now: ctx.now(),
    mode: "Assisted",
    suspended: false,
    ...(status?.rotation ? { rotation: status.rotation } : {}),
    ...(status?.request ? { request: status.request } : {}),
    ...(status?.lastRotation ? { lastRotation: status.lastRotation } : {}),
  };
  const persist = async () => {
    await p.writeStatus(kesRotationStatus(obs));
  };
  const done = async (): Promise<ReconcileResult> => {
    await persist();
    const next = obs.schedule?.nextChangeAt;
    const untilChange = next ? Math.max(1, next.getTime() - ctx.now().getTime()) : s.pollMs;
    return { requeueAfterMs: Math.min(s.pollMs, untilChange) };
  };
  return { id, obs, persist, done };
}

async function reconcile(
  ctx: ReconcileContext,
  p: Primary<KesRotationSpec, KesRotationStatus>,
  s: ControllerState,
): Promise<ReconcileResult> {
  const { id, obs, persist, done } = begin(ctx, p, s);
  const { spec, owner } = p;
  const ns = p.key.namespace;
  obs.mode = spec.mode;
  obs.suspended = spec.suspend;
  const poolName = displayOf(spec);
  obs.pool = poolName;
  for (const set of s.byPool.values()) set.delete(id);
  const holder = heldBy(ns, spec).key;
  if (!s.byPool.has(holder)) s.byPool.set(holder, new Set());
  s.byPool.get(holder)!.add(id);
  const series: KesSeries = { namespace: ns, name: owner.name, pool: poolName };
  s.seen.set(id, series);

  try {
    const tracked = await track(ctx, ns, spec, obs.now);
    obs.counter = tracked.lastCounter;
    obs.schedule = tracked.schedule;
    const rot = p.object as KesRotationObject;
    await remind(ctx, {
      ns,
      rot,
      spec,
      schedule: tracked.schedule,
      counter: tracked.running.sequenceNumber,
      obs,
      persist,
      webhookTimeoutMs: s.opts.webhookTimeoutMs,
    });
    if (spec.mode !== "MonitorOnly" && !spec.suspend) {
      const t: Tracked = {
        ...tracked,
        ns,
        owner,
        rot,
        spec,
        obs,
        persist,
        nextLeaderSlot: async (minutes: number) => {
          const pod = await ctx.read<V1Pod>(KIND.Pod, { namespace: ns, name: tracked.target.producerPod });
          return nextLeaderSlot(
            pod?.status?.podIP,
            apiPortOf(pod),
            minutes,
            s.opts.fetch ? { fetch: s.opts.fetch } : {},
          );
        },
        jobClusterRole: s.opts.jobClusterRole ?? DEFAULT_KES_JOB_CLUSTERROLE,
      };
      await rotate(ctx, t);
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    if (obs.schedule) obs.blocked = { reason: e.reason, message: e.message };
    else obs.problem = { reason: e.reason, message: e.message };
  }
  const ready = kesRotationStatus(obs).conditions?.find((c) => c.type === "Ready")?.status ?? "Unknown";
  s.metrics.observe(series, obs.problem ? undefined : obs.schedule, ready);
  return done();
}

/** The KesRotations naming a pool `obj` holds. */
function rotationsOf(s: ControllerState, kind: "StakePool" | "MultikeyGroup", obj: KubernetesObject): ObjectKey[] {
  return [...(s.byPool.get(`${kind}/${obj.metadata?.namespace}/${obj.metadata?.name}`) ?? [])].map((id) => {
    const [namespace, name] = id.split("/") as [string, string];
    return { namespace, name };
  });
}

/** Where the gauges go when no registry is given; main.ts serves them on the operator's /metrics. */
export const kesMetricsRegistry = new Registry();

export function kesRotationController(opts: KesRotationControllerOptions = {}): Controller {
  const s: ControllerState = {
    pollMs: opts.pollMs ?? 60_000,
    metrics: registerKesMetrics(opts.registry ?? kesMetricsRegistry),
    byPool: new Map(),
    seen: new Map(),
    opts,
  };
  const forget = (key: ObjectKey) => {
    const id = `${key.namespace}/${key.name}`;
    const series = s.seen.get(id);
    if (series) s.metrics.forget(series);
    s.seen.delete(id);
    for (const set of s.byPool.values()) set.delete(id);
  };
  return typedController<KesRotationSpec, KesRotationStatus>({
    name: KESROTATION_CONTROLLER,
    primary: KIND.KesRotation,
    owns: [KIND.ConfigMap, KIND.Job],
    watches: [
      // A Job's pod finishing (its termination message explains a failure).
      { kind: KIND.Pod, map: (obj) => rotationOfJobPod(obj as V1Pod) },
      // The holder's revision moving (a swap finished, a person rotated by hand) changes the schedule.
      { kind: KIND.StakePool, map: (obj: KubernetesObject) => rotationsOf(s, "StakePool", obj) },
      { kind: KIND.MultikeyGroup, map: (obj: KubernetesObject) => rotationsOf(s, "MultikeyGroup", obj) },
    ],
    spec: kesRotationSpec,
    reconcile: (ctx, primary) => reconcile(ctx, primary, s),
    invalidSpec: (ctx, primary, message) => {
      const { obs, done } = begin(ctx, primary, s);
      obs.problem = { reason: SPEC_INVALID, message };
      return done();
    },
    forget,
  });
}
