// Leader election on a coordination.k8s.io/v1 Lease, with client-go's rules: a candidate takes the lease when it
// is free or its holder has not renewed it for leaseDuration (measured on our own clock from when we saw the
// record change, so clock skew between machines does not matter); the leader renews every retryPeriod and, if
// it cannot renew within renewDeadline, gives up leadership (the caller stops and exits, as controller-runtime
// does, so a partitioned leader never keeps writing). Writes use the Lease's resourceVersion: two candidates
// cannot both win. A graceful stop releases the lease so a standby takes over at once.
import type { Logger } from "pino";
import { ApiError, isConflict, isNotFound, type KubeApi } from "../../kube/client.ts";

export interface LeaderOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

export type ElectionEnd = "lost" | "stopped";

export class LeaderElector {
  private readonly api: KubeApi;
  private readonly log: Logger;
  private readonly opts: Required<LeaderOptions>;
  private observed: { holder: string; renewTime: string; at: number } | undefined;
  private leading = false;

  constructor(api: KubeApi, log: Logger, opts: LeaderOptions) {
    this.api = api;
    this.log = log.child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
    this.opts = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get path(): string {
    const { namespace, name } = this.opts;
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
  }

  /**
   * Campaigns until elected, calls onElected, then renews until the signal aborts (releases the lease and
   * resolves "stopped") or renewal fails for renewDeadline (resolves "lost").
   */
  async run(signal: AbortSignal, onElected: () => void): Promise<ElectionEnd> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew()) break;
      await sleep(this.opts.retryPeriodMs, signal);
    }
    if (signal.aborted) return "stopped";
    this.leading = true;
    this.log.info("elected leader");
    onElected();
    let lastRenew = Date.now();
    while (!signal.aborted) {
      await sleep(this.opts.retryPeriodMs, signal);
      if (signal.aborted) break;
      if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
      else if (Date.now() - lastRenew > this.opts.renewDeadlineMs) {
        this.leading = false;
        this.log.error("could not renew the lease within the renew deadline: leadership lost");
        return "lost";
      }
    }
    await this.release();
    this.leading = false;
    return "stopped";
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const signal = AbortSignal.timeout(Math.max(1000, this.opts.renewDeadlineMs / 2));
    const spec = (old?: Lease["spec"]): Lease["spec"] => {
      const ours = old?.holderIdentity === this.opts.identity;
      return {
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000)),
        acquireTime: ours && old?.acquireTime ? old.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (old?.leaseTransitions ?? 0) + (ours || !old ? 0 : 1),
      };
    };
    try {
      let lease: Lease;
      try {
        lease = await this.api.request<Lease>("GET", this.path, { signal });
      } catch (e) {
        if (!isNotFound(e)) throw e;
        const { namespace, name } = this.opts;
        await this.api.request(
          "POST",
          `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`,
          {
            body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace }, spec: spec() },
            signal,
          },
        );
        return true;
      }
      const holder = lease.spec.holderIdentity ?? "";
      const renewTime = lease.spec.renewTime ?? "";
      if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime) {
        this.observed = { holder, renewTime, at: Date.now() };
      }
      const durationMs = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== this.opts.identity && this.observed.at + durationMs > Date.now()) return false;
      await this.api.request("PUT", this.path, { body: { ...lease, spec: spec(lease.spec) }, signal });
      return true;
    } catch (e) {
      if (!isConflict(e)) {
        const msg = e instanceof ApiError ? `${e.code} ${e.reason}: ${e.message}` : (e as Error).message;
        this.log.warn({ err: msg }, "lease request failed");
      }
      return false;
    }
  }

  /** Gives the lease up (holder cleared, one-second duration) so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    try {
      const lease = await this.api.request<Lease>("GET", this.path, { signal: AbortSignal.timeout(5000) });
      if (lease.spec.holderIdentity !== this.opts.identity) return;
      const now = microTime(new Date());
      await this.api.request("PUT", this.path, {
        body: {
          ...lease,
          spec: { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
        },
        signal: AbortSignal.timeout(5000),
      });
      this.log.info("released the lease");
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "could not release the lease; a standby takes over when it expires");
    }
  }
}
