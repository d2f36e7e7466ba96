// A thin JSON client for the API server: every object in and out is the server's own JSON (wire field names),
// so informer caches, desired objects and apply responses compare field by field. credentials.ts supplies the
// server and credentials (kubeconfig, in-cluster token; client-node for exec plugins); the requests go over one keep-alive agent because an
// operator with thousands of objects must not pay a TLS handshake per call.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from "node:https";
import { createInterface } from "node:readline";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { KubeCredentials } from "./credentials.ts";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export const CONTENT = {
  json: "application/json",
  apply: "application/apply-patch+yaml",
  merge: "application/merge-patch+json",
} as const;

export interface RequestOptionsIn {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: KubernetesObject & { code?: number; reason?: string; message?: string };
}

export interface ObjectList {
  metadata?: { resourceVersion?: string; continue?: string };
  items: KubernetesObject[];
}

/** What the manager needs from an API server; a fault-injecting wrapper in the tests implements it too. */
export interface KubeApi {
  request<T>(method: Method, path: string, opts?: RequestOptionsIn): Promise<T>;
  /**
   * Streams a watch until the server closes it (resolves), the signal aborts (resolves), or it fails (rejects;
   * an in-stream 410 Gone rejects with ApiError code 410).
   */
  watch(
    path: string,
    query: RequestOptionsIn["query"],
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

/** An error status from the API server, with the Status reason (NotFound, Conflict, AlreadyExists, Expired...). */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.reason = reason;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;
export const isGone = (e: unknown): boolean => e instanceof ApiError && e.code === 410;

/** A kind as the REST paths need it (the operator's controllers name their kinds with it too). */
export interface KindRef {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced?: boolean;
}

/** REST path of a kind's collection or of one object (optionally a subresource). */
export function resourcePath(kind: KindRef, namespace?: string, name?: string, subresource?: string): string {
  const base = kind.apiVersion.includes("/") ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  const ns = kind.namespaced !== false && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  let path = `${base}${ns}/${kind.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

function queryString(query: RequestOptionsIn["query"]): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function statusError(code: number, text: string, path: string): ApiError {
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    return new ApiError(code, status.reason ?? "Unknown", status.message ?? `HTTP ${code} for ${path}`);
  } catch {
    return new ApiError(code, "Unknown", `HTTP ${code} for ${path}: ${text.slice(0, 200)}`);
  }
}

export type RequestListener = (method: Method, path: string) => void;

const HEADER_TTL_MS = 30_000;
const MAX_429_RETRIES = 10;
/** Longest time a watch may go without a byte before it counts as dead (half-open TCP). */
const WATCH_IDLE_SLACK_MS = 30_000;

export class KubeClient implements KubeApi {
  private readonly kc: KubeCredentials;
  private readonly server: URL;
  private agent: HttpAgent | HttpsAgent | undefined;
  private tls: Pick<RequestOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername"> = {};
  private headers: Record<string, string> = {};
  private headersAt = 0;
  private readonly listeners: RequestListener[] = [];

  constructor(kc: KubeCredentials) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.server = new URL(cluster.server);
  }

  /** Called for every request sent (metrics; tests count writes). */
  onRequest(listener: RequestListener): void {
    this.listeners.push(listener);
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  /** Credentials from the KubeCredentials; headers (tokens) are refreshed periodically, TLS material once. */
  private async auth(): Promise<void> {
    if (this.agent && Date.now() - this.headersAt < HEADER_TTL_MS) return;
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    this.headers = headers;
    this.headersAt = Date.now();
    if (!this.agent) {
      this.tls = {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      };
      this.agent =
        this.server.protocol === "http:"
          ? new HttpAgent({ keepAlive: true, maxSockets: 32 })
          : new HttpsAgent({ keepAlive: true, maxSockets: 32, ...this.tls });
    }
  }

  private async send(
    method: Method,
    path: string,
    opts: RequestOptionsIn,
    accept: string,
  ): Promise<{ res: IncomingMessage; abort: () => void }> {
    await this.auth();
    for (const l of this.listeners) l(method, path);
    const url = new URL(path + queryString(opts.query), this.server);
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...this.headers, Accept: accept };
    if (body !== undefined) {
      headers["Content-Type"] = opts.contentType ?? CONTENT.json;
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    const doRequest = url.protocol === "http:" ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = doRequest(url, { method, headers, agent: this.agent, ...this.tls }, (res) =>
        resolve({ res, abort: () => req.destroy() }),
      );
      req.on("error", reject);
      if (opts.signal) {
        if (opts.signal.aborted) req.destroy(new Error("aborted"));
        opts.signal.addEventListener("abort", () => req.destroy(new Error("aborted")), { once: true });
      }
      req.end(body);
    });
  }

  async request<T>(method: Method, path: string, opts: RequestOptionsIn = {}): Promise<T> {
    // 429 (API Priority and Fairness sheds load) is retried after Retry-After, as client-go does: it says
    // "not now", not "no", and a reconcile failing on it would back off for minutes.
    for (let attempt = 0; ; attempt++) {
      const { res } = await this.send(method, path, opts, CONTENT.json);
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      const text = Buffer.concat(chunks).toString("utf8");
      const code = res.statusCode ?? 0;
      if (code === 429 && attempt < MAX_429_RETRIES && !opts.signal?.aborted) {
        const after = Number(res.headers["retry-after"] ?? 1);
        const ms = Math.min(10, Number.isFinite(after) && after > 0 ? after : 1) * 1000;
        await new Promise((r) => setTimeout(r, ms * (0.5 + Math.random())));
        continue;
      }
      if (code < 200 || code >= 300) throw statusError(code, text, path);
      return (text ? JSON.parse(text) : undefined) as T;
    }
  }

  async watch(
    path: string,
    query: RequestOptionsIn["query"],
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const timeoutSeconds = Number(query?.timeoutSeconds ?? 300);
    const { res, abort } = await this.send(
      "GET",
      path,
      { query: { ...query, watch: true, timeoutSeconds }, signal },
      CONTENT.json,
    );
    const code = res.statusCode ?? 0;
    if (code !== 200) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw statusError(code, Buffer.concat(chunks).toString("utf8"), path);
    }
    let idle: NodeJS.Timeout | undefined;
    let failure: Error | undefined;
    const fail = (e: Error) => {
      failure ??= e;
      abort();
      res.destroy();
    };
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(
        () => fail(new Error(`watch ${path}: no data for too long`)),
        timeoutSeconds * 1000 + WATCH_IDLE_SLACK_MS,
      );
    };
    arm();
    res.on("data", arm);
    try {
      for await (const line of createInterface({ input: res, crlfDelay: Infinity })) {
        if (!line) continue;
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === "ERROR") {
          const s = event.object;
          throw new ApiError(s.code ?? 500, s.reason ?? "Unknown", s.message ?? `watch ${path} failed`);
        }
        onEvent(event);
      }
    } catch (e) {
      if (signal.aborted) return;
      throw failure ?? e;
    } finally {
      clearTimeout(idle);
      res.destroy();
    }
    if (signal.aborted) return;
    if (failure) throw failure;
    if (!res.complete) throw new Error(`watch ${path}: the connection ended early`);
  }
}
