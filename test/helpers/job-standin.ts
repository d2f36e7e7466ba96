// STAND-IN FOR THE JOB CONTROLLER AND THE KUBELET, for the operator's KES Jobs on the envtest control plane (which
// runs neither: no kube-controller-manager, no kubelet; kwok would run no containers). It does what those two do
// for a Job, with the real parts everywhere else:
//   job controller  watches Jobs, creates a Pod from the template (labelled batch.kubernetes.io/job-name, owned by
//                   the Job), retries up to backoffLimit, fails the Job past activeDeadlineSeconds, and writes the
//                   Job's status (Complete / Failed) as the job controller would;
//   kubelet         materialises the pod's volumes from the real Secrets and ConfigMaps (secret and configMap
//                   items, optional sources, projected service-account token minted with the TokenRequest API and
//                   bound to the pod, kube-root-ca.crt, the namespace), runs the container's command, and writes
//                   the pod's status with the termination message (FallbackToLogsOnError: the log's last lines).
// The container's command runs either as a local process of this checkout's poolfleet-cli (runner "process") or in
// the node image with Docker (runner "docker", --network host, the mounts bound at their real paths). The local
// process sees the in-cluster environment (KUBERNETES_SERVICE_HOST/PORT) and its mounts under a temporary root:
// the CLI reads the service-account files there through POOLFLEET_IN_CLUSTER_PREFIX (src/cli/commands/kes-job.ts;
// client-node's loadFromCluster prefix), and arguments naming a mount path are rewritten to that root, as the
// kubelet's bind mounts would make them resolve. That one env override is the only difference from the pod.
// So the real CLI code, the real RBAC of the Job's ServiceAccount and the real API server are exercised.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1Pod,
  type V1Volume,
} from "@kubernetes/client-node";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The image's entry points (package.json "bin"), as local commands of this checkout. */
const LOCAL_BINS: Record<string, string> = {
  "poolfleet-cli": join(ROOT, "bin/poolfleet-cli.js"),
  "poolfleet-node": join(ROOT, "bin/poolfleet-node.js"),
};

export interface JobRun {
  namespace: string;
  job: string;
  pod: string;
  exitCode: number;
  /** stdout and stderr interleaved, as `kubectl logs` would show them. */
  log: string;
}

export interface JobStandInOptions {
  /** How the container runs: this checkout's CLI as a local process (default), or the image under Docker. */
  runner?: "process" | { docker: string };
  /** Only Jobs in these namespaces (default all). */
  namespaces?: string[];
  pollMs?: number;
}

export interface JobStandIn {
  /** Every container run, in order. */
  readonly runs: JobRun[];
  stop(): Promise<void>;
}

const notFound = (e: unknown) => e instanceof ApiException && e.code === 404;
const TAIL_LINES = 80;
const TAIL_BYTES = 2048;

class Pending extends Error {}

