// The chart's RBAC, applied to a real API server, held by the operator's real identity: a token the API server
// issues for the chart's ServiceAccount (TokenRequest), so every answer below is the authorizer's verdict on
// exactly what a pod of the Deployment would send. The API server runs OwnerReferencesPermissionEnforcement (as
// OpenShift and hardened clusters do), so owner references with blockOwnerDeletion are checked too.
//
// Checked two ways: SelfSubjectAccessReview for the full table of what the operator must and must not be able to
// do, and real requests for the operations that matter most (server-side apply with owner references, status,
// finalizers, Events, the Lease, Secrets by name, and the refusals: list/watch Secrets, exec, RBAC).
import assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, describe, test } from "node:test";
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { GOOD } from "../operator/crd-cases.ts";
import {
  clusterSkipReason,
  type ControlPlane,
  type ControlPlaneOptions,
  startControlPlane,
} from "../helpers/envtest.ts";
import { applyManifests, helmBinary, renderChart } from "../helpers/helm.ts";
import { refusal } from "../helpers/refusal.ts";

const OP_NS = "poolfleet-system";
const SCOPED_NS = "scoped-system";
const POOLS = "pools-a"; // watched by the scoped release
const OTHER = "pools-b"; // not watched by the scoped release
const LEASE = "poolfleet-operator";
const KES_JOB_ROLE = "poolfleet-kes-job"; // the cluster-wide release's, templates/kes-job-rbac.yaml

let cp: ControlPlane;
let operator: KubeConfig; // cluster-wide release
let scoped: KubeConfig; // namespaced release, watching pools-a only

/** A KubeConfig that authenticates as a ServiceAccount with a token the API server issued for it. */
async function serviceAccountConfig(admin: KubeConfig, namespace: string, name: string): Promise<KubeConfig> {
  const core = admin.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "envtest", server: cp.server, caData: admin.getCurrentCluster()!.caData! }],
    users: [{ name: `${namespace}-${name}`, token: tr.status!.token }],
    contexts: [{ name: "envtest", cluster: "envtest", user: `${namespace}-${name}` }],
    currentContext: "envtest",
  });
  return kc;
}

interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

async function allowed(kc: KubeConfig, a: Access): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: { spec: { resourceAttributes: { ...a, group: a.group ?? "" } } },
  });
  return review.status!.allowed;
}

const show = (a: Access) =>
  `${a.verb} ${a.group ? `${a.group}/` : ""}${a.resource}${a.subresource ? `/${a.subresource}` : ""}` +
  `${a.name ? ` ${a.name}` : ""} in ${a.namespace ?? "all namespaces"}`;

/** HTTP status of a raw request as `kc` (for watch and exec, which the typed clients do not answer plainly). */
async function rawStatus(kc: KubeConfig, method: string, path: string): Promise<number> {
  const opts: Parameters<typeof request>[1] = { method, timeout: 5000 };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(`${cp.server}${path}`, opts, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy(); // a watch stays open: the status line is all we need
    });
    req.on("error", reject);
    req.end();
  });
}

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

// OwnerReferencesPermissionEnforcement: the operator's owner references with blockOwnerDeletion need its RBAC to
// allow updating the owner's finalizers, as on clusters that enable the plugin.
const CP_OPTIONS: ControlPlaneOptions = {
  apiServerArgs: ["--enable-admission-plugins=OwnerReferencesPermissionEnforcement"],
};
const skip = clusterSkipReason(CP_OPTIONS);

before(
  async () => {
    if (skip) return;
    const bin = await helmBinary();
    cp = await startControlPlane(CP_OPTIONS);
    const ns = (name: string): KubernetesObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
    await applyManifests(cp.kc, [ns(OP_NS), ns(SCOPED_NS), ns(POOLS), ns(OTHER)]);
    await applyManifests(cp.kc, await renderChart(bin, { namespace: OP_NS, includeCrds: true }));
    await applyManifests(
      cp.kc,
      await renderChart(bin, { release: "scoped", namespace: SCOPED_NS, values: { watchNamespaces: [POOLS] } }),
    );
    operator = await serviceAccountConfig(cp.kc, OP_NS, "poolfleet");
    scoped = await serviceAccountConfig(cp.kc, SCOPED_NS, "scoped-poolfleet");
  },
  { timeout: 55 * 60_000 }, // a cold machine builds the binaries first
);
after(async () => {
  await cp?.stop();
});

