// The MultikeyGroup controller: group -> each pool's keys through the gate on its own -> one producer holding the
// bundle of the pools that passed, behind relays exactly like a StakePool's -> status per pool.
//
// Keys: each pool's Secret is read (never cached) and gated like a StakePool's (key-gate.ts). A pool that passes
// gets its own immutable revision Secret `<group>-<pool>-keys-<hash8>` and a place in the producer's bundle (a
// projected volume, builders/group-producer.ts); a pool that fails is refused alone — a Warning Event naming the
// pool and its reason, KeysValid False — and keeps the revision the producer already holds for it, if any, while
// the others run. A pool whose id an older StakePool or main MultikeyGroup claims (pool-claims.ts), or that
// repeats another pool of the group, is left out of the bundle entirely: two forgers for one pool is the one thing
// never allowed.
//
// Backups (redundancy.level > 0) run like a main: the same objects, role Backup, phase Standby while the producer
// forges nothing. Main and backup producers alike fence each pool with a coordination.k8s.io Lease in the group's
// namespace, under the group's own ServiceAccount and lease-only Role (builders/producer-rbac.ts). A backup names
// its main (mainGroupRef, same namespace; refused with MainGroupNotFound / MainGroupNotMain until that resolves)
// and claims no pool itself: a pool it holds is exempt from the claim rule when its main claims it.
import type { KubernetesObject, V1NetworkPolicyPeer, V1Secret, V1StatefulSet } from "@kubernetes/client-node";
import {
  MAX_POOLS_MESSAGE,
  MAX_POOLS_PER_GROUP,
  multikeyGroupSpec,
  type MultikeyGroupSpec,
  type MultikeyGroupStatus,
} from "../../api/multikeygroup.ts";
import {
  type BundlePool,
  bundleContents,
  bundleDisplayNames,
  bundleSecretName,
  buildBundleSecret,
  buildGroupProducer,
} from "../builders/group-producer.ts";
import { buildProducerNetworkPolicy } from "../builders/network-policy.ts";
import { buildPoolRelay } from "../builders/pool-relay.ts";
import { buildProducerRbac } from "../builders/producer-rbac.ts";
import { buildProducerTopology } from "../builders/topology.ts";
import { type GateResult, poolIdHex } from "../../keys/secret-gate.ts";
import { buildKeyRevisionSecret } from "../keys/revision.ts";
import { KIND } from "../kind-refs.ts";
import type { Controller, ReconcileContext, ReconcileResult } from "../manager/context.ts";
import { type Primary, SPEC_INVALID, typedController } from "../manager/typed-controller.ts";
import { names, type Owner } from "../names.ts";
import { type Fetch, metricsUrl, type ScrapeResult, scrapeNode } from "../node-client/node-metrics.ts";
import { type Condition, refusedStatus } from "./conditions.ts";
import { nameTaken } from "./name-collision.ts";
import { disruptionOf, producerPodOnce, stsReady } from "./disruption-of.ts";
import { relaySetOf } from "./relay-set.ts";
import { gatePool } from "../keys/key-gate.ts";
import { clockFor } from "../network-clock.ts";
import { type GroupPoolObservation, multikeyGroupStatus } from "./multikeygroup-status.ts";
import { claimantName, claimantOf, claimedIds, earlierClaimant, POOL_CLAIMED, refuseIfClaimed } from "./pool-claims.ts";

export const MULTIKEYGROUP_CONTROLLER = "poolfleet-multikeygroup";

interface Group extends KubernetesObject {
  spec: unknown;
  status?: MultikeyGroupStatus;
}

export interface MultikeyGroupControllerOptions {
  /** How often a group is reconciled without a change (its key Secrets are not watched; KES and forging move). */
  pollMs?: number;
  /** Read a ready producer's /metrics for per-pool status (default true). */
  scrape?: boolean;
  fetch?: Fetch;
  /** The operator's pods, admitted to the producer's API and metrics ports by its NetworkPolicy. */
  operatorPeer?: V1NetworkPolicyPeer;
}

