// The manager: informers for every kind the controllers name, one work queue and a few workers per controller,
// leader election in front of the controllers, metrics and health endpoints, and a graceful stop. Caches start
// on every replica (a standby that wins the lease starts reconciling from a warm cache); only the leader
// reconciles. Losing the lease stops the controllers and ends `done` with "lost": the process exits and its
// replacement campaigns afresh, as controller-runtime does.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeCredentials } from "../../kube/credentials.ts";
import type { Logger } from "pino";
import { ApplyMemo } from "./apply.ts";
import { type KubeApi, KubeClient, type Method } from "../../kube/client.ts";
import type { Controller, KindRef, ObjectKey, ReconcileResult } from "./context.ts";
import { EventRecorder } from "./events.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { type ElectionEnd, LeaderElector, type LeaderOptions } from "./lease-election.ts";
import { type Endpoint, listen, ManagerMetrics } from "./metrics.ts";
import { WorkQueue, type QueueOptions } from "./queue.ts";
import { kindId, makeContext, type SharedState } from "./reconcile-context.ts";
import { SecretRedactor } from "./redact.ts";
import { StringPool, trimForCache } from "./cache-trim.ts";

export interface ManagerOptions {
  kc: KubeCredentials;
  controllers: readonly Controller[];
  log: Logger;
  /** Namespaces to watch; empty or absent: all. */
  namespaces?: readonly string[];
  /** Lease settings; absent: no election, this instance leads at once. */
  leaderElection?: Omit<LeaderOptions, "identity" | "name"> & { name?: string; identity?: string };
  workersPerController?: number;
  metricsAddr?: string;
  healthAddr?: string;
  /** Every primary object is reconciled again this often even without changes (drift of uncached objects). */
  resyncMs?: number;
  informer?: InformerOptions;
  queue?: QueueOptions;
  /** The API client; tests wrap it to inject faults the real API server cannot produce on demand. */
  api?: KubeApi;
  metrics?: ManagerMetrics;
  redactor?: SecretRedactor;
  now?: () => Date;
  /** How long a graceful stop waits for reconciles in flight. */
  stopTimeoutMs?: number;
}

export type ManagerEnd = ElectionEnd;

const sameGroup = (a: string, b: string) => a.split("/").slice(0, -1).join("/") === b.split("/").slice(0, -1).join("/");