const KINDS = ["stakepools", "relays", "kesrotations", "multikeygroups"];
const OWNED: [string, string][] = [
  ["apps", "statefulsets"],
  ["", "services"],
  ["", "configmaps"],
  ["policy", "poddisruptionbudgets"],
  ["networking.k8s.io", "networkpolicies"],
  ["batch", "jobs"],
];

/** Everything the operator does, in any namespace (and cluster-wide for its informers). */
const MUST: Access[] = [
  ...KINDS.flatMap((resource) =>
    ["get", "list", "watch", "patch"].flatMap((verb) => [
      { verb, resource, group: "poolfleet.io", namespace: OTHER },
      ...(verb === "list" || verb === "watch" ? [{ verb, resource, group: "poolfleet.io" }] : []),
    ]),
  ),
  { verb: "create", resource: "relays", group: "poolfleet.io", namespace: OTHER },
  { verb: "delete", resource: "relays", group: "poolfleet.io", namespace: OTHER },
  ...KINDS.map((resource) => ({
    verb: "patch",
    resource,
    subresource: "status",
    group: "poolfleet.io",
    namespace: OTHER,
  })),
  ...KINDS.map((resource) => ({
    verb: "update",
    resource,
    subresource: "finalizers",
    group: "poolfleet.io",
    namespace: OTHER,
  })),
  ...OWNED.flatMap(([group, resource]) => [
    ...["get", "list", "watch", "create", "patch", "delete"].map((verb) => ({
      verb,
      resource,
      group,
      namespace: OTHER,
    })),
    { verb: "list", resource, group },
    { verb: "watch", resource, group },
  ]),
  ...["get", "list", "watch"].map((verb) => ({ verb, resource: "pods", namespace: OTHER })),
  { verb: "get", resource: "secrets", namespace: OTHER, name: "pool-a-keys" },
  ...["create", "patch", "delete"].map((verb) => ({ verb, resource: "secrets", namespace: OTHER })),
  { verb: "create", resource: "events", group: "events.k8s.io", namespace: OTHER },
  { verb: "patch", resource: "events", group: "events.k8s.io", namespace: OTHER },
  { verb: "create", resource: "leases", group: "coordination.k8s.io", namespace: OP_NS },
  // A KesRotation's Jobs: their ServiceAccount, and its RoleBinding to the chart's <release>-kes-job ClusterRole.
  ...["get", "create", "patch"].flatMap((verb) => [
    { verb, resource: "serviceaccounts", namespace: OTHER },
    { verb, resource: "rolebindings", group: "rbac.authorization.k8s.io", namespace: OTHER },
  ]),
  { verb: "bind", resource: "clusterroles", group: "rbac.authorization.k8s.io", namespace: OTHER, name: KES_JOB_ROLE },
  { verb: "get", resource: "leases", group: "coordination.k8s.io", namespace: OP_NS, name: LEASE },
  { verb: "update", resource: "leases", group: "coordination.k8s.io", namespace: OP_NS, name: LEASE },
  // A MultikeyGroup producer's Role (get/create/update Leases) and its RoleBinding: the API server lets the
  // operator write them only because it holds those Lease verbs itself.
  ...["get", "create", "patch"].map((verb) => ({
    verb,
    resource: "roles",
    group: "rbac.authorization.k8s.io",
    namespace: OTHER,
  })),
  ...["get", "create", "update"].map((verb) => ({
    verb,
    resource: "leases",
    group: "coordination.k8s.io",
    namespace: OTHER,
    name: "pool-lease-0123",
  })),
];

