// StakePool -> the producer's StatefulSet, headless Service and PodDisruptionBudget. Pure: same input, same
// objects, so a reconcile of an unchanged pool can compare and write nothing.
//
// The pod: one replica (never two forgers for a pool); poolfleet-node with cardano-node's flags; the hot keys
// from the pool's Secret, read-only, mode 0400 (with fsGroup the kubelet adds group read, which is how the
// non-root node user reads them); the chain database on a volume claim; probes on /health and /ready; non-root,
// read-only root filesystem, no capabilities, no service-account token.
import type {
  V1Container,
  V1PodDisruptionBudget,
  V1Service,
  V1StatefulSet,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { defaultResources, defaultStorageSize } from "../defaults.ts";
import { commonLabels, names, NODE_UID, type Owner, ownerReference, selectorLabels } from "../names.ts";

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

export const KEY_FILES = { kes: "kes.skey", vrf: "vrf.skey", opcert: "node.cert" } as const;

export interface ProducerInput {
  owner: Owner;
  spec: StakePoolSpec;
  /**
   * Digest of the gated public key material. It goes into a pod annotation, so a key change that passed the
   * consistency gate rolls the pod, and nothing else does.
   */
  keysHash?: string;
}

export interface ProducerObjects {
  statefulSet: V1StatefulSet;
  service: V1Service;
  podDisruptionBudget: V1PodDisruptionBudget;
}

function imageRef(spec: StakePoolSpec): string {
  const { repository, tag, digest } = spec.image;
  return digest ? `${repository}@${digest}` : `${repository}:${tag}`;
}

function configPath(spec: StakePoolSpec): string {
  return spec.network.name === "custom"
    ? `${PATHS.customNetwork}/config.json`
    : `${PATHS.presetNetworks}/${spec.network.name}/config.json`;
}

/** cardano-node's command line, with every path inside the pod. */
export function producerArgs(spec: StakePoolSpec): string[] {
  return [
    "run",
    "--config",
    configPath(spec),
    "--topology",
    `${PATHS.topology}/topology.json`,
    "--database-path",
    PATHS.db,
    "--socket-path",
    `${PATHS.ipc}/node.socket`,
    "--host-addr",
    "0.0.0.0",
    "--port",
    String(spec.port),
    "--shelley-kes-key",
    `${PATHS.keys}/${KEY_FILES.kes}`,
    "--shelley-vrf-key",
    `${PATHS.keys}/${KEY_FILES.vrf}`,
    "--shelley-operational-certificate",
    `${PATHS.keys}/${KEY_FILES.opcert}`,
    "--metrics-host",
    "0.0.0.0",
    "--metrics-port",
    String(spec.metrics.port),
  ];
}

function resources(spec: StakePoolSpec) {
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

function podParts(input: ProducerInput): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const { spec, owner } = input;
  const volumes: V1Volume[] = [
    {
      name: "keys",
      secret: {
        secretName: spec.keys.secretRef.name,
        defaultMode: 0o400,
        items: Object.values(KEY_FILES).map((f) => ({ key: f, path: f })),
      },
    },
    { name: "topology", configMap: { name: names.topology(owner.name) } },
    { name: "ipc", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
  ];
  const mounts: V1VolumeMount[] = [
    { name: "data", mountPath: PATHS.data },
    { name: "keys", mountPath: PATHS.keys, readOnly: true },
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

function container(input: ProducerInput, mounts: V1VolumeMount[]): V1Container {
  const { spec } = input;
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
    args: producerArgs(spec),
    ports: [
      { name: "node", containerPort: spec.port, protocol: "TCP" },
      { name: "metrics", containerPort: spec.metrics.port, protocol: "TCP" },
    ],
    // Replaying a long chain can take a while: the startup probe gives it up to an hour before liveness applies.
    startupProbe: probe("/health", 10, 360),
    livenessProbe: probe("/health", 20, 3),
    readinessProbe: probe("/ready", 10, 3),
    resources: resources(spec),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: mounts,
  };
}

export function buildProducer(input: ProducerInput): ProducerObjects {
  const { owner, spec } = input;
  const name = names.producer(owner.name);
  const selector = selectorLabels("producer", owner.name);
  const labels = commonLabels("producer", owner.name, owner.name);
  const metadata = {
    name,
    namespace: owner.namespace,
    labels,
    ownerReferences: [ownerReference(owner)],
  };
  const { volumes, mounts } = podParts(input);
  const annotations: Record<string, string> = {};
  if (input.keysHash) annotations["poolfleet.io/keys-hash"] = input.keysHash;

  const statefulSet: V1StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata,
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: selector },
      podManagementPolicy: "OrderedReady",
      updateStrategy: { type: "RollingUpdate" },
      // The chain database takes hours to resync: deleting the pool keeps its volume.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: { labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 60,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: NODE_UID,
            runAsGroup: NODE_UID,
            fsGroup: NODE_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [container(input, mounts)],
          volumes,
        },
      },
      volumeClaimTemplates: [
        {
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
        },
      ],
    },
  };

  const service: V1Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      clusterIP: "None",
      selector,
      ports: [{ name: "node", port: spec.port, targetPort: "node", protocol: "TCP" }],
    },
  };

  const podDisruptionBudget: V1PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata,
    spec: {
      // A voluntary eviction of the only forger waits for a person; a pod that is already broken may go.
      minAvailable: 1,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
      selector: { matchLabels: selector },
    },
  };

  return { statefulSet, service, podDisruptionBudget };
}