type Spec = MultikeyGroupSpec;

/**
 * Whether a backup may hold `hex` though an older claimant claims it: its main group claims it, and the main itself
 * is not refused for it (no claimant older than the main).
 */
function mainClaims(ctx: ReconcileContext, main: Group | undefined, hex: string): boolean {
  if (!main || !claimedIds("MultikeyGroup", main as Parameters<typeof claimedIds>[1]).has(hex)) return false;
  return earlierClaimant(ctx, claimantOf("MultikeyGroup", main), hex) === undefined;
}

/** The pools' verdicts: the gate, then one pool id per group, then the cluster's claims. */
async function gatePools(ctx: ReconcileContext, group: Group, owner: Owner, spec: Spec, main?: Group) {
  const ns = owner.namespace;
  const clock = clockFor(ctx, ns, spec);
  const self = claimantOf("MultikeyGroup", group);
  const seen = new Map<string, string>();
  const out: {
    pool: Spec["pools"][number];
    result: GateResult;
    keysPassed: boolean;
    claimedBy?: string;
    data?: Record<string, string>;
  }[] = [];
  for (const pool of spec.pools) {
    const secretName = pool.keys.secretRef.name;
    const secret = await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: secretName });
    const gated = gatePool(ctx, ns, pool, secretName, secret?.data, clock);
    let result = gated;
    let claimedBy: string | undefined;
    const hex = gated.poolId ? poolIdHex(gated.poolId) : undefined;
    if (gated.passed && hex && seen.has(hex)) {
      result = {
        ...gated,
        passed: false,
        failure: {
          check: "pool-id",
          reason: "DuplicatePool",
          message: `Secret ${secretName} holds keys of pool ${gated.poolId}, which pool ${seen.get(hex)} of this group already holds; one node forges a pool once`,
        },
      };
    } else if (gated.passed && !(hex && mainClaims(ctx, main, hex))) {
      result = refuseIfClaimed(ctx, self, gated);
      if (result.failure?.reason === POOL_CLAIMED) {
        const first = earlierClaimant(ctx, self, gated.poolId!);
        if (first) claimedBy = claimantName(first);
      }
    }
    if (hex && !seen.has(hex)) seen.set(hex, pool.name);
    out.push({
      pool,
      result,
      keysPassed: gated.passed,
      ...(claimedBy ? { claimedBy } : {}),
      ...(secret?.data ? { data: secret.data } : {}),
    });
  }
  return out;
}

/** Ready=False with a reason, a Warning Event, phase Degraded: nothing else is written. */
async function refuse(
  ctx: ReconcileContext,
  { object: group, generation, writeStatus }: Omit<Primary<MultikeyGroupSpec, MultikeyGroupStatus>, "spec">,
  reason: string,
  message: string,
  extra: Partial<MultikeyGroupStatus> = {},
  event = true,
): Promise<void> {
  if (event) await ctx.event(group, "Warning", reason, message);
  const previous = group.status?.conditions as Condition[] | undefined;
  await writeStatus({ ...refusedStatus(previous, reason, message, generation, ctx.now()), ...extra });
}

