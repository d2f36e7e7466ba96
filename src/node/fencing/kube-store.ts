// Pool leases as coordination.k8s.io/v1 Leases, one per pool, for nodes in a cluster. The compare-and-swap is
// the API server's own: every write carries the resourceVersion it read (a PUT) or creates the object (a POST),
// and the server answers 409 Conflict / AlreadyExists to the writer that lost. The lease's generation and exact
// duration travel in annotations (leaseDurationSeconds is whole seconds); holderIdentity and renewTime are the
// standard fields, so `kubectl get lease` shows who forges for a pool. The node's ServiceAccount needs get,
// create and update on these Leases only.
import type { LeaseRecord, LeaseStore } from "./lease.ts";

/** The part of an API client this store uses; the operator's KubeClient has this shape. */
export interface LeaseApi {
  request<T>(method: "GET" | "POST" | "PUT", path: string, opts?: { body?: unknown; signal?: AbortSignal }): Promise<T>;
}

export const GENERATION_ANNOTATION = "poolfleet.io/lease-generation";
export const DURATION_ANNOTATION = "poolfleet.io/lease-duration-ms";

interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: {
    name: string;
    namespace: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string };
}

const codeOf = (e: unknown): number | undefined => (e as { code?: unknown } | null)?.code as number | undefined;
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");

export interface KubeLeaseStoreOptions {
  namespace: string;
  /** Lease name for a pool: a DNS label (default `pool-lease-<pool>`, the pool given as hex or a short name). */
  leaseName?: (pool: string) => string;
  /** Per-request timeout; a write that times out is not known to have won, so it counts as lost. */
  timeoutMs?: number;
}

export class KubeLeaseStore implements LeaseStore {
  readonly #api: LeaseApi;
  readonly #ns: string;
  readonly #name: (pool: string) => string;
  readonly #timeoutMs: number;
  /** resourceVersion of the last record read per pool, for the PUT that follows. */
  readonly #seen = new Map<string, { generation: number; lease: Lease }>();

  constructor(api: LeaseApi, options: KubeLeaseStoreOptions) {
    this.#api = api;
    this.#ns = options.namespace;
    this.#name = options.leaseName ?? ((pool) => `pool-lease-${pool.toLowerCase().slice(0, 52)}`);
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  #path(pool?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#ns)}/leases`;
    return pool === undefined ? base : `${base}/${encodeURIComponent(this.#name(pool))}`;
  }

  async read(pool: string): Promise<LeaseRecord | undefined> {
    let lease: Lease;
    try {
      lease = await this.#api.request<Lease>("GET", this.#path(pool), { signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      if (codeOf(error) === 404) {
        this.#seen.delete(pool);
        return undefined;
      }
      throw error;
    }
    const record = toRecord(lease, `Lease ${this.#ns}/${this.#name(pool)}`);
    this.#seen.set(pool, { generation: record.generation, lease });
    return record;
  }

  async write(pool: string, next: LeaseRecord, expected: number): Promise<boolean> {
    if (next.generation !== expected + 1)
      throw new RangeError("a lease write must be one generation above what it read");
    const metadata = {
      name: this.#name(pool),
      namespace: this.#ns,
      labels: { "app.kubernetes.io/managed-by": "poolfleet-node" },
      annotations: { [GENERATION_ANNOTATION]: String(next.generation), [DURATION_ANNOTATION]: String(next.durationMs) },
    };
    const spec = {
      holderIdentity: next.holder,
      leaseDurationSeconds: Math.max(1, Math.ceil(next.durationMs / 1000)),
      renewTime: microTime(next.renewedAtMs),
    };
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      if (expected === 0) {
        await this.#api.request("POST", this.#path(), {
          body: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata, spec },
          signal,
        });
      } else {
        const seen = this.#seen.get(pool);
        // We write only on top of the exact object we read: its resourceVersion is the server-side CAS.
        if (!seen || seen.generation !== expected) return false;
        const { resourceVersion } = seen.lease.metadata;
        await this.#api.request("PUT", this.#path(pool), {
          body: {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { ...metadata, resourceVersion },
            spec,
          },
          signal,
        });
      }
    } catch (error) {
      if (codeOf(error) === 409) return false;
      throw error;
    }
    this.#seen.delete(pool);
    return true;
  }
}

function toRecord(lease: Lease, where: string): LeaseRecord {
  const generation = Number(lease.metadata.annotations?.[GENERATION_ANNOTATION]);
  const durationMs = Number(lease.metadata.annotations?.[DURATION_ANNOTATION]);
  const renewedAtMs = lease.spec.renewTime ? Date.parse(lease.spec.renewTime) : NaN;
  const holder = lease.spec.holderIdentity;
  if (!Number.isSafeInteger(generation) || generation < 1 || !Number.isSafeInteger(durationMs) || durationMs < 0)
    throw new Error(`${where}: not a pool lease (annotations ${GENERATION_ANNOTATION} and ${DURATION_ANNOTATION})`);
  if (typeof holder !== "string" || !Number.isFinite(renewedAtMs))
    throw new Error(`${where}: not a pool lease (spec.holderIdentity and spec.renewTime)`);
  return { holder, renewedAtMs, durationMs, generation };
}
