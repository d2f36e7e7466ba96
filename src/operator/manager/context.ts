// The contract between the manager and its controllers. A controller is a reconcile function of one object key,
// an optional error policy, and the kinds it watches (typed-controller.ts builds one from a schema and a typed
// reconcile); the manager owns everything else (informers, the work queue, retries, leader
// election, metrics). Controllers never talk to the API server except through ReconcileContext, so every write is
// server-side apply under the controller's own field manager and every read comes from the informers' caches.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KindRef } from "../../kube/client.ts";
import type { KubeCredentials } from "../../kube/credentials.ts";
import type { Logger } from "pino";

export interface ObjectKey {
  namespace: string;
  name: string;
}

/** A kind the manager watches: group/version, kind, and the REST plural (defined beside the REST paths). */
export type { KindRef };

export interface ReconcileResult {
  /** Reconcile this key again after this long even if nothing changes (status polling, timers). */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  readonly kc: KubeCredentials;
  /** Child logger with the controller and object key bound. Never pass secret bytes to it. */
  readonly log: Logger;
  /** The clock; tests move it. */
  now(): Date;
  /** The object from the informer cache, or undefined when it does not exist. */
  get<T extends KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined;
  /**
   * Objects of a kind from the cache, in a namespace (undefined: every namespace the manager watches), optionally
   * filtered by labels.
   */
  list<T extends KubernetesObject>(kind: KindRef, namespace: string | undefined, labels?: Record<string, string>): T[];
  /**
   * Reads an object the manager does not cache (a Secret named by a spec: the operator may `get` Secrets but not
   * list or watch them). Undefined when it does not exist.
   */
  read<T extends KubernetesObject>(kind: KindRef, key: ObjectKey): Promise<T | undefined>;
  /**
   * Server-side apply (force) of a whole desired object under the controller's field manager. Sends nothing when
   * the cached live object already holds every desired field with the same value, so reconciling an unchanged
   * object writes nothing. Returns the live object.
   */
  apply<T extends KubernetesObject>(desired: T): Promise<T>;
  /** The same for the status subresource: `desired` holds apiVersion, kind, metadata.name/namespace and status. */
  applyStatus<T extends KubernetesObject>(desired: T): Promise<T>;
  delete(kind: KindRef, key: ObjectKey): Promise<void>;
  /**
   * Records an Event for a person (events.k8s.io/v1). Repeats of the same (object, type, reason, message) within a
   * window are counted into one Event rather than written again.
   */
  event(regarding: KubernetesObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

/** Maps a change of a watched object to the primary keys to reconcile (owner references are handled for you). */
export type WatchMapper = (obj: KubernetesObject) => ObjectKey[];

export interface Controller {
  /** Also the field manager name, e.g. "poolfleet-stakepool". */
  readonly name: string;
  readonly primary: KindRef;
  /** Kinds this controller creates with a controller owner reference to the primary; changes requeue the owner. */
  readonly owns: readonly KindRef[];
  /** Other kinds whose changes map to primary keys (a Relay naming a pool, a ConfigMap holding a cold key). */
  readonly watches?: readonly { kind: KindRef; map: WatchMapper }[];
  reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult>;
  /**
   * What to do when reconcile throws (kube-rs's error_policy): a result to schedule instead, or undefined for the
   * default, a per-key exponential backoff (queue.ts). Never called for an error the reconcile handled itself.
   */
  errorPolicy?(error: unknown, key: ObjectKey): ReconcileResult | undefined;
}
