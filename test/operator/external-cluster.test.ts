// The harness on clusters it does not own. POOLFLEET_TEST_CLUSTER=kubeconfig is proved for real: an envtest of
// this file's own stands in for "someone's cluster", its admin kubeconfig goes to a file, and existing integration
// test files run as child processes against it and pass. Impersonated users, the loud skips for options an
// external cluster cannot honour, and stop() leaving the cluster alone are checked on the same API server.
// POOLFLEET_TEST_CLUSTER=k3s runs where a K3s image is local or pullable, and skips loudly saying why otherwise.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ApiException, CoreV1Api, CustomObjectsApi, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../../src/api/common.ts";
import { KubeClient } from "../../src/kube/client.ts";
import { type ControlPlane, startEnvtest } from "../helpers/envtest.ts";
import {
  banner,
  clusterMode,
  impersonating,
  K3S_IMAGE,
  k3sMissing,
  kubeconfigCluster,
  unhonoured,
} from "../helpers/external-cluster.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHILD_TIMEOUT_MS = 8 * 60_000;

interface Run {
  code: number | null;
  out: string;
  err: string;
  pass: number;
  fail: number;
  skipped: number;
}

/** One test file in a child `node --test`, on the cluster `env` names; killed after CHILD_TIMEOUT_MS. */
function runTestFile(file: string, env: Record<string, string>): Promise<Run> {
  // NODE_TEST_CONTEXT would make the child think it runs inside this test and skip its files.
  const { POOLFLEET_TEST_CLUSTER: _mode, KUBECONFIG: _kc, NODE_TEST_CONTEXT: _ctx, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--test", "--test-reporter=spec", file], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(timer);
      const count = (what: string) => Number(new RegExp(`ℹ ${what} (\\d+)`).exec(out)?.[1] ?? NaN);
      resolve({ code, out, err, pass: count("pass"), fail: count("fail"), skipped: count("skipped") });
    }),
  );
}

const tail = (r: Run) => `exit ${r.code}\n--- stdout ---\n${r.out.slice(-3000)}\n--- stderr ---\n${r.err.slice(-2000)}`;

/** The API server's status code for a request, or 0 when it succeeded. */
async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