/** What it must never be able to do. */
const MUST_NOT: Access[] = [
  // Secrets: never enumerate or stream them, never rewrite one wholesale.
  { verb: "list", resource: "secrets", namespace: OTHER },
  { verb: "watch", resource: "secrets", namespace: OTHER },
  { verb: "list", resource: "secrets" },
  { verb: "watch", resource: "secrets" },
  { verb: "update", resource: "secrets", namespace: OTHER },
  { verb: "deletecollection", resource: "secrets", namespace: OTHER },
  // Into pods.
  ...["exec", "attach", "portforward"].flatMap((subresource) => [
    { verb: "create", resource: "pods", subresource, namespace: OTHER },
    { verb: "get", resource: "pods", subresource, namespace: OTHER },
  ]),
  { verb: "get", resource: "pods", subresource: "log", namespace: OTHER },
  { verb: "create", resource: "pods", namespace: OTHER },
  { verb: "delete", resource: "pods", namespace: OTHER },
  // RBAC and identities: nothing but RoleBindings and Roles (get, create, patch: the KES Jobs' and the group
  // producers') and bind on the KES Jobs' one role. Never escalate or bind a Role.
  ...["roles", "rolebindings", "clusterroles", "clusterrolebindings"].flatMap((resource) =>
    ["get", "list", "create", "update", "patch", "bind", "escalate"]
      .filter((verb) => resource.startsWith("cluster") || !["get", "create", "patch"].includes(verb))
      .map((verb) => ({
        verb,
        resource,
        group: "rbac.authorization.k8s.io",
        ...(resource.startsWith("cluster") ? {} : { namespace: OTHER }),
      })),
  ),
  ...["cluster-admin", "admin", "edit", "poolfleet"].map((name) => ({
    verb: "bind",
    resource: "clusterroles",
    group: "rbac.authorization.k8s.io",
    namespace: OTHER,
    name,
  })),
  { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: OP_NS, name: "poolfleet" },
  { verb: "create", resource: "serviceaccounts", subresource: "token", namespace: OTHER, name: "pool-a-kes-kes-job" },
  { verb: "delete", resource: "serviceaccounts", namespace: OTHER },
  { verb: "list", resource: "serviceaccounts", namespace: OTHER },
  { verb: "impersonate", resource: "users" },
  { verb: "impersonate", resource: "serviceaccounts", namespace: OP_NS },
  // The user's objects are the user's: no creating or deleting pools, no whole-object updates.
  { verb: "create", resource: "stakepools", group: "poolfleet.io", namespace: OTHER },
  { verb: "delete", resource: "stakepools", group: "poolfleet.io", namespace: OTHER },
  { verb: "update", resource: "stakepools", group: "poolfleet.io", namespace: OTHER },
  { verb: "deletecollection", resource: "stakepools", group: "poolfleet.io", namespace: OTHER },
  // The cluster itself.
  { verb: "create", resource: "customresourcedefinitions", group: "apiextensions.k8s.io" },
  { verb: "update", resource: "customresourcedefinitions", group: "apiextensions.k8s.io" },
  { verb: "list", resource: "nodes" },
  { verb: "list", resource: "namespaces" },
  { verb: "create", resource: "namespaces" },
  { verb: "create", resource: "deployments", group: "apps", namespace: OTHER },
  { verb: "create", resource: "daemonsets", group: "apps", namespace: OTHER },
  // Leases: get, create and update only (a producer Role grants those, so the operator must hold them); never
  // enumerate, stream, patch or delete them.
  ...["list", "watch", "patch", "delete"].map((verb) => ({
    verb,
    resource: "leases",
    group: "coordination.k8s.io",
    namespace: OP_NS,
  })),
  { verb: "list", resource: "leases", group: "coordination.k8s.io" },
  // Legacy core Events are not used (events.k8s.io only).
  { verb: "create", resource: "events", namespace: OTHER },
];

describe("the operator's ServiceAccount (cluster-wide release), by SelfSubjectAccessReview", { skip }, () => {
  test(`can do each of the ${MUST.length} things the operator needs`, async () => {
    const denied = [];
    for (const a of MUST) if (!(await allowed(operator, a))) denied.push(show(a));
    assert.deepEqual(denied, []);
  });
  test(`cannot do any of ${MUST_NOT.length} things it has no reason to`, async () => {
    const granted = [];
    for (const a of MUST_NOT) if (await allowed(operator, a)) granted.push(show(a));
    assert.deepEqual(granted, []);
  });
});

