// The controllers the operator runs, built from the environment it was started with (injected, never read at
// import, so a test builds the same set from an environment of its own). Each one is a Controller
// (../manager/context.ts); the manager gives each its own work queue, workers and field manager.
import type { V1NetworkPolicyPeer } from "@kubernetes/client-node";
import { kesRotationController } from "../kesrotation/controller.ts";
import type { Controller } from "../manager/context.ts";
import { multikeyGroupController } from "./multikeygroup.ts";
import { relayController } from "./relay.ts";
import { stakePoolController } from "./stakepool.ts";

/** What the controllers read from the operator's environment. */
export interface OperatorEnvironment {
  /** The operator pod's namespace (the chart's downward-API POD_NAMESPACE); unset outside the cluster. */
  POD_NAMESPACE?: string | undefined;
  /** The ClusterRole bound to the rotation Jobs (the chart names it after the release: templates/kes-job-rbac.yaml). */
  POOLFLEET_KES_JOB_CLUSTERROLE?: string | undefined;
}

/**
 * The operator's own pods, which read producers' /metrics for status and (KES rotation) their leader schedule on
 * the API port: the chart labels them app.kubernetes.io/name=poolfleet-operator and gives the pod its namespace in
 * POD_NAMESPACE. Without POD_NAMESPACE (the operator outside the cluster) no extra NetworkPolicy rule is written.
 */
export function operatorPeerOf(env: OperatorEnvironment): V1NetworkPolicyPeer | undefined {
  return env.POD_NAMESPACE
    ? {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": env.POD_NAMESPACE } },
        podSelector: { matchLabels: { "app.kubernetes.io/name": "poolfleet-operator" } },
      }
    : undefined;
}

export function operatorControllers(env: OperatorEnvironment): Controller[] {
  const operatorPeer = operatorPeerOf(env);
  const options = operatorPeer ? { operatorPeer } : {};
  return [
    stakePoolController(options),
    relayController(options),
    multikeyGroupController(options),
    kesRotationController(
      env.POOLFLEET_KES_JOB_CLUSTERROLE ? { jobClusterRole: env.POOLFLEET_KES_JOB_CLUSTERROLE } : {},
    ),
  ];
}
