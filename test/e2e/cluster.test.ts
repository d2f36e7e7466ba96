// The end-to-end tier's own proof: with kube-controller-manager, kube-scheduler and kwok running, a StatefulSet
// with a volume claim gets a pod that is scheduled onto the fake node and reported Running and Ready, a Job's pod
// completes, and deleting an owner garbage-collects its dependents. Skips (loudly) when the e2e binaries are not
// built; .ci/run builds them, so CI always runs this tier.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiException, AppsV1Api, BatchV1Api, CoreV1Api, type V1StatefulSet } from "@kubernetes/client-node";
import { type ControlPlane, e2eSkipReason, startControlPlane } from "../helpers/envtest.ts";
import { waitFor } from "../helpers/wait.ts";

const skip = await e2eSkipReason();
const NS = "e2e-cluster";

/** True once a read answers 404; any other failure is an error, not "gone". */
async function gone(read: Promise<unknown>): Promise<boolean> {
  try {
    await read;
    return false;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return true;
    throw e;
  }
}

function statefulSet(name: string): V1StatefulSet {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: NS },
    spec: {
      replicas: 1,
      serviceName: name,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            { name: "main", image: "poolfleet/none:test", volumeMounts: [{ name: "data", mountPath: "/d" }] },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
        },
      ],
    },
  };
}

describe("end-to-end tier: controllers, scheduler and kwok on the test API server", { skip }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  let apps: AppsV1Api;

  before(
    async () => {
      cp = await startControlPlane({ e2e: true });
      core = cp.kc.makeApiClient(CoreV1Api);
      apps = cp.kc.makeApiClient(AppsV1Api);
      await core.createNamespace({ body: { metadata: { name: NS } } });
    },
    { timeout: 5 * 60_000 },
  );
  after(async () => {
    await cp?.stop();
  });

  test("a StatefulSet gets a pod, bound to its volume, scheduled on the fake node, Running and Ready", async () => {
    await apps.createNamespacedStatefulSet({ namespace: NS, body: statefulSet("web") });
    const pod = await waitFor(
      "pod web-0 Running and Ready",
      async () => {
        const p = await core.readNamespacedPod({ name: "web-0", namespace: NS }).catch(() => undefined);
        const ready = p?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
        return p?.status?.phase === "Running" && ready ? p : undefined;
      },
      60_000,
    );
    assert.equal(pod.spec?.nodeName, cp.e2e?.nodeNames[0]);
    assert.ok(pod.status?.podIP, "kwok gives the pod an IP");
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: "data-web-0", namespace: NS });
    assert.equal(pvc.status?.phase, "Bound");
    assert.match(pvc.spec?.volumeName ?? "", /^e2e-pv-/);
    const sts = await waitFor(
      "StatefulSet web readyReplicas 1",
      async () => {
        const s = await apps.readNamespacedStatefulSet({ name: "web", namespace: NS });
        return s.status?.readyReplicas === 1 ? s : undefined;
      },
      30_000,
    );
    assert.equal(sts.status?.availableReplicas, 1);
  });

  test("a Job's pod runs to completion and the Job is Complete", async () => {
    const batch = cp.kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: NS,
      body: {
        metadata: { name: "once", namespace: NS },
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "poolfleet/none:test" }] } },
        },
      },
    });
    const job = await waitFor(
      "Job once Complete",
      async () => {
        const j = await batch.readNamespacedJob({ name: "once", namespace: NS });
        return j.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True") ? j : undefined;
      },
      60_000,
    );
    assert.equal(job.status?.succeeded, 1);
  });

  test("deleting an owner garbage-collects its dependents (StatefulSet -> pod; ConfigMap -> ConfigMap)", async () => {
    // A plain owner/dependent pair that nothing but the garbage collector acts on.
    const owner = await core.createNamespacedConfigMap({
      namespace: NS,
      body: { metadata: { name: "owner" }, data: { a: "1" } },
    });
    await core.createNamespacedConfigMap({
      namespace: NS,
      body: {
        metadata: {
          name: "dependent",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata!.uid! }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "owner", namespace: NS });
    await waitFor(
      "ConfigMap dependent garbage-collected",
      async () => gone(core.readNamespacedConfigMap({ name: "dependent", namespace: NS })),
      60_000,
    );

    // The StatefulSet's pod carries a controller owner reference to it: background deletion removes the pod.
    await apps.deleteNamespacedStatefulSet({ name: "web", namespace: NS, propagationPolicy: "Background" });
    await waitFor(
      "pod web-0 garbage-collected",
      async () => gone(core.readNamespacedPod({ name: "web-0", namespace: NS })),
      60_000,
    );
    // An object without an owner reference survives: the collector removes dependents, not neighbours.
    const pvc = await core.readNamespacedPersistentVolumeClaim({ name: "data-web-0", namespace: NS });
    assert.equal(pvc.metadata?.name, "data-web-0");
  });
});
