// The operator's API client, counting its writes into one namespace and, past a chosen write, failing every
// request as if the operator had died there. Fault injection: the real API server cannot stop one chosen process
// at one chosen write, so the crash-only tests (kesrotation, multikeygroup-crash) put this in front of the real
// client and start a fresh operator afterwards.
import type { KubeConfig } from "@kubernetes/client-node";
import { type KubeApi, KubeClient } from "../../src/kube/client.ts";

export function dyingApi(kc: KubeConfig, isWrite: (method: string, path: string) => boolean, dieAfter = Infinity) {
  const real = new KubeClient(kc);
  const seen = { writes: 0, paths: [] as string[] };
  const api: KubeApi = {
    async request(method, path, opts) {
      if (isWrite(method, path)) {
        if (seen.writes >= dieAfter) throw new Error("injected fault: the operator died here");
        const r = await real.request(method, path, opts);
        seen.writes++;
        seen.paths.push(`${method} ${path}`);
        return r as never;
      }
      return real.request(method, path, opts) as never;
    },
    watch: (path, query, onEvent, signal) => real.watch(path, query, onEvent, signal),
  };
  return { api, seen, close: () => real.close() };
}

/** Writes into one namespace: what a crash-only test counts. */
export const writesIn = (ns: string) => (method: string, path: string) =>
  method !== "GET" && path.includes(`/namespaces/${ns}/`);
