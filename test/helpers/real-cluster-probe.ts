// Connection probes on the real cluster (real-cluster.ts): a TCP connect or a DNS lookup run inside a pod through
// the API server and the kubelet (`kubectl exec`'s path), or from the test process on the host; and a table of
// such probes, each pair asserted the way it is expected (allowed pairs connect, denied ones time out or are
// refused), printed as a diagnostic. Every pod probed needs `node` on its PATH (the node image has it).
import { connect } from "node:net";
import { Writable } from "node:stream";
import { Exec, type KubeConfig } from "@kubernetes/client-node";

export const PROBE_TIMEOUT_MS = 1500;

/** Runs `argv` in container `container` of pod `ns/name`, and returns what it wrote (stdout and stderr). */
export async function execIn(
  kc: KubeConfig,
  ns: string,
  name: string,
  container: string,
  argv: string[],
): Promise<string> {
  let out = "";
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`exec in ${ns}/${name} timed out`)), 20_000);
    new Exec(kc)
      .exec(ns, name, container, argv, sink, sink, null, false, (status) => {
        clearTimeout(timer);
        if (status.status === "Success") resolve();
        else reject(new Error(`exec in ${ns}/${name}: ${status.message ?? status.status}`));
      })
      .catch((e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      });
  });
  return out.trim();
}

/** A TCP connect from inside a pod: "ok" or "fail <code>" (ETIMEDOUT when nothing answers in PROBE_TIMEOUT_MS). */
export function tcpProbeScript(host: string, port: number): string {
  return (
    `const s = require("node:net").connect({ host: ${JSON.stringify(host)}, port: ${port} });` +
    `s.setTimeout(${PROBE_TIMEOUT_MS});` +
    `s.on("connect", () => { console.log("ok"); s.destroy(); });` +
    `s.on("timeout", () => { console.log("fail ETIMEDOUT"); s.destroy(); });` +
    `s.on("error", (e) => console.log("fail " + e.code));`
  );
}

/** A DNS A lookup from inside a pod, through its resolv.conf (the cluster DNS): "ok <addresses>" or "fail <code>". */
export function dnsProbeScript(name: string): string {
  return (
    `const r = new (require("node:dns").promises.Resolver)({ timeout: ${PROBE_TIMEOUT_MS}, tries: 1 });` +
    `r.resolve4(${JSON.stringify(name)}).then((a) => console.log("ok " + a.join(",")), (e) => console.log("fail " + e.code));`
  );
}

/** A TCP connect from the test process (the host): "ok" or "fail <code>". */
export function hostProbe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(PROBE_TIMEOUT_MS);
    s.on("connect", () => {
      s.destroy();
      resolve("ok");
    });
    s.on("timeout", () => {
      s.destroy();
      resolve("fail ETIMEDOUT");
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(`fail ${e.code}`));
  });
}

export interface ProbeRow {
  /** Who connects, e.g. "relay p1-relay-0". */
  from: string;
  /** Where to, e.g. "producer node-to-node". */
  to: string;
  expect: "allow" | "deny";
  /** Runs the probe once: "ok …" or "fail …". */
  probe(): Promise<string>;
}

export interface ProbeResult {
  row: ProbeRow;
  got: string;
  tries: number;
}

/**
 * Probes every row: allowed pairs first, each retried until it connects (the enforcer programs new pods'
 * addresses asynchronously) within `allowWithinMs`; then each denied pair once, after every allowed one has
 * connected, so a denial is not an enforcer that has not caught up. Returns every result, never throws for a
 * mismatch (the caller asserts the table and prints it).
 */
export async function probeTable(rows: ProbeRow[], allowWithinMs = 60_000): Promise<ProbeResult[]> {
  const results = new Map<ProbeRow, ProbeResult>();
  for (const row of rows.filter((r) => r.expect === "allow")) {
    const end = Date.now() + allowWithinMs;
    let tries = 0;
    let got: string;
    do {
      tries++;
      got = await row.probe().catch((e: unknown) => `error ${e instanceof Error ? e.message : String(e)}`);
      if (got.startsWith("ok")) break;
      await new Promise((r) => setTimeout(r, 500));
    } while (Date.now() < end);
    results.set(row, { row, got, tries });
  }
  for (const row of rows.filter((r) => r.expect === "deny")) {
    const got = await row.probe().catch((e: unknown) => `error ${e instanceof Error ? e.message : String(e)}`);
    results.set(row, { row, got, tries: 1 });
  }
  return rows.map((r) => results.get(r)!);
}

/** The table as text: one line per pair, its expectation, what happened, and whether that is what was expected. */
export function formatTable(results: ProbeResult[]): string {
  const w = (f: (r: ProbeResult) => string) => Math.max(...results.map((r) => f(r).length));
  const wf = w((r) => r.row.from);
  const wt = w((r) => r.row.to);
  return results
    .map((r) => {
      const ok = r.got.startsWith("ok") === (r.row.expect === "allow");
      const seen = r.got.startsWith("ok") ? "connected" : r.got;
      return `${ok ? "  " : "✗ "}${r.row.from.padEnd(wf)} -> ${r.row.to.padEnd(wt)}  ${r.row.expect.padEnd(5)}  ${seen}${r.tries > 1 ? ` (try ${r.tries})` : ""}`;
    })
    .join("\n");
}

/** Whether a result is what its row expects: allowed connected, denied did not (and was not a probe error). */
export function asExpected(r: ProbeResult): boolean {
  return r.row.expect === "allow" ? r.got.startsWith("ok") : r.got.startsWith("fail");
}
