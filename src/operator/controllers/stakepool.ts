// The StakePool controller: pool -> key gate -> the producer's objects -> status.
//
// Keys: the user's Secret is read (never cached: the operator may get Secrets, not list or watch them) and run
// through the consistency gate. A key set that passes becomes an immutable, operator-owned revision Secret
// `<pool>-keys-<hash8>` and the producer's StatefulSet mounts that revision. A key set that fails changes nothing
// the producer runs: the StatefulSet keeps the revision it was last rolled onto (or is not created yet), KeysValid
// turns False naming the failing check, and a Warning Event says what to do. Since Secrets are not watched, the
// pool is reconciled again every pollMs to notice a changed Secret (and a moving KES window).
//
// Everything else (topology ConfigMap, NetworkPolicy, the pool's own Relay) follows the spec whatever the keys.
// Status carries only public facts: pool id, opcert counter, KES window, the revision's hash.
import type { V1NetworkPolicyPeer, V1Secret, V1StatefulSet } from "@kubernetes/client-node";
import { stakePoolSpec, type StakePoolSpec, type StakePoolStatus } from "../../api/stakepool.ts";
import { buildProducerNetworkPolicy } from "../builders/network-policy.ts";
import { buildPoolRelay, type PoolRelay } from "../builders/pool-relay.ts";
import { buildProducer } from "../builders/producer.ts";
import { buildProducerTopology } from "../builders/topology.ts";
import type { GateResult } from "../../keys/secret-gate.ts";
import { buildKeyRevisionSecret, KEYS_HASH_ANNOTATION, keyRevisionName } from "../keys/revision.ts";
import { KIND } from "../kind-refs.ts";
import type { Controller, ReconcileContext, ReconcileResult } from "../manager/context.ts";
import { type Primary, SPEC_INVALID, typedController } from "../manager/typed-controller.ts";
import { names } from "../names.ts";
import { type Fetch, metricsUrl, type ScrapeResult, scrapeNode } from "../node-client/node-metrics.ts";
import { disruptionOf, producerPodOnce, stsReady } from "./disruption-of.ts";
import { type Condition, refusedStatus } from "./conditions.ts";
import { gatePool as gate } from "../keys/key-gate.ts";
import { clockFor } from "../network-clock.ts";
import { nameTaken } from "./name-collision.ts";
import { claimantOf, refuseIfClaimed } from "./pool-claims.ts";
import { type RelayObject, relaySetOf } from "./relay-set.ts";
import { stakePoolStatus } from "./stakepool-status.ts";
import { type PoolKesMetrics, poolKesMetricsRegistry, registerPoolKesMetrics } from "./stakepool-kes-metrics.ts";
import type { Registry } from "prom-client";

export const STAKEPOOL_CONTROLLER = "poolfleet-stakepool";

export interface StakePoolControllerOptions {
  /** How often a pool is reconciled without a change (its key Secret is not watched; tip and KES move). */
  pollMs?: number;
  /** Read a ready producer's /metrics for tip, blocks forged and whether it forges (default true). */
  scrape?: boolean;
  /** The fetch used for /metrics (tests point it elsewhere). */
  fetch?: Fetch;
  /** The operator's pods, admitted to the producer's API port (and metrics port, when it scrapes) by its NetworkPolicy. */
  operatorPeer?: V1NetworkPolicyPeer;
  /** Registry for poolfleet_stakepool_kes_* (default: poolKesMetricsRegistry, served on the operator's /metrics). */
  registry?: Registry;
}

