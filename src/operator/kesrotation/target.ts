// The pool a KesRotation keeps fresh, whichever object holds it: a StakePool (spec.poolRef), or one pool of a
// MultikeyGroup (spec.groupPoolRef). The steps work on this one shape, so a rotation of a pool in a group runs the
// same sequence, gates and Jobs as a StakePool's. What differs is read here:
//   the pool's spec      a StakePool's own; a group pool's keys and pool id with the group's network and image
//   the running keys     StakePool status.producer.keysHash; a group's status.pools[].keysHash
//   the revision Secret  `<pool>-keys-<hash8>`; `<group>-<pool>-keys-<hash8>`
//   what the producer    StakePool condition Forging and status.producer.opcertCounter; a group's
//   reports              status.pools[].forgingNow and opcertCounter (the node's poolfleet_pool_* series)
//   the producer pod     `<pool>-producer-0`; `<group>-producer-0` (its leader schedule covers every pool it holds)
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KesRotationSpec } from "../../api/kesrotation.ts";
import { multikeyGroupSpec, type MultikeyGroupStatus } from "../../api/multikeygroup.ts";
import { stakePoolSpec, type StakePoolStatus } from "../../api/stakepool.ts";
import { groupKeyRevisionName, keyRevisionName } from "../keys/revision.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";
import { names } from "../names.ts";
import { type RotationTarget, Stop } from "./tracked.ts";

interface Held extends KubernetesObject {
  spec?: unknown;
  status?: unknown;
}

/** The object a rotation spec names and the key the controller's watch maps back from ("Kind/ns/name"). */
export function heldBy(ns: string, spec: KesRotationSpec): { kind: "StakePool" | "MultikeyGroup"; key: string } {
  if (spec.groupPoolRef) return { kind: "MultikeyGroup", key: `MultikeyGroup/${ns}/${spec.groupPoolRef.group}` };
  return { kind: "StakePool", key: `StakePool/${ns}/${spec.poolRef?.name ?? ""}` };
}

/** The same display as status.pool, from a spec alone (another rotation's, for the one-at-a-time rule). */
export function displayOf(spec: Partial<Pick<KesRotationSpec, "poolRef" | "groupPoolRef">> | undefined): string {
  if (spec?.groupPoolRef) return `${spec.groupPoolRef.group}/${spec.groupPoolRef.pool}`;
  return spec?.poolRef?.name ?? "";
}

export function targetOf(ctx: ReconcileContext, ns: string, spec: KesRotationSpec): RotationTarget {
  if (spec.groupPoolRef) return groupTarget(ctx, ns, spec.groupPoolRef);
  if (!spec.poolRef)
    throw new Stop("PoolNotFound", "spec names no pool: set poolRef (a StakePool) or groupPoolRef (a group's pool)");
  const name = spec.poolRef.name;
  const pool = ctx.get<Held>(KIND.StakePool, { namespace: ns, name });
  if (!pool) throw new Stop("PoolNotFound", `StakePool ${name} does not exist`);
  const parsed = stakePoolSpec.safeParse(pool.spec);
  if (!parsed.success) throw new Stop("PoolSpecInvalid", `StakePool ${name} has an invalid spec`);
  const status = pool.status as StakePoolStatus | undefined;
  const forging = status?.conditions?.find((c) => c.type === "Forging");
  const keysValid = status?.conditions?.find((c) => c.type === "KeysValid");
  return {
    kind: "StakePool",
    object: pool,
    display: name,
    label: `StakePool ${name}`,
    labelValue: name,
    spec: parsed.data,
    runningHash: status?.producer?.keysHash,
    revisionName: (hash) => keyRevisionName(name, hash),
    counterOnChain: status?.kes?.counterOnChain,
    forging: {
      status: (forging?.status as "True" | "False" | undefined) ?? "Unknown",
      reason: forging?.reason ?? "not reported",
      opcertCounter: status?.producer?.opcertCounter,
    },
    keysRefused: keysValid?.status === "False" ? keysValid.message : undefined,
    producerPod: `${names.producer(name)}-0`,
  };
}

function groupTarget(
  ctx: ReconcileContext,
  ns: string,
  ref: NonNullable<KesRotationSpec["groupPoolRef"]>,
): RotationTarget {
  const group = ctx.get<Held>(KIND.MultikeyGroup, { namespace: ns, name: ref.group });
  const label = `pool ${ref.pool} of MultikeyGroup ${ref.group}`;
  if (!group) throw new Stop("PoolNotFound", `MultikeyGroup ${ref.group} does not exist`);
  const parsed = multikeyGroupSpec.safeParse(group.spec);
  if (!parsed.success) throw new Stop("PoolSpecInvalid", `MultikeyGroup ${ref.group} has an invalid spec`);
  const entry = parsed.data.pools.find((p) => p.name === ref.pool);
  if (!entry)
    throw new Stop(
      "PoolNotFound",
      `MultikeyGroup ${ref.group} has no pool ${ref.pool} (spec.pools: ${parsed.data.pools.map((p) => p.name).join(", ")})`,
    );
  const status = (group.status as MultikeyGroupStatus | undefined)?.pools?.find((p) => p.name === ref.pool);
  const forgingNow = status?.forgingNow;
  return {
    kind: "MultikeyGroup",
    object: group,
    display: `${ref.group}/${ref.pool}`,
    label,
    labelValue: `${ref.group}-${ref.pool}`,
    spec: {
      network: parsed.data.network,
      image: parsed.data.image,
      keys: entry.keys,
      ...(entry.poolId ? { poolId: entry.poolId } : {}),
    },
    runningHash: status?.keysHash,
    revisionName: (hash) => groupKeyRevisionName(ref.group, ref.pool, hash),
    counterOnChain: status?.counterOnChain,
    forging: {
      status: forgingNow === undefined ? "Unknown" : forgingNow ? "True" : "False",
      reason: status?.reason ?? (forgingNow === undefined ? "not reported" : forgingNow ? "Forging" : "NotForging"),
      opcertCounter: status?.opcertCounter,
    },
    keysRefused:
      status?.keysValid === false
        ? `${status.reason ?? "KeysInvalid"} (see the MultikeyGroup's Events for pool ${ref.pool})`
        : undefined,
    producerPod: `${names.producer(ref.group)}-0`,
  };
}
