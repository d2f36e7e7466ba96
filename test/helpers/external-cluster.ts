// The integration tests on a cluster the harness does not own: the one in KUBECONFIG (POOLFLEET_TEST_CLUSTER=
// kubeconfig) or a K3s container from @testcontainers/k3s (POOLFLEET_TEST_CLUSTER=k3s). Users for RBAC tests are
// impersonated (the kubeconfig's identity needs the `impersonate` verb on users and groups); stop() leaves the
// kubeconfig's cluster as it was (it deletes nothing) and removes only the K3s container it started.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { StartedK3sContainer } from "@testcontainers/k3s";
import type { ControlPlane, ControlPlaneOptions } from "./envtest.ts";

const run = promisify(execFile);

export type ClusterMode = "envtest" | "kubeconfig" | "k3s";

/** Pinned like the envtest binaries; override with POOLFLEET_K3S_IMAGE (e.g. a local mirror's copy). */
export const K3S_IMAGE = process.env.POOLFLEET_K3S_IMAGE ?? "rancher/k3s:v1.33.5-k3s1";
const K3S_PULL_TIMEOUT_MS = 10 * 60_000;

/** POOLFLEET_TEST_CLUSTER, checked: a typo must not quietly fall back to envtest. */
export function clusterMode(value = process.env.POOLFLEET_TEST_CLUSTER): ClusterMode {
  const mode = value === undefined || value === "" ? "envtest" : value;
  if (mode === "envtest" || mode === "kubeconfig" || mode === "k3s") return mode;
  throw new Error(`POOLFLEET_TEST_CLUSTER=${value}: expected envtest (the default), kubeconfig or k3s`);
}

export function banner(title: string, reason: string): void {
  const bar = "!".repeat(100);
  process.stderr.write(`\n${bar}\n!! ${title}: ${reason}\n${bar}\n\n`);
}

/**
 * What an external cluster cannot do that the options ask for, or undefined. kube-apiserver flags and the
 * Service range are the cluster's own; the end-to-end tier's fake nodes (kwok) and the fake images its pods name
 * (poolfleet/none:test) exist only in envtest, and a real cluster would try to pull them.
 */
