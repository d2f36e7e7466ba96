// The Relay controller: Relay -> topology ConfigMap, StatefulSet, shared and per-relay Services, NetworkPolicy
// (builders/relay.ts, builders/topology.ts), then status: replicas, ready relays, each relay's address and tip
// (read from its /metrics), the highest tip. Everything it writes goes through the manager's server-side apply,
// so an unchanged Relay writes nothing; tips are polled on a timer only while relay pods exist.
import type { KubernetesObject, V1NetworkPolicyPeer, V1Pod, V1Service, V1StatefulSet } from "@kubernetes/client-node";
import { type RelaySpec, relaySpec, type RelayStatus } from "../../api/relay.ts";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { buildRelay } from "../builders/relay.ts";
import { buildRelayTopology } from "../builders/topology.ts";
import { KIND } from "../kind-refs.ts";
import type { Controller, ObjectKey, ReconcileContext, ReconcileResult } from "../manager/context.ts";
import { type Primary, SPEC_INVALID, typedController } from "../manager/typed-controller.ts";
import { names, selectorLabels } from "../names.ts";
import { type Condition, nextConditions, refusedStatus } from "./conditions.ts";
import { type Fetch, highestTip, metricsUrl, scrapeNode, tipOf } from "../node-client/node-metrics.ts";

export const RELAY_CONTROLLER = "poolfleet-relay";

export interface RelayControllerOptions {
  /** The cluster's DNS domain, for the FQDNs in topologies. */
  clusterDomain?: string;
  /** The operator's pods, admitted to the relays' metrics port so the controller can read tips. */
  operatorPeer?: V1NetworkPolicyPeer;
  /** How often tips are read while relay pods exist. */
  tipIntervalMs?: number;
  scrapeTimeoutMs?: number;
  /** For tests: the fetch used to read /metrics. */
  fetch?: Fetch;
}

interface PoolObject extends KubernetesObject {
  spec?: Partial<StakePoolSpec>;
}

type Tip = NonNullable<RelayStatus["tip"]>;
type RelayEntry = NonNullable<RelayStatus["relays"]>[number];

/** The relay a StakePool names: its relayRef, else the one the pool's controller creates (`<pool>-relay`). */
export function relayOfPool(pool: PoolObject): ObjectKey[] {
  const md = pool.metadata;
  if (!md?.name || !md.namespace) return [];
  return [{ namespace: md.namespace, name: pool.spec?.relays?.relayRef?.name ?? names.relay(md.name) }];
}

function relayOfPod(pod: KubernetesObject): ObjectKey[] {
  const l = pod.metadata?.labels ?? {};
  const instance = l["app.kubernetes.io/instance"];
  if (l["app.kubernetes.io/component"] !== "relay" || !instance || !pod.metadata?.namespace) return [];
  return [{ namespace: pod.metadata.namespace, name: instance }];
}

/**
 * The pool's producer, when spec.poolRef names a StakePool (or else a MultikeyGroup, whose producer holds many
 * pools) that in turn names this Relay.
 */
function producerOf(ctx: ReconcileContext, key: ObjectKey, spec: RelaySpec) {
  if (!spec.poolRef) return { linked: true as const, producer: undefined };
  const ref = { namespace: key.namespace, name: spec.poolRef.name };
  const pool = ctx.get<PoolObject>(KIND.StakePool, ref) ?? ctx.get<PoolObject>(KIND.MultikeyGroup, ref);
  if (!pool) {
    return { linked: false as const, why: `StakePool or MultikeyGroup ${spec.poolRef.name} does not exist (yet)` };
  }
  const named = relayOfPool(pool)[0]?.name;
  if (named !== key.name) {
    return { linked: false as const, why: `${pool.kind} ${spec.poolRef.name} uses Relay ${named}, not this one` };
  }
  return {
    linked: true as const,
    producer: { pool: spec.poolRef.name, port: pool.spec?.port ?? 3001 },
    owner: pool.kind ?? "StakePool",
  };
}

const podReady = (pod: V1Pod | undefined) =>
  pod?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

function externalAddress(spec: RelaySpec, svc: V1Service | undefined, pod: V1Pod | undefined): string | undefined {
  const port = svc?.spec?.ports?.[0];
  if (spec.service.type === "LoadBalancer") {
    const ingress = svc?.status?.loadBalancer?.ingress?.[0];
    const host = ingress?.ip ?? ingress?.hostname;
    return host ? `${host}:${spec.port}` : undefined;
  }
  if (spec.service.type === "NodePort" && pod?.status?.hostIP && port?.nodePort) {
    return `${pod.status.hostIP}:${port.nodePort}`;
  }
  return undefined;
}

