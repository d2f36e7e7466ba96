// The chart installed on the end-to-end cluster (controllers, scheduler, kwok): the operator Deployment, in a
// namespace that enforces the `restricted` Pod Security Standard, gets a pod the ReplicaSet controller creates,
// the scheduler places and kwok reports Ready; and the chart's aggregated ClusterRoles, folded into the built-in
// edit and view roles by KCM's aggregation controller, let a namespace editor manage pools and a viewer read them.
// kwok runs no container, so this proves the objects are installable and schedulable, not that the operator runs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AppsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { type ControlPlane, e2eSkipReason, startControlPlane } from "../helpers/envtest.ts";
import { applyManifests, helmBinary, renderChart } from "../helpers/helm.ts";
import { waitFor } from "../helpers/wait.ts";

const skip = await e2eSkipReason();
const NS = "poolfleet-system";
const TEAM = "team-a";

async function allowed(kc: KubeConfig, verb: string, resource: string, subresource = ""): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { verb, resource, subresource, group: "poolfleet.io", namespace: TEAM } } },
  });
  return review.status!.allowed;
}

describe("the chart on the end-to-end cluster", { skip }, () => {
  let cp: ControlPlane;

  before(
    async () => {
      const bin = await helmBinary();
      cp = await startControlPlane({ e2e: true });
      await applyManifests(cp.kc, [
        {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: NS, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
        },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: TEAM } },
      ]);
      await applyManifests(
        cp.kc,
        await renderChart(bin, { namespace: NS, includeCrds: true, values: { replicaCount: 2 } }),
      );
    },
    { timeout: 5 * 60_000 },
  );
  after(async () => {
    await cp?.stop();
  });

  test("the operator Deployment's two pods are admitted under `restricted`, scheduled and Ready", async () => {
    const apps = cp.kc.makeApiClient(AppsV1Api);
    const d = await waitFor(
      "Deployment poolfleet with 2 ready replicas",
      async () => {
        const got = await apps.readNamespacedDeployment({ name: "poolfleet", namespace: NS });
        return got.status?.readyReplicas === 2 ? got : undefined;
      },
      60_000,
    );
    assert.equal(d.status?.availableReplicas, 2);
    const pods = await cp.kc.makeApiClient(CoreV1Api).listNamespacedPod({
      namespace: NS,
      labelSelector: "app.kubernetes.io/name=poolfleet-operator,app.kubernetes.io/component=operator",
    });
    assert.equal(pods.items.length, 2);
    for (const p of pods.items) {
      assert.equal(p.spec?.serviceAccountName, "poolfleet");
      assert.ok(cp.e2e?.nodeNames.includes(p.spec?.nodeName ?? ""), "on the fake node");
    }
  });

  test("a namespace editor may create and delete pools, a viewer only read them; neither writes status", async () => {
    const bindings = [
      ["alice", "edit"],
      ["bob", "view"],
    ].map(([user, role]) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${user}-${role}`, namespace: TEAM },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: user }],
    }));
    await applyManifests(cp.kc, bindings as KubernetesObject[]);
    const alice = await cp.userConfig("alice");
    const bob = await cp.userConfig("bob");
    // The aggregation controller folds the chart's roles in shortly after they appear.
    await waitFor("edit aggregates poolfleet-edit", async () => allowed(alice, "create", "stakepools"), 30_000);
    await waitFor("view aggregates poolfleet-view", async () => allowed(bob, "list", "relays"), 30_000);
    assert.equal(await allowed(alice, "delete", "stakepools"), true);
    assert.equal(await allowed(bob, "get", "kesrotations"), true);
    assert.equal(await allowed(bob, "create", "stakepools"), false);
    assert.equal(await allowed(alice, "patch", "stakepools", "status"), false);
    assert.equal(await allowed(bob, "patch", "stakepools", "status"), false);
  });
});
