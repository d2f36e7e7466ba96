// The end-to-end tier of the test control plane: on top of etcd + kube-apiserver, kube-controller-manager (the
// StatefulSet, Job, ReplicaSet, garbage-collector, namespace, PV-binder... controllers), kube-scheduler and kwok,
// which keeps fake Nodes Ready and marks the pods bound to them Running and Ready (Job pods Succeeded) without
// running any container. Flags as kwokctl passes them (../shared/reference/k8s.md §3).
//
// Storage: nothing provisions volumes here, so the harness creates a set of static PersistentVolumes with no
// storage class; KCM's PV binder binds claims without a class (a StatefulSet's volumeClaimTemplates) to them,
// as it would on a cluster with pre-provisioned disks.
import type { ChildProcess } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, type V1Node } from "@kubernetes/client-node";
import { freePort } from "./node-process.ts";
import { exitedMessage, httpsStatus, poll, spawnLogged, stopProcess, Tail } from "./processes.ts";

export const E2E_BINARIES = ["kube-controller-manager", "kube-scheduler", "kwok"] as const;

/** Why the end-to-end tier cannot run here, or undefined when it can. */
export function e2eMissing(assets: string): string | undefined {
  const absent = E2E_BINARIES.filter((b) => !existsSync(join(assets, b)));
  if (absent.length === 0) return undefined;
  return (
    `the end-to-end tier needs ${absent.join(", ")} in ${assets}; ` +
    `build them with: bash scripts/k8s-binaries.sh --e2e (about 4 minutes on 2 cores; .ci/run does it)`
  );
}

export interface E2eOptions {
  /** Fake nodes kwok keeps Ready (default 1). */
  nodes?: number;
  /** Static PersistentVolumes of 1 TiB each, no storage class, for StatefulSets' claims (default 16). */
  volumes?: number;
}

export interface E2eParts {
  readonly nodeNames: string[];
  logs(): string;
  stop(): Promise<void>;
}

export interface E2eInputs {
  assets: string;
  dir: string;
  kc: KubeConfig;
  /** Test CA certificate (--root-ca-file: published as the kube-root-ca.crt ConfigMap in every namespace). */
  caFile: string;
  deadline: number;
  /** Called with every child as it starts, so the caller can kill them on a crash. */
  track(child: ChildProcess): void;
}

export function fakeNode(name: string): V1Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      // kwok manages nodes with this annotation; no taint, so ordinary pods (the operator's) schedule here.
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node-role.kubernetes.io/agent": "",
        type: "kwok",
      },
    },
    // Big enough for several mainnet-sized producers (2 CPU, 24 GiB requested each).
    status: {
      allocatable: { cpu: "64", memory: "512Gi", pods: "110", "ephemeral-storage": "1Ti" },
      capacity: { cpu: "64", memory: "512Gi", pods: "110", "ephemeral-storage": "1Ti" },
      nodeInfo: {
        architecture: "amd64",
        bootID: "",
        containerRuntimeVersion: "kwok",
        kernelVersion: "",
        kubeProxyVersion: "fake",
        kubeletVersion: "fake",
        machineID: "",
        operatingSystem: "linux",
        osImage: "",
        systemUUID: "",
      },
      phase: "Running",
    },
  };
}

export async function startE2e(input: E2eInputs, opts: E2eOptions): Promise<E2eParts> {
  const { assets, dir, kc, deadline } = input;
  const kubeconfig = join(dir, "admin.kubeconfig");
  writeFileSync(kubeconfig, kc.exportConfig(), { mode: 0o600 });
  const core = kc.makeApiClient(CoreV1Api);
  const tails: [string, Tail][] = [];
  const children: ChildProcess[] = [];
  const start = (name: string, args: string[]) => {
    const tail = new Tail(200);
    const child = spawnLogged(join(assets, name), args, tail);
    tails.push([name, tail]);
    children.push(child);
    input.track(child);
    return { child, tail };
  };
  const logs = () => tails.map(([name, tail]) => `--- ${name} ---\n${tail.text()}`).join("\n");

  const kcmPort = await freePort();
  const kcm = start("kube-controller-manager", [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${kcmPort}`,
    "--leader-elect=false",
    "--controllers=*",
    `--root-ca-file=${input.caFile}`,
    // The API server is local and has no other clients worth protecting: don't throttle the controllers.
    "--kube-api-qps=500",
    "--kube-api-burst=1000",
    // Reconcile quickly after a change (defaults favour large clusters).
    "--node-monitor-period=1s",
    "--concurrent-statefulset-syncs=10",
  ]);
  const schedPort = await freePort();
  const sched = start("kube-scheduler", [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${schedPort}`,
    "--leader-elect=false",
  ]);
  const kwok = start("kwok", [
    `--kubeconfig=${kubeconfig}`,
    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    "--node-lease-duration-seconds=40",
    "--cidr=10.244.0.1/16",
    "--node-ip=127.0.0.1",
  ]);

  try {
    const insecure = { rejectUnauthorized: false };
    await poll(
      "kube-controller-manager /healthz",
      deadline,
      async () => (await httpsStatus(`https://127.0.0.1:${kcmPort}/healthz`, insecure)) === 200,
      exitedMessage(kcm.child, "kube-controller-manager", kcm.tail),
    );
    await poll(
      "kube-scheduler /healthz",
      deadline,
      async () => (await httpsStatus(`https://127.0.0.1:${schedPort}/healthz`, insecure)) === 200,
      exitedMessage(sched.child, "kube-scheduler", sched.tail),
    );

    const nodeNames = Array.from({ length: opts.nodes ?? 1 }, (_, i) => `kwok-node-${i}`);
    for (const name of nodeNames) await core.createNode({ body: fakeNode(name) });
    await poll(
      "kwok: fake nodes Ready",
      deadline,
      async () => {
        const nodes = await core.listNode({ labelSelector: "type=kwok" });
        const ready = nodes.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        );
        return ready.length === nodeNames.length;
      },
      exitedMessage(kwok.child, "kwok", kwok.tail),
    );
    // KCM's serviceaccount controller has run once the default namespace has its default ServiceAccount.
    await poll(
      "kube-controller-manager: default ServiceAccount",
      deadline,
      async () => {
        try {
          await core.readNamespacedServiceAccount({ name: "default", namespace: "default" });
          return true;
        } catch {
          return false;
        }
      },
      exitedMessage(kcm.child, "kube-controller-manager", kcm.tail),
    );

    for (let i = 0; i < (opts.volumes ?? 16); i++) {
      await core.createPersistentVolume({
        body: {
          metadata: { name: `e2e-pv-${i}`, labels: { "poolfleet.io/e2e": "static" } },
          spec: {
            capacity: { storage: "1Ti" },
            accessModes: ["ReadWriteOnce"],
            persistentVolumeReclaimPolicy: "Retain",
            hostPath: { path: `/var/lib/poolfleet-e2e/pv-${i}` },
          },
        },
      });
    }

    return {
      nodeNames,
      logs,
      async stop() {
        // kwok and the scheduler first: KCM stopping last keeps no controller acting on half-stopped parts.
        await stopProcess(kwok.child, 10_000);
        await stopProcess(sched.child, 10_000);
        await stopProcess(kcm.child, 10_000);
      },
    };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += `\n${logs().slice(-6000)}`;
    throw err;
  }
}
