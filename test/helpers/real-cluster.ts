// A real single-node Kubernetes cluster on this machine, for behaviour tests (test/cluster/): the envtest control
// plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler: envtest.ts), and a node in a network
// namespace of its own (real-cluster-host.ts) running containerd with its own state, the kubelet, a CNI bridge,
// kube-proxy (nftables mode), CoreDNS (a pod) behind the kube-dns Service, and kube-router's NetworkPolicy enforcer; a
// storage class of static local PersistentVolumes for StatefulSets' claims. Images are imported into containerd
// from the local Docker engine (no registry). stop() undoes everything and throws naming whatever it could not.
//
// The kubelet and containerd run in the host's mount namespace (nsenter joins only the network namespace), so the
// kubelet's volume mounts are visible to containerd's runc, and the teardown finds every mount under the cluster's
// directory in /proc/self/mountinfo.
import { type ChildProcess, execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { type ControlPlane, startEnvtest } from "./envtest.ts";
import { DNS_POD, makeDnsPod, makeDnsService, makeStorage, STORAGE_CLASS } from "./real-cluster-objects.ts";
import { DIR_PREFIX, recordCluster, removeStaleClusters } from "./real-cluster-stale.ts";
import {
  CNI_BIN,
  hostMissing,
  makeCgroups,
  makeNodeNet,
  mountsUnder,
  type NodeNet,
  pidsMentioning,
  removeCgroups,
  removeCniResults,
  removeLogLinks,
  removeNodeNet,
  unmountAll,
} from "./real-cluster-host.ts";
import {
  CLUSTER_DOMAIN,
  cniConfig,
  containerdConfig,
  corefile,
  kubeletConfig,
  nodeKubeconfig,
  PAUSE_IMAGE,
} from "./real-cluster-config.ts";
import { exitedMessage, poll, runProvisionScript, spawnLogged, stopProcess, Tail } from "./processes.ts";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/k8s-node-binaries.sh", import.meta.url));
const START_TIMEOUT_MS = Number(process.env.POOLFLEET_REAL_CLUSTER_START_TIMEOUT_MS ?? 180_000);
export const NODE_NAME = "poolfleet-node";
const DNS_SERVICE_IP = "10.0.0.10"; // in envtest's Service range 10.0.0.0/24
/** The kubernetes Service's ClusterIP: the first address of envtest's Service range. */
export const API_SERVICE_IP = "10.0.0.1";

export interface RealCluster {
  readonly kc: KubeConfig;
  readonly control: ControlPlane;
  readonly nodeName: string;
  readonly net: NodeNet;
  /** Static local PersistentVolumes (ReadWriteOnce, 10Gi each) of this class, for volumeClaimTemplates. */
  readonly storageClass: string;
  /** Last lines of every process's output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface RealClusterOptions {
  /** Docker images to import into the node's containerd (`docker save | ctr images import`). */
  images?: string[];
  /** Static local PersistentVolumes to create (default 8). */
  volumes?: number;
}

/** The node-side binaries, building them first when absent (scripts/k8s-node-binaries.sh); a failure throws. */
export async function nodeAssets(): Promise<string> {
  const { code, provided: dir, errTail } = await runProvisionScript(SCRIPT, 50 * 60_000);
  const want = ["kubelet", "kube-proxy", "coredns", "kube-router", "pause.tar"];
  const absent = want.filter((b) => !existsSync(join(dir, b)));
  if (code !== 0 || absent.length > 0) {
    throw new Error(`scripts/k8s-node-binaries.sh could not provide ${absent.join(", ")} (exit ${code}):\n${errTail}`);
  }
  return dir;
}

/**
 * Why this machine cannot run the real-cluster tier, said loudly, or undefined when it can. With
 * POOLFLEET_REQUIRE_CLUSTER=1 (CI) it is never a skip: startRealCluster then fails naming what is missing.
 */
export function realClusterSkip(): string | undefined {
  if (process.env.POOLFLEET_REQUIRE_CLUSTER === "1") return undefined;
  const missing = hostMissing();
  if (missing.length === 0) return undefined;
  const reason = `this machine cannot run it (as root, bash scripts/k8s-node-binaries.sh installs what it can); missing: ${missing.join("; ")}`;
  const line = "!".repeat(100);
  process.stderr.write(`\n${line}\n!! REAL-CLUSTER TESTS SKIPPED: ${reason}\n${line}\n\n`);
  return `real-cluster tier skipped: ${reason}`;
}

export async function startRealCluster(options: RealClusterOptions = {}): Promise<RealCluster> {
  const missing = hostMissing();
  if (missing.length > 0) {
    throw new Error(`the real-cluster tier cannot run on this machine; missing:\n  ${missing.join("\n  ")}`);
  }
  const stale = removeStaleClusters();
  if (stale.length > 0) process.stderr.write(`real cluster: removed clusters whose test died: ${stale.join(", ")}\n`);
  const assets = await nodeAssets();
  const id = randomBytes(3).toString("hex");
  const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
  const tails: [string, Tail][] = [];
  const children: [string, ChildProcess][] = [];
  const killAll = () => children.forEach(([, c]) => c.exitCode === null && c.kill("SIGKILL"));
  process.once("exit", killAll);
  let control: ControlPlane | undefined;
  let net: NodeNet | undefined;
  let cgroups: string[] = [];
  const sock = join(dir, "containerd.sock");
  const logs = () =>
    (control ? control.logs() + "\n" : "") + tails.map(([n, t]) => `--- ${n} ---\n${t.text()}`).join("\n");

  const inNode = (name: string, bin: string, args: string[]) => {
    const tail = new Tail(300);
    const child = spawnLogged("nsenter", [`--net=/run/netns/${net!.ns}`, "--", bin, ...args], tail);
    tails.push([name, tail]);
    children.push([name, child]);
    return { child, tail, exited: exitedMessage(child, name, tail) };
  };

  // Every step runs whatever an earlier one threw: a failure is reported with what is left, never stops the rest.
  const teardown = async (): Promise<string[]> => {
    const left: string[] = [];
    const step = async (what: string, fn: () => unknown) => {
      try {
        const more = await fn();
        if (Array.isArray(more)) left.push(...(more as string[]));
      } catch (e) {
        left.push(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    const stop = (name: string) =>
      step(`stopping ${name}`, async () => {
        for (const [n, c] of children) if (n === name) await stopProcess(c, 10_000);
      });
    await stop("kubelet");
    // Containers first (their cgroups), then their runc shims, whose sockets containerd keeps outside its state.
    let shimSockets: string[] = [];
    await step("reading the shims' sockets", () => {
      shimSockets = shimSocketPaths(dir);
    });
    await step("killing the containers", () => void removeCgroups(cgroups)); // the second pass reports
    await step("killing the shims", () => {
      for (const pid of pidsMentioning(sock)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    });
    for (const name of ["kube-router", "kube-proxy", "containerd"]) await stop(name);
    await step("killing the node's processes", killAll);
    await step("removing the shims' sockets", () => shimSockets.forEach((s) => rmSync(s, { force: true })));
    await step("stopping the control plane", () => control?.stop());
    await step("unmounting", () => unmountAll(dir));
    await step("removing the cgroups", () => removeCgroups(cgroups));
    await step("removing the network namespace", () => (net ? removeNodeNet(net) : []));
    await step("removing the container log links", () => removeLogLinks(dir));
    await step("removing libcni's results", () => removeCniResults(`poolfleet-${id}`));
    await step("looking for shims", () => pidsMentioning(sock).map((p) => `process ${p} (a containerd shim)`));
    // Never delete through a mount that is still there: it could be a host path a pod mounted.
    await step("removing the directory", () => {
      if (mountsUnder(dir).length > 0) return [`directory ${dir} (mounts remain)`];
      rmSync(dir, { recursive: true, force: true });
      return [];
    });
    process.removeListener("exit", killAll);
    return left;
  };

  try {
    net = makeNodeNet(id);
    cgroups = makeCgroups(`poolfleet-rc-${id}`);
    recordCluster({ owner: process.pid, id, dir, net, cgroups });
    const deadline = Date.now() + START_TIMEOUT_MS;

    control = await startEnvtest({
      e2e: { nodes: 0, volumes: 0 },
      // The API server listens only at the host end of the node's veth: the node and its pods reach it there (pods
      // through the kubernetes Service, which kube-proxy translates to this address), the test process too, and
      // nothing off this machine (no other interface's address is bound; the veth's subnet is routed nowhere).
      address: net.hostIp,
      // Pods verify it as in any cluster: by the kubernetes Service's ClusterIP and DNS names.
      servingSans: [
        `IP:${API_SERVICE_IP}`,
        "DNS:kubernetes",
        "DNS:kubernetes.default",
        "DNS:kubernetes.default.svc",
        `DNS:kubernetes.default.svc.${CLUSTER_DOMAIN}`,
      ],
      // Pods get their ServiceAccount's token (in-cluster clients: an operator pod, a Job).
      serviceAccountAdmission: true,
      apiServerArgs: ["--kubelet-preferred-address-types=InternalIP"],
    });
    const kc = control.kc;
    const port = new URL(control.server).port;
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser()!;
    const kubeconfig = join(dir, "node.kubeconfig");
    writeFileSync(
      kubeconfig,
      nodeKubeconfig(`https://${net.hostIp}:${port}`, cluster.caData!, user.certData!, user.keyData!),
      { mode: 0o600 },
    );

    // containerd, with the CNI config in place before it starts (the CRI plugin loads it at once).
    const cniConfDir = join(dir, "cni", "net.d");
    mkdirSync(cniConfDir, { recursive: true });
    writeFileSync(
      join(cniConfDir, "10-poolfleet.conflist"),
      cniConfig(`poolfleet-${id}`, net.podCidr, join(dir, "cni", "ipam")),
    );
    writeFileSync(join(dir, "containerd.toml"), containerdConfig({ dir, containerdSock: sock, cniConfDir }, CNI_BIN));
    const containerd = inNode("containerd", "containerd", ["--config", join(dir, "containerd.toml")]);
    const ctr = (...args: string[]) => ["--address", sock, "--namespace", "k8s.io", ...args];
    await poll(
      "containerd",
      deadline,
      async () => spawnSync("ctr", ctr("version"), { timeout: 5000 }).status === 0,
      containerd.exited,
    );
    await run("ctr", ctr("images", "import", join(assets, "pause.tar")), { timeout: 120_000 });
    for (const image of options.images ?? []) {
      await run("sh", ["-c", `docker save "$1" | ctr ${ctr("images", "import", "-").join(" ")}`, "sh", image], {
        timeout: 600_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    }

    // The kubelet.
    const resolvConf = join(dir, "resolv.conf");
    writeFileSync(resolvConf, ""); // no upstream: pods with dnsPolicy Default resolve nothing outside
    const kubeletDir = join(dir, "kubelet");
    mkdirSync(kubeletDir);
    writeFileSync(
      join(dir, "kubelet.json"),
      kubeletConfig({
        nodeIp: net.nodeIp,
        cgroupRoot: `/poolfleet-rc-${id}`,
        containerdSock: sock,
        clusterDns: DNS_SERVICE_IP,
        resolvConf,
        podLogsDir: join(dir, "pod-logs"),
      }),
    );
    const kubelet = inNode("kubelet", join(assets, "kubelet"), [
      `--config=${join(dir, "kubelet.json")}`,
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      `--node-ip=${net.nodeIp}`,
      `--root-dir=${kubeletDir}`,
      `--cert-dir=${join(kubeletDir, "pki")}`,
      `--pod-infra-container-image=${PAUSE_IMAGE}`,
      "--v=1",
    ]);
    const core = kc.makeApiClient(CoreV1Api);
    await poll(
      `node ${NODE_NAME} Ready`,
      deadline,
      async () => {
        try {
          const node = await core.readNode({ name: NODE_NAME });
          return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
        } catch {
          return false;
        }
      },
      kubelet.exited,
    );

    // Cluster DNS: CoreDNS in a pod of kube-system, behind the kube-dns Service the kubelet gives pods as their
    // nameserver. It reaches the API server as the node's components do (the host end of the veth).
    const dnsConf = join(dir, "coredns");
    mkdirSync(dnsConf);
    writeFileSync(join(dnsConf, "Corefile"), corefile("/etc/coredns/kubeconfig"));
    writeFileSync(join(dnsConf, "kubeconfig"), readFileSync(kubeconfig), { mode: 0o600 });
    await poll(
      "the default ServiceAccount in kube-system (the ServiceAccount admission plugin needs it for a pod)",
      deadline,
      async () => {
        try {
          return Boolean(await core.readNamespacedServiceAccount({ name: "default", namespace: "kube-system" }));
        } catch {
          return false;
        }
      },
      kubelet.exited,
    );
    await makeDnsPod(kc, PAUSE_IMAGE, assets, dnsConf);
    await makeDnsService(kc, DNS_SERVICE_IP);

    const proxy = inNode("kube-proxy", join(assets, "kube-proxy"), [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      "--proxy-mode=nftables",
      `--cluster-cidr=${net.podCidr}`,
      // nf_conntrack_max is not writable outside the host's namespace: leave it alone.
      "--conntrack-max-per-core=0",
      "--v=1",
    ]);
    const router = inNode("kube-router", join(assets, "kube-router"), [
      `--kubeconfig=${kubeconfig}`,
      `--hostname-override=${NODE_NAME}`,
      "--run-firewall=true",
      "--run-router=false",
      "--run-service-proxy=false",
      "--enable-cni=false",
      "--enable-ipv6=false",
      "--service-cluster-ip-range=10.0.0.0/24",
      "--metrics-port=0",
      "--v=1",
    ]);
    const nodeSh = (cmd: string) =>
      spawnSync("nsenter", [`--net=/run/netns/${net!.ns}`, "--", "sh", "-c", cmd], { timeout: 5000 }).status === 0;
    await poll(
      "kube-proxy's nftables table",
      deadline,
      async () => nodeSh("nft list table ip kube-proxy"),
      proxy.exited,
    );
    await poll(
      "kube-router's NetworkPolicy chains",
      deadline,
      async () => nodeSh("iptables -S KUBE-ROUTER-FORWARD"),
      router.exited,
    );
    await poll(
      "CoreDNS's pod ready",
      deadline,
      async () => {
        try {
          const p = await core.readNamespacedPod({ name: DNS_POD, namespace: "kube-system" });
          return p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
        } catch {
          return false;
        }
      },
      kubelet.exited,
    );

    await makeStorage(kc, NODE_NAME, join(dir, "volumes"), options.volumes ?? 8);
    const started = { control, net };
    return {
      kc,
      control: started.control,
      nodeName: NODE_NAME,
      net: started.net,
      storageClass: STORAGE_CLASS,
      logs,
      async stop() {
        const left = await teardown();
        if (left.length > 0) throw new Error(`real cluster teardown left behind:\n  ${left.join("\n  ")}`);
      },
    };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += `\n${logs().slice(-8000)}`;
    const left = await teardown().catch((t: unknown) => [`teardown failed: ${String(t)}`]);
    if (left.length > 0) err.message += `\nteardown left behind:\n  ${left.join("\n  ")}`;
    killAll();
    throw err;
  }
}

/** The unix sockets of containerd's runc shims (kept in /run/containerd/s/, named in each task's address file). */
function shimSocketPaths(dir: string): string[] {
  const tasks = join(dir, "containerd", "state", "io.containerd.runtime.v2.task");
  if (!existsSync(tasks)) return [];
  const out: string[] = [];
  for (const ns of readdirSync(tasks)) {
    for (const id of readdirSync(join(tasks, ns))) {
      const file = join(tasks, ns, id, "address");
      if (existsSync(file))
        out.push(
          readFileSync(file, "utf8")
            .trim()
            .replace(/^unix:\/\//, ""),
        );
    }
  }
  return out;
}
