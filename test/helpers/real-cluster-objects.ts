// The API objects a real cluster's node comes with (real-cluster.ts): the kube-dns Service in front of CoreDNS, which
// runs on the node itself, and the storage class of local PersistentVolumes.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, StorageV1Api } from "@kubernetes/client-node";

export const STORAGE_CLASS = "poolfleet-local";

/** Service kube-system/kube-dns at `clusterIp` (the kubelet's clusterDNS), its one endpoint CoreDNS at `nodeIp`. */
export async function makeDnsService(kc: KubeConfig, clusterIp: string, nodeIp: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedService({
    namespace: "kube-system",
    body: {
      metadata: { name: "kube-dns", labels: { "k8s-app": "kube-dns" } },
      spec: {
        clusterIP: clusterIp,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        ],
      },
    },
  });
  // No selector: the Endpoints are ours, mirrored into an EndpointSlice by kube-controller-manager for kube-proxy.
  await core.createNamespacedEndpoints({
    namespace: "kube-system",
    body: {
      metadata: { name: "kube-dns" },
      subsets: [
        {
          addresses: [{ ip: nodeIp }],
          ports: [
            { name: "dns", port: 53, protocol: "UDP" },
            { name: "dns-tcp", port: 53, protocol: "TCP" },
          ],
        },
      ],
    },
  });
}

/**
 * The default storage class, of static local PersistentVolumes (a directory each under `dir`, on `nodeName`), bound
 * when a pod is scheduled: StatefulSets' claims that name no class (the operator's) bind to them.
 */
export async function makeStorage(kc: KubeConfig, nodeName: string, dir: string, count: number): Promise<void> {
  await kc.makeApiClient(StorageV1Api).createStorageClass({
    body: {
      // The default class: claims that name none (the operator's, unless spec.storage names one) bind here.
      metadata: { name: STORAGE_CLASS, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "WaitForFirstConsumer",
      reclaimPolicy: "Retain",
    },
  });
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < count; i++) {
    const path = join(dir, `pv-${i}`);
    mkdirSync(path, { recursive: true });
    await core.createPersistentVolume({
      body: {
        metadata: { name: `local-pv-${i}` },
        spec: {
          capacity: { storage: "10Gi" },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: STORAGE_CLASS,
          local: { path },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [nodeName] }] },
              ],
            },
          },
        },
      },
    });
  }
}
