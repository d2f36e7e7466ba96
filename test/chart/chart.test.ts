// charts/poolfleet: `helm lint --strict` passes for every supported shape of values and fails for bad ones,
// `helm template` renders what the operator needs and nothing more, and the rendered chart, applied with
// server-side apply to a real kube-apiserver, is accepted whole, keeps every field, and re-applies without a write.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  ApiException,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1ClusterRole,
  type V1Deployment,
  type V1PolicyRule,
  type V1Pod,
  type V1PodSpec,
} from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { parse } from "yaml";
import { KES_JOB_RULES } from "../../src/operator/kesrotation/build-jobs.ts";
import { registerKesMetrics } from "../../src/operator/kesrotation/metrics.ts";
import { registerPoolKesMetrics } from "../../src/operator/controllers/stakepool-kes-metrics.ts";
import { commonLabels } from "../../src/operator/names.ts";
import { createMetrics } from "../../src/node/metrics.ts";
import { ManagerMetrics } from "../../src/operator/manager/metrics.ts";
import { crdFiles } from "../../scripts/generate-crds.ts";
import { type ControlPlane, startControlPlane } from "../helpers/envtest.ts";
import { applyManifests, CHART_DIR, helm, helmBinary, KUBE_VERSION, renderChart, valueFlags } from "../helpers/helm.ts";

const NS = "poolfleet-system";
const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../package.json", import.meta.url)), "utf8")) as {
  version: string;
};

let bin: string;

