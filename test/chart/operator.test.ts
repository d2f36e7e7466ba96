// The real operator (bin/poolfleet-operator.js, the registered controllers) running with exactly what the chart
// gives a pod: the Deployment's environment and a token for the chart's ServiceAccount, so the chart's RBAC is
// all it has. It must sync every informer, take its Lease, and reconcile a StakePool with real keys into the
// producer's objects and a status, with no request refused; then the same in namespaced mode, where it watches
// one namespace with Roles only.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  NetworkingV1Api,
  type V1Deployment,
} from "@kubernetes/client-node";
import { encodeCbor } from "../../src/codec/cbor.ts";
import { renderEnvelope } from "../../src/formats/envelope.ts";
import { KEY_KINDS, OPCERT_TYPE } from "../../src/formats/keys.ts";
import { encodeOperationalCertificate } from "../../src/formats/opcert.ts";
import { networkClock } from "../../src/operator/networks.ts";
import {
  clusterSkipReason,
  type ControlPlane,
  type ControlPlaneOptions,
  startControlPlane,
} from "../helpers/envtest.ts";
import { applyManifests, helmBinary, renderChart } from "../helpers/helm.ts";
import { issue, newKes, newPool, newVrf } from "../helpers/keyset.ts";
import { waitFor } from "../helpers/wait.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OP_NS = "poolfleet-system";
const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64");

let cp: ControlPlane;
let bin: string;
let dir: string;

/** A kubeconfig file holding a token the API server issued for a ServiceAccount. */
async function tokenKubeconfig(namespace: string, name: string): Promise<string> {
  const core = cp.kc.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "envtest", server: cp.server, caData: cp.kc.getCurrentCluster()!.caData! }],
    users: [{ name, token: tr.status!.token }],
    contexts: [{ name: "envtest", cluster: "envtest", user: name }],
    currentContext: "envtest",
  });
  const path = join(dir, `${namespace}-${name}.kubeconfig`);
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

interface Operator {
  child: ChildProcess;
  lines: string[];
  healthPort: Promise<number>;
  stop(): Promise<void>;
}

/** Runs poolfleet-operator with the rendered Deployment's environment, as its pod would. */
function startOperator(deployment: V1Deployment, kubeconfig: string): Operator {
  const container = deployment.spec!.template.spec!.containers[0]!;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, POD_NAMESPACE: deployment.metadata!.namespace };
  for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  assert.deepEqual(container.command, ["poolfleet-operator"], "the chart runs the package's poolfleet-operator bin");
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/poolfleet-operator.js"),
      ...(container.args ?? []),
      // Flags win over the chart's variables: loopback ports chosen by the OS, the ServiceAccount's token.
      "--kubeconfig",
      kubeconfig,
      "--metrics-addr",
      "127.0.0.1:0",
      "--health-addr",
      "127.0.0.1:0",
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  let partial = "";
  let onPort: (p: number) => void;
  const healthPort = new Promise<number>((r) => (onPort = r));
  child.stdout!.on("data", (d: Buffer) => {
    const parts = (partial + d.toString()).split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts.filter(Boolean)) {
      lines.push(line);
      if (line.includes('"msg":"started"')) onPort((JSON.parse(line) as { ports: number[] }).ports.at(-1)!);
    }
  });
  child.stderr!.on("data", (d: Buffer) => lines.push(d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    lines,
    healthPort,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The operator's health port once it logs "started"; fails with its output after 30 s. */
async function started(op: Operator): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`operator did not start:\n${op.lines.join("\n")}`)), 30_000);
  });
  try {
    return await Promise.race([op.healthPort, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A namespace with a pool whose keys pass the gate: cold key ConfigMap, key Secret, StakePool. */
async function poolNamespace(ns: string, pool: string): Promise<void> {
  const core = cp.kc.makeApiClient(CoreV1Api);
  const clock = networkClock({ name: "preprod" });
  const period = clock.kesPeriodOfSlot(clock.slotAt(Date.now()));
  const text = (kind: (typeof KEY_KINDS)[keyof typeof KEY_KINDS], bytes: Uint8Array) =>
    renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });
  const cold = newPool();
  const kes = newKes();
  const cert = issue(cold, kes.vkey, 0, period);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({
    namespace: ns,
    body: {
      metadata: { name: `${pool}-cold` },
      data: { "cold.vkey": text(KEY_KINDS.coldVerification, cold.coldVkey) },
    },
  });
  await core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: `${pool}-keys` },
      data: {
        "kes.skey": b64(text(KEY_KINDS.kesSigning, kes.bytes)),
        "vrf.skey": b64(text(KEY_KINDS.vrfSigning, newVrf())),
        "node.cert": b64(
          renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) }),
        ),
      },
    },
  });
  await cp.kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "poolfleet.io",
    version: "v1alpha1",
    namespace: ns,
    plural: "stakepools",
    body: {
      apiVersion: "poolfleet.io/v1alpha1",
      kind: "StakePool",
      metadata: { name: pool, namespace: ns },
      spec: {
        network: { name: "preprod" },
        keys: { secretRef: { name: `${pool}-keys` }, coldVerificationKeyRef: { name: `${pool}-cold` } },
        relays: { replicas: 2 },
      },
    },
  });
}

