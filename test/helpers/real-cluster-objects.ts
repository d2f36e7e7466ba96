// The API objects a real cluster's node comes with (real-cluster.ts): CoreDNS as a pod of kube-system labelled
// k8s-app=kube-dns behind the kube-dns Service, as kubeadm, kind and k3s run it (so NetworkPolicies that admit DNS by
// those labels, as the operator's producer policy does, meet what they would meet there), and the storage class
// of local PersistentVolumes.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig, StorageV1Api } from "@kubernetes/client-node";

export const STORAGE_CLASS = "poolfleet-local";

export const DNS_POD = "coredns";

/** Service kube-system/kube-dns at `clusterIp` (the kubelet's clusterDNS), selecting the CoreDNS pod. */
export async function makeDnsService(kc: KubeConfig, clusterIp: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespacedService({
    namespace: "kube-system",
    body: {
      metadata: { name: "kube-dns", labels: { "k8s-app": "kube-dns" } },
      spec: {
        clusterIP: clusterIp,
        selector: { "k8s-app": "kube-dns" },
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        ],
      },
    },
  });
}

/**
 * CoreDNS as pod kube-system/coredns: the static binary the node-side build made (`binDir`, mounted from the host)
 * in the pause image (no image of its own is needed), its Corefile and kubeconfig from `confDir`. Root in the pod,
 * for port 53. Ready when its /ready answers.
 */
export async function makeDnsPod(kc: KubeConfig, image: string, binDir: string, confDir: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespacedPod({
    namespace: "kube-system",
    body: {
      metadata: { name: DNS_POD, labels: { "k8s-app": "kube-dns" } },
      spec: {
        dnsPolicy: "Default",
        automountServiceAccountToken: false,
        containers: [
          {
            name: "coredns",
            image,
            command: ["/opt/coredns/coredns", "-conf", "/etc/coredns/Corefile"],
            securityContext: { runAsUser: 0, runAsGroup: 0 },
            ports: [
              { name: "dns", containerPort: 53, protocol: "UDP" },
              { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
            ],
            readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 1 },
            volumeMounts: [
              { name: "bin", mountPath: "/opt/coredns", readOnly: true },
              { name: "conf", mountPath: "/etc/coredns", readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: "bin", hostPath: { path: binDir, type: "Directory" } },
          { name: "conf", hostPath: { path: confDir, type: "Directory" } },
        ],
      },
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