const byKind = (objs: KubernetesObject[], kind: string) => objs.filter((o) => o.kind === kind);
const one = <T extends KubernetesObject>(objs: KubernetesObject[], kind: string): T => {
  const found = byKind(objs, kind);
  assert.equal(found.length, 1, `exactly one ${kind}`);
  return found[0] as T;
};
const ids = (objs: KubernetesObject[]) =>
  objs.map((o) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`).sort();

before(async () => {
  bin = await helmBinary();
});

describe("helm lint", () => {
  const good: Record<string, Record<string, unknown>> = {
    defaults: {},
    "namespaced RBAC": { watchNamespaces: ["pools-a", "pools-b"] },
    "ServiceMonitor on": { "metrics.serviceMonitor.enabled": true, "metrics.serviceMonitor.labels": { release: "kp" } },
    "alerts and dashboard on": { "metrics.prometheusRule.enabled": true, "metrics.grafanaDashboard.enabled": true },
    "PodMonitor on, some namespaces": { "metrics.podMonitor.enabled": true, watchNamespaces: ["pools-a"] },
    "no leader election, one replica": { "leaderElection.enabled": false },
    "two replicas with leader election": { replicaCount: 2 },
    "own ServiceAccount and RBAC": {
      "serviceAccount.create": false,
      "serviceAccount.name": "mine",
      "rbac.create": false,
    },
    "pinned digest": { "image.digest": `sha256:${"ab".repeat(32)}` },
  };
  for (const [name, values] of Object.entries(good)) {
    test(`passes --strict: ${name}`, async () => {
      const res = await helm(bin, [
        "lint",
        "--strict",
        "--kube-version",
        KUBE_VERSION,
        CHART_DIR,
        ...valueFlags(values),
      ]);
      assert.equal(res.code, 0, `helm lint failed:\n${res.stdout}\n${res.stderr}`);
      assert.match(res.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });
  }

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ["a misspelt key", { leaderElectoin: { enabled: false } }, /additional properties 'leaderElectoin' not allowed/],
    ["a port out of range", { "metrics.port": 70000 }, /\/metrics\/port/],
    ["a log level the operator refuses", { logLevel: "verbose" }, /\/logLevel/],
    ["an invalid namespace name", { watchNamespaces: ["Pools_A"] }, /\/watchNamespaces\/0/],
  ];
  for (const [name, values, message] of bad) {
    test(`fails: ${name}`, async () => {
      const res = await helm(bin, [
        "lint",
        "--strict",
        "--kube-version",
        KUBE_VERSION,
        CHART_DIR,
        ...valueFlags(values),
      ]);
      assert.notEqual(res.code, 0, `helm lint accepted ${name}`);
      assert.match(res.stdout + res.stderr, message);
    });
  }
});

describe("helm template refuses values that would make a broken install, saying why", () => {
  // helm lint only reports a template's `fail` or `required` as [INFO]; install and template stop on them.
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ["two replicas without leader election", { replicaCount: 2, "leaderElection.enabled": false }, /leaderElection/],
    [
      "a ServiceMonitor with no Service",
      { "metrics.serviceMonitor.enabled": true, "metrics.service.enabled": false },
      /metrics.service.enabled/,
    ],
    ["no ServiceAccount and no name", { "serviceAccount.create": false }, /serviceAccount.name is required/],
  ];
  for (const [name, values, message] of refused) {
    test(name, async () => {
      await assert.rejects(renderChart(bin, { values }), message);
    });
  }
});

describe("helm template", () => {
  test("defaults: the operator's objects, cluster-wide RBAC, no ServiceMonitor, no Secret", async () => {
    const objs = await renderChart(bin);
    assert.deepEqual(ids(objs), [
      "ClusterRole/poolfleet",
      "ClusterRole/poolfleet-edit",
      "ClusterRole/poolfleet-kes-job",
      "ClusterRole/poolfleet-view",
      "ClusterRoleBinding/poolfleet",
      "Deployment/poolfleet-system/poolfleet",
      "Role/poolfleet-system/poolfleet-leader-election",
      "RoleBinding/poolfleet-system/poolfleet-leader-election",
      "Service/poolfleet-system/poolfleet-metrics",
      "ServiceAccount/poolfleet-system/poolfleet",
    ]);
    for (const o of objs) {
      assert.equal(o.metadata?.labels?.["app.kubernetes.io/part-of"], "poolfleet", `${o.kind} labelled`);
      assert.equal(o.metadata?.labels?.["app.kubernetes.io/version"], pkg.version);
    }
  });

  test("the Deployment: the node image running poolfleet-operator, leader election, ports, probes, locked down", async () => {
    const d = one<V1Deployment>(await renderChart(bin), "Deployment");
    const pod = d.spec!.template.spec!;
    const c = pod.containers[0]!;
    assert.equal(pod.containers.length, 1);
    assert.equal(c.image, `poolfleet/poolfleet-node:${pkg.version}`);
    assert.deepEqual(c.command, ["poolfleet-operator"]);
    assert.equal(c.args, undefined);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    assert.deepEqual(env, {
      POD_NAMESPACE: { fieldRef: { fieldPath: "metadata.namespace" } },
      POOLFLEET_KES_JOB_CLUSTERROLE: "poolfleet-kes-job",
      POOLFLEET_LEADER_ELECT: "true",
      POOLFLEET_LEASE_NAMESPACE: NS,
      POOLFLEET_LEASE_DURATION: "15",
      POOLFLEET_RENEW_DEADLINE: "10",
      POOLFLEET_RETRY_PERIOD: "2",
      POOLFLEET_NAMESPACE: "",
      POOLFLEET_METRICS_ADDR: ":8080",
      POOLFLEET_HEALTH_ADDR: ":8081",
      POOLFLEET_LOG_LEVEL: "info",
    });
    assert.deepEqual(
      c.ports?.map((p) => [p.name, p.containerPort]),
      [
        ["metrics", 8080],
        ["health", 8081],
      ],
    );
    assert.deepEqual(c.livenessProbe?.httpGet, { path: "/healthz", port: "health" });
    assert.deepEqual(c.readinessProbe?.httpGet, { path: "/readyz", port: "health" });
    assert.equal(pod.serviceAccountName, "poolfleet");
    // What the operator's NetworkPolicies rely on to admit it to the nodes' metrics port
    // (src/operator/controllers/index.ts): this label on its pods, and its namespace in POD_NAMESPACE.
    assert.equal(d.spec!.template.metadata?.labels?.["app.kubernetes.io/name"], "poolfleet-operator");
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } });
    assert.equal(d.spec!.strategy, undefined, "RollingUpdate (the default) is safe behind leader election");
  });

  test("values reach the Deployment: digest, namespaces, no leader election, extra flags and env", async () => {
    const digest = `sha256:${"cd".repeat(32)}`;
    const d = one<V1Deployment>(
      await renderChart(bin, {
        values: {
          "image.digest": digest,
          watchNamespaces: ["pools-a", "pools-b"],
          "leaderElection.enabled": false,
          extraArgs: ["--log-level=debug"],
          extraEnv: [{ name: "EXTRA", value: "1" }],
          "metrics.port": 9090,
        },
      }),
      "Deployment",
    );
    const c = d.spec!.template.spec!.containers[0]!;
    assert.equal(c.image, `poolfleet/poolfleet-node@${digest}`);
    assert.deepEqual(c.args, ["--log-level=debug"]);
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));
    assert.equal(env.POOLFLEET_NAMESPACE, "pools-a,pools-b");
    assert.equal(env.POOLFLEET_LEADER_ELECT, "false");
    assert.equal(env.POOLFLEET_METRICS_ADDR, ":9090");
    assert.equal(env.EXTRA, "1");
    assert.deepEqual(d.spec!.strategy, { type: "Recreate" });
  });

  test("namespaced mode: a Role and RoleBinding per watched namespace and no ClusterRole for the operator", async () => {
    const objs = await renderChart(bin, { values: { watchNamespaces: ["pools-a", "pools-b"] } });
    assert.deepEqual(
      ids(objs).filter((i) => /^(Cluster)?Role/.test(i)),
      [
        "ClusterRole/poolfleet-edit",
        "ClusterRole/poolfleet-kes-job",
        "ClusterRole/poolfleet-view",
        "Role/poolfleet-system/poolfleet-leader-election",
        "Role/pools-a/poolfleet",
        "Role/pools-b/poolfleet",
        "RoleBinding/poolfleet-system/poolfleet-leader-election",
        "RoleBinding/pools-a/poolfleet",
        "RoleBinding/pools-b/poolfleet",
      ],
    );
    const cluster = await renderChart(bin);
    const clusterRules = one<V1ClusterRole>(
      cluster.filter((o) => o.metadata?.name === "poolfleet"),
      "ClusterRole",
    ).rules;
    for (const role of byKind(objs, "Role").filter((r) => r.metadata?.name === "poolfleet")) {
      assert.deepEqual((role as V1ClusterRole).rules, clusterRules, "the same rules in both modes");
    }
  });

  test("the operator's rules: no wildcards, no Secret list/watch, no RBAC, no pod exec", async () => {
    const rules = one<V1ClusterRole>(
      (await renderChart(bin)).filter((o) => o.metadata?.name === "poolfleet"),
      "ClusterRole",
    ).rules!;
    const grants = (r: V1PolicyRule) =>
      r.resources!.flatMap((res) => r.verbs.map((v) => `${r.apiGroups![0] || "core"}/${res}:${v}`));
    const all = rules.flatMap(grants);
    for (const g of all) assert.doesNotMatch(g, /\*/, `wildcard in ${g}`);
    assert.deepEqual(
      all.filter((g) => g.startsWith("core/secrets")),
      ["core/secrets:get", "core/secrets:create", "core/secrets:patch", "core/secrets:delete"],
    );
    // RBAC: RoleBindings (the KES Jobs', the group producers'), Roles (the group producers' lease-only Role), and
    // bind on the one ClusterRole the KES Jobs' bindings reference, by name. No escalate.
    assert.deepEqual(
      all.filter((g) => g.startsWith("rbac.authorization.k8s.io/")),
      [
        "rbac.authorization.k8s.io/rolebindings:get",
        "rbac.authorization.k8s.io/rolebindings:create",
        "rbac.authorization.k8s.io/rolebindings:patch",
        "rbac.authorization.k8s.io/roles:get",
        "rbac.authorization.k8s.io/roles:create",
        "rbac.authorization.k8s.io/roles:patch",
        "rbac.authorization.k8s.io/clusterroles:bind",
      ],
    );
    // Leases: exactly the verbs a producer's Role grants (the API server's escalation check), no list/watch/delete.
    assert.deepEqual(
      all.filter((g) => g.startsWith("coordination.k8s.io/")),
      ["coordination.k8s.io/leases:get", "coordination.k8s.io/leases:create", "coordination.k8s.io/leases:update"],
    );
    const bind = rules.find((r) => r.verbs.includes("bind"))!;
    assert.deepEqual(bind.resourceNames, ["poolfleet-kes-job"]);
    assert.deepEqual(
      all.filter((g) => g.startsWith("core/serviceaccounts")),
      ["core/serviceaccounts:get", "core/serviceaccounts:create", "core/serviceaccounts:patch"],
    );
    assert.ok(!all.some((g) => /^core\/pods\/(exec|attach|portforward|log)/.test(g)));
    assert.deepEqual(
      all.filter((g) => g.startsWith("core/pods")),
      ["core/pods:get", "core/pods:list", "core/pods:watch"],
    );
  });

  test("the KES Jobs' ClusterRole: exactly the rules the operator's Jobs are built for, named to the operator", async () => {
    const objs = await renderChart(bin, { release: "other" });
    const role = one<V1ClusterRole>(
      objs.filter((o) => o.metadata?.name === "other-poolfleet-kes-job"),
      "ClusterRole",
    );
    assert.deepEqual(role.rules, KES_JOB_RULES);
    const c = one<V1Deployment>(objs, "Deployment").spec!.template.spec!.containers[0]!;
    assert.equal(c.env!.find((e) => e.name === "POOLFLEET_KES_JOB_CLUSTERROLE")?.value, "other-poolfleet-kes-job");
  });

  test("ServiceMonitor: selects the metrics Service by its labels and port, with the given labels", async () => {
    const objs = await renderChart(bin, {
      values: { "metrics.serviceMonitor.enabled": true, "metrics.serviceMonitor.labels": { release: "kp" } },
    });
    const sm = one<KubernetesObject & { spec: Record<string, unknown> }>(objs, "ServiceMonitor");
    const svc = one<KubernetesObject & { spec: { selector: Record<string, string> } }>(objs, "Service");
    assert.equal(sm.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(sm.metadata?.labels?.release, "kp");
    const selector = (sm.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
    for (const [k, v] of Object.entries(selector)) assert.equal(svc.metadata?.labels?.[k], v, `Service label ${k}`);
    assert.deepEqual(sm.spec.endpoints, [
      { port: "metrics", path: "/metrics", honorLabels: true, interval: "30s", scrapeTimeout: "10s" },
    ]);
    assert.deepEqual(sm.spec.namespaceSelector, { matchNames: [NS] });
  });

  test("PodMonitor: selects the pods the operator runs, on their metrics port, labelled by pool and role", async () => {
    const objs = await renderChart(bin, {
      values: { "metrics.podMonitor.enabled": true, "metrics.podMonitor.labels": { release: "kp" } },
    });
    const pm = one<KubernetesObject & { spec: Record<string, unknown> }>(objs, "PodMonitor");
    assert.equal(pm.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(pm.metadata?.labels?.release, "kp");
    assert.deepEqual(pm.spec.namespaceSelector, { any: true });
    // The labels the operator's builders put on a producer's and a relay's pods.
    const selector = (pm.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
    for (const role of ["producer", "relay"] as const) {
      const labels = commonLabels(role, "pool-a", "pool-a");
      for (const [k, v] of Object.entries(selector)) assert.equal(labels[k], v, `${role} pod label ${k}`);
    }
    const [endpoint] = pm.spec.podMetricsEndpoints as {
      port: string;
      path: string;
      relabelings: { sourceLabels?: string[]; targetLabel: string; replacement?: string }[];
    }[];
    assert.equal(endpoint!.port, "metrics");
    assert.equal(endpoint!.path, "/metrics");
    const target = (t: string) => endpoint!.relabelings.find((r) => r.targetLabel === t);
    assert.deepEqual(target("pool")?.sourceLabels, ["__meta_kubernetes_pod_label_poolfleet_io_pool"]);
    assert.deepEqual(target("role")?.sourceLabels, ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]);
    assert.equal(target("job")?.replacement, "poolfleet-node");
    const some = await renderChart(bin, {
      values: { "metrics.podMonitor.enabled": true, watchNamespaces: ["pools-a"] },
    });
    assert.deepEqual(
      one<KubernetesObject & { spec: Record<string, unknown> }>(some, "PodMonitor").spec.namespaceSelector,
      {
        matchNames: ["pools-a"],
      },
    );
    assert.equal(byKind(await renderChart(bin, {}), "PodMonitor").length, 0, "off by default");
  });

  test("PrometheusRule and dashboard: they query series the operator and the node really export, by job", async () => {
    const objs = await renderChart(bin, {
      values: { "metrics.prometheusRule.enabled": true, "metrics.grafanaDashboard.enabled": true },
    });
    // The names the operator registers: a renamed metric fails here rather than in someone's silent alert.
    const registry = new Registry();
    registerKesMetrics(registry);
    registerPoolKesMetrics(registry);
    const operatorExports = new Set([
      ...(await registry.getMetricsAsJSON()).map((m) => m.name),
      ...(await new ManagerMetrics().registry.getMetricsAsJSON()).map((m) => m.name),
      "up",
    ]);
    const nodeExports = new Set((await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const exported = new Set([...operatorExports, ...nodeExports]);
    const metricsIn = (expr: string) => [...expr.matchAll(/\b(poolfleet_[a-z_]+|up)\b/g)].map((m) => m[1]!);
    const rule = one<
      KubernetesObject & { spec: { groups: { name: string; rules: { alert: string; expr: string }[] }[] } }
    >(objs, "PrometheusRule");
    const svc = one<KubernetesObject>(objs, "Service");
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    assert.deepEqual(rules.map((r) => r.alert).sort(), [
      "PoolfleetKesExpiringCritical",
      "PoolfleetKesExpiringSoon",
      "PoolfleetKesRenewalOverdue",
      "PoolfleetKesRotationNotReady",
      "PoolfleetMissedLeaderSlots",
      "PoolfleetNodeKesExpiringCritical",
      "PoolfleetNodeKesExpiringSoon",
      "PoolfleetNodeNoPeers",
      "PoolfleetOperatorDown",
      "PoolfleetPoolKesExpiringCritical",
      "PoolfleetPoolKesExpiringSoon",
      "PoolfleetProducerNotForging",
      "PoolfleetReconcileErrors",
      "PoolfleetTipStalled",
    ]);
    const nodeRules = new Set(rule.spec.groups.find((g) => g.name === "poolfleet-nodes")!.rules.map((r) => r.alert));
    for (const r of rules) {
      // Each rule queries only one side's series, by that side's job: the operator's Service, or the PodMonitor's.
      const [job, side] = nodeRules.has(r.alert)
        ? ["poolfleet-node", nodeExports]
        : [svc.metadata!.name!, operatorExports];
      const jobs = [...r.expr.matchAll(/job="([^"]*)"/g)].map((m) => m[1]);
      assert.ok(jobs.length > 0 && jobs.every((j) => j === job), `${r.alert} selects job ${job}: ${r.expr}`);
      for (const m of metricsIn(r.expr)) assert.ok(side.has(m), `${r.alert}: ${m} is exported there`);
    }
    // The issue's five: a producer not forging, missed leader slots, a stalled tip, no peers, KES expiry everywhere.
    const expr = (a: string) => rules.find((r) => r.alert === a)!.expr;
    assert.match(expr("PoolfleetProducerNotForging"), /poolfleet_forging_enabled\{[^}]*role="producer"\} == 0/);
    assert.match(expr("PoolfleetMissedLeaderSlots"), /increase\(poolfleet_leader_slots_missed_total/);
    assert.match(expr("PoolfleetTipStalled"), /changes\(poolfleet_tip_slot\{[^}]*\}\[30m\]\) == 0/);
    assert.match(expr("PoolfleetNodeNoPeers"), /poolfleet_peers_connected\{[^}]*\} == 0/);
    assert.match(
      expr("PoolfleetNodeKesExpiringSoon"),
      /poolfleet_node_kes_expiration_timestamp_seconds.*< 7 \* 86400$/,
    );
    assert.match(
      expr("PoolfleetPoolKesExpiringSoon"),
      /poolfleet_stakepool_kes_expiration_timestamp_seconds.*< 7 \* 86400$/,
    );
    assert.match(rules.find((r) => r.alert === "PoolfleetKesExpiringSoon")!.expr, /< 7 \* 86400$/);
    const cm = one<KubernetesObject & { data: Record<string, string> }>(objs, "ConfigMap");
    assert.equal(cm.metadata?.labels?.grafana_dashboard, "1");
    const dashboard = JSON.parse(cm.data["poolfleet-kes.json"]!) as {
      uid: string;
      panels: { title: string; type: string; targets?: { expr: string }[] }[];
    };
    assert.equal(dashboard.uid, "poolfleet-kes");
    const targets = dashboard.panels.flatMap((p) => p.targets ?? []);
    const queried = targets.flatMap((t) => metricsIn(t.expr));
    // Each query reads one side's series by that side's job variable.
    for (const { expr } of targets) {
      const node = metricsIn(expr).every((m) => nodeExports.has(m) && !operatorExports.has(m));
      assert.ok(expr.includes(node ? 'job=~"$node_job"' : 'job=~"$job"'), `dashboard: ${expr} selects its job`);
    }
    for (const m of [
      "poolfleet_kes_expiration_timestamp_seconds",
      "poolfleet_kes_renewal_timestamp_seconds",
      "poolfleet_kes_periods_remaining",
      "poolfleet_kes_ready_status",
      "poolfleet_stakepool_kes_expiration_timestamp_seconds",
      "poolfleet_node_kes_periods_remaining",
      "poolfleet_tip_block",
      "poolfleet_caught_up",
      "poolfleet_blocks_forged_total",
      "poolfleet_leader_slots_missed_total",
      "poolfleet_peers_connected",
    ])
      assert.ok(queried.includes(m), `the dashboard shows ${m}`);
    for (const m of queried) assert.ok(exported.has(m), `dashboard: ${m} is exported`);
  });

  test("--include-crds renders exactly the generated CRDs, and Chart.yaml's appVersion is the package's", async () => {
    const crds = (await renderChart(bin, { includeCrds: true })).filter((o) => o.kind === "CustomResourceDefinition");
    const generated = [...crdFiles().values()].map((t) => parse(t) as KubernetesObject);
    assert.deepEqual(
      crds.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!)),
      generated.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!)),
    );
    const chart = parse(readFileSync(`${CHART_DIR}/Chart.yaml`, "utf8")) as { appVersion: string };
    assert.equal(chart.appVersion, pkg.version);
  });
});

describe("the rendered chart on a real API server (server-side apply)", () => {
  let cp: ControlPlane;

  before(
    async () => {
      cp = await startControlPlane();
      await applyManifests(cp.kc, [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } },
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "pools-a" } },
        prometheusOperatorStandIn("ServiceMonitor"),
        prometheusOperatorStandIn("PrometheusRule"),
        prometheusOperatorStandIn("PodMonitor"),
      ]);
    },
    { timeout: 55 * 60_000 }, // a cold machine builds the binaries first
  );
  after(async () => {
    await cp?.stop();
  });

  test("the whole chart with its CRDs is accepted and every object reads back as rendered", async () => {
    const objs = await renderChart(bin, {
      includeCrds: true,
      values: {
        "metrics.serviceMonitor.enabled": true,
        "metrics.podMonitor.enabled": true,
        "metrics.prometheusRule.enabled": true,
        "metrics.grafanaDashboard.enabled": true,
      },
    });
    const live = await applyManifests(cp.kc, objs);
    assert.ok(live.some((o) => o.kind === "PrometheusRule") && live.some((o) => o.kind === "ConfigMap"));
    assert.ok(live.some((o) => o.kind === "PodMonitor"));
    assert.equal(live.length, objs.length);
    const client = KubernetesObjectApi.makeApiClient(cp.kc);
    const d = (await client.read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "poolfleet", namespace: NS },
    })) as V1Deployment;
    const c = d.spec!.template.spec!.containers[0]!;
    assert.deepEqual(c.command, ["poolfleet-operator"]);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.readinessProbe?.httpGet?.port, "health");
    const sa = await client.read({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "poolfleet", namespace: NS },
    });
    assert.equal(sa.metadata?.name, d.spec!.template.spec!.serviceAccountName);
  });

  test("applying the same chart again changes nothing (no new resourceVersion)", async () => {
    const objs = await renderChart(bin, { includeCrds: true, values: { "metrics.serviceMonitor.enabled": true } });
    const first = await applyManifests(cp.kc, objs);
    const second = await applyManifests(cp.kc, objs);
    assert.deepEqual(
      second.map((o) => `${o.kind}/${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      first.map((o) => `${o.kind}/${o.metadata?.name}@${o.metadata?.resourceVersion}`),
    );
  });

  test("the operator's pod passes the `restricted` Pod Security Standard (admission, server-side dry run)", async () => {
    await applyManifests(cp.kc, [
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "restricted", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
      },
    ]);
    const d = one<V1Deployment>(await renderChart(bin), "Deployment");
    const core = cp.kc.makeApiClient(CoreV1Api);
    const pod = (spec: V1PodSpec): V1Pod => ({ metadata: { name: "operator", namespace: "restricted" }, spec });
    const spec = d.spec!.template.spec!;
    const created = await core.createNamespacedPod({ namespace: "restricted", body: pod(spec), dryRun: "All" });
    assert.equal(created.metadata?.name, "operator");
    // The same pod with one setting loosened is refused: the namespace really enforces the profile.
    const loose = structuredClone(spec);
    loose.containers[0]!.securityContext!.allowPrivilegeEscalation = true;
    await assert.rejects(
      core.createNamespacedPod({ namespace: "restricted", body: pod(loose), dryRun: "All" }),
      (e: unknown) => e instanceof ApiException && e.code === 403 && /allowPrivilegeEscalation/.test(String(e.body)),
    );
  });

  test("namespaced mode applies too: Roles in the watched namespace, bound to the release's ServiceAccount", async () => {
    const objs = await renderChart(bin, {
      release: "scoped",
      values: { watchNamespaces: ["pools-a"] },
    });
    await applyManifests(cp.kc, objs);
    const client = KubernetesObjectApi.makeApiClient(cp.kc);
    const rb = (await client.read({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "scoped-poolfleet", namespace: "pools-a" },
    })) as KubernetesObject & { subjects: { kind: string; name: string; namespace: string }[] };
    assert.deepEqual(structuredClone(rb.subjects), [
      { kind: "ServiceAccount", name: "scoped-poolfleet", namespace: NS },
    ]);
  });
});

/**
 * A stand-in for one of the Prometheus Operator's CRDs (not part of this project): the real group, version and kind
 * with an open schema, so the API server can take the chart's ServiceMonitor and PrometheusRule.
 */
function prometheusOperatorStandIn(kind: string): KubernetesObject {
  const singular = kind.toLowerCase();
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${singular}s.monitoring.coreos.com` },
    spec: {
      group: "monitoring.coreos.com",
      names: { kind, listKind: `${kind}List`, plural: `${singular}s`, singular },
      scope: "Namespaced",
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  } as KubernetesObject;
}
