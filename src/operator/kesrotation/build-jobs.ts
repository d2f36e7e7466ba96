// The Jobs of a rotation, and the identity they run as. Key material is made and used in these Jobs' pods, never
// in the operator:
//   <rotation>-stage-<n>   `poolfleet-cli kes stage`: generates the new KES key in the pod and creates the
//                          immutable staged Secret <rotation>-staged-<n> (create-or-exists: never replaced).
//   <rotation>-sign-<n>    Auto mode, `poolfleet-cli kes sign`: signs the published request (the request ConfigMap,
//                          mounted) with the cold key from the Secret the user named (mounted read-only), and
//                          creates <rotation>-signed (create-or-exists). The operator never reads the cold key.
//   <rotation>-kes-job     ServiceAccount of both Jobs, bound by a RoleBinding of the same name to the ClusterRole
//                          the chart ships (KES_JOB_RULES: create Secrets, nothing else; not even get, so a Job's
//                          token cannot read the pool's keys). The Jobs learn "it already exists" from the 409.
// Names are deterministic (n = the counter the certificate carries), so a restarted operator finds the Job it
// started instead of starting another. The pods run the StakePool's node image with the node pods' security
// settings (node-pod.ts), read-only root, non-root uid, and a projected token, exactly what the ServiceAccount
// admission plugin would mount, written out so the pod has it whether or not the plugin runs.
import type {
  V1Job,
  V1PolicyRule,
  V1RoleBinding,
  V1ServiceAccount,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import { type Owner, ownerReference } from "../names.ts";
import { rotationLabels, rotationNames } from "../../api/kesrotation-objects.ts";
import { containerSecurityContext, imageRef, type NodeRuntimeSpec, podSecurityContext } from "../builders/node-pod.ts";

export const KES_JOB_PATHS = {
  /** Where client-node's in-cluster configuration reads token, ca.crt and namespace. */
  serviceAccount: "/var/run/secrets/kubernetes.io/serviceaccount",
  /** The request ConfigMap (kes.vkey, kesPeriod, counter), for the signing Job. */
  request: "/var/run/poolfleet/request",
  /** The user's cold signing key, for the signing Job: one file, COLD_KEY_FILE. */
  coldKey: "/var/run/poolfleet/cold",
} as const;
export const COLD_KEY_FILE = "cold.skey";

export const KES_JOB_LABEL = "poolfleet.io/kes-job";
export type KesJobAction = "stage" | "sign";

export const kesJobNames = {
  job: (rotation: string, action: KesJobAction, counter: number) => `${rotation}-${action}-${counter}`,
  serviceAccount: (rotation: string) => `${rotation}-kes-job`,
};

/** The ClusterRole name when the operator is not told one (POOLFLEET_KES_JOB_CLUSTERROLE; the chart sets it). */
export const DEFAULT_KES_JOB_CLUSTERROLE = "poolfleet-kes-job";

/**
 * Everything the Jobs' ServiceAccount may do: create Secrets (the staged key, the signed certificate). The chart's
 * ClusterRole holds exactly these rules (test/chart/rbac.test.ts compares them).
 */
export const KES_JOB_RULES: V1PolicyRule[] = [{ apiGroups: [""], resources: ["secrets"], verbs: ["create"] }];

/** A Job that runs this long without finishing (an image that cannot be pulled, say) fails rather than hangs. */
export const KES_JOB_DEADLINE_SECONDS = 300;
/** Pod retries; both commands are safe to rerun (create-or-exists), and a bad input fails every time. */
export const KES_JOB_BACKOFF_LIMIT = 1;

export function kesJobServiceAccount(owner: Owner, pool: string): V1ServiceAccount {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name: kesJobNames.serviceAccount(owner.name),
      namespace: owner.namespace,
      labels: rotationLabels(owner, pool),
      ownerReferences: [ownerReference(owner)],
    },
    // The Jobs mount their own projected token; nothing else running as this account gets one.
    automountServiceAccountToken: false,
  };
}

export function kesJobRoleBinding(owner: Owner, pool: string, clusterRole: string): V1RoleBinding {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: {
      name: kesJobNames.serviceAccount(owner.name),
      namespace: owner.namespace,
      labels: rotationLabels(owner, pool),
      ownerReferences: [ownerReference(owner)],
    },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
    subjects: [{ kind: "ServiceAccount", name: kesJobNames.serviceAccount(owner.name), namespace: owner.namespace }],
  };
}

