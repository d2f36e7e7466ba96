// Server-side apply, and the test that lets a reconcile of an unchanged object send nothing: an apply is a no-op
// when the live object already holds every desired field with the same value AND every field our field manager
// owns is still in the desired object (otherwise the apply would remove the dropped field). Ownership comes
// from the live object's managedFields. A memo of our last apply per object covers what the comparison cannot
// see: values the server normalises ("1.5Gi" -> "1536Mi") and a cache that has not yet caught up with our write.
import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  /** The field set; the informer caches keep it as its JSON text (cache-trim.ts). */
  fieldsV1?: Record<string, unknown> | string;
}

/**
 * The object as JSON, as the API server spells it: a clone without undefined fields. Builders write wire field
 * names (NetworkPolicy's `from`, not client-node's model name `_from`), so no model serializer is needed; loading
 * client-node's would cost the operator every generated model (~85 MB resident).
 */
export function toWire<T extends KubernetesObject>(obj: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every field of `desired` is in `live` with the same value (lists compare element by element). */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => isSubset(d, live[i]));
  }
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || isSubset(v, live[k]));
  }
  if (desired === null) return live === null || live === undefined;
  return desired === live;
}

function matchesKey(element: unknown, key: Record<string, unknown>): boolean {
  return isObject(element) && Object.entries(key).every(([k, v]) => isSubset(v, element[k]) && isSubset(element[k], v));
}

/** Every field listed in a managedFields set (FieldsV1) is present in `desired`. */
export function ownedFieldsPresent(fields: Record<string, unknown>, desired: unknown): boolean {
  for (const [path, sub] of Object.entries(fields)) {
    if (path === ".") continue;
    let child: unknown;
    if (path.startsWith("f:")) {
      if (!isObject(desired)) return false;
      child = desired[path.slice(2)];
    } else if (path.startsWith("k:")) {
      if (!Array.isArray(desired)) return false;
      const key = JSON.parse(path.slice(2)) as Record<string, unknown>;
      child = desired.find((e) => matchesKey(e, key));
    } else if (path.startsWith("v:")) {
      if (!Array.isArray(desired)) return false;
      const value = JSON.parse(path.slice(2)) as unknown;
      child = desired.find((e) => isSubset(e, value) && isSubset(value, e));
    } else if (path.startsWith("i:")) {
      if (!Array.isArray(desired)) return false;
      child = desired[Number(path.slice(2))];
    } else return false;
    if (child === undefined) return false;
    if (isObject(sub) && Object.keys(sub).length > 0 && !ownedFieldsPresent(sub, child)) return false;
  }
  return true;
}

/** True when applying `desired` as `manager` (to the main resource or to status) would change nothing. */
export function applyIsNoop(
  desired: Record<string, unknown>,
  live: KubernetesObject | undefined,
  manager: string,
  subresource?: "status",
): boolean {
  if (!live) return false;
  if (!isSubset(desired, live)) return false;
  const entries = (live.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
  const ours = entries.filter(
    (e) => e.manager === manager && e.operation === "Apply" && (e.subresource ?? "") === (subresource ?? ""),
  );
  return ours.every((e) => {
    const fields = typeof e.fieldsV1 === "string" ? (JSON.parse(e.fieldsV1) as Record<string, unknown>) : e.fieldsV1;
    return ownedFieldsPresent(fields ?? {}, desired);
  });
}

export function digest(obj: unknown): string {
  return createHash("sha256").update(JSON.stringify(obj)).digest("hex");
}

/** resourceVersion a <= b when both are the integers etcd hands out; unknown otherwise. */
export function rvNotNewer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) <= BigInt(b);
}

/** What we last applied to one object: its digest and the resourceVersion the server answered with. */
export class ApplyMemo {
  private readonly entries = new Map<string, { digest: string; rv: string }>();
  private readonly max: number;
  constructor(max = 100_000) {
    this.max = max;
  }
  /** The live object is the one our identical last apply produced (or an older cached copy of it). */
  covers(path: string, desiredDigest: string, liveRv: string | undefined): boolean {
    const e = this.entries.get(path);
    return e !== undefined && e.digest === desiredDigest && rvNotNewer(liveRv, e.rv);
  }
  record(path: string, desiredDigest: string, rv: string | undefined): void {
    if (!rv) return;
    this.entries.delete(path);
    this.entries.set(path, { digest: desiredDigest, rv });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
  forget(path: string): void {
    this.entries.delete(path);
  }
}