async function reconcile(
  ctx: ReconcileContext,
  primary: Primary<MultikeyGroupSpec, MultikeyGroupStatus>,
  opts: MultikeyGroupControllerOptions & { pollMs: number },
): Promise<ReconcileResult> {
  const { object: group, owner, generation, spec, writeStatus } = primary;
  const previous = group.status?.conditions as Condition[] | undefined;
  // Admission refuses a 33rd pool (a CEL rule); an object stored before the rule is refused here the same way.
  if (spec.pools.length > MAX_POOLS_PER_GROUP) {
    await refuse(ctx, primary, SPEC_INVALID, `spec is not valid: spec.pools: ${MAX_POOLS_MESSAGE}`);
    return {};
  }
  const taken = nameTaken(ctx, "MultikeyGroup", group);
  if (taken) {
    await refuse(ctx, primary, taken.reason, taken.message);
    return { requeueAfterMs: opts.pollMs };
  }
  if (spec.paused) {
    await writeStatus({ ...group.status, observedGeneration: generation, phase: "Paused" });
    return {};
  }
  const ns = owner.namespace;
  const role = spec.redundancy.level > 0 ? "Backup" : "Main";
  let main: Group | undefined;
  if (role === "Backup") {
    const mainName = spec.redundancy.mainGroupRef!.name;
    main = ctx.get<Group>(KIND.MultikeyGroup, { namespace: ns, name: mainName });
    const extra = { role, poolCount: spec.pools.length } as const;
    if (!main || main.metadata?.deletionTimestamp) {
      await refuse(
        ctx,
        primary,
        "MainGroupNotFound",
        `redundancy.mainGroupRef names MultikeyGroup ${ns}/${mainName}, which does not exist: a backup stands by ` +
          "for a main group in its own namespace; no producer is started until it exists",
        extra,
      );
      return { requeueAfterMs: opts.pollMs };
    }
    const mainLevel = (main.spec as Spec | undefined)?.redundancy?.level ?? 0;
    if (mainLevel > 0) {
      await refuse(
        ctx,
        primary,
        "MainGroupNotMain",
        `redundancy.mainGroupRef names MultikeyGroup ${ns}/${mainName}, which is itself a backup (level ` +
          `${mainLevel}): a backup's mainGroupRef must name a main group (level 0); no producer is started`,
        extra,
      );
      return { requeueAfterMs: opts.pollMs };
    }
  }

  const producerName = names.producer(owner.name);
  const liveSts = ctx.get<V1StatefulSet>(KIND.StatefulSet, { namespace: ns, name: producerName });
  // What the producer holds now: the bundle Secret it mounts (read, never cached, like every key Secret).
  const held = bundleContents(
    await ctx.read<V1Secret>(KIND.Secret, { namespace: ns, name: bundleSecretName(owner.name) }),
  );
  const verdicts = await gatePools(ctx, group, owner, spec, main);

  const bundle: BundlePool[] = [];
  for (const v of verdicts) {
    const pool = v.pool.name;
    const running = held.get(pool);
    if (v.result.passed) {
      const hash = v.result.keysHash!;
      const revision = buildKeyRevisionSecret({ owner, pool, keysHash: hash, data: v.data! });
      await ctx.apply(revision);
      const secretName = revision.metadata!.name!;
      bundle.push({ name: pool, secretName, keysHash: hash, data: revision.data! });
      if (running?.secretName !== secretName) {
        await ctx.event(
          group,
          "Normal",
          "KeysAccepted",
          `Pool ${pool}: key set ${hash.slice(0, 8)} from Secret ${v.pool.keys.secretRef.name} passed the consistency gate; the producer holds it as revision ${secretName}`,
        );
      }
      continue;
    }
    // A pool claimed elsewhere or repeated in the group leaves the bundle; one whose new keys fail keeps its revision.
    const keep = running !== undefined && v.keysPassed === false;
    if (keep) bundle.push(running);
    const f = v.result.failure!;
    await ctx.event(
      group,
      "Warning",
      f.reason,
      `Pool ${pool} refused (${f.reason}): ${f.message}${keep ? ` The producer keeps this pool on key revision ${running.secretName}.` : " The producer runs without this pool; the group's other pools are not affected."}`,
    );
  }

  const { set: relays } = relaySetOf(ctx, owner, spec);
  const ownRelay = buildPoolRelay(owner, spec);
  if (ownRelay) await ctx.apply(ownRelay);
  await ctx.apply(buildProducerTopology({ owner, relays }));
  await ctx.apply(
    buildProducerNetworkPolicy({
      owner,
      spec,
      relayPort: relays.port,
      apiServerEgress: true,
      ...(opts.operatorPeer ? { operatorPeer: opts.operatorPeer, operatorScrapes: opts.scrape !== false } : {}),
    }),
  );

  const producerPod = producerPodOnce(ctx, ns, producerName);
  // A drain may take the producer only away from the leader slots of every pool it holds (its schedule merges them).
  const disruption = await disruptionOf(liveSts, producerPod, spec.disruption.leaderSlotMarginMinutes, ctx.now(), opts);
  let sts = liveSts;
  if (bundle.length) {
    // The producer's identity first, so its pod starts with the right to its pools' Leases.
    for (const obj of buildProducerRbac(owner)) await ctx.apply(obj);
    // The bundle Secret before the StatefulSet: a pod never starts with items its Secret lacks. A re-keyed pool
    // changes only this Secret, and the running node re-reads it in place (--watch-keys).
    await ctx.apply(buildBundleSecret(owner, bundle));
    const objs = buildGroupProducer({ owner, spec, pools: bundle, disruptionAllowed: disruption.allowed });
    sts = await ctx.apply(objs.statefulSet);
    await ctx.apply(objs.service);
    await ctx.apply(objs.podDisruptionBudget);
  } else if (liveSts) {
    // Every pool it held is now claimed elsewhere or gone from the group: a producer with no pools forges nothing.
    await ctx.delete(KIND.StatefulSet, { namespace: ns, name: producerName });
    sts = undefined;
  }
  if (!bundle.length && held.size > 0) {
    // No pod mounts it any more; keys of pools no longer held do not stay in a Secret a pod could be given.
    await ctx.delete(KIND.Secret, { namespace: ns, name: bundleSecretName(owner.name) });
  }

  const ready = stsReady(sts);
  let scrape: ScrapeResult | undefined;
  if (ready && opts.scrape !== false) {
    const pod = await producerPod();
    const ip = pod?.status?.podIP;
    scrape = ip
      ? await scrapeNode(metricsUrl(ip, spec.metrics.port), opts.fetch ? { fetch: opts.fetch } : {})
      : { ok: false, error: `pod ${producerName}-0 has no IP yet` };
  }
  const display = bundleDisplayNames(owner.name, bundle);
  const inBundle = new Map(bundle.map((b) => [b.name, b]));
  const pools: GroupPoolObservation[] = verdicts.map((v) => ({
    name: v.pool.name,
    gate: v.result,
    keysPassed: v.keysPassed,
    ...(v.claimedBy ? { claimedBy: v.claimedBy } : {}),
    inBundle: inBundle.has(v.pool.name),
    ...(display.has(v.pool.name) ? { displayName: display.get(v.pool.name)! } : {}),
    ...(inBundle.has(v.pool.name) ? { keysHash: inBundle.get(v.pool.name)!.keysHash } : {}),
  }));
  await writeStatus(
    multikeyGroupStatus({
      generation,
      previous,
      now: ctx.now(),
      pools,
      producerName,
      statefulSetExists: sts !== undefined,
      ready,
      scrape,
      role,
      disruption,
    }),
  );
  return { requeueAfterMs: Math.min(opts.pollMs, disruption.recheckInMs ?? opts.pollMs) };
}

export function multikeyGroupController(opts: MultikeyGroupControllerOptions = {}): Controller {
  const pollMs = opts.pollMs ?? 60_000;
  return typedController<MultikeyGroupSpec, MultikeyGroupStatus>({
    name: MULTIKEYGROUP_CONTROLLER,
    primary: KIND.MultikeyGroup,
    owns: [KIND.StatefulSet, KIND.Service, KIND.PodDisruptionBudget, KIND.NetworkPolicy, KIND.ConfigMap, KIND.Relay],
    // Pool id claims (pool-claims.ts) read every StakePool; a pool refused for a claim re-checks on the poll.
    // A StakePool of the group's own name (name-collision.ts) re-checks it at once.
    watches: [
      { kind: KIND.StakePool, map: (obj) => [{ namespace: obj.metadata!.namespace!, name: obj.metadata!.name! }] },
    ],
    spec: multikeyGroupSpec,
    reconcile: (ctx, primary) => reconcile(ctx, primary, { ...opts, pollMs }),
    // The adapter has recorded the Warning Event already.
    invalidSpec: async (ctx, primary, message) => (await refuse(ctx, primary, SPEC_INVALID, message, {}, false), {}),
  });
}