describe("the operator's ServiceAccount, by real requests", { skip }, () => {
  const pool = {
    apiVersion: "poolfleet.io/v1alpha1",
    kind: "StakePool",
    metadata: { name: "pool-a", namespace: OTHER },
  };
  let uid = "";

  before(async () => {
    const admin = KubernetesObjectApi.makeApiClient(cp.kc);
    const created = await admin.create({ ...pool, spec: GOOD.StakePool } as KubernetesObject);
    uid = created.metadata!.uid!;
    const core = cp.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({
      namespace: OTHER,
      body: { metadata: { name: "pool-a-keys" }, stringData: { "kes.skey": "not a real key" } },
    });
  });

  test("lists and watches pools and owned kinds cluster-wide (its informers)", async () => {
    for (const path of [
      "/apis/poolfleet.io/v1alpha1/stakepools",
      "/apis/poolfleet.io/v1alpha1/stakepools?watch=true",
      "/apis/apps/v1/statefulsets?watch=true",
      "/api/v1/pods?watch=true",
      "/api/v1/configmaps",
    ]) {
      assert.equal(await rawStatus(operator, "GET", path), 200, path);
    }
  });

  test("server-side applies a StatefulSet owned by the pool (blockOwnerDeletion passes the admission check)", async () => {
    const client = KubernetesObjectApi.makeApiClient(operator);
    const labels = { app: "pool-a-producer" };
    const sts = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        name: "pool-a-producer",
        namespace: OTHER,
        ownerReferences: [
          {
            apiVersion: "poolfleet.io/v1alpha1",
            kind: "StakePool",
            name: "pool-a",
            uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        serviceName: "pool-a-producer",
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "node", image: "poolfleet/poolfleet-node:0.1.0" }] },
        },
      },
    };
    const live = await client.patch(
      sts,
      undefined,
      undefined,
      "poolfleet-stakepool",
      true,
      PatchStrategy.ServerSideApply,
    );
    assert.equal(live.metadata?.ownerReferences?.[0]?.uid, uid);
    // The same owner reference from an identity without update on stakepools/finalizers is refused: the rule
    // is what makes the apply above pass, not a lax admission setup.
    const stranger = await cp.userConfig("stranger");
    const strangerRole = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "stranger", namespace: OTHER },
      rules: [
        { apiGroups: ["apps"], resources: ["statefulsets"], verbs: ["get", "create", "patch"] },
        { apiGroups: ["poolfleet.io"], resources: ["stakepools"], verbs: ["get", "update", "patch"] },
      ],
    };
    const strangerBinding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "stranger", namespace: OTHER },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "stranger" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "stranger" }],
    };
    await applyManifests(cp.kc, [strangerRole, strangerBinding] as KubernetesObject[]);
    const refused = await refusal(
      KubernetesObjectApi.makeApiClient(stranger).patch(
        { ...sts, metadata: { ...sts.metadata, name: "stranger-sts" }, spec: { ...sts.spec, serviceName: "x" } },
        undefined,
        undefined,
        "stranger",
        true,
        PatchStrategy.ServerSideApply,
      ),
    );
    // It may create StatefulSets and update StakePools, but not stakepools/finalizers: refused at admission.
    assert.equal(refused.code, 403);
    assert.match(refused.message, /cannot set blockOwnerDeletion/);
  });

  test("writes the pool's status and its finalizer, but not its spec", async () => {
    const client = KubernetesObjectApi.makeApiClient(operator);
    const statusPath = `/apis/poolfleet.io/v1alpha1/namespaces/${OTHER}/stakepools/pool-a/status`;
    const applied = await applyRaw(
      operator,
      statusPath,
      { ...pool, status: { phase: "Pending" } },
      "poolfleet-stakepool-status",
    );
    assert.equal(applied, 200);
    const withFinalizer = await client.patch(
      { ...pool, metadata: { ...pool.metadata, finalizers: ["poolfleet.io/cleanup"] } },
      undefined,
      undefined,
      "poolfleet-stakepool",
      true,
      PatchStrategy.ServerSideApply,
    );
    assert.deepEqual(withFinalizer.metadata?.finalizers, ["poolfleet.io/cleanup"]);
    // Remove it again so the namespace can go.
    await client.patch(pool, undefined, undefined, "poolfleet-stakepool", true, PatchStrategy.ServerSideApply);
    const admin = KubernetesObjectApi.makeApiClient(cp.kc);
    const live = (await admin.read(pool)) as KubernetesObject & { status?: { phase?: string } };
    assert.equal(live.status?.phase, "Pending");
    assert.equal(await status(KubernetesObjectApi.makeApiClient(operator).delete(pool)), 403);
  });

  test("reads the key Secret by name and manages its own key revisions, but cannot list Secrets", async () => {
    const core = operator.makeApiClient(CoreV1Api);
    const keys = await core.readNamespacedSecret({ name: "pool-a-keys", namespace: OTHER });
    assert.ok(keys.data?.["kes.skey"]);
    const revision = await core.createNamespacedSecret({
      namespace: OTHER,
      body: { metadata: { name: "pool-a-keys-0123abcd" }, immutable: true, data: { "kes.skey": "AA==" } },
    });
    assert.equal(revision.immutable, true);
    assert.equal(await status(core.deleteNamespacedSecret({ name: "pool-a-keys-0123abcd", namespace: OTHER })), 200);
    assert.equal(await status(core.listNamespacedSecret({ namespace: OTHER })), 403);
    assert.equal(await status(core.listSecretForAllNamespaces()), 403);
    assert.equal(await rawStatus(operator, "GET", `/api/v1/namespaces/${OTHER}/secrets?watch=true`), 403);
    assert.equal(await rawStatus(operator, "GET", "/api/v1/secrets?watch=true"), 403);
  });

  test("records Events and holds its Lease, and only its Lease", async () => {
    const events = `/apis/events.k8s.io/v1/namespaces/${OTHER}/events`;
    const event = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "pool-a.1", namespace: OTHER },
      eventTime: new Date().toISOString().replace("Z", "000Z"),
      reportingController: "poolfleet.io/operator",
      reportingInstance: "test",
      action: "Reconcile",
      reason: "Test",
      type: "Normal",
      note: "rbac test",
      regarding: { apiVersion: "poolfleet.io/v1alpha1", kind: "StakePool", name: "pool-a", namespace: OTHER, uid },
    };
    assert.equal(await postRaw(operator, events, event), 201);
    const lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: LEASE, namespace: OP_NS },
      spec: { holderIdentity: "op-0", leaseDurationSeconds: 15 },
    };
    const leases = `/apis/coordination.k8s.io/v1/namespaces/${OP_NS}/leases`;
    assert.equal(await postRaw(operator, leases, lease), 201);
    assert.equal(await rawStatus(operator, "GET", `${leases}/${LEASE}`), 200);
    assert.equal(await rawStatus(operator, "GET", `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases`), 403);
  });

  test("binds the KES Jobs' ClusterRole to a rotation's ServiceAccount, and no other role; that account can only create Secrets", async () => {
    const objects = KubernetesObjectApi.makeApiClient(operator);
    const apply = (obj: KubernetesObject) =>
      objects.patch(obj, undefined, undefined, "poolfleet-kesrotation", true, PatchStrategy.ServerSideApply);
    const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "pool-a-kes-kes-job", namespace: OTHER } };
    await apply(sa);
    const binding = (role: string) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `pool-a-kes-${role}`, namespace: OTHER },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ kind: "ServiceAccount", name: "pool-a-kes-kes-job", namespace: OTHER }],
    });
    const bound = await apply(binding(KES_JOB_ROLE) as KubernetesObject);
    assert.equal(bound.metadata?.name, `pool-a-kes-${KES_JOB_ROLE}`);
    // Roles holding rights the operator lacks are refused (no bind on them). A role whose rights it holds in full
    // (its own) would pass the API server's escalation check anyway: RBAC lets anyone grant what they have. (The
    // aggregated admin/edit roles are empty here: no controller-manager aggregates them.)
    for (const role of ["cluster-admin", "system:kube-controller-manager", "system:node"]) {
      const refused = await refusal(apply(binding(role) as KubernetesObject));
      assert.equal(refused.code, 403, role);
      assert.match(refused.message, /forbidden/, role);
    }
    // The Job's token, as its pod would hold it: create a Secret, nothing else.
    const job = (await serviceAccountConfig(cp.kc, OTHER, "pool-a-kes-kes-job")).makeApiClient(CoreV1Api);
    const made = await job.createNamespacedSecret({
      namespace: OTHER,
      body: { metadata: { name: "pool-a-kes-staged-1" }, immutable: true, data: { "kes.skey": "AA==" } },
    });
    assert.equal(made.immutable, true);
    assert.equal(await status(job.readNamespacedSecret({ name: "pool-a-keys", namespace: OTHER })), 403);
    assert.equal(await status(job.readNamespacedSecret({ name: "pool-a-kes-staged-1", namespace: OTHER })), 403);
    assert.equal(await status(job.listNamespacedSecret({ namespace: OTHER })), 403);
    assert.equal(
      await status(job.replaceNamespacedSecret({ name: "pool-a-kes-staged-1", namespace: OTHER, body: made })),
      403,
    );
    assert.equal(await status(job.listNamespacedPod({ namespace: OTHER })), 403);
    assert.equal(
      await status(job.createNamespacedSecret({ namespace: POOLS, body: { metadata: { name: "elsewhere" } } })),
      403,
      "only in the namespace of its RoleBinding",
    );
  });

  test("cannot exec into a pod, read its logs, or touch RBAC", async () => {
    assert.equal(
      await rawStatus(operator, "POST", `/api/v1/namespaces/${OTHER}/pods/any/exec?command=sh&stdout=true`),
      403,
    );
    assert.equal(
      await rawStatus(operator, "GET", `/api/v1/namespaces/${OTHER}/pods/any/exec?command=sh&stdout=true`),
      403,
    );
    assert.equal(await rawStatus(operator, "GET", `/api/v1/namespaces/${OTHER}/pods/any/log`), 403);
    assert.equal(await rawStatus(operator, "GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles"), 403);
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "escalate" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "poolfleet", namespace: OP_NS }],
    };
    assert.equal(await postRaw(operator, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding), 403);
  });
});

