// One pool id, one claimant (issue 16): in the cluster a pool id may be claimed by exactly one StakePool or one main
// MultikeyGroup (its backups name it and claim nothing of their own). Two claimants would be two producers forging
// for one pool — a fork of its own chain. The older claim wins (creationTimestamp, then namespace/name, then kind:
// a total order every controller computes the same way), so the two controllers never both refuse or both accept.
//
// A claim is what the claimant says of itself: spec.poolId, or the pool id its gate read (status.poolId, or a
// group's status.pools[].poolId). Every namespace the manager watches is searched; the loser re-checks on its poll,
// so deleting the winner lets it through.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { GateResult } from "../../keys/secret-gate.ts";
import { poolIdHex } from "../../keys/secret-gate.ts";
import { KIND } from "../kind-refs.ts";
import type { ReconcileContext } from "../manager/context.ts";

export type ClaimantKind = "StakePool" | "MultikeyGroup";

export interface Claimant {
  kind: ClaimantKind;
  namespace: string;
  name: string;
  /** metadata.creationTimestamp (RFC 3339, whole seconds). */
  created: string;
}

export const POOL_CLAIMED = "PoolClaimed";

export const claimantName = (c: Pick<Claimant, "kind" | "namespace" | "name">) => `${c.kind} ${c.namespace}/${c.name}`;

interface Claimable extends KubernetesObject {
  spec?: {
    poolId?: string;
    pools?: { poolId?: string }[];
    redundancy?: { level?: number };
  };
  status?: { poolId?: string; pools?: { poolId?: string }[] };
}

function hexIds(ids: (string | undefined)[]): Set<string> {
  const out = new Set<string>();
  for (const id of ids) {
    const hex = id ? poolIdHex(id) : undefined;
    if (hex) out.add(hex);
  }
  return out;
}

/** The pool ids (hex) an object claims. A backup group (redundancy.level > 0) claims none. */
export function claimedIds(kind: ClaimantKind, obj: Claimable): Set<string> {
  if (kind === "StakePool") return hexIds([obj.spec?.poolId, obj.status?.poolId]);
  if ((obj.spec?.redundancy?.level ?? 0) > 0) return new Set();
  return hexIds([...(obj.spec?.pools ?? []).map((p) => p.poolId), ...(obj.status?.pools ?? []).map((p) => p.poolId)]);
}

export function claimantOf(kind: ClaimantKind, obj: KubernetesObject): Claimant {
  const md = obj.metadata ?? {};
  const created = md.creationTimestamp as unknown;
  return {
    kind,
    namespace: md.namespace ?? "",
    name: md.name ?? "",
    created: created instanceof Date ? created.toISOString() : String(created ?? ""),
  };
}

/** Negative when `a` claimed first. Timestamps compare as instants; ties fall to namespace/name, then kind. */
export function compareClaims(a: Claimant, b: Claimant): number {
  const ta = Date.parse(a.created);
  const tb = Date.parse(b.created);
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta - tb;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}

const same = (a: Claimant, b: Claimant) => a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

/**
 * The claimant older than `self` that claims `poolId` (bech32 or hex), or undefined when `self` claims it first.
 * Reads the StakePool and MultikeyGroup caches of every watched namespace.
 */
export function earlierClaimant(ctx: ReconcileContext, self: Claimant, poolId: string): Claimant | undefined {
  const hex = poolIdHex(poolId);
  if (!hex) return undefined;
  let first: Claimant | undefined;
  for (const kind of ["StakePool", "MultikeyGroup"] as const) {
    for (const obj of ctx.list<Claimable>(KIND[kind], undefined)) {
      if (obj.metadata?.deletionTimestamp) continue;
      const c = claimantOf(kind, obj);
      if (same(c, self) || !claimedIds(kind, obj).has(hex)) continue;
      if (compareClaims(c, self) < 0 && (!first || compareClaims(c, first) < 0)) first = c;
    }
  }
  return first;
}

export function claimedMessage(poolId: string, first: Claimant, self: Claimant): string {
  return (
    `pool ${poolId} is already claimed by ${claimantName(first)}, created before ${claimantName(self)}: a pool id ` +
    "may be claimed by one StakePool or one main MultikeyGroup in the cluster (two would be two forgers for one " +
    `pool). Remove the pool from one of them; ${claimantName(self)} is refused for it meanwhile.`
  );
}

/**
 * The gate's result, or a refusal (reason PoolClaimed, naming the first claimant) when the key set passed but its
 * pool id is claimed by an older StakePool or main MultikeyGroup.
 */
export function refuseIfClaimed(ctx: ReconcileContext, self: Claimant, result: GateResult): GateResult {
  if (!result.passed || !result.poolId) return result;
  const first = earlierClaimant(ctx, self, result.poolId);
  if (!first) return result;
  return {
    ...result,
    passed: false,
    failure: { check: "pool-id", reason: POOL_CLAIMED, message: claimedMessage(result.poolId, first, self) },
  };
}