async function reconcile(
  ctx: ReconcileContext,
  { object: pool, owner, generation, spec, writeStatus }: Primary<StakePoolSpec, StakePoolStatus>,
  opts: StakePoolControllerOptions & { pollMs: number; poolKes: PoolKesMetrics },
): Promise<ReconcileResult> {
  const previous = pool.status?.conditions as Condition[] | undefined;
  const taken = nameTaken(ctx, "StakePool", pool);
  if (taken) {
    await ctx.event(pool, "Warning", taken.reason, taken.message);
    await writeStatus({
      ...pool.status,
      ...refusedStatus(previous, taken.reason, taken.message, generation, ctx.now()),
    });
    return { requeueAfterMs: opts.pollMs };
  }
  if (spec.paused) {
    await writeStatus({ ...pool.status, observedGeneration: generation, phase: "Paused" });
    return {};
  }

  const ns = owner.namespace;
  const secretName = spec.keys.secretRef.name;
  const secret = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: secretName });
  const clock = clockFor(ctx, ns, spec);
  // A key set that passes is still refused when an older StakePool or main MultikeyGroup claims its pool id.
  const result = refuseIfClaimed(
    ctx,
    claimantOf("StakePool", pool),
    gate(ctx, ns, spec, secretName, secret?.data, clock),
  );

  const producerName = names.producer(owner.name);
  const liveSts = ctx.get<V1StatefulSet>(KIND.StatefulSet, { namespace: ns, name: producerName });
  const runningHash = liveSts?.spec?.template?.metadata?.annotations?.[KEYS_HASH_ANNOTATION];
  const acceptedHash = result.passed ? result.keysHash! : runningHash;

  if (result.passed) {
    await ctx.apply(buildKeyRevisionSecret({ owner, keysHash: result.keysHash!, data: secret!.data! }));
    if (runningHash !== result.keysHash) {
      await ctx.event(
        pool,
        "Normal",
        "KeysAccepted",
        `Key set ${result.keysHash!.slice(0, 8)} from Secret ${secretName} passed the consistency gate; the producer runs on revision ${keyRevisionName(owner.name, result.keysHash!)}`,
      );
    }
  } else {
    await ctx.event(
      pool,
      "Warning",
      result.failure!.reason,
      `${result.failure!.message}${runningHash ? ` The producer keeps running on key revision ${runningHash.slice(0, 8)}.` : " No producer is started until the keys pass."}`,
    );
  }

  const { set: relays, live: liveRelay } = relaySetOf(ctx, owner, spec);
  const ownRelay: PoolRelay | undefined = buildPoolRelay(owner, spec);
  if (ownRelay) await ctx.apply(ownRelay);
  await ctx.apply(buildProducerTopology({ owner, relays }));
  await ctx.apply(
    buildProducerNetworkPolicy({
      owner,
      spec,
      relayPort: relays.port,
      ...(opts.operatorPeer ? { operatorPeer: opts.operatorPeer, operatorScrapes: opts.scrape !== false } : {}),
    }),
  );
  const producerPod = producerPodOnce(ctx, ns, producerName);
  // A drain may take the producer only away from its leader slots (producer-disruption.ts).
  const disruption = await disruptionOf(liveSts, producerPod, spec.disruption.leaderSlotMarginMinutes, ctx.now(), opts);
  let sts = liveSts;
  if (acceptedHash) {
    const objs = buildProducer({
      owner,
      spec,
      keysSecretName: keyRevisionName(owner.name, acceptedHash),
      keysHash: acceptedHash,
      disruptionAllowed: disruption.allowed,
    });
    sts = await ctx.apply(objs.statefulSet);
    await ctx.apply(objs.service);
    await ctx.apply(objs.podDisruptionBudget);
  }

  // Facts about the key set the producer runs: the one that just passed, or (on failure) the accepted revision's.
  let facts: GateResult | undefined = result.passed ? result : undefined;
  if (!result.passed && acceptedHash) {
    const revisionName = keyRevisionName(owner.name, acceptedHash);
    const revision = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: revisionName });
    const r = gate(ctx, ns, spec, revisionName, revision?.data, clock);
    if (r.keysHash === acceptedHash) facts = r;
  }

  opts.poolKes.observe(ns, owner.name, facts?.kes);

  const ready = stsReady(sts);
  let scrape: ScrapeResult | undefined;
  if (ready && opts.scrape !== false) {
    const pod = await producerPod();
    const ip = pod?.status?.podIP;
    scrape = ip
      ? await scrapeNode(metricsUrl(ip, spec.metrics.port), opts.fetch ? { fetch: opts.fetch } : {})
      : { ok: false, error: `pod ${producerName}-0 has no IP yet` };
  }
  await writeStatus(
    stakePoolStatus({
      generation,
      previous,
      now: ctx.now(),
      secretName,
      gate: result,
      acceptedHash,
      facts,
      producerName,
      statefulSetExists: sts !== undefined,
      ready,
      scrape,
      relays: { name: relays.name, readyReplicas: liveRelay?.status?.readyReplicas ?? 0 },
      disruption,
    }),
  );
  return { requeueAfterMs: Math.min(opts.pollMs, disruption.recheckInMs ?? opts.pollMs) };
}

export function stakePoolController(opts: StakePoolControllerOptions = {}): Controller {
  const pollMs = opts.pollMs ?? 60_000;
  const poolKes = registerPoolKesMetrics(opts.registry ?? poolKesMetricsRegistry);
  return typedController<StakePoolSpec, StakePoolStatus>({
    name: STAKEPOOL_CONTROLLER,
    primary: KIND.StakePool,
    owns: [KIND.StatefulSet, KIND.Service, KIND.PodDisruptionBudget, KIND.NetworkPolicy, KIND.ConfigMap, KIND.Relay],
    watches: [
      {
        // A Relay named by a pool's relayRef: its port and readiness go into the pool's topology and status.
        kind: KIND.Relay,
        map: (obj) => {
          const pool = (obj as RelayObject).spec?.poolRef?.name;
          return pool && obj.metadata?.namespace ? [{ namespace: obj.metadata.namespace, name: pool }] : [];
        },
      },
      // Pool id claims (pool-claims.ts) read every group; a pool refused for a claim re-checks on its poll. A group
      // of the pool's own name (name-collision.ts) re-checks it at once.
      { kind: KIND.MultikeyGroup, map: (obj) => [{ namespace: obj.metadata!.namespace!, name: obj.metadata!.name! }] },
    ],
    spec: stakePoolSpec,
    reconcile: (ctx, primary) => reconcile(ctx, primary, { ...opts, pollMs, poolKes }),
    invalidSpec: async (ctx, { object, generation, writeStatus }, message) => {
      const previous = object.status?.conditions as Condition[] | undefined;
      await writeStatus(refusedStatus(previous, SPEC_INVALID, message, generation, ctx.now()));
      return {};
    },
    forget: (key) => poolKes.forget(key.namespace, key.name),
  });
}