type Pool = KubernetesObject & { status?: { conditions?: { type: string; status: string; reason: string }[] } };

/** The producer's objects exist and the pool's status says its keys passed the gate. */
async function reconciled(ns: string, pool: string): Promise<void> {
  const apps = cp.kc.makeApiClient(AppsV1Api);
  const net = cp.kc.makeApiClient(NetworkingV1Api);
  await waitFor(
    `StatefulSet ${ns}/${pool}-producer`,
    () => apps.readNamespacedStatefulSet({ namespace: ns, name: `${pool}-producer` }),
    60_000,
  );
  await waitFor(
    `NetworkPolicy ${ns}/${pool}-producer`,
    () => net.readNamespacedNetworkPolicy({ namespace: ns, name: `${pool}-producer` }),
    30_000,
  );
  const custom = cp.kc.makeApiClient(CustomObjectsApi);
  const relay = await waitFor(
    `Relay ${ns}/${pool}-relay`,
    () =>
      custom.getNamespacedCustomObject({
        group: "poolfleet.io",
        version: "v1alpha1",
        namespace: ns,
        plural: "relays",
        name: `${pool}-relay`,
      }) as Promise<KubernetesObject>,
    30_000,
  );
  assert.equal(relay.metadata?.ownerReferences?.[0]?.name, pool);
  const p = await waitFor(
    `StakePool ${ns}/${pool} KeysValid`,
    async () => {
      const got = (await custom.getNamespacedCustomObject({
        group: "poolfleet.io",
        version: "v1alpha1",
        namespace: ns,
        plural: "stakepools",
        name: pool,
      })) as Pool;
      return got.status?.conditions?.some((c) => c.type === "KeysValid") ? got : undefined;
    },
    30_000,
  );
  const keysValid = p.status!.conditions!.find((c) => c.type === "KeysValid")!;
  assert.equal(keysValid.status, "True", `KeysValid: ${keysValid.reason}`);
}

/** Appends the operator's last log lines to a failure, so a refused request shows up in the message. */
const withLogs = (op: Operator) => (e: Error) => {
  e.message += `\n--- operator log (last 30 lines) ---\n${op.lines.slice(-30).join("\n")}`;
  throw e;
};

function refusals(lines: string[]): string[] {
  return lines.filter((l) => /forbidden|\b403\b|cannot (get|list|watch|create|patch|update|delete)/i.test(l));
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
    bin = await helmBinary();
    dir = mkdtempSync(join(tmpdir(), "poolfleet-chart-op-"));
    cp = await startControlPlane(CP_OPTIONS);
  },
  { timeout: 55 * 60_000 }, // a cold machine builds the binaries first
);
after(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("poolfleet-operator with nothing but the chart's RBAC", { skip }, () => {
  test("cluster-wide: ready, leading, and a pool reconciled with no request refused", async () => {
    const ns = (name: string): KubernetesObject => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
    await applyManifests(cp.kc, [ns(OP_NS)]);
    const objs = await renderChart(bin, { namespace: OP_NS, includeCrds: true });
    await applyManifests(cp.kc, objs);
    const deployment = objs.find((o) => o.kind === "Deployment") as V1Deployment;
    const op = startOperator(deployment, await tokenKubeconfig(OP_NS, "poolfleet"));
    try {
      const port = await started(op);
      await waitFor(
        "operator /readyz (every informer listed)",
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        30_000,
      );
      const lease = await waitFor(
        "the Lease held",
        async () => {
          const l = await cp.kc
            .makeApiClient(CoordinationV1Api)
            .readNamespacedLease({ name: "poolfleet-operator", namespace: OP_NS });
          return l.spec?.holderIdentity ? l : undefined;
        },
        30_000,
      );
      assert.ok(lease.spec?.holderIdentity);
      await poolNamespace("pools-x", "alpha");
      await reconciled("pools-x", "alpha").catch(withLogs(op));
      assert.deepEqual(refusals(op.lines), []);
    } finally {
      await op.stop();
    }
  });

  test("namespaced: Roles in one namespace are enough to run and reconcile there", async () => {
    const scopedNs = "scoped-system";
    await applyManifests(cp.kc, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: scopedNs } }]);
    await poolNamespace("pools-y", "beta"); // before the Role exists there: the operator must still pick it up
    const objs = await renderChart(bin, {
      release: "scoped",
      namespace: scopedNs,
      values: { watchNamespaces: ["pools-y"] },
    });
    await applyManifests(cp.kc, objs);
    const deployment = objs.find((o) => o.kind === "Deployment") as V1Deployment;
    const op = startOperator(deployment, await tokenKubeconfig(scopedNs, "scoped-poolfleet"));
    try {
      const port = await started(op);
      await waitFor(
        "operator /readyz",
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200,
        30_000,
      );
      await reconciled("pools-y", "beta").catch(withLogs(op));
      assert.deepEqual(refusals(op.lines), []);
    } finally {
      await op.stop();
    }
  });
});
