// The controllers the operator runs. Each one is a Controller (../manager/context.ts); the manager gives each its
// own work queue, workers and field manager.
import type { Controller } from "../manager/context.ts";
import { kesRotationController } from "./kesrotation.ts";
import { multikeyGroupController } from "./multikeygroup.ts";
import { relayController } from "./relay.ts";
import { stakePoolController } from "./stakepool.ts";

/**
 * The operator's own pods, which read producers' /metrics for status and (KES rotation) their leader schedule on
 * the API port: the chart labels them
 * app.kubernetes.io/name=poolfleet-operator and gives the pod its namespace in POD_NAMESPACE (downward API).
 * Without POD_NAMESPACE (the operator outside the cluster) no extra NetworkPolicy rule is written.
 */
const podNamespace = process.env.POD_NAMESPACE;
const operatorPeer = podNamespace
  ? {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": podNamespace } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "poolfleet-operator" } },
    }
  : undefined;

const options = operatorPeer ? { operatorPeer } : {};

export const controllers: Controller[] = [
  stakePoolController(options),
  relayController(options),
  multikeyGroupController(options),
  // The chart names its ClusterRole for the rotation Jobs after the release (templates/kes-job-rbac.yaml).
  kesRotationController(
    process.env.POOLFLEET_KES_JOB_CLUSTERROLE ? { jobClusterRole: process.env.POOLFLEET_KES_JOB_CLUSTERROLE } : {},
  ),
];