export function relayController(opts: RelayControllerOptions = {}): Controller {
  const tipIntervalMs = opts.tipIntervalMs ?? 60_000;

  async function reconcile(
    ctx: ReconcileContext,
    { key, object: relay, spec, owner, generation, writeStatus }: Primary<RelaySpec, RelayStatus>,
  ): Promise<ReconcileResult> {
    const previous = relay.status?.conditions as Condition[] | undefined;
    const link = producerOf(ctx, key, spec);
    const producer = link.linked ? link.producer : undefined;

    // The topology first: pods read it at start.
    await ctx.apply(buildRelayTopology({ owner, spec, producer, clusterDomain: opts.clusterDomain }));
    const objs = buildRelay({ owner, spec, operatorPeer: opts.operatorPeer });
    await ctx.apply(objs.service);
    for (const svc of objs.relayServices) await ctx.apply(svc);
    await ctx.apply(objs.networkPolicy);
    await ctx.apply(objs.statefulSet);
    // Scaled down: the relays' own Services past the last ordinal go.
    for (const svc of ctx.list<V1Service>(KIND.Service, key.namespace, selectorLabels("relay", key.name))) {
      const m = new RegExp(`^${key.name}-(\\d+)$`).exec(svc.metadata?.name ?? "");
      if (m && Number(m[1]) >= spec.replicas) await ctx.delete(KIND.Service, { namespace: key.namespace, name: m[0] });
    }

    // Status.
    const sts = ctx.get<V1StatefulSet>(KIND.StatefulSet, key);
    const pods = new Map(
      ctx
        .list<V1Pod>(KIND.Pod, key.namespace, selectorLabels("relay", key.name))
        .map((p) => [p.metadata?.name ?? "", p] as const),
    );
    const relays: RelayEntry[] = await Promise.all(
      Array.from({ length: spec.replicas }, async (_, i): Promise<RelayEntry> => {
        const name = names.relayPod(key.name, i);
        const pod = pods.get(name);
        const svc = ctx.get<V1Service>(KIND.Service, { namespace: key.namespace, name });
        const entry: RelayEntry = { name, ready: podReady(pod) };
        const address = externalAddress(spec, svc, pod);
        if (address) entry.address = address;
        if (pod?.status?.podIP && pod.status.phase === "Running") {
          const r = await scrapeNode(metricsUrl(pod.status.podIP, spec.metrics.port), {
            fetch: opts.fetch,
            timeoutMs: opts.scrapeTimeoutMs,
          });
          const tip = r.ok ? tipOf(r.figures) : undefined;
          if (tip) entry.tip = tip;
        }
        return entry;
      }),
    );
    const ready = relays.filter((r) => r.ready).length;
    const phase: RelayStatus["phase"] = ready === spec.replicas ? "Ready" : ready > 0 ? "Progressing" : "Pending";
    const readyMessage = `${ready} of ${spec.replicas} relays ready`;
    const conditions = nextConditions(
      previous,
      [
        ready === spec.replicas
          ? { type: "Ready", status: "True", reason: "AllRelaysReady", message: readyMessage }
          : { type: "Ready", status: "False", reason: "RelaysNotReady", message: readyMessage },
        link.linked
          ? {
              type: "PoolLinked",
              status: "True",
              reason: producer ? "ProducerIsLocalRoot" : "NoPool",
              message: producer
                ? `the producer of ${link.linked ? link.owner : "StakePool"} ${producer.pool} is a local root of every relay`
                : "no spec.poolRef: these relays serve no producer",
            }
          : { type: "PoolLinked", status: "False", reason: "PoolNotFound", message: link.why },
      ],
      generation,
      ctx.now(),
    );
    const status: RelayStatus = {
      observedGeneration: generation,
      phase,
      conditions,
      replicas: sts?.status?.replicas ?? 0,
      readyReplicas: ready,
      selector: Object.entries(selectorLabels("relay", key.name))
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
      serviceType: spec.service.type,
      relays,
    };
    const tip = highestTip<Tip>(relays.map((r) => r.tip));
    if (tip) status.tip = tip;
    if (phase === "Ready" && relay.status?.phase !== "Ready") {
      await ctx.event(relay, "Normal", "RelaysReady", `all ${spec.replicas} relays are ready`);
    }
    await writeStatus(status);
    return pods.size > 0 ? { requeueAfterMs: tipIntervalMs } : {};
  }

  return typedController<RelaySpec, RelayStatus>({
    name: RELAY_CONTROLLER,
    primary: KIND.Relay,
    owns: [KIND.ConfigMap, KIND.StatefulSet, KIND.Service, KIND.NetworkPolicy],
    watches: [
      { kind: KIND.StakePool, map: (obj) => relayOfPool(obj as PoolObject) },
      { kind: KIND.MultikeyGroup, map: (obj) => relayOfPool(obj as PoolObject) },
      { kind: KIND.Pod, map: relayOfPod },
    ],
    spec: relaySpec,
    reconcile,
    invalidSpec: async (ctx, { object, generation, writeStatus }, message) => {
      const previous = object.status?.conditions as Condition[] | undefined;
      await writeStatus({
        ...object.status,
        ...refusedStatus(previous, SPEC_INVALID, message, generation, ctx.now()),
      });
      return {};
    },
  });
}
