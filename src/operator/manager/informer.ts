// One kind (in one namespace, or all) kept in memory by list + watch, under a supervisor: any failure restarts
// it with exponential backoff and a full relist (the relist's diff reports what changed or vanished meanwhile);
// 410 Gone (the resourceVersion fell out of the server's window) relists at once. Handlers only learn that an
// object changed; controllers read the cache, so a missed or repeated notification is harmless.
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { isGone, type KubeApi, type ObjectList, resourcePath, type WatchEvent } from "../../kube/client.ts";
import type { KindRef } from "./context.ts";

export type ChangeHandler = (obj: KubernetesObject, kind: "add" | "update" | "delete") => void;

export interface InformerOptions {
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Server-side watch timeout; the stream is then re-opened from the last resourceVersion. */
  watchTimeoutSeconds?: number;
  pageSize?: number;
  /** Applied to every object before it is cached (the manager trims what no controller reads). */
  transform?: (obj: KubernetesObject) => KubernetesObject;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

function keyOf(obj: KubernetesObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

export class Informer {
  readonly kind: KindRef;
  readonly namespace: string | undefined;
  private readonly api: KubeApi;
  private readonly log: Logger;
  private readonly opts: Required<Omit<InformerOptions, "transform">>;
  private readonly transform: (obj: KubernetesObject) => KubernetesObject;
  private readonly objects = new Map<string, KubernetesObject>();
  private readonly handlers: ChangeHandler[] = [];
  private resourceVersion = "";
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** Restarts after failures and relists, for metrics and tests. */
  readonly stats = { restarts: 0, relists: 0, lastError: "" };

  constructor(api: KubeApi, kind: KindRef, namespace: string | undefined, log: Logger, opts: InformerOptions = {}) {
    this.api = api;
    this.kind = kind;
    this.namespace = namespace;
    this.log = log.child({ informer: kind.kind, namespace: namespace ?? "*" });
    this.opts = {
      backoffBaseMs: opts.backoffBaseMs ?? 500,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      watchTimeoutSeconds: opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 120),
      pageSize: opts.pageSize ?? 500,
    };
    this.transform = opts.transform ?? ((o) => o);
  }

  onChange(handler: ChangeHandler): void {
    this.handlers.push(handler);
  }

  get synced(): boolean {
    return this.syncedOnce;
  }

  waitSynced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(namespace: string, name: string): KubernetesObject | undefined {
    return this.objects.get(`${this.kind.namespaced === false ? "" : namespace}/${name}`);
  }

  list(namespace?: string): KubernetesObject[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => (o.metadata?.namespace ?? "") === namespace);
  }

  get size(): number {
    return this.objects.size;
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
  }

  private emit(obj: KubernetesObject, kind: "add" | "update" | "delete"): void {
    for (const h of this.handlers) {
      try {
        h(obj, kind);
      } catch (e) {
        this.log.error({ err: (e as Error).message }, "change handler failed");
      }
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!this.resourceVersion) await this.relist(signal);
        if (signal.aborted) break;
        await this.api.watch(
          resourcePath(this.kind, this.namespace),
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: this.opts.watchTimeoutSeconds,
          },
          (e) => this.onEvent(e),
          signal,
        );
        failures = 0; // a clean close: watch again from where we are
      } catch (e) {
        if (signal.aborted) break;
        this.resourceVersion = "";
        if (isGone(e)) {
          this.log.info("resourceVersion expired (410 Gone): relisting");
          continue;
        }
        failures++;
        this.stats.restarts++;
        this.stats.lastError = (e as Error).message;
        const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (failures - 1));
        const jittered = delay / 2 + Math.random() * (delay / 2);
        this.log.warn({ err: (e as Error).message, retryInMs: Math.round(jittered) }, "list/watch failed; restarting");
        await sleep(jittered, signal);
      }
    }
  }

  /** Lists every page, replaces the cache and reports the difference. */
  private async relist(signal: AbortSignal): Promise<void> {
    const items: KubernetesObject[] = [];
    let cont: string | undefined;
    let rv: string;
    do {
      const page = await this.api.request<ObjectList>("GET", resourcePath(this.kind, this.namespace), {
        query: { limit: this.opts.pageSize, continue: cont },
        signal,
      });
      items.push(...page.items);
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? "";
    } while (cont);
    this.stats.relists++;
    const seen = new Set<string>();
    // A list's items omit apiVersion and kind; the watch's carry them. Keep the cache uniform.
    for (const listed of items) {
      const item = this.transform(listed);
      item.apiVersion = this.kind.apiVersion;
      item.kind = this.kind.kind;
      const key = keyOf(item);
      seen.add(key);
      const old = this.objects.get(key);
      this.objects.set(key, item);
      if (!old) this.emit(item, "add");
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion) this.emit(item, "update");
    }
    for (const [key, old] of this.objects) {
      if (!seen.has(key)) {
        this.objects.delete(key);
        this.emit(old, "delete");
      }
    }
    this.resourceVersion = rv;
    if (!this.syncedOnce) {
      this.syncedOnce = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private onEvent(e: WatchEvent): void {
    const obj = this.transform(e.object);
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (e.type === "BOOKMARK") return;
    const key = keyOf(obj);
    if (e.type === "DELETED") {
      this.objects.delete(key);
      this.emit(obj, "delete");
      return;
    }
    const existed = this.objects.has(key);
    this.objects.set(key, obj);
    this.emit(obj, existed ? "update" : "add");
  }
}