export class Manager {
  readonly metrics: ManagerMetrics;
  readonly redactor: SecretRedactor;
  readonly identity: string;
  /** Resolves when the manager stops: "stopped" after stop(), "lost" when leadership was lost. */
  readonly done: Promise<ManagerEnd>;
  private resolveDone!: (end: ManagerEnd) => void;
  private readonly opts: ManagerOptions;
  private readonly log: Logger;
  private readonly api: KubeApi;
  private readonly ownClient: KubeClient | undefined;
  private readonly informers = new Map<string, Informer>();
  private readonly kinds = new Map<string, KindRef>();
  private readonly discovered = new Map<string, Promise<KindRef[]>>();
  private readonly queues = new Map<string, WorkQueue>();
  private readonly workers: Promise<void>[] = [];
  private readonly endpoints: Endpoint[] = [];
  private readonly election = new AbortController();
  private elector: LeaderElector | undefined;
  private electionDone: Promise<ElectionEnd> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private leading = false;
  private stopping = false;
  private readonly shared: SharedState;
  private readonly fieldManagers: Set<string>;

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.metrics = opts.metrics ?? new ManagerMetrics();
    this.redactor = opts.redactor ?? new SecretRedactor();
    this.identity = opts.leaderElection?.identity ?? `${hostname()}_${randomBytes(4).toString("hex")}`;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (opts.api) this.api = opts.api;
    else {
      this.ownClient = new KubeClient(opts.kc);
      this.api = this.ownClient;
    }
    this.fieldManagers = new Set(opts.controllers.map((c) => c.name));
    for (const c of opts.controllers) {
      for (const k of [c.primary, ...c.owns, ...(c.watches ?? []).map((w) => w.kind)]) this.kinds.set(kindId(k), k);
      this.queues.set(c.name, new WorkQueue(opts.queue));
    }
    const memo = new ApplyMemo();
    this.shared = {
      kc: opts.kc,
      api: this.api,
      metrics: this.metrics,
      redactor: this.redactor,
      memo,
      now: opts.now ?? (() => new Date()),
      informerFor: (kind, namespace) =>
        this.informers.get(`${kindId(kind)}@${namespace}`) ?? this.informers.get(`${kindId(kind)}@*`),
      informersOf: (kind) =>
        [...this.informers.entries()].filter(([k]) => k.startsWith(`${kindId(kind)}@`)).map(([, i]) => i),
      resolveKind: (apiVersion, kind) => this.resolveKind(apiVersion, kind),
    };
  }

  private readonly strings = new StringPool();
  /** Every object an informer caches goes through this (cache-trim.ts says what is dropped and why). */
  private readonly trim = (obj: KubernetesObject): KubernetesObject =>
    trimForCache(obj, this.fieldManagers, this.strings);

  /** Counts requests by method on the manager's own client (tests: "a second reconcile writes nothing"). */
  onRequest(listener: (method: Method, path: string) => void): void {
    this.ownClient?.onRequest(listener);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Every informer has listed once. */
  get ready(): boolean {
    return [...this.informers.values()].every((i) => i.synced);
  }

  informerStats(): { kind: string; namespace: string; restarts: number; relists: number; size: number }[] {
    return [...this.informers.values()].map((i) => ({
      kind: i.kind.kind,
      namespace: i.namespace ?? "*",
      ...i.stats,
      size: i.size,
    }));
  }

  /** Queues a key for a controller (tests; and the resync). */
  enqueue(controller: string, key: ObjectKey): void {
    this.queues.get(controller)?.add(`${key.namespace}/${key.name}`);
  }

  /** Keys queued, running or waiting on a timer, over all controllers. */
  get pendingWork(): number {
    return [...this.queues.values()].reduce((a, q) => a + q.pending, 0);
  }

  async start(): Promise<void> {
    await this.startEndpoints();
    const namespaces = this.opts.namespaces?.length ? this.opts.namespaces : [undefined];
    for (const kind of this.kinds.values()) {
      for (const ns of kind.namespaced === false ? [undefined] : namespaces) {
        const inf = new Informer(this.api, kind, ns, this.log, { transform: this.trim, ...this.opts.informer });
        inf.onChange((obj) => this.route(kind, obj));
        this.informers.set(`${kindId(kind)}@${ns ?? "*"}`, inf);
        inf.start();
      }
    }
    const le = this.opts.leaderElection;
    if (!le) {
      void this.becomeLeader();
      return;
    }
    this.elector = new LeaderElector(this.api, this.log, {
      ...le,
      name: le.name ?? "poolfleet-operator",
      identity: this.identity,
    });
    this.electionDone = this.elector.run(this.election.signal, () => void this.becomeLeader());
    void this.electionDone.then(async (end) => {
      if (end !== "lost") return;
      this.metrics.leader.set(0);
      this.leading = false;
      await this.stopControllers();
      this.resolveDone("lost");
    });
  }

  private async becomeLeader(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitSynced()));
    if (this.stopping || this.election.signal.aborted) return;
    this.leading = true;
    this.metrics.leader.set(1);
    this.log.info({ identity: this.identity }, "leading: starting controllers");
    for (const c of this.opts.controllers) {
      for (const obj of this.primaries(c)) this.enqueue(c.name, this.keyOf(obj));
      const events = new EventRecorder(this.api, this.log, this.redactor, {
        controller: `poolfleet.io/${c.name}`,
        instance: this.identity.slice(0, 128),
      });
      for (let i = 0; i < (this.opts.workersPerController ?? 4); i++) this.workers.push(this.work(c, events));
    }
    const resync = this.opts.resyncMs ?? 10 * 60_000;
    this.resyncTimer = setInterval(() => {
      for (const c of this.opts.controllers) for (const obj of this.primaries(c)) this.enqueue(c.name, this.keyOf(obj));
    }, resync);
    this.resyncTimer.unref();
  }

  private primaries(c: Controller): KubernetesObject[] {
    return [...this.informers.values()].filter((i) => kindId(i.kind) === kindId(c.primary)).flatMap((i) => i.list());
  }

  private keyOf(obj: KubernetesObject): ObjectKey {
    return { namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "" };
  }

  /** A change to a watched object queues the primaries it concerns. */
  private route(kind: KindRef, obj: KubernetesObject): void {
    const id = kindId(kind);
    for (const c of this.opts.controllers) {
      if (id === kindId(c.primary)) this.enqueue(c.name, this.keyOf(obj));
      if (c.owns.some((k) => kindId(k) === id)) {
        for (const ref of obj.metadata?.ownerReferences ?? []) {
          if (ref.controller && ref.kind === c.primary.kind && sameGroup(ref.apiVersion, c.primary.apiVersion)) {
            this.enqueue(c.name, { namespace: obj.metadata?.namespace ?? "", name: ref.name });
          }
        }
      }
      for (const w of c.watches ?? []) {
        if (kindId(w.kind) !== id) continue;
        try {
          for (const key of w.map(obj)) this.enqueue(c.name, key);
        } catch (e) {
          this.log.error({ controller: c.name, err: (e as Error).message }, "watch mapper failed");
        }
      }
    }
    for (const [name, q] of this.queues) this.metrics.queueDepth.set({ controller: name }, q.length);
  }

  private async work(c: Controller, events: EventRecorder): Promise<void> {
    const queue = this.queues.get(c.name)!;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      this.metrics.queueDepth.set({ controller: c.name }, queue.length);
      const slash = key.indexOf("/");
      const objectKey = { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
      const log = this.log.child({ controller: c.name, object: key });
      const ctx = makeContext(this.shared, c, events, log);
      const end = this.metrics.duration.startTimer({ controller: c.name });
      try {
        const started = performance.now();
        const result = await c.reconcile(ctx, objectKey);
        log.debug({ ms: Math.round(performance.now() - started), requeueAfterMs: result.requeueAfterMs }, "reconciled");
        queue.forget(key);
        if (result.requeueAfterMs !== undefined && result.requeueAfterMs >= 0) {
          queue.addAfter(key, result.requeueAfterMs);
          this.metrics.reconciles.inc({ controller: c.name, result: "requeue" });
        } else this.metrics.reconciles.inc({ controller: c.name, result: "success" });
      } catch (e) {
        this.metrics.reconciles.inc({ controller: c.name, result: "error" });
        this.metrics.errors.inc({ controller: c.name });
        const err = this.redactor.scrub((e as Error).message);
        let policy: ReconcileResult | undefined;
        try {
          policy = c.errorPolicy?.(e, objectKey);
        } catch (pe) {
          log.error({ err: this.redactor.scrub((pe as Error).message) }, "error policy failed; backing off");
        }
        if (policy?.requeueAfterMs !== undefined && policy.requeueAfterMs >= 0) {
          queue.addAfter(key, policy.requeueAfterMs);
          log.warn({ err, retryInMs: policy.requeueAfterMs }, "reconcile failed; retrying as the error policy says");
        } else {
          const retryInMs = queue.addRateLimited(key);
          log.warn({ err, retryInMs }, "reconcile failed; retrying");
        }
      } finally {
        end();
        queue.done(key);
      }
    }
  }

  private async resolveKind(apiVersion: string, kind: string): Promise<KindRef> {
    const known = this.kinds.get(`${apiVersion}/${kind}`);
    if (known) return known;
    let found = this.discovered.get(apiVersion);
    if (!found) {
      const path = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.api
        .request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>("GET", path)
        .then((r) =>
          r.resources
            .filter((x) => !x.name.includes("/"))
            .map((x) => ({ apiVersion, kind: x.kind, plural: x.name, namespaced: x.namespaced })),
        );
      found.catch(() => this.discovered.delete(apiVersion));
      this.discovered.set(apiVersion, found);
    }
    const ref = (await found).find((k) => k.kind === kind);
    if (!ref) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    return ref;
  }

  private async startEndpoints(): Promise<void> {
    if (this.opts.metricsAddr) {
      this.endpoints.push(
        await listen(this.opts.metricsAddr, {
          "/metrics": async () => {
            for (const i of this.informers.values())
              this.metrics.informerRestarts.set({ kind: i.kind.kind }, i.stats.restarts);
            return {
              status: 200,
              body: await this.metrics.registry.metrics(),
              type: this.metrics.registry.contentType,
            };
          },
        }),
      );
    }
    if (this.opts.healthAddr) {
      this.endpoints.push(
        await listen(this.opts.healthAddr, {
          "/healthz": async () => (this.stopping ? { status: 503, body: "stopping\n" } : { status: 200, body: "ok\n" }),
          "/readyz": async () =>
            this.ready && !this.stopping ? { status: 200, body: "ok\n" } : { status: 503, body: "caches not synced\n" },
        }),
      );
    }
  }

  /** Ports the endpoints listen on, in the order metrics, health (when configured). */
  get ports(): number[] {
    return this.endpoints.map((e) => e.port);
  }

  private async stopControllers(): Promise<void> {
    clearInterval(this.resyncTimer);
    for (const q of this.queues.values()) q.shutDown();
    const timeout = new Promise<void>((r) => setTimeout(r, this.opts.stopTimeoutMs ?? 30_000).unref());
    await Promise.race([Promise.all(this.workers), timeout]);
  }

  /** Graceful stop: finish reconciles in flight, release the lease, stop informers and endpoints. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.stopControllers();
    this.election.abort();
    await this.electionDone;
    this.leading = false;
    this.metrics.leader.set(0);
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    await Promise.all(this.endpoints.map((e) => new Promise((r) => e.server.close(r))));
    this.ownClient?.close();
    this.resolveDone("stopped");
  }
}