describe("POOLFLEET_TEST_CLUSTER=kubeconfig on a cluster the tests do not start", () => {
  let cp: ControlPlane;
  let dir: string;
  let file: string;

  before(
    async () => {
      cp = await startEnvtest();
      dir = mkdtempSync(join(tmpdir(), "poolfleet-kubeconfig-"));
      file = join(dir, "kubeconfig.json");
      writeFileSync(file, cp.kc.exportConfig(), { mode: 0o600 });
    },
    { timeout: 55 * 60_000 }, // a cold machine builds the binaries first
  );
  after(async () => {
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const testFile of ["test/operator/crds.test.ts", "test/operator/stakepool.test.ts"]) {
    test(`${testFile} passes against it`, { timeout: CHILD_TIMEOUT_MS + 30_000 }, async () => {
      const r = await runTestFile(testFile, { POOLFLEET_TEST_CLUSTER: "kubeconfig", KUBECONFIG: file });
      assert.equal(r.code, 0, tail(r));
      assert.equal(r.fail, 0, tail(r));
      assert.ok(r.pass > 0, `no test passed\n${tail(r)}`);
      assert.equal(r.skipped, 0, tail(r));
    });
  }

  test("those runs wrote to this API server, not to one of their own", async () => {
    const custom = cp.kc.makeApiClient(CustomObjectsApi);
    const pools = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: "default",
      plural: "stakepools",
    })) as { items: { metadata: { name: string } }[] };
    assert.ok(
      pools.items.some((p) => p.metadata.name === "good-stakepool"),
      `crds.test.ts's StakePool is not here: ${pools.items.map((p) => p.metadata.name).join(", ")}`,
    );
    const namespaces = await cp.kc.makeApiClient(CoreV1Api).listNamespace();
    assert.ok(
      namespaces.items.some((n) => n.metadata?.name === "pool-a"),
      "stakepool.test.ts's namespace is missing",
    );
  });

  const LOUD_SKIPS = [
    {
      file: "test/chart/operator.test.ts",
      banner: /!! SKIPPING ON THIS CLUSTER: .*OwnerReferencesPermissionEnforcement/,
      // A skipped describe is reported with its reason ("﹣ name # reason") and does not count its tests.
      mark: /﹣ poolfleet-operator .* # POOLFLEET_TEST_CLUSTER=kubeconfig: .*kube-apiserver flags/,
    },
    {
      file: "test/e2e/cluster.test.ts",
      banner: /!! SKIPPING THE END-TO-END TIER: POOLFLEET_TEST_CLUSTER=kubeconfig: .*kwok's fake nodes/,
      mark: /﹣ end-to-end tier: .* # POOLFLEET_TEST_CLUSTER=kubeconfig/,
    },
  ];
  for (const { file: testFile, banner: loud, mark } of LOUD_SKIPS) {
    test(`${testFile}, which needs what only envtest gives, skips loudly with the reason`, async () => {
      const r = await runTestFile(testFile, { POOLFLEET_TEST_CLUSTER: "kubeconfig", KUBECONFIG: file });
      assert.equal(r.code, 0, tail(r));
      assert.equal(r.fail, 0, tail(r));
      assert.equal(r.pass, 0, tail(r));
      assert.match(r.out + r.err, loud, tail(r)); // the runner relays a file's stderr on its stdout
      assert.match(r.out, mark, tail(r));
    });
  }

  describe("in process", () => {
    let external: ControlPlane;
    let saved: string | undefined;

    before(async () => {
      saved = process.env.KUBECONFIG;
      process.env.KUBECONFIG = file;
      external = await kubeconfigCluster(30_000);
    });
    after(() => {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    });

    test("it is the cluster of the file's current context", () => {
      assert.equal(external.server, cp.server);
    });

    test("userConfig impersonates the user and group, through client-node and through KubeClient", async () => {
      const ns = "impersonation";
      const core = cp.kc.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: ns } } });
      const user = await external.userConfig("stranger", ["poolfleet-testers"]);
      const review = { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" };
      type Review = { status: { userInfo: { username: string; groups: string[] } } };

      const raw = new KubeClient(user);
      try {
        const who = await raw.request<Review>("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", {
          body: review,
        });
        assert.equal(who.status.userInfo.username, "stranger");
        assert.deepEqual(who.status.userInfo.groups.sort(), ["poolfleet-testers", "system:authenticated"]);
        const asUser = user.makeApiClient(CoreV1Api);
        assert.equal(await statusOf(asUser.listNamespacedConfigMap({ namespace: ns })), 403);
        // Granting the group (not the user) a right shows the group header reaches the authorizer.
        const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
        await rbac.createNamespacedRole({
          namespace: ns,
          body: {
            metadata: { name: "read-cm" },
            rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }],
          },
        });
        await rbac.createNamespacedRoleBinding({
          namespace: ns,
          body: {
            metadata: { name: "testers-read-cm" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "read-cm" },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "poolfleet-testers" }],
          },
        });
        assert.equal(await statusOf(asUser.listNamespacedConfigMap({ namespace: ns })), 0);
        assert.equal(await statusOf(raw.request("GET", `/api/v1/namespaces/${ns}/configmaps`)), 0);
        assert.equal(await statusOf(asUser.listNamespacedSecret({ namespace: ns })), 403);
        const loner = (await external.userConfig("loner")).makeApiClient(CoreV1Api);
        assert.equal(await statusOf(loner.listNamespacedConfigMap({ namespace: ns })), 403);
      } finally {
        raw.close();
      }
    });

    test("more than one impersonated group is refused with the reason, not sent wrong", () => {
      assert.throws(() => impersonating(cp.kc, "x", ["a", "b"]), /cannot impersonate x in 2 groups \(a, b\)/);
    });

    test("stop() leaves the cluster and everything in it", async () => {
      await external.stop();
      const core = cp.kc.makeApiClient(CoreV1Api);
      await core.readNamespace({ name: "impersonation" });
      await core.readNamespace({ name: "pool-a" });
    });

    test("KUBECONFIG must be named: ~/.kube/config is never guessed", async () => {
      delete process.env.KUBECONFIG;
      await assert.rejects(kubeconfigCluster(1000), /needs KUBECONFIG set/);
    });
  });
});

test("what an external cluster cannot honour is named, and a typo in the mode is an error", () => {
  assert.equal(clusterMode(undefined), "envtest");
  assert.equal(clusterMode("k3s"), "k3s");
  assert.throws(() => clusterMode("k3d"), /POOLFLEET_TEST_CLUSTER=k3d: expected envtest/);
  assert.equal(unhonoured("envtest", { apiServerArgs: ["--x"], e2e: true }), undefined);
  assert.equal(unhonoured("kubeconfig", {}), undefined);
  assert.match(unhonoured("kubeconfig", { apiServerArgs: ["--x=1"] }) ?? "", /kube-apiserver flags \(--x=1\)/);
  assert.match(unhonoured("k3s", { serviceClusterIpRange: "10.96.0.0/16" }) ?? "", /Service range 10\.96\.0\.0\/16/);
  assert.match(unhonoured("k3s", { e2e: true }) ?? "", /kwok's fake nodes/);
});

// Decided before the test runs so a missing image is a visible skip with the reason, never a silent pass.
const k3sReason = await k3sMissing();
if (k3sReason) banner(`SKIPPING THE K3S RUN (${K3S_IMAGE})`, k3sReason);

test(
  `POOLFLEET_TEST_CLUSTER=k3s: test/operator/crds.test.ts passes on K3s (${K3S_IMAGE})`,
  { skip: k3sReason, timeout: CHILD_TIMEOUT_MS + 30_000 },
  async () => {
    const r = await runTestFile("test/operator/crds.test.ts", { POOLFLEET_TEST_CLUSTER: "k3s" });
    assert.equal(r.code, 0, tail(r));
    assert.equal(r.fail, 0, tail(r));
    assert.ok(r.pass > 0, tail(r));
  },
);
