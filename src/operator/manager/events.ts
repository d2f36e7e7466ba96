// Events for people (events.k8s.io/v1). The first occurrence creates an Event; repeats of the same (object,
// type, reason, note) add to its series count instead of new Events, and the count is written at most once per
// flush interval so a controller stuck in a failing loop does not flood the API server. Best effort: a failed
// Event write is logged, never fails a reconcile. Notes pass through the secret redactor.
import { randomBytes } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { CONTENT, isNotFound, type KubeApi } from "../../kube/client.ts";
import type { SecretRedactor } from "./redact.ts";

const EVENTS_PATH = (ns: string) => `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/events`;
/** A repeat after this long starts a new Event. */
const SERIES_WINDOW_MS = 30 * 60_000;
const MAX_SERIES = 5000;
const NOTE_MAX = 1024;

/** events.k8s.io MicroTime: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

interface Series {
  name: string;
  namespace: string;
  count: number;
  written: number;
  lastWriteAt: number;
  lastSeen: Date;
}

export interface EventRecorderOptions {
  controller: string;
  instance: string;
  /** Minimum time between two series-count writes of one Event. */
  flushIntervalMs?: number;
  now?: () => Date;
}

export class EventRecorder {
  private readonly api: KubeApi;
  private readonly log: Logger;
  private readonly redactor: SecretRedactor;
  private readonly opts: Required<EventRecorderOptions>;
  private readonly series = new Map<string, Series>();

  constructor(api: KubeApi, log: Logger, redactor: SecretRedactor, opts: EventRecorderOptions) {
    this.api = api;
    this.log = log;
    this.redactor = redactor;
    this.opts = { flushIntervalMs: 60_000, now: () => new Date(), ...opts };
  }

  async record(
    regarding: KubernetesObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const md = regarding.metadata ?? {};
    const namespace = md.namespace ?? "default";
    const note = this.redactor.scrub(message).slice(0, NOTE_MAX);
    const key = `${md.uid ?? `${namespace}/${md.name}`}|${type}|${reason}|${note}`;
    const now = this.opts.now();
    try {
      const s = this.series.get(key);
      if (s && now.getTime() - s.lastSeen.getTime() < SERIES_WINDOW_MS) {
        s.count++;
        s.lastSeen = now;
        if (now.getTime() - s.lastWriteAt < this.opts.flushIntervalMs) return;
        await this.writeSeries(s);
        return;
      }
      const name = `${md.name}.${randomBytes(8).toString("hex")}`;
      await this.api.request("POST", EVENTS_PATH(namespace), {
        body: {
          apiVersion: "events.k8s.io/v1",
          kind: "Event",
          metadata: { name, namespace },
          eventTime: microTime(now),
          reportingController: this.opts.controller,
          reportingInstance: this.opts.instance,
          action: reason,
          reason,
          note,
          type,
          regarding: {
            apiVersion: regarding.apiVersion,
            kind: regarding.kind,
            name: md.name,
            namespace: md.namespace,
            uid: md.uid,
            resourceVersion: md.resourceVersion,
          },
        },
      });
      this.series.set(key, { name, namespace, count: 1, written: 1, lastWriteAt: now.getTime(), lastSeen: now });
      if (this.series.size > MAX_SERIES) this.series.delete(this.series.keys().next().value!);
    } catch (e) {
      this.log.warn({ err: this.redactor.scrub((e as Error).message), reason }, "could not record an Event");
    }
  }

  private async writeSeries(s: Series): Promise<void> {
    if (s.count === s.written) return;
    try {
      await this.api.request("PATCH", `${EVENTS_PATH(s.namespace)}/${encodeURIComponent(s.name)}`, {
        contentType: CONTENT.merge,
        body: { series: { count: s.count, lastObservedTime: microTime(s.lastSeen) } },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // The Event expired (TTL): the next repeat starts a new one.
      for (const [k, v] of this.series) if (v === s) this.series.delete(k);
      return;
    }
    s.written = s.count;
    s.lastWriteAt = this.opts.now().getTime();
  }
}
