// StakePool -> the producer's StatefulSet, headless Service and PodDisruptionBudget (producerObjects, which a
// MultikeyGroup's producer shares, group-producer.ts). Pure: same input, same
// objects, so a reconcile of an unchanged pool can compare and write nothing.
//
// The pod: one replica (never two forgers for a pool); poolfleet-node with cardano-node's flags; the hot keys
// from the operator's immutable key revision Secret (a copy of the user's Secret made only after it passed the
// consistency gate, keys/revision.ts), read-only, mode 0400 (with fsGroup the kubelet adds group read, which is how
// the non-root node user reads them); the chain database on a volume claim; probes on /health and /ready;
// non-root, read-only root filesystem, no capabilities, no service-account token.
import type { V1PodDisruptionBudget, V1PodSpec, V1Service, V1StatefulSet, V1Volume } from "@kubernetes/client-node";
import type { StakePoolSpec } from "../../api/stakepool.ts";
import { KEY_FILES } from "../../keys/secret-gate.ts";
import { KEYS_HASH_ANNOTATION } from "../keys/revision.ts";
import { commonLabels, names, type Owner, ownerReference, selectorLabels } from "../names.ts";
import {
  baseVolumes,
  dataClaimTemplate,
  nodeArgs,
  nodeContainer,
  PATHS,
  headlessService,
  nodePodSpec,
  type NodeRuntimeSpec,
} from "./node-pod.ts";

export { PATHS, KEY_FILES };

export interface ProducerInput {
  owner: Owner;
  spec: StakePoolSpec;
  /**
   * The key revision Secret to mount (`<pool>-keys-<hash>`, keys/revision.ts): never the user's Secret, so a key
   * change that fails the gate never reaches the pod's disk.
   */
  keysSecretName: string;
  /**
   * Digest of the gated public key material. It goes into a pod annotation, so `kubectl describe` shows which key
   * set a pod runs; the pod rolls when the revision Secret (named after it) changes, and on nothing else.
   */
  keysHash?: string;
  /**
   * Whether a voluntary eviction (a drain) may take the producer now: only while it leads no slot soon
   * (controllers/producer-disruption.ts decides). Default false: every eviction waits.
   */
  disruptionAllowed?: boolean;
}

export interface ProducerObjects {
  statefulSet: V1StatefulSet;
  service: V1Service;
  podDisruptionBudget: V1PodDisruptionBudget;
}

const TOPOLOGY_FILE = "topology.json";

/** cardano-node's command line, with every path inside the pod. */
export function producerArgs(spec: StakePoolSpec): string[] {
  return nodeArgs(spec, TOPOLOGY_FILE, [
    "--shelley-kes-key",
    `${PATHS.keys}/${KEY_FILES.kes}`,
    "--shelley-vrf-key",
    `${PATHS.keys}/${KEY_FILES.vrf}`,
    "--shelley-operational-certificate",
    `${PATHS.keys}/${KEY_FILES.opcert}`,
  ]);
}

export function buildProducer(input: ProducerInput): ProducerObjects {
  const { spec } = input;
  return producerObjects({
    owner: input.owner,
    spec,
    keysVolume: {
      name: "keys",
      secret: {
        secretName: input.keysSecretName,
        defaultMode: 0o400,
        items: Object.values(KEY_FILES).map((f) => ({ key: f, path: f })),
      },
    },
    args: producerArgs(spec),
    ...(input.keysHash ? { annotations: { [KEYS_HASH_ANNOTATION]: input.keysHash } } : {}),
    disruptionAllowed: input.disruptionAllowed ?? false,
  });
}

/** What a StakePool's producer and a MultikeyGroup's producer differ in; everything else they share. */
export interface ProducerShape {
  owner: Owner;
  spec: NodeRuntimeSpec;
  /** The volume named "keys", mounted read-only at /keys. */
  keysVolume: V1Volume;
  args: string[];
  annotations?: Record<string, string>;
  /** Pod spec fields on top of nodePodSpec's (a group producer's ServiceAccount). */
  pod?: Partial<V1PodSpec>;
  /** The PodDisruptionBudget lets one eviction through (minAvailable 0) instead of none (minAvailable 1). */
  disruptionAllowed?: boolean;
}

/** The producer's StatefulSet, headless Service and PodDisruptionBudget. */
export function producerObjects(shape: ProducerShape): ProducerObjects {
  const { owner, spec } = shape;
  const name = names.producer(owner.name);
  const selector = selectorLabels("producer", owner.name);
  const labels = commonLabels("producer", owner.name, owner.name);
  const metadata = {
    name,
    namespace: owner.namespace,
    labels,
    ownerReferences: [ownerReference(owner)],
  };
  const { volumes, mounts } = baseVolumes(spec, names.topology(owner.name));
  volumes.unshift(shape.keysVolume);
  mounts.splice(1, 0, { name: "keys", mountPath: PATHS.keys, readOnly: true });

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
        metadata: { labels, ...(shape.annotations ? { annotations: shape.annotations } : {}) },
        spec: { ...nodePodSpec(nodeContainer(spec, shape.args, mounts), volumes), ...shape.pod },
      },
      volumeClaimTemplates: [dataClaimTemplate(spec, labels)],
    },
  };

  const service = headlessService(metadata, selector, spec.port);

  const podDisruptionBudget: V1PodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata,
    spec: {
      // A voluntary eviction of the only forger waits while it may lead a slot soon (the controller opens the budget
      // only away from leader slots); a pod that is already broken may go.
      minAvailable: shape.disruptionAllowed ? 0 : 1,
      unhealthyPodEvictionPolicy: "AlwaysAllow",
      selector: { matchLabels: selector },
    },
  };

  return { statefulSet, service, podDisruptionBudget };
}
