// ReconcileContext for one controller: reads from the informer caches, uncached reads for Secrets, server-side
// apply that sends nothing when nothing would change, and Events. Everything written for people or into
// status passes the secret redactor; every write is counted.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeCredentials } from "../../kube/credentials.ts";
import type { Logger } from "pino";
import { ApplyMemo, applyIsNoop, digest, toWire } from "./apply.ts";
import { CONTENT, isNotFound, type KubeApi, resourcePath } from "../../kube/client.ts";
import type { Controller, KindRef, ObjectKey, ReconcileContext } from "./context.ts";
import type { EventRecorder } from "./events.ts";
import type { Informer } from "./informer.ts";
import type { ManagerMetrics } from "./metrics.ts";
import type { SecretRedactor } from "./redact.ts";

export const kindId = (k: { apiVersion?: string; kind?: string }) => `${k.apiVersion}/${k.kind}`;

/** What every controller's context shares: the caches, the client, the kinds' REST names. */
export interface SharedState {
  kc: KubeCredentials;
  api: KubeApi;
  metrics: ManagerMetrics;
  redactor: SecretRedactor;
  memo: ApplyMemo;
  now: () => Date;
  /** The informer holding objects of a kind in a namespace (a namespace informer or the cluster-wide one). */
  informerFor(kind: { apiVersion?: string; kind?: string }, namespace: string): Informer | undefined;
  /** Every informer of a kind (one per watched namespace, or the cluster-wide one). */
  informersOf(kind: { apiVersion?: string; kind?: string }): Informer[];
  /** The REST description of a kind (plural, namespaced), from the controllers' KindRefs or discovery. */
  resolveKind(apiVersion: string, kind: string): Promise<KindRef>;
}

function matchesLabels(obj: KubernetesObject, labels?: Record<string, string>): boolean {
  if (!labels) return true;
  const have = obj.metadata?.labels ?? {};
  return Object.entries(labels).every(([k, v]) => have[k] === v);
}

export function makeContext(
  shared: SharedState,
  controller: Controller,
  events: EventRecorder,
  log: Logger,
): ReconcileContext {
  const { api, metrics, redactor, memo } = shared;
  const manager = controller.name;
  const wrote = (verb: string, kind: string) => metrics.writes.inc({ controller: manager, verb, kind });

  const cached = (kind: KindRef, namespace: string) => shared.informerFor(kind, namespace);

  /** GET from the API server; a Secret's values are registered with the redactor before anyone sees them. */
  async function fetchObject<T extends KubernetesObject>(
    kind: KindRef,
    namespace: string,
    name: string,
  ): Promise<T | undefined> {
    try {
      const obj = await api.request<T>("GET", resourcePath(kind, namespace, name));
      if (kind.kind === "Secret" && kind.apiVersion === "v1") {
        redactor.registerSecretData((obj as { data?: Record<string, string> }).data);
      }
      return obj;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async function live(kind: KindRef, namespace: string, name: string): Promise<KubernetesObject | undefined> {
    const inf = cached(kind, namespace);
    if (inf) return inf.get(namespace, name);
    return fetchObject(kind, namespace, name);
  }

  async function applyTo<T extends KubernetesObject>(desired: T, subresource?: "status"): Promise<T> {
    const apiVersion = desired.apiVersion;
    const kindName = desired.kind;
    const name = desired.metadata?.name;
    if (!apiVersion || !kindName || !name) {
      throw new Error(`${manager}: apply needs apiVersion, kind and metadata.name (got ${kindId(desired)} "${name}")`);
    }
    const kind = await shared.resolveKind(apiVersion, kindName);
    const namespace = kind.namespaced === false ? "" : (desired.metadata?.namespace ?? "");
    if (kind.namespaced !== false && !namespace) throw new Error(`${manager}: ${kindName} ${name} needs a namespace`);
    let body = toWire(desired);
    if (subresource === "status") {
      body = {
        apiVersion,
        kind: kindName,
        metadata: { name, ...(namespace ? { namespace } : {}) },
        status: redactor.scrubDeep(body.status ?? {}),
      };
    }
    const path = resourcePath(kind, namespace, name, subresource);
    const current = await live(kind, namespace, name);
    const dig = digest(body);
    if (
      memo.covers(path, dig, current?.metadata?.resourceVersion) ||
      applyIsNoop(body, current, manager, subresource)
    ) {
      metrics.skippedApplies.inc({ controller: manager, kind: kindName });
      return (current ?? desired) as T;
    }
    const result = await api.request<T>("PATCH", path, {
      query: { fieldManager: manager, force: true },
      body,
      contentType: CONTENT.apply,
    });
    wrote(subresource ? "apply-status" : "apply", kindName);
    log.debug({ kind: kindName, name, subresource }, "applied");
    memo.record(path, dig, result.metadata?.resourceVersion);
    return result;
  }

  return {
    kc: shared.kc,
    log,
    now: shared.now,
    get<T extends KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined {
      const inf = cached(kind, key.namespace);
      if (!inf)
        throw new Error(`${manager}: ${kindId(kind)} is not cached; list it in the controller's owns or watches`);
      return inf.get(key.namespace, key.name) as T | undefined;
    },
    list<T extends KubernetesObject>(
      kind: KindRef,
      namespace: string | undefined,
      labels?: Record<string, string>,
    ): T[] {
      if (namespace === undefined) {
        const all = shared.informersOf(kind);
        if (!all.length)
          throw new Error(`${manager}: ${kindId(kind)} is not cached; list it in the controller's owns or watches`);
        return all.flatMap((i) => i.list()).filter((o) => matchesLabels(o, labels)) as T[];
      }
      const inf = cached(kind, namespace);
      if (!inf)
        throw new Error(`${manager}: ${kindId(kind)} is not cached; list it in the controller's owns or watches`);
      return inf.list(kind.namespaced === false ? undefined : namespace).filter((o) => matchesLabels(o, labels)) as T[];
    },
    read: <T extends KubernetesObject>(kind: KindRef, key: ObjectKey) => fetchObject<T>(kind, key.namespace, key.name),
    apply: <T extends KubernetesObject>(desired: T) => applyTo(desired),
    applyStatus: <T extends KubernetesObject>(desired: T) => applyTo(desired, "status"),
    async delete(kind: KindRef, key: ObjectKey): Promise<void> {
      const path = resourcePath(kind, key.namespace, key.name);
      try {
        await api.request("DELETE", path, {
          body: { apiVersion: "v1", kind: "DeleteOptions", propagationPolicy: "Background" },
        });
        wrote("delete", kind.kind);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      memo.forget(path);
    },
    event: (regarding, type, reason, message) => events.record(regarding, type, reason, message),
  };
}
