// The host side of the real-cluster tier (real-cluster.ts): what the kernel must offer, the node's own network
// namespace (a veth pair to the host, no default route, so no pod, Service or node address is ever routed off the
// machine), the cgroup the node's pods live under, and the undoing of all of it (processes, mounts, links, cgroups).
// Every step names what it needs when it is missing: the tier fails loudly rather than skips.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** Kernel options the node needs (built in or a module), each with what needs it. */
export const KERNEL_FEATURES: readonly (readonly [string, string])[] = [
  ["CONFIG_NET_NS", "the node's own network namespace"],
  ["CONFIG_VETH", "the veth pair between the host and the node's namespace"],
  ["CONFIG_BRIDGE", "the CNI bridge the pods are attached to"],
  ["CONFIG_BRIDGE_NETFILTER", "bridged pod-to-pod packets seen by kube-proxy's and kube-router's rules"],
  ["CONFIG_OVERLAY_FS", "containerd's overlayfs snapshotter"],
  ["CONFIG_MEMCG", "pod memory cgroups"],
  ["CONFIG_CPUSETS", "pod cpuset cgroups"],
  ["CONFIG_CGROUP_PIDS", "pod pids cgroups"],
  ["CONFIG_CFS_BANDWIDTH", "pod CPU limits"],
  ["CONFIG_NF_CONNTRACK", "Service NAT (kube-proxy)"],
  ["CONFIG_NF_NAT", "Service NAT (kube-proxy)"],
  ["CONFIG_NF_TABLES", "kube-proxy's nftables mode"],
  ["CONFIG_NF_TABLES_INET", "kube-proxy's nftables mode"],
  ["CONFIG_NFT_CT", "kube-proxy's nftables mode (ct expressions)"],
  ["CONFIG_NFT_NAT", "kube-proxy's nftables mode (dnat)"],
  ["CONFIG_NFT_MASQ", "kube-proxy's nftables mode (masquerade)"],
  ["CONFIG_NFT_NUMGEN", "kube-proxy's nftables mode (endpoint load balancing)"],
  ["CONFIG_NFT_FIB_IPV4", "kube-proxy's nftables mode (local address checks)"],
  ["CONFIG_NFT_REJECT", "kube-proxy's nftables mode (Services without endpoints)"],
  ["CONFIG_NFT_COMPAT", "iptables-nft, which kube-router's NetworkPolicy enforcer drives"],
  ["CONFIG_IP_SET", "kube-router's NetworkPolicy enforcer (ipsets of pod addresses)"],
  ["CONFIG_IP_SET_HASH_IP", "kube-router's NetworkPolicy enforcer (hash:ip sets)"],
  ["CONFIG_IP_SET_HASH_NET", "kube-router's NetworkPolicy enforcer (hash:net sets)"],
  ["CONFIG_NETFILTER_XT_SET", "kube-router's NetworkPolicy enforcer (-m set)"],
  ["CONFIG_NETFILTER_XT_MATCH_COMMENT", "kube-router's NetworkPolicy enforcer (-m comment)"],
  ["CONFIG_NETFILTER_XT_MATCH_CONNTRACK", "kube-router's NetworkPolicy enforcer (-m conntrack)"],
  ["CONFIG_NETFILTER_XT_MATCH_MULTIPORT", "kube-router's NetworkPolicy enforcer (-m multiport)"],
  ["CONFIG_NETFILTER_XT_MATCH_ADDRTYPE", "kube-router's NetworkPolicy enforcer (-m addrtype)"],
  ["CONFIG_NETFILTER_XT_MARK", "kube-router's NetworkPolicy enforcer (-j MARK)"],
  ["CONFIG_NETFILTER_XT_TARGET_NFLOG", "kube-router's NetworkPolicy enforcer (-j NFLOG)"],
  ["CONFIG_NETFILTER_XT_MATCH_LIMIT", "kube-router's NetworkPolicy enforcer (-m limit)"],
];

/** Commands the node needs (installed by scripts/k8s-node-binaries.sh from Debian packages). */
export const HOST_COMMANDS = ["ip", "nsenter", "nft", "iptables", "ipset", "containerd", "runc", "ctr", "umount"];
export const CNI_BIN = "/usr/lib/cni";

function kernelConfig(): string | undefined {
  try {
    return gunzipSync(readFileSync("/proc/config.gz")).toString();
  } catch {
    const release = execFileSync("uname", ["-r"]).toString().trim();
    const boot = `/boot/config-${release}`;
    return existsSync(boot) ? readFileSync(boot, "utf8") : undefined;
  }
}

/**
 * What this machine lacks for the real-cluster tier, one line each, naming the kernel option or command and what
 * needs it; empty when nothing is missing. Without a readable kernel config (/proc/config.gz or /boot/config-*),
 * the kernel options cannot be checked and that is said instead.
 */
