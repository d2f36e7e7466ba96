// Configuration files of the real-cluster tier's node (real-cluster.ts): containerd, the CNI bridge, the kubelet,
// CoreDNS, and the kubeconfig the node's components reach the API server with. Pure functions of paths and
// addresses; every state and root directory is under the cluster's own temp directory, so nothing is shared with
// the host's containerd (Docker's) or another cluster.

export const PAUSE_IMAGE = "poolfleet.local/pause:1"; // scripts/k8s-node-binaries.sh PAUSE_TAG
export const CLUSTER_DOMAIN = "cluster.local";

export interface NodePaths {
  readonly dir: string;
  readonly containerdSock: string;
  readonly cniConfDir: string;
}

export function containerdConfig(p: NodePaths, cniBin: string): string {
  const d = p.dir;
  return `version = 2
root = "${d}/containerd/root"
state = "${d}/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "${p.containerdSock}"

[ttrpc]
  address = "${p.containerdSock}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${PAUSE_IMAGE}"
  stream_server_address = "127.0.0.1"
  enable_selinux = false
  # Sandboxes get oom_score_adj -998 and Guaranteed pods' containers -997, which needs CAP_SYS_RESOURCE; a test
  # machine (a VM's sandbox, a container) may lack it. Clamp to containerd's own score instead of failing every pod.
  restrict_oom_score_adj = true
  # pods' network namespaces are bind-mounted under the state directory, not the host's /run/netns
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${cniBin}"
    conf_dir = "${p.cniConfDir}"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${d}/runc"
`;
}

/**
 * A bridge (pf0) with the node as the pods' gateway; no masquerade, and routes only via the node. The network's
 * name is the cluster's own (libcni files its results under /var/lib/cni/results by it).
 */
export function cniConfig(network: string, podCidr: string, ipamDir: string): string {
  return JSON.stringify(
    {
      cniVersion: "1.0.0",
      name: network,
      plugins: [
        {
          type: "bridge",
          bridge: "pf0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: podCidr }]],
            routes: [{ dst: "0.0.0.0/0" }],
            dataDir: ipamDir,
          },
        },
      ],
    },
    null,
    2,
  );
}

export interface KubeletInputs {
  readonly nodeIp: string;
  readonly cgroupRoot: string;
  readonly containerdSock: string;
  readonly clusterDns: string;
  readonly resolvConf: string;
  readonly podLogsDir: string;
}

export function kubeletConfig(k: KubeletInputs): string {
  // JSON is YAML: the kubelet reads either.
  return JSON.stringify(
    {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      cgroupDriver: "cgroupfs",
      cgroupRoot: k.cgroupRoot,
      containerRuntimeEndpoint: `unix://${k.containerdSock}`,
      // Only the API server reaches the kubelet (the veth is the node namespace's one way out); it connects
      // without a client certificate, for logs and exec.
      authentication: { anonymous: { enabled: true }, webhook: { enabled: false }, x509: {} },
      authorization: { mode: "AlwaysAllow" },
      address: k.nodeIp,
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      clusterDomain: CLUSTER_DOMAIN,
      clusterDNS: [k.clusterDns],
      resolvConf: k.resolvConf,
      podLogsDir: k.podLogsDir,
      failSwapOn: false,
      oomScoreAdj: 0, // see restrict_oom_score_adj in containerdConfig
      failCgroupV1: false,
      // A shared test machine: evict nothing for its disk or memory, collect no image.
      evictionHard: { "memory.available": "50Mi", "nodefs.available": "1%", "imagefs.available": "1%" },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      serializeImagePulls: false,
      nodeStatusUpdateFrequency: "2s",
      syncFrequency: "10s",
      registerNode: true,
    },
    null,
    2,
  );
}

/**
 * CoreDNS serving the cluster domain from the API server, and nothing else (no upstream: nothing leaves). It runs
 * in a pod (real-cluster-objects.ts makeDnsPod), listening on every address of the pod.
 */
export function corefile(kubeconfig: string): string {
  return `.:53 {
    errors
    health :8080
    ready :8181
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig} poolfleet
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
    loadbalance
}
`;
}

/**
 * The admin kubeconfig for the node's components, which reach the API server at the host end of the veth (its
 * serving certificate names that address: envtest.ts `address`).
 */
export function nodeKubeconfig(server: string, ca: string, cert: string, key: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "poolfleet", cluster: { server, "certificate-authority-data": ca } }],
    users: [{ name: "admin", user: { "client-certificate-data": cert, "client-key-data": key } }],
    contexts: [{ name: "poolfleet", context: { cluster: "poolfleet", user: "admin" } }],
    "current-context": "poolfleet",
  });
}