export function startJobStandIn(kc: KubeConfig, opts: JobStandInOptions = {}): JobStandIn {
  const batch = kc.makeApiClient(BatchV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const server = new URL(kc.getCurrentCluster()!.server);
  const caPem = Buffer.from(kc.getCurrentCluster()!.caData!, "base64").toString("utf8");
  const runs: JobRun[] = [];
  const busy = new Map<string, Promise<void>>();
  let stopped = false;

  async function materialise(pod: V1Pod, root: string): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const spec = pod.spec!;
    const uid = spec.securityContext?.fsGroup ?? 0;
    const write = (dir: string, path: string, content: string | Buffer, mode: number) => {
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { mode });
      chmodSync(file, mode | 0o040); // fsGroup: the group may read (kubelet's SetVolumeOwnership)
      chownSync(file, 0, uid);
    };
    const mountOf = (volume: string) =>
      spec.containers[0]!.volumeMounts?.find((m) => m.name === volume)?.mountPath ?? `/unmounted/${volume}`;
    for (const v of spec.volumes ?? []) {
      const dir = join(root, mountOf(v.name));
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o755);
      await fill(v, dir, ns, pod, write);
    }
  }

  async function source(
    kind: "Secret" | "ConfigMap",
    ns: string,
    name: string,
  ): Promise<Record<string, Buffer> | undefined> {
    try {
      if (kind === "Secret") {
        const s = await core.readNamespacedSecret({ namespace: ns, name });
        return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64")]));
      }
      const c = await core.readNamespacedConfigMap({ namespace: ns, name });
      return Object.fromEntries(Object.entries(c.data ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  /** Writes a secret/configMap volume's files; a missing source or key that is not optional keeps the pod pending. */
  async function keyed(
    kind: "Secret" | "ConfigMap",
    ns: string,
    name: string,
    items: { key: string; path: string; mode?: number }[] | undefined,
    optional: boolean,
    mode: number,
    dir: string,
    write: (dir: string, path: string, content: Buffer, mode: number) => void,
  ): Promise<void> {
    const data = await source(kind, ns, name);
    if (!data) {
      if (optional) return;
      throw new Pending(`${kind} ${ns}/${name} does not exist`);
    }
    const all: { key: string; path: string; mode?: number }[] = Object.keys(data).map((key) => ({ key, path: key }));
    for (const item of items ?? all) {
      const value = data[item.key];
      if (value === undefined) {
        if (optional) continue;
        throw new Pending(`${kind} ${ns}/${name} has no key ${item.key}`);
      }
      write(dir, item.path, value, item.mode ?? mode);
    }
  }

  async function fill(
    v: V1Volume,
    dir: string,
    ns: string,
    pod: V1Pod,
    write: (dir: string, path: string, content: string | Buffer, mode: number) => void,
  ): Promise<void> {
    if (v.emptyDir) return chmodSync(dir, 0o777); // the kubelet makes an emptyDir world-writable
    if (v.secret) {
      const s = v.secret;
      return keyed("Secret", ns, s.secretName!, s.items, s.optional ?? false, s.defaultMode ?? 0o644, dir, write);
    }
    if (v.configMap) {
      const c = v.configMap;
      return keyed("ConfigMap", ns, c.name!, c.items, c.optional ?? false, c.defaultMode ?? 0o644, dir, write);
    }
    if (v.projected) {
      const mode = v.projected.defaultMode ?? 0o644;
      for (const src of v.projected.sources ?? []) {
        if (src.serviceAccountToken) {
          const t = src.serviceAccountToken;
          let token: string;
          try {
            const tr = await core.createNamespacedServiceAccountToken({
              namespace: ns,
              name: pod.spec!.serviceAccountName ?? "default",
              body: {
                spec: {
                  audiences: t.audience ? [t.audience] : [],
                  expirationSeconds: t.expirationSeconds ?? 3607,
                  boundObjectRef: { apiVersion: "v1", kind: "Pod", name: pod.metadata!.name!, uid: pod.metadata!.uid! },
                },
              },
            });
            token = tr.status!.token!;
          } catch (e) {
            if (notFound(e)) throw new Pending(`ServiceAccount ${ns}/${pod.spec!.serviceAccountName} does not exist`);
            throw e;
          }
          write(dir, t.path, token, mode);
        } else if (src.configMap) {
          if (src.configMap.name === "kube-root-ca.crt") await publishRootCa(ns); // root-ca-cert-publisher's job
          await keyed("ConfigMap", ns, src.configMap.name!, src.configMap.items, false, mode, dir, write);
        } else if (src.downwardAPI) {
          for (const item of src.downwardAPI.items ?? []) {
            if (item.fieldRef?.fieldPath !== "metadata.namespace")
              throw new Error(`stand-in kubelet: downward API field ${item.fieldRef?.fieldPath} is not supported`);
            write(dir, item.path, ns, mode);
          }
        } else throw new Error(`stand-in kubelet: projected source ${JSON.stringify(src)} is not supported`);
      }
      return;
    }
    throw new Error(`stand-in kubelet: volume ${v.name} of an unsupported type`);
  }

  /** kube-controller-manager's root-ca-cert-publisher puts the cluster CA in every namespace. */
  async function publishRootCa(ns: string): Promise<void> {
    try {
      await core.createNamespacedConfigMap({
        namespace: ns,
        body: { metadata: { name: "kube-root-ca.crt" }, data: { "ca.crt": caPem } },
      });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 409)) throw e;
    }
  }

  /** Runs the container's command; exit code and interleaved log. */
  function execute(pod: V1Pod, root: string, deadlineMs: number): Promise<{ exitCode: number; log: string }> {
    const c = pod.spec!.containers[0]!;
    const command = [...(c.command ?? []), ...(c.args ?? [])];
    const env: Record<string, string> = {};
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath);
    const runner = opts.runner ?? "process";
    let bin: string;
    let args: string[];
    let procEnv: Record<string, string>;
    if (runner === "process") {
      const local = LOCAL_BINS[command[0]!];
      if (!local) throw new Error(`stand-in kubelet: no local stand-in for the image's ${command[0]}`);
      const rewrite = (a: string) => (mounts.some((m) => a === m || a.startsWith(`${m}/`)) ? join(root, a) : a);
      bin = process.execPath;
      args = [local, ...command.slice(1).map(rewrite)];
      procEnv = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: root,
        KUBERNETES_SERVICE_HOST: server.hostname,
        KUBERNETES_SERVICE_PORT: server.port,
        POOLFLEET_IN_CLUSTER_PREFIX: root,
        ...env,
      };
    } else {
      const sc = pod.spec!.securityContext;
      const csc = c.securityContext;
      bin = "docker";
      args = [
        "run",
        "--rm",
        "--network",
        "host",
        ...(csc?.readOnlyRootFilesystem ? ["--read-only"] : []),
        ...(sc?.runAsUser !== undefined ? ["--user", `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`] : []),
        ...(sc?.fsGroup !== undefined ? ["--group-add", String(sc.fsGroup)] : []),
        ...(csc?.capabilities?.drop?.includes("ALL") ? ["--cap-drop", "ALL"] : []),
        ...(csc?.allowPrivilegeEscalation === false ? ["--security-opt", "no-new-privileges"] : []),
        "-e",
        `KUBERNETES_SERVICE_HOST=${server.hostname}`,
        "-e",
        `KUBERNETES_SERVICE_PORT=${server.port}`,
        ...Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
        ...(c.volumeMounts ?? []).flatMap((m) => [
          "-v",
          `${join(root, m.mountPath)}:${m.mountPath}${m.readOnly ? ":ro" : ""}`,
        ]),
        "--entrypoint",
        command[0]!,
        runner.docker,
        ...command.slice(1),
      ];
      procEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    }
    return new Promise((resolve) => {
      const child = spawn(bin, args, { env: procEnv, stdio: ["ignore", "pipe", "pipe"] });
      let log = "";
      child.stdout.on("data", (d: Buffer) => (log += d.toString()));
      child.stderr.on("data", (d: Buffer) => (log += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), deadlineMs);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? (signal ? 137 : 1), log });
      });
    });
  }

  const now = () => new Date();
  const tail = (log: string) => {
    const lines = log.trimEnd().split("\n").slice(-TAIL_LINES).join("\n");
    return Buffer.from(lines).subarray(-TAIL_BYTES).toString("utf8");
  };

  async function setJobStatus(job: V1Job, status: V1Job["status"]): Promise<void> {
    const md = job.metadata!;
    const live = await batch.readNamespacedJob({ namespace: md.namespace!, name: md.name! });
    await batch.replaceNamespacedJobStatus({
      namespace: md.namespace!,
      name: md.name!,
      body: { ...live, status: { ...live.status, ...status } },
    });
  }

  async function runOnce(job: V1Job, attempt: number): Promise<"succeeded" | "failed" | "pending"> {
    const md = job.metadata!;
    const ns = md.namespace!;
    const template = job.spec!.template;
    const podName = `${md.name}-${attempt}-${Math.random().toString(36).slice(2, 7)}`;
    const labels = {
      ...template.metadata?.labels,
      "batch.kubernetes.io/job-name": md.name!,
      "job-name": md.name!,
      "batch.kubernetes.io/controller-uid": md.uid!,
      "controller-uid": md.uid!,
    };
    const pod = await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: {
          name: podName,
          labels,
          ownerReferences: [
            {
              apiVersion: "batch/v1",
              kind: "Job",
              name: md.name!,
              uid: md.uid!,
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: template.spec!,
      },
    });
    const root = mkdtempSync(join(tmpdir(), "pf-standin-pod-"));
    chmodSync(root, 0o755);
    try {
      try {
        await materialise(pod, root);
      } catch (e) {
        if (!(e instanceof Pending)) throw e;
        await core.deleteNamespacedPod({ namespace: ns, name: podName }).catch(() => undefined);
        return "pending";
      }
      const startedAt = now();
      const deadlineMs = (job.spec!.activeDeadlineSeconds ?? 120) * 1000;
      const { exitCode, log } = await execute(pod, root, deadlineMs);
      runs.push({ namespace: ns, job: md.name!, pod: podName, exitCode, log });
      const policy = template.spec!.containers[0]!.terminationMessagePolicy;
      const message = exitCode !== 0 && policy === "FallbackToLogsOnError" ? tail(log) : undefined;
      const live = await core.readNamespacedPod({ namespace: ns, name: podName });
      await core.replaceNamespacedPodStatus({
        namespace: ns,
        name: podName,
        body: {
          ...live,
          status: {
            phase: exitCode === 0 ? "Succeeded" : "Failed",
            startTime: startedAt,
            containerStatuses: [
              {
                name: template.spec!.containers[0]!.name,
                image: template.spec!.containers[0]!.image!,
                imageID: "",
                ready: false,
                restartCount: 0,
                state: {
                  terminated: {
                    exitCode,
                    reason: exitCode === 0 ? "Completed" : "Error",
                    startedAt,
                    finishedAt: now(),
                    ...(message ? { message } : {}),
                  },
                },
              },
            ],
          },
        },
      });
      return exitCode === 0 ? "succeeded" : "failed";
    } finally {
      rmSync(root, { recursive: true, force: true }); // it held the Secrets' bytes
    }
  }

  /** The conditions the job controller sets when a Job ends: the interim one, then the final one. */
  function endConditions(types: [string, string], reason: string, message: string, t: Date) {
    return types.map((type) => ({ type, status: "True", reason, message, lastTransitionTime: t, lastProbeTime: t }));
  }

  async function handle(job: V1Job): Promise<void> {
    const started = job.status?.startTime ? new Date(job.status.startTime) : now();
    if (!job.status?.startTime) await setJobStatus(job, { startTime: started, active: 1 });
    const limit = job.spec!.backoffLimit ?? 6;
    const deadline = started.getTime() + (job.spec!.activeDeadlineSeconds ?? 600) * 1000;
    let failed = job.status?.failed ?? 0;
    for (;;) {
      if (stopped) return;
      if (Date.now() > deadline) {
        const t = now();
        await setJobStatus(job, {
          active: 0,
          failed,
          conditions: endConditions(
            ["FailureTarget", "Failed"],
            "DeadlineExceeded",
            "Job was active longer than specified deadline",
            t,
          ),
        });
        return;
      }
      const outcome = await runOnce(job, failed);
      if (outcome === "pending") {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const t = now();
      if (outcome === "succeeded") {
        await setJobStatus(job, {
          active: 0,
          succeeded: 1,
          failed,
          completionTime: t,
          conditions: endConditions(
            ["SuccessCriteriaMet", "Complete"],
            "CompletionsReached",
            "Reached expected number of succeeded pods",
            t,
          ),
        });
        return;
      }
      failed++;
      if (failed > limit) {
        await setJobStatus(job, {
          active: 0,
          failed,
          conditions: endConditions(
            ["FailureTarget", "Failed"],
            "BackoffLimitExceeded",
            "Job has reached the specified backoff limit",
            t,
          ),
        });
        return;
      }
      await setJobStatus(job, { failed });
    }
  }

  const finished = (job: V1Job) =>
    job.status?.conditions?.some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");

  const loop = (async () => {
    while (!stopped) {
      try {
        const jobs = opts.namespaces
          ? (await Promise.all(opts.namespaces.map((namespace) => batch.listNamespacedJob({ namespace })))).flatMap(
              (l) => l.items,
            )
          : (await batch.listJobForAllNamespaces()).items;
        for (const job of jobs) {
          const uid = job.metadata!.uid!;
          if (finished(job) || busy.has(uid) || job.metadata?.deletionTimestamp) continue;
          busy.set(
            uid,
            handle(job).catch((e) => {
              process.stderr.write(`stand-in job controller: ${job.metadata!.name}: ${(e as Error).message}\n`);
              busy.delete(uid); // retried on a later poll
            }),
          );
        }
      } catch (e) {
        if (!stopped) process.stderr.write(`stand-in job controller: list failed: ${(e as Error).message}\n`);
      }
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 150));
    }
  })();

  return {
    runs,
    async stop() {
      stopped = true;
      await loop;
      await Promise.all(busy.values());
    },
  };
}