describe("the namespaced release's ServiceAccount: rights in its watched namespace only", { skip }, () => {
  test("can work in pools-a", async () => {
    for (const a of [
      { verb: "list", resource: "stakepools", group: "poolfleet.io", namespace: POOLS },
      { verb: "watch", resource: "stakepools", group: "poolfleet.io", namespace: POOLS },
      { verb: "create", resource: "statefulsets", group: "apps", namespace: POOLS },
      { verb: "get", resource: "secrets", namespace: POOLS, name: "pool-a-keys" },
      { verb: "update", resource: "leases", group: "coordination.k8s.io", namespace: SCOPED_NS, name: LEASE },
    ]) {
      assert.ok(await allowed(scoped, a), show(a));
    }
  });

  test("cannot read Secrets, or anything, in a namespace it is not given, nor list cluster-wide", async () => {
    for (const a of [
      { verb: "get", resource: "secrets", namespace: OTHER, name: "pool-a-keys" },
      { verb: "get", resource: "secrets", namespace: "default", name: "anything" },
      { verb: "get", resource: "secrets", namespace: SCOPED_NS, name: "anything" },
      { verb: "list", resource: "stakepools", group: "poolfleet.io", namespace: OTHER },
      { verb: "list", resource: "stakepools", group: "poolfleet.io" },
      { verb: "create", resource: "statefulsets", group: "apps", namespace: OTHER },
      { verb: "list", resource: "secrets", namespace: POOLS },
      { verb: "update", resource: "leases", group: "coordination.k8s.io", namespace: OP_NS, name: LEASE },
    ]) {
      assert.equal(await allowed(scoped, a), false, show(a));
    }
    const core = scoped.makeApiClient(CoreV1Api);
    assert.equal(await status(core.readNamespacedSecret({ name: "pool-a-keys", namespace: OTHER })), 403);
  });
});

/** POST a JSON object as `kc`; the HTTP status. */
async function postRaw(kc: KubeConfig, path: string, body: unknown): Promise<number> {
  return sendRaw(kc, "POST", path, "application/json", body);
}

/** Server-side apply a JSON object (force) as `kc`; the HTTP status. */
async function applyRaw(kc: KubeConfig, path: string, body: unknown, manager: string): Promise<number> {
  return sendRaw(kc, "PATCH", `${path}?fieldManager=${manager}&force=true`, PatchStrategy.ServerSideApply, body);
}

async function sendRaw(kc: KubeConfig, method: string, path: string, type: string, body: unknown): Promise<number> {
  const opts: Parameters<typeof request>[1] = { method, timeout: 5000, headers: { "content-type": type } };
  await kc.applyToHTTPSOptions(opts);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${cp.server}${path}`, opts, (res) => {
      let out = "";
      res.on("data", (d: Buffer) => (out += d.toString()));
      res.on("end", () => {
        if ((res.statusCode ?? 0) >= 300 && res.statusCode !== 403) {
          reject(new Error(`${method} ${path}: ${res.statusCode} ${out}`));
        } else resolve(res.statusCode ?? 0);
      });
    });
    req.on("error", reject);
    req.end(text);
  });
}