export function unhonoured(mode: ClusterMode, options: ControlPlaneOptions): string | undefined {
  if (mode === "envtest") return undefined;
  const on = `POOLFLEET_TEST_CLUSTER=${mode}`;
  if (options.apiServerArgs?.length) {
    return `${on}: the test needs kube-apiserver flags (${options.apiServerArgs.join(" ")}) that only the harness's own API server can be started with`;
  }
  if (options.serviceClusterIpRange) {
    return `${on}: the test needs the Service range ${options.serviceClusterIpRange}, which is the cluster's own setting`;
  }
  if (options.e2e) {
    return `${on}: the end-to-end tier runs pods with fake images on kwok's fake nodes and fake volumes, which only the envtest tier starts`;
  }
  return undefined;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Why K3s cannot start here, or undefined: a Docker engine must answer, and the K3s image must be local or
 * pullable (tried once, bounded). Machines without an image registry have no rancher/k3s, and it cannot be built
 * from the Go module proxy either (github.com/k3s-io/k3s is not served there: 403).
 */
export async function k3sMissing(): Promise<string | undefined> {
  if (!(await dockerAnswers())) {
    return "no Docker engine answers `docker info` (start one: sudo scripts/docker-engine.sh)";
  }
  try {
    await run("docker", ["image", "inspect", K3S_IMAGE], { timeout: 20_000 });
    return undefined;
  } catch {
    // not local: try the registry
  }
  try {
    await run("docker", ["pull", K3S_IMAGE], { timeout: K3S_PULL_TIMEOUT_MS });
    return undefined;
  } catch (e) {
    const why = ((e as { stderr?: string }).stderr || (e as Error).message).trim().split("\n").slice(-2).join(" ");
    return (
      `the image ${K3S_IMAGE} is not in the local Docker and cannot be pulled (${why}). This machine has no image ` +
      `registry, and k3s cannot be built here (github.com/k3s-io/k3s is not on the Go module proxy). Where Docker ` +
      `can pull, run the tests with POOLFLEET_TEST_CLUSTER=k3s; or \`docker load\` the image (or set ` +
      `POOLFLEET_K3S_IMAGE to one that is local)`
    );
  }
}

/** A copy of `admin` that acts as `name` in `groups` through the Impersonate-User and Impersonate-Group headers. */
export function impersonating(admin: KubeConfig, name: string, groups: string[]): KubeConfig {
  const cluster = admin.getCurrentCluster();
  const user = admin.getCurrentUser();
  if (!cluster || !user) throw new Error("the kubeconfig has no current cluster or user");
  // client-node sends a header's values as one line ("a, b"), which the API server reads as one group named
  // "a, b"; only a single group can be impersonated faithfully.
  if (groups.length > 1) {
    throw new Error(`cannot impersonate ${name} in ${groups.length} groups (${groups.join(", ")}): at most one`);
  }
  const kc = new KubeConfig();
  const userName = `impersonating-${name}`;
  kc.loadFromOptions({
    clusters: [cluster],
    // client-node's own support: a user entry with `as:` (impersonateUser) sends Impersonate-User.
    users: [{ ...user, name: userName, impersonateUser: name }],
    contexts: [{ name: "impersonation", cluster: cluster.name, user: userName }],
    currentContext: "impersonation",
  });
  const group = groups[0];
  if (group !== undefined) {
    // client-node has no `as-groups`. Every request path (typed APIs, watches, KubeClient) goes through the
    // private applyOptions, so the header is added there.
    const target = kc as unknown as { applyOptions(opts: { headers?: Record<string, string> }): Promise<void> };
    const apply = target.applyOptions.bind(kc);
    target.applyOptions = async (opts) => {
      await apply(opts);
      opts.headers = { ...opts.headers, "Impersonate-Group": group };
    };
  }
  return kc;
}

async function waitForApi(kc: KubeConfig, what: string, timeoutMs: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await core.readNamespace({ name: "default" });
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`${what} did not answer GET namespace default within ${timeoutMs} ms: ${String(e)}`, {
          cause: e,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
}

/** A ControlPlane over a cluster someone else runs; `stop` is what to undo (nothing, or the container). */
export function externalControlPlane(
  kc: KubeConfig,
  describe: string,
  logs: () => string,
  stop: () => Promise<void>,
): ControlPlane {
  return {
    kc,
    server: kc.getCurrentCluster()!.server,
    logs: () => `--- ${describe} ---\n${logs()}`,
    userConfig: async (name, groups = []) => impersonating(kc, name, groups),
    stop,
  };
}

/** The cluster in KUBECONFIG (its current context). KUBECONFIG must be set: ~/.kube/config is never guessed. */
export async function kubeconfigCluster(timeoutMs: number): Promise<ControlPlane> {
  const file = process.env.KUBECONFIG;
  if (!file) {
    throw new Error("POOLFLEET_TEST_CLUSTER=kubeconfig needs KUBECONFIG set to the file of the cluster to test on");
  }
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const where = `the cluster of context ${kc.getCurrentContext()} in ${file}`;
  await waitForApi(kc, where, timeoutMs);
  // Not ours: the tests' objects stay (use a throwaway cluster) and nothing is deleted here.
  return externalControlPlane(
    kc,
    where,
    () => "(an external cluster: no process logs)",
    async () => {},
  );
}

/** A K3s container from @testcontainers/k3s; stop() removes it. */
export async function k3sCluster(timeoutMs: number): Promise<ControlPlane> {
  const missing = await k3sMissing();
  if (missing) throw new Error(`POOLFLEET_TEST_CLUSTER=k3s: ${missing}`);
  // The reaper (Ryuk) is an image from Docker Hub as well; the container is removed in stop().
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  const { K3sContainer } = await import("@testcontainers/k3s");
  const container: StartedK3sContainer = await new K3sContainer(K3S_IMAGE).start();
  try {
    const kc = new KubeConfig();
    kc.loadFromString(container.getKubeConfig());
    await waitForApi(kc, `K3s (${K3S_IMAGE})`, timeoutMs);
    return externalControlPlane(
      kc,
      `K3s ${K3S_IMAGE} (container ${container.getId().slice(0, 12)})`,
      () => `docker logs ${container.getId()}`,
      async () => {
        await container.stop({ remove: true });
      },
    );
  } catch (e) {
    await container.stop({ remove: true }).catch(() => {});
    throw e;
  }
}
