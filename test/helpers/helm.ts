// helm for the chart tests: the pinned binary built by scripts/helm-binary.sh (from the Go module proxy into the
// same cache as the Kubernetes binaries; built here when missing, like the integration tier's binaries), `helm
// lint` and `helm template` of charts/poolfleet, and applying what it renders to a test API server with
// server-side apply.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  ApiextensionsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
} from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { poll, runProvisionScript } from "./processes.ts";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/helm-binary.sh", import.meta.url));
export const CHART_DIR = fileURLToPath(new URL("../../charts/poolfleet", import.meta.url));
/** The Kubernetes version helm renders for: the test API server's (scripts/k8s-binaries.sh K8S_VERSION). */
export const KUBE_VERSION = "1.33.13";
const BUILD_TIMEOUT_MS = 20 * 60_000;

/** Path of the helm binary, building it first when absent. A failed build throws with the script's output. */
export async function helmBinary(): Promise<string> {
  const { code, provided: path, errTail } = await runProvisionScript(SCRIPT, BUILD_TIMEOUT_MS);
  if (code !== 0 || !existsSync(path)) {
    throw new Error(`scripts/helm-binary.sh could not provide helm (exit ${code}); its output ends:\n${errTail}`);
  }
  return path;
}

export interface HelmRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm; never throws on a non-zero exit (the caller asserts on it). */
export async function helm(bin: string, args: string[]): Promise<HelmRun> {
  try {
    const { stdout, stderr } = await run(bin, args, { maxBuffer: 64 * 1024 * 1024, env: helmEnv() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** helm reads and writes only inside a throwaway home: no user config, no repositories, no network. */
function helmEnv(): NodeJS.ProcessEnv {
  const home = join(tmpdir(), "poolfleet-helm-home/");
  return {
    PATH: process.env.PATH,
    HOME: home,
    HELM_CACHE_HOME: `${home}cache`,
    HELM_CONFIG_HOME: `${home}config`,
    HELM_DATA_HOME: `${home}data`,
    KUBECONFIG: `${home}no-kubeconfig`,
  };
}

/** `--set`-style values as helm flags; values are given as a YAML/JSON-compatible object via --set-json. */
export function valueFlags(values: Record<string, unknown>): string[] {
  return Object.entries(values).flatMap(([k, v]) => ["--set-json", `${k}=${JSON.stringify(v)}`]);
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  values?: Record<string, unknown>;
  includeCrds?: boolean;
}

/** `helm template` of the chart: the parsed objects, in helm's order. Throws with helm's message on failure. */
export async function renderChart(bin: string, opts: RenderOptions = {}): Promise<KubernetesObject[]> {
  const res = await helm(bin, [
    "template",
    opts.release ?? "poolfleet",
    CHART_DIR,
    "--namespace",
    opts.namespace ?? "poolfleet-system",
    "--kube-version",
    KUBE_VERSION,
    ...(opts.includeCrds ? ["--include-crds"] : []),
    ...valueFlags(opts.values ?? {}),
  ]);
  if (res.code !== 0) throw new Error(`helm template failed (exit ${res.code}):\n${res.stderr}`);
  return parseManifests(res.stdout);
}

export function parseManifests(text: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as KubernetesObject | null;
    if (obj) out.push(obj);
  }
  return out;
}

/**
 * client-node's generic client serialises by its model classes and drops keys they do not name (every
 * x-kubernetes-* of a CRD schema): the object goes through loadYaml, which maps them onto the model first.
 */
function typed(o: KubernetesObject): KubernetesObject {
  return loadYaml<KubernetesObject>(stringify(o));
}

/**
 * Server-side apply of each object (CRDs first, waiting until Established, so custom objects after them resolve),
 * the way `kubectl apply --server-side` would install the rendered chart. Returns the live objects.
 */
export async function applyManifests(
  kc: KubeConfig,
  objects: KubernetesObject[],
  fieldManager = "poolfleet-chart-test",
): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const crds = objects.filter((o) => o.kind === "CustomResourceDefinition");
  const rest = objects.filter((o) => o.kind !== "CustomResourceDefinition");
  const live: KubernetesObject[] = [];
  for (const o of crds) {
    live.push(await client.patch(typed(o), undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
  }
  if (crds.length) {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    await poll("CRDs Established", Date.now() + 30_000, async () => {
      for (const c of crds) {
        const got = await ext.readCustomResourceDefinition({ name: c.metadata!.name! });
        if (!got.status?.conditions?.some((x) => x.type === "Established" && x.status === "True")) return false;
      }
      return true;
    });
  }
  for (const o of rest) {
    live.push(await client.patch(typed(o), undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply));
  }
  return live;
}
