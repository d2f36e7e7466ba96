// A real cluster whose test process was killed (SIGKILL, a CI timeout) never ran its teardown: its kubelet,
// containerd and containers go on running, holding its network namespace, mounts and cgroups. Each cluster writes
// what it made to cluster.json in its directory; the next start removes every cluster whose owner is gone.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  mountsUnder,
  type NodeNet,
  pidsMentioning,
  removeCgroups,
  removeCniResults,
  removeLogLinks,
  removeNodeNet,
  unmountAll,
} from "./real-cluster-host.ts";

export interface ClusterRecord {
  readonly owner: number;
  readonly id: string;
  readonly dir: string;
  readonly net: NodeNet;
  readonly cgroups: string[];
}

export const DIR_PREFIX = "poolfleet-rc-";

export function recordCluster(r: ClusterRecord): void {
  writeFileSync(join(r.dir, "cluster.json"), JSON.stringify(r));
}

function kill(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

function argsOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/**
 * The dead cluster's envtest control plane (envtest.ts): its kube-apiserver is the one advertising the host end of
 * the cluster's veth; its --cert-dir is the envtest directory every other component's flags name, and its etcd is
 * the one listening where the API server's --etcd-servers points.
 */
function removeControlPlane(hostIp: string): void {
  for (const api of pidsMentioning(`--advertise-address=${hostIp}`)) {
    const args = argsOf(api);
    const certDir = flag(args, "cert-dir");
    const etcdUrl = flag(args, "etcd-servers");
    const etcds = etcdUrl ? pidsMentioning(`--listen-client-urls=${etcdUrl}`) : [];
    const dataDirs = etcds.map((p) => flag(argsOf(p), "data-dir")).filter((d): d is string => d !== undefined);
    kill([api, ...(certDir ? pidsMentioning(certDir) : []), ...etcds]);
    for (const d of [certDir, ...dataDirs]) if (d?.includes("poolfleet-")) rmSync(d, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes the clusters (under the temp directory) whose owning process has exited; returns their directories. */
export function removeStaleClusters(): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const file = join(tmpdir(), name, "cluster.json");
    if (!existsSync(file)) continue;
    let r: ClusterRecord;
    try {
      r = JSON.parse(readFileSync(file, "utf8")) as ClusterRecord;
    } catch {
      continue; // being written by a cluster starting now
    }
    if (alive(r.owner)) continue;
    // Every process of that cluster names its directory (flags, config paths) or its containerd socket.
    for (let round = 0; round < 20; round++) {
      const pids = pidsMentioning(r.dir);
      if (pids.length === 0) break;
      kill(pids);
    }
    removeControlPlane(r.net.hostIp);
    removeCgroups(r.cgroups);
    unmountAll(r.dir);
    removeCgroups(r.cgroups);
    removeNodeNet(r.net);
    removeLogLinks(r.dir);
    removeCniResults(`poolfleet-${r.id}`);
    if (mountsUnder(r.dir).length === 0) rmSync(r.dir, { recursive: true, force: true });
    removed.push(r.dir);
  }
  return removed;
}
