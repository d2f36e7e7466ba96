// The prologue every controller shares, owned here once (kube-rs controller-rs's shape: a typed reconcile function
// and an error policy, nothing else): fetch the primary object from the cache; gone or being deleted -> forget
// what is kept about it; a spec the schema refuses -> Ready=False with reason SpecInvalid naming every field, one
// Warning Event, nothing else written; otherwise the controller's reconcile gets the parsed spec, the owner
// reference and a status writer. Controllers are then only what differs between kinds.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { z } from "zod";
import type { Owner } from "../../api/owner.ts";
import { rvNotNewer } from "./apply.ts";
import type { Controller, KindRef, ObjectKey, ReconcileContext, ReconcileResult, WatchMapper } from "./context.ts";

/** The reason every controller gives when its object's spec fails the schema. */
export const SPEC_INVALID = "SpecInvalid";

export interface PrimaryObject<Status> extends KubernetesObject {
  spec: unknown;
  status?: Status;
}

/** The object being reconciled, its parsed spec, and what every controller derives from it. */
export interface Primary<Spec, Status> {
  readonly key: ObjectKey;
  readonly object: PrimaryObject<Status>;
  readonly spec: Spec;
  /** The owner reference of every object this controller writes for the primary. */
  readonly owner: Owner;
  readonly generation: number | undefined;
  /** Server-side apply of the primary's status subresource (skipped when nothing would change). */
  writeStatus(status: Status): Promise<KubernetesObject>;
}

export interface TypedController<Spec, Status> {
  /** Also the field manager name, e.g. "poolfleet-stakepool". */
  readonly name: string;
  readonly primary: KindRef;
  readonly owns: readonly KindRef[];
  readonly watches?: readonly { kind: KindRef; map: WatchMapper }[];
  /** The kind's schema (api/*.ts); the only way a spec reaches `reconcile`. */
  readonly spec: z.ZodType<Spec>;
  reconcile(ctx: ReconcileContext, primary: Primary<Spec, Status>): Promise<ReconcileResult>;
  /**
   * The status written for a spec the schema refuses: the controller's own shape around the Ready condition the
   * adapter computed. Returns the result (a poll interval, say) the manager schedules.
   */
  invalidSpec(
    ctx: ReconcileContext,
    primary: Omit<Primary<Spec, Status>, "spec">,
    message: string,
  ): Promise<ReconcileResult>;
  /** The primary is gone or being deleted: drop what the controller keeps about it (gauges, maps). */
  forget?(key: ObjectKey): void;
  /** See Controller.errorPolicy. */
  errorPolicy?(error: unknown, key: ObjectKey): ReconcileResult | undefined;
}

/** "spec is not valid: a.b: message; c: message": every refused field, by its path. */
export function specInvalidMessage(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return `spec is not valid: ${issues.map((i) => `${["spec", ...i.path.map(String)].join(".")}: ${i.message}`).join("; ")}`;
}

export function typedController<Spec, Status>(def: TypedController<Spec, Status>): Controller {
  // The status this controller last wrote per object, with the resourceVersion the server answered. The informer
  // may not have caught up with that write when the next reconcile starts; a status computed from the older copy
  // (conditions' transition times, counters) would differ from the one just written and be written again, so the
  // one we wrote wins over a copy that is not newer.
  const written = new Map<string, { rv: string; status: Status }>();
  const id = (key: ObjectKey) => `${key.namespace}/${key.name}`;
  async function reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
    const cached = ctx.get<PrimaryObject<Status>>(def.primary, key);
    if (!cached?.metadata?.uid || cached.metadata.deletionTimestamp) {
      written.delete(id(key));
      def.forget?.(key);
      return {};
    }
    const mine = written.get(id(key));
    const object =
      mine && rvNotNewer(cached.metadata.resourceVersion, mine.rv) ? { ...cached, status: mine.status } : cached;
    const md = cached.metadata;
    const owner: Owner = {
      apiVersion: object.apiVersion ?? def.primary.apiVersion,
      kind: def.primary.kind,
      name: key.name,
      namespace: key.namespace,
      uid: md.uid!,
    };
    const base = {
      key,
      object,
      owner,
      generation: md.generation,
      writeStatus: async (status: Status) => {
        const result = await ctx.applyStatus({
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          metadata: { name: key.name, namespace: key.namespace },
          status,
        } as KubernetesObject);
        const rv = result.metadata?.resourceVersion;
        const back = (result as PrimaryObject<Status>).status;
        if (rv && back !== undefined) written.set(id(key), { rv, status: back });
        return result;
      },
    };
    const parsed = def.spec.safeParse(object.spec);
    if (!parsed.success) {
      const message = specInvalidMessage(parsed.error.issues);
      await ctx.event(object, "Warning", SPEC_INVALID, message);
      return def.invalidSpec(ctx, base, message);
    }
    return def.reconcile(ctx, { ...base, spec: parsed.data });
  }
  return {
    name: def.name,
    primary: def.primary,
    owns: def.owns,
    ...(def.watches ? { watches: def.watches } : {}),
    reconcile,
    ...(def.errorPolicy ? { errorPolicy: def.errorPolicy } : {}),
  };
}
