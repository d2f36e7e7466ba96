// An in-memory ReconcileContext, for unit tests of a controller's step logic (issue 13): objects live in a map,
// apply replaces an object's fields with the desired ones (keeping uid, status and a bumped resourceVersion),
// applyStatus replaces status, Events and writes are recorded in order. It is a stand-in, named as such: it has no
// field ownership, admission, conflicts or watches, so behaviour that depends on those (a second reconcile writes
// nothing, the operator killed at every write, Jobs run as pods) is tested on a real API server instead
// (test/operator/kesrotation.test.ts, test/cluster/).
import type { KubernetesObject } from "@kubernetes/client-node";
import pino from "pino";
import type { KubeCredentials } from "../../src/kube/credentials.ts";
import type { KindRef, ObjectKey, ReconcileContext } from "../../src/operator/manager/context.ts";

export interface RecordedEvent {
  kind: string;
  name: string;
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}
export interface RecordedWrite {
  verb: "apply" | "apply-status" | "delete";
  kind: string;
  name: string;
}

const idOf = (k: { apiVersion?: string; kind?: string }, ns: string, name: string) =>
  `${k.apiVersion}/${k.kind}/${ns}/${name}`;

export class MemoryContext implements ReconcileContext {
  readonly kc = {} as KubeCredentials;
  readonly logLines: string[] = [];
  readonly log = pino({ level: "debug" }, { write: (line: string) => void this.logLines.push(line) });
  readonly events: RecordedEvent[] = [];
  readonly writes: RecordedWrite[] = [];
  private readonly objects = new Map<string, KubernetesObject>();
  private rv = 1;
  private uid = 1;
  nowMs: number;

  constructor(now: Date) {
    this.nowMs = now.getTime();
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  /** Seeds (or replaces) an object as the API server would hold it: uid and resourceVersion filled in. */
  put<T extends KubernetesObject>(obj: T): T {
    const md = obj.metadata ?? {};
    const stored = {
      ...obj,
      metadata: {
        ...md,
        uid: md.uid ?? `uid-${this.uid++}`,
        resourceVersion: String(this.rv++),
        generation: md.generation ?? 1,
      },
    } as T;
    this.objects.set(idOf(obj, md.namespace ?? "", md.name ?? ""), structuredClone(stored));
    return stored;
  }

  get<T extends KubernetesObject>(kind: KindRef, key: ObjectKey): T | undefined {
    const o = this.objects.get(idOf(kind, key.namespace, key.name));
    return o ? (structuredClone(o) as T) : undefined;
  }

  list<T extends KubernetesObject>(kind: KindRef, namespace: string | undefined, labels?: Record<string, string>): T[] {
    const prefix = `${kind.apiVersion}/${kind.kind}/${namespace ?? ""}`;
    return [...this.objects.entries()]
      .filter(([id]) =>
        namespace === undefined ? id.startsWith(`${kind.apiVersion}/${kind.kind}/`) : id.startsWith(`${prefix}/`),
      )
      .map(([, o]) => o)
      .filter((o) => Object.entries(labels ?? {}).every(([k, v]) => o.metadata?.labels?.[k] === v))
      .map((o) => structuredClone(o) as T);
  }

  read<T extends KubernetesObject>(kind: KindRef, key: ObjectKey): Promise<T | undefined> {
    return Promise.resolve(this.get<T>(kind, key));
  }

  apply<T extends KubernetesObject>(desired: T): Promise<T> {
    const md = desired.metadata!;
    const live = this.objects.get(idOf(desired, md.namespace ?? "", md.name!)) as
      (T & { status?: unknown }) | undefined;
    this.writes.push({ verb: "apply", kind: desired.kind!, name: md.name! });
    const next = { ...desired, ...(live?.status !== undefined ? { status: live.status } : {}) };
    next.metadata = { ...md, ...(live?.metadata?.uid ? { uid: live.metadata.uid } : {}) };
    return Promise.resolve(this.put(next));
  }

  applyStatus<T extends KubernetesObject>(desired: T): Promise<T> {
    const md = desired.metadata!;
    const live = this.objects.get(idOf(desired, md.namespace ?? "", md.name!));
    if (!live) return Promise.reject(new Error(`${desired.kind} ${md.namespace}/${md.name} not found`));
    this.writes.push({ verb: "apply-status", kind: desired.kind!, name: md.name! });
    return Promise.resolve(this.put({ ...live, status: (desired as { status?: unknown }).status } as unknown as T));
  }

  delete(kind: KindRef, key: ObjectKey): Promise<void> {
    if (this.objects.delete(idOf(kind, key.namespace, key.name)))
      this.writes.push({ verb: "delete", kind: kind.kind, name: key.name });
    return Promise.resolve();
  }

  event(regarding: KubernetesObject, type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    this.events.push({ kind: regarding.kind ?? "", name: regarding.metadata?.name ?? "", type, reason, message });
    return Promise.resolve();
  }
}