/** The volume the ServiceAccount admission plugin would add: a short-lived bound token, the cluster CA, the namespace. */
const apiAccessVolume: V1Volume = {
  name: "kube-api-access",
  projected: {
    defaultMode: 0o444,
    sources: [
      { serviceAccountToken: { path: "token", expirationSeconds: 600 } },
      { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
      {
        downwardAPI: {
          items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
        },
      },
    ],
  },
};

interface JobInput {
  owner: Owner;
  pool: string;
  /** The StakePool's spec: its node image and pull policy. */
  spec: Pick<NodeRuntimeSpec, "image">;
  counter: number;
}

function kesJob(
  input: JobInput,
  action: KesJobAction,
  args: string[],
  volumes: V1Volume[] = [],
  mounts: V1VolumeMount[] = [],
): V1Job {
  const { owner, pool, counter } = input;
  const labels = { ...rotationLabels(owner, pool), [KES_JOB_LABEL]: action };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: kesJobNames.job(owner.name, action, counter),
      namespace: owner.namespace,
      labels,
      ownerReferences: [ownerReference(owner)],
    },
    spec: {
      backoffLimit: KES_JOB_BACKOFF_LIMIT,
      activeDeadlineSeconds: KES_JOB_DEADLINE_SECONDS,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: kesJobNames.serviceAccount(owner.name),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: podSecurityContext(),
          containers: [
            {
              name: "kes",
              image: imageRef(input.spec),
              imagePullPolicy: input.spec.image.pullPolicy,
              command: ["poolfleet-cli"],
              args,
              // The CLI's error line (never key bytes) becomes the pod's termination message, which the operator
              // puts in the rotation's condition when the Job fails.
              terminationMessagePolicy: "FallbackToLogsOnError",
              resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
              securityContext: containerSecurityContext(),
              volumeMounts: [
                { name: "kube-api-access", mountPath: KES_JOB_PATHS.serviceAccount, readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
                ...mounts,
              ],
            },
          ],
          volumes: [apiAccessVolume, { name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }, ...volumes],
        },
      },
    },
  };
}

const ownerArgs = (owner: Owner, pool: string) => [
  "--namespace",
  owner.namespace,
  "--rotation",
  owner.name,
  "--rotation-uid",
  owner.uid,
  "--pool",
  pool,
];

/** The staging Job: a new KES key, generated in its pod, into <rotation>-staged-<counter>. */
export function stageJob(input: JobInput): V1Job {
  return kesJob(input, "stage", [
    "kes",
    "stage",
    ...ownerArgs(input.owner, input.pool),
    "--counter",
    String(input.counter),
  ]);
}

/**
 * The Auto signing Job: mounts the request ConfigMap and the cold key Secret the user named. The cold key volume
 * is optional so that a missing Secret or key fails the CLI at once with a message naming them, instead of a
 * pod that waits for its volume until the deadline.
 */
export function signJob(input: JobInput & { coldKeySecretRef: { name: string; key: string } }): V1Job {
  const ref = input.coldKeySecretRef;
  return kesJob(
    input,
    "sign",
    [
      "kes",
      "sign",
      ...ownerArgs(input.owner, input.pool),
      "--request-dir",
      KES_JOB_PATHS.request,
      "--cold-signing-key-file",
      `${KES_JOB_PATHS.coldKey}/${COLD_KEY_FILE}`,
      "--cold-key-source",
      `Secret ${ref.name}, key ${ref.key}`,
    ],
    [
      { name: "request", configMap: { name: rotationNames.request(input.owner.name) } },
      {
        name: "cold-key",
        secret: {
          secretName: ref.name,
          items: [{ key: ref.key, path: COLD_KEY_FILE }],
          defaultMode: 0o400,
          optional: true,
        },
      },
    ],
    [
      { name: "request", mountPath: KES_JOB_PATHS.request, readOnly: true },
      { name: "cold-key", mountPath: KES_JOB_PATHS.coldKey, readOnly: true },
    ],
  );
}
