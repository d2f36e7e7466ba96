// What every poolfleet-node pod has in common, producer or relay: the image, cardano-node's command line, the
// container with its probes and locked-down security context, the pod's security context, the chain database's
// volume claim, and the network files (preset ones ship in the image; a custom network's come from its ConfigMap).
// Pure: the producer and relay builders compose these.
import type {
  V1Container,
  V1EnvVar,
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1PodSecurityContext,
  V1PodSpec,
  V1Service,
  V1ResourceRequirements,
  V1SecurityContext,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { defaultResources, defaultStorageSize } from "../defaults.ts";
import { NODE_UID } from "../names.ts";

/** The spec fields a node pod is built from; StakePool and Relay share them (api/common.ts nodeRuntimeFields). */
export type NodeRuntimeSpec = Pick<StakePoolSpec, "network" | "image" | "port" | "resources" | "storage" | "metrics">;

export const PATHS = {
  keys: "/keys",
  data: "/data",
  db: "/data/db",
  ipc: "/ipc",
  topology: "/etc/poolfleet/topology",
  customNetwork: "/etc/poolfleet/network",
  /** Preset networks' config.json and genesis files ship in the node image. */
  presetNetworks: "/opt/poolfleet/networks",
} as const;

/**
 * The node's API port (/api/*: leader schedule, transaction submission, ledger, peers), apart from the metrics
 * port so that the scrape source cannot read when a producer leads; only the pool's relays and the operator reach
 * it (network-policy.ts apiIngress). The container port is named "api"; the operator asks a pod for that name.
 */
export const NODE_API_PORT = 12799;

export function imageRef(spec: Pick<NodeRuntimeSpec, "image">): string {
  const { repository, tag, digest } = spec.image;
  return digest ? `${repository}@${digest}` : `${repository}:${tag}`;
}

export function configPath(spec: NodeRuntimeSpec): string {
  return spec.network.name === "custom"
    ? `${PATHS.customNetwork}/config.json`
    : `${PATHS.presetNetworks}/${spec.network.name}/config.json`;
}

/** cardano-node's `run` command line with every path inside the pod; `extra` goes before the metrics flags. */
export function nodeArgs(spec: NodeRuntimeSpec, topologyFile: string, extra: string[] = []): string[] {
  return [
    "run",
    "--config",
    configPath(spec),
    "--topology",
    `${PATHS.topology}/${topologyFile}`,
    "--database-path",
    PATHS.db,
    "--socket-path",
    `${PATHS.ipc}/node.socket`,
    "--host-addr",
    "0.0.0.0",
    "--port",
    String(spec.port),
    ...extra,
    "--metrics-host",
    "0.0.0.0",
    "--metrics-port",
    String(spec.metrics.port),
    "--api-host",
    "0.0.0.0",
    "--api-port",
    String(NODE_API_PORT),
  ];
}

/** The spec's resources, else the network's defaults; a memory limit by default, never a CPU limit unless asked. */
export function nodeResources(spec: NodeRuntimeSpec): V1ResourceRequirements {
  const d = defaultResources(spec.network.name);
  const r = spec.resources;
  const str = (v: string | number | undefined, fallback?: string) => (v === undefined ? fallback : String(v));
  const requests = { cpu: str(r?.requests?.cpu, d.requests.cpu), memory: str(r?.requests?.memory, d.requests.memory) };
  const limits: Record<string, string> = {};
  const memLimit = str(r?.limits?.memory, r?.requests?.memory === undefined ? d.limits.memory : undefined);
  if (memLimit !== undefined) limits.memory = memLimit;
  const cpuLimit = str(r?.limits?.cpu);
  if (cpuLimit !== undefined) limits.cpu = cpuLimit;
  return { requests: requests as Record<string, string>, limits };
}

/** Volumes and mounts every node pod has: data, topology (from `topologyConfigMap`), ipc, tmp, custom network. */
export function baseVolumes(
  spec: NodeRuntimeSpec,
  topologyConfigMap: string,
): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [
    { name: "topology", configMap: { name: topologyConfigMap } },
    { name: "ipc", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
  ];
  const mounts: V1VolumeMount[] = [
    { name: "data", mountPath: PATHS.data },
    { name: "topology", mountPath: PATHS.topology, readOnly: true },
    { name: "ipc", mountPath: PATHS.ipc },
    { name: "tmp", mountPath: "/tmp" },
  ];
  if (spec.network.name === "custom" && spec.network.configMapRef) {
    volumes.push({ name: "network", configMap: { name: spec.network.configMapRef.name } });
    mounts.push({ name: "network", mountPath: PATHS.customNetwork, readOnly: true });
  }
  return { volumes, mounts };
}

export function nodeContainer(
  spec: NodeRuntimeSpec,
  args: string[],
  mounts: V1VolumeMount[],
  env: V1EnvVar[] = [],
): V1Container {
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: "metrics" },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 5,
  });
  return {
    name: "node",
    image: imageRef(spec),
    imagePullPolicy: spec.image.pullPolicy,
    args,
    ...(env.length ? { env } : {}),
    ports: [
      { name: "node", containerPort: spec.port, protocol: "TCP" },
      { name: "metrics", containerPort: spec.metrics.port, protocol: "TCP" },
      { name: "api", containerPort: NODE_API_PORT, protocol: "TCP" },
    ],
    // Replaying a long chain can take a while: the startup probe gives it up to an hour before liveness applies.
    startupProbe: probe("/health", 10, 360),
    livenessProbe: probe("/health", 20, 3),
    readinessProbe: probe("/ready", 10, 3),
    resources: nodeResources(spec),
    securityContext: containerSecurityContext(),
    volumeMounts: mounts,
  };
}

/** Every container the operator runs (nodes, KES Jobs): no privilege escalation, read-only root, no capabilities. */
export function containerSecurityContext(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
  };
}

/** A node pod: no service-account token, no service links, a minute to stop cleanly, non-root, one container. */
export function nodePodSpec(container: V1Container, volumes: V1Volume[]): V1PodSpec {
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 60,
    securityContext: podSecurityContext(),
    containers: [container],
    volumes,
  };
}

/**
 * The headless Service of a node StatefulSet on the node-to-node port. Not-ready pods are published: a syncing node
 * (not ready yet) must still be reachable by its peers.
 */
export function headlessService(metadata: V1ObjectMeta, selector: Record<string, string>, port: number): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector,
      ports: [{ name: "node", port, targetPort: "node", protocol: "TCP" }],
    },
  };
}

/** Non-root with the node's uid; fsGroup lets that user read 0400 Secret files and write its volume. */
export function podSecurityContext(): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: NODE_UID,
    runAsGroup: NODE_UID,
    fsGroup: NODE_UID,
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** The chain database's claim, one per pod, named "data" (mounted at PATHS.data). */
export function dataClaimTemplate(spec: NodeRuntimeSpec, labels: Record<string, string>): V1PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", labels },
    spec: {
      accessModes: ["ReadWriteOnce"],
      ...(spec.storage.storageClassName ? { storageClassName: spec.storage.storageClassName } : {}),
      resources: {
        requests: { storage: String(spec.storage.size ?? defaultStorageSize(spec.network.name)) },
      },
    },
  };
}