export function hostMissing(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root: the node's namespace, mounts and cgroups need uid 0");
  const config = kernelConfig();
  if (config === undefined) {
    missing.push("a readable kernel config (/proc/config.gz or /boot/config-$(uname -r)) to check kernel options");
  } else {
    missing.push(...kernelMissing(config));
  }
  for (const cmd of HOST_COMMANDS) {
    if (spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0) {
      missing.push(`command ${cmd} (bash scripts/k8s-node-binaries.sh installs it)`);
    }
  }
  for (const plugin of ["bridge", "host-local", "loopback"]) {
    if (!existsSync(join(CNI_BIN, plugin)))
      missing.push(`CNI plugin ${CNI_BIN}/${plugin} (containernetworking-plugins)`);
  }
  if (!existsSync("/sys/fs/cgroup/memory") && !existsSync("/sys/fs/cgroup/cgroup.controllers")) {
    missing.push("a cgroup v1 or v2 hierarchy at /sys/fs/cgroup");
  }
  return missing;
}

/** The options of KERNEL_FEATURES that a kernel config text (`CONFIG_X=y|m` lines) lacks, with what needs each. */
export function kernelMissing(config: string): string[] {
  const set = new Set(
    config
      .split("\n")
      .filter((l) => /^CONFIG_\w+=[ym]\s*$/.test(l))
      .map((l) => l.split("=")[0]),
  );
  return KERNEL_FEATURES.filter(([option]) => !set.has(option)).map(
    ([option, why]) => `kernel option ${option} (needed for ${why})`,
  );
}

/**
 * libcni keeps each attachment's result in /var/lib/cni/results (a fixed path) until its DEL, which a sandbox killed
 * in the teardown never gets: remove the results of this cluster's network and its sandboxes' loopbacks.
 */
export function removeCniResults(network: string): void {
  const results = "/var/lib/cni/results";
  if (!existsSync(results)) return;
  // <network>-<sandbox id>-<interface>; containerd's loopback attachment of the same sandbox is cni-loopback-<id>-lo.
  const ours = readdirSync(results).filter((f) => f.startsWith(`${network}-`));
  const sandboxes = ours.map((f) => f.slice(network.length + 1).split("-")[0]);
  for (const f of [...ours, ...sandboxes.map((id) => `cni-loopback-${id}-lo`)]) {
    rmSync(join(results, f), { force: true });
  }
}

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** The node's network: namespace `ns`, host end `hostIf` (hostIp), node end `nodeIf` (nodeIp) and the pods' subnet. */
export interface NodeNet {
  readonly ns: string;
  readonly hostIf: string;
  readonly nodeIf: string;
  readonly hostIp: string;
  readonly nodeIp: string;
  readonly podCidr: string;
  readonly podGateway: string;
}

/**
 * A network namespace joined to the host by a veth pair (10.214.N.0/30) with the pods' subnet (10.213.N.0/24) routed
 * to it from the host, so the API server on the host reaches the kubelet and pods reach the API server. The
 * namespace has no default route: nothing from it is routed anywhere but the host. N is picked among the subnets
 * the host has no address or route in.
 */
export function makeNodeNet(id: string): NodeNet {
  const used = sh("ip", ["-4", "route", "show", "table", "all"]) + sh("ip", ["-4", "addr"]);
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter(
    (n) => !used.includes(`10.213.${n}.`) && !used.includes(`10.214.${n}.`),
  );
  if (free.length === 0) throw new Error("real cluster: no free 10.213.N.0/24 + 10.214.N.0/30 pair on this host");
  const n = free[Math.floor(Math.random() * free.length)]!;
  const net: NodeNet = {
    ns: `pf-rc-${id}`,
    hostIf: `pfh-${id}`,
    nodeIf: `pfn-${id}`,
    hostIp: `10.214.${n}.1`,
    nodeIp: `10.214.${n}.2`,
    podCidr: `10.213.${n}.0/24`,
    podGateway: `10.213.${n}.1`,
  };
  sh("ip", ["netns", "add", net.ns]);
  sh("ip", ["link", "add", net.hostIf, "type", "veth", "peer", "name", net.nodeIf]);
  sh("ip", ["link", "set", net.nodeIf, "netns", net.ns]);
  sh("ip", ["addr", "add", `${net.hostIp}/30`, "dev", net.hostIf]);
  sh("ip", ["link", "set", net.hostIf, "up"]);
  sh("ip", ["-n", net.ns, "addr", "add", `${net.nodeIp}/30`, "dev", net.nodeIf]);
  sh("ip", ["-n", net.ns, "link", "set", net.nodeIf, "up"]);
  sh("ip", ["-n", net.ns, "link", "set", "lo", "up"]);
  sh("ip", ["route", "add", net.podCidr, "via", net.nodeIp, "dev", net.hostIf]);
  // Per-namespace sysctls: the node routes between its pods' bridge and the veth, and bridged pod-to-pod packets
  // pass through netfilter so Service NAT and NetworkPolicy apply to pods on the same bridge.
  sh("nsenter", [
    `--net=/run/netns/${net.ns}`,
    "sysctl",
    "-q",
    "-w",
    "net.ipv4.ip_forward=1",
    "net.bridge.bridge-nf-call-iptables=1",
    "net.bridge.bridge-nf-call-ip6tables=1",
  ]);
  return net;
}

