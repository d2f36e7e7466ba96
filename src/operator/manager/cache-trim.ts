// What an informer's cache keeps of an object. With a thousand pools the caches hold ~15 000 objects and are most
// of the operator's memory, so each object is made smaller on its way in:
//   - other managers' managedFields go, and kubectl's last-applied annotation (no controller reads them);
//   - our own managers' entries stay (the no-op apply check reads them) but as their JSON text, parsed only when
//     that check runs: a fieldsV1 tree mirrors every field we set and costs ~3x its text as objects;
//   - short string values that repeat across objects (labels, images, apiVersions, flags) share one copy.
import type { KubernetesObject } from "@kubernetes/client-node";

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

/** Values unique to one object: interning them would only fill the pool. */
const UNIQUE_FIELDS = new Set(["uid", "resourceVersion", "creationTimestamp", "time", "lastTransitionTime", "name"]);
const MAX_INTERNED_LENGTH = 64;

/** One shared copy of each short string seen, up to `max` distinct strings. */
export class StringPool {
  private readonly strings = new Map<string, string>();
  private readonly max: number;
  constructor(max = 50_000) {
    this.max = max;
  }
  get size(): number {
    return this.strings.size;
  }
  intern(s: string): string {
    if (s.length > MAX_INTERNED_LENGTH) return s;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size < this.max) this.strings.set(s, s);
    return s;
  }
}

function internDeep(value: unknown, pool: StringPool): unknown {
  if (typeof value === "string") return pool.intern(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = internDeep(value[i], pool);
    return value;
  }
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      if (typeof v === "string" && UNIQUE_FIELDS.has(k)) continue;
      obj[k] = internDeep(v, pool);
    }
  }
  return value;
}

/** Shrinks `obj` in place for the cache (see the file comment); `managers` are our field managers. */
export function trimForCache(obj: KubernetesObject, managers: ReadonlySet<string>, pool: StringPool): KubernetesObject {
  const md = obj.metadata;
  if (md?.managedFields) {
    md.managedFields = md.managedFields
      .filter((e) => managers.has(e.manager ?? ""))
      .map((e) => ({ ...e, fieldsV1: JSON.stringify(e.fieldsV1 ?? {}) as unknown as object }));
  }
  if (md?.annotations?.[LAST_APPLIED] !== undefined) delete md.annotations[LAST_APPLIED];
  return internDeep(obj, pool) as KubernetesObject;
}