export function removeNodeNet(net: NodeNet): string[] {
  const left: string[] = [];
  // Deleting the namespace destroys everything in it (the node end, the CNI bridge, pods' veths, every nftables
  // and iptables table kube-proxy and kube-router made there) and, with the node end, the host end and its route.
  spawnSync("ip", ["netns", "delete", net.ns]);
  spawnSync("ip", ["link", "delete", net.hostIf]);
  for (let i = 0; i < 50 && existsSync(`/sys/class/net/${net.hostIf}`); i++) spawnSync("sleep", ["0.1"]);
  if (existsSync(`/run/netns/${net.ns}`)) left.push(`network namespace ${net.ns}`);
  if (existsSync(`/sys/class/net/${net.hostIf}`)) left.push(`link ${net.hostIf}`);
  return left;
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo: the kubelet and containerd share it). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => m !== undefined)
    .map(unescape)
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export function unmountAll(dir: string): string[] {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(dir);
    if (mounts.length === 0) return [];
    for (const m of mounts) {
      if (spawnSync("umount", [m]).status !== 0) spawnSync("umount", ["-l", m]);
    }
  }
  return mountsUnder(dir).map((m) => `mount ${m}`);
}

/** The cgroup directories (one per v1 hierarchy, or the v2 one) named `name`, which the kubelet uses as its root. */
export function makeCgroups(name: string): string[] {
  const base = "/sys/fs/cgroup";
  if (existsSync(join(base, "cgroup.controllers"))) {
    const dir = join(base, name);
    mkdirSync(dir);
    return [dir];
  }
  const dirs: string[] = [];
  for (const h of readdirSync(base)) {
    const root = join(base, h);
    // Hybrid v1/v2: runc also makes the containers' cgroups in the v2 tree; remove them too (not made here).
    if (h === "unified") dirs.push(join(root, name));
    if (h === "unified" || !existsSync(join(root, "cgroup.procs"))) continue;
    const dir = join(root, name);
    mkdirSync(dir);
    dirs.push(dir);
    if (h === "cpuset") {
      // A v1 cpuset takes no task until its cpus and mems are set: copy the parent's.
      for (const f of ["cpuset.cpus", "cpuset.mems"]) sh("sh", ["-c", `cat ${root}/${f} > ${dir}/${f}`]);
    }
  }
  return dirs;
}

/** A cgroup and its descendants, parents first. Runc and the kubelet remove cgroups meanwhile: a vanished one is skipped. */
function cgroupTree(dir: string): string[] {
  const out = [dir];
  for (let i = 0; i < out.length && i < 10_000; i++) {
    try {
      for (const e of readdirSync(out[i]!, { withFileTypes: true }))
        if (e.isDirectory()) out.push(join(out[i]!, e.name));
    } catch {
      // removed meanwhile
    }
  }
  return out;
}

function procsOf(cgroup: string): string[] {
  try {
    return readFileSync(join(cgroup, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
  } catch {
    return []; // removed meanwhile
  }
}

/** Kills every process left in the cgroups (containers whose shims died first) and removes them, deepest first. */
export function removeCgroups(dirs: string[]): string[] {
  const left: string[] = [];
  for (const dir of dirs) {
    for (let round = 0; round < 50 && existsSync(dir); round++) {
      const pids = cgroupTree(dir).flatMap(procsOf);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
      spawnSync("sleep", ["0.1"]);
    }
    for (let round = 0; round < 20 && existsSync(dir); round++) {
      for (const d of cgroupTree(dir).reverse()) {
        try {
          rmdirSync(d);
        } catch {
          // busy for a moment after its last process died, or removed meanwhile: the next round sees
        }
      }
      if (existsSync(dir)) spawnSync("sleep", ["0.1"]);
    }
    if (existsSync(dir)) left.push(...cgroupTree(dir).map((d) => `cgroup ${d}`));
  }
  return left;
}

/** Pids of processes whose command line mentions `needle` (our containerd socket: its runc shims). */
export function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) pids.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** The kubelet links every container's log into /var/log/containers (a fixed path): remove the links into `dir`. */
export function removeLogLinks(dir: string): void {
  const links = "/var/log/containers";
  if (!existsSync(links)) return;
  for (const f of readdirSync(links)) {
    const p = join(links, f);
    try {
      if (readlinkSync(p).startsWith(dir)) unlinkSync(p);
    } catch {
      // not a link, or gone
    }
  }
}
