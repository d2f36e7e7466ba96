// The operator's own credential loader (src/kube/credentials.ts) against a real kube-apiserver: each
// way a kubeconfig or a pod can say who the operator is must reach the server as that identity, and each broken
// kubeconfig must fail with a message naming the file and the field, never echoing a token.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { CoreV1Api } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { KubeClient } from "../../src/kube/client.ts";
import {
  CredentialsError,
  inClusterCredentials,
  type KubeCredentials,
  kubeconfigCredentials,
  loadCredentials,
} from "../../src/kube/credentials.ts";
import { type ControlPlane, startControlPlane } from "../helpers/envtest.ts";

let cp: ControlPlane;
let dir: string;
let caPem: Buffer;

/** Who the API server says the caller is (SelfSubjectReview). */
async function whoAmI(creds: KubeCredentials): Promise<string> {
  const client = new KubeClient(creds);
  try {
    const review = await client.request<{ status: { userInfo: { username: string } } }>(
      "POST",
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } },
    );
    return review.status.userInfo.username;
  } finally {
    client.close();
  }
}

async function serviceAccountToken(name: string): Promise<string> {
  const core = cp.kc.makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: "default", body: { metadata: { name } } }).catch(() => {});
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace: "default",
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return tr.status!.token!;
}

function kubeconfig(file: string, cluster: Record<string, unknown>, user: Record<string, unknown>): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster: { server: cp.server, ...cluster } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
      "current-context": "ctx",
    }),
    { mode: 0o600 },
  );
  return path;
}

before(
  async () => {
    cp = await startControlPlane();
    dir = mkdtempSync(join(tmpdir(), "pf-credentials-"));
    caPem = Buffer.from(cp.kc.getCurrentCluster()!.caData!, "base64");
  },
  { timeout: 55 * 60_000 },
);
after(async () => {
  await cp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("kubeconfig files", () => {
  test("inline certificate data (what kubectl and envtest write) authenticates as the certificate's user", async () => {
    const path = join(dir, "exported");
    writeFileSync(path, cp.kc.exportConfig(), { mode: 0o600 });
    assert.equal(await whoAmI(await loadCredentials(path)), "admin");
  });

  test("certificate files relative to the kubeconfig's folder", async () => {
    const user = cp.kc.getCurrentUser()!;
    writeFileSync(join(dir, "ca.pem"), caPem);
    writeFileSync(join(dir, "admin.crt"), Buffer.from(user.certData!, "base64"));
    writeFileSync(join(dir, "admin.key"), Buffer.from(user.keyData!, "base64"), { mode: 0o600 });
    const path = kubeconfig(
      "relative",
      { "certificate-authority": "ca.pem" },
      { "client-certificate": "admin.crt", "client-key": "admin.key" },
    );
    assert.equal(await whoAmI(kubeconfigCredentials(path)!), "admin");
  });

  test("a token, and a tokenFile read again on each use", async () => {
    const token = await serviceAccountToken("token-user");
    const inline = kubeconfig("token", { "certificate-authority-data": caPem.toString("base64") }, { token });
    assert.equal(await whoAmI(kubeconfigCredentials(inline)!), "system:serviceaccount:default:token-user");

    writeFileSync(join(dir, "token-file"), token);
    const creds = kubeconfigCredentials(
      kubeconfig("tokenfile", { "certificate-authority-data": caPem.toString("base64") }, { tokenFile: "token-file" }),
    )!;
    assert.equal(await whoAmI(creds), "system:serviceaccount:default:token-user");
    writeFileSync(join(dir, "token-file"), await serviceAccountToken("rotated-user"));
    assert.equal(await whoAmI(creds), "system:serviceaccount:default:rotated-user");
  });

  test("KUBECONFIG is used when no file is given", async () => {
    const path = join(dir, "from-env");
    writeFileSync(path, cp.kc.exportConfig(), { mode: 0o600 });
    const creds = await loadCredentials(undefined, { KUBECONFIG: path, HOME: dir }, join(dir, "no-sa"));
    assert.equal(await whoAmI(creds), "admin");
  });

  test("an exec user is handed to client-node, which this loader does not replace", async () => {
    const path = kubeconfig(
      "exec",
      { "certificate-authority-data": caPem.toString("base64") },
      { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "true" } },
    );
    assert.equal(kubeconfigCredentials(path), undefined);
    const creds = await loadCredentials(path);
    assert.equal(creds.getCurrentCluster()?.server, cp.server);
  });
});

describe("in a pod", () => {
  test("the service account's token and CA, and the server from KUBERNETES_SERVICE_HOST/PORT", async () => {
    const sa = join(dir, "serviceaccount");
    rmSync(sa, { recursive: true, force: true });
    mkdirSync(sa);
    writeFileSync(join(sa, "ca.crt"), caPem);
    writeFileSync(join(sa, "token"), await serviceAccountToken("in-pod"));
    const url = new URL(cp.server);
    const env = { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port, HOME: dir };
    const creds = await loadCredentials(undefined, env, sa);
    assert.equal(await whoAmI(creds), "system:serviceaccount:default:in-pod");
    // The kubelet rotates projected tokens on disk; the next request carries the new one.
    writeFileSync(join(sa, "token"), await serviceAccountToken("in-pod-rotated"));
    assert.equal(await whoAmI(creds), "system:serviceaccount:default:in-pod-rotated");
  });

  test("outside a pod with no kubeconfig: an error that says what to do", async () => {
    await assert.rejects(loadCredentials(undefined, { HOME: dir }, join(dir, "no-sa")), /pass --kubeconfig/);
    assert.throws(() => inClusterCredentials({ HOME: dir }, join(dir, "no-sa")), /KUBERNETES_SERVICE_HOST/);
    assert.throws(
      () =>
        inClusterCredentials(
          { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" },
          join(dir, "no-sa"),
        ),
      /no-sa\/token is not readable: ENOENT/,
    );
  });
});

describe("broken kubeconfigs", () => {
  const SECRET_TOKEN = "s3cr3t-t0ken-value";
  const cases: { name: string; text: string; message: RegExp }[] = [
    { name: "not YAML", text: "clusters: [", message: /cannot be read/ },
    { name: "a YAML list", text: "- a\n- b\n", message: /no current-context/ },
    {
      name: "no current-context",
      text: stringify({ clusters: [], users: [], contexts: [] }),
      message: /no current-context/,
    },
    {
      name: "context not listed",
      text: stringify({ "current-context": "gone", contexts: [{ name: "other", context: {} }] }),
      message: /context "gone" is not in its contexts list/,
    },
    {
      name: "cluster not listed",
      text: stringify({
        "current-context": "x",
        contexts: [{ name: "x", context: { cluster: "missing", user: "u" } }],
        clusters: [],
        users: [{ name: "u", user: { token: SECRET_TOKEN } }],
      }),
      message: /cluster "missing" is not in its clusters list/,
    },
    {
      name: "server not a URL",
      text: stringify({
        "current-context": "x",
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        clusters: [{ name: "c", cluster: { server: "not a url" } }],
        users: [{ name: "u", user: { token: SECRET_TOKEN } }],
      }),
      message: /cluster "c"\.server is not a URL/,
    },
    {
      name: "certificate without key",
      text: stringify({
        "current-context": "x",
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
        users: [{ name: "u", user: { "client-certificate-data": "AAAA" } }],
      }),
      message: /user "u" has a client certificate without its key/,
    },
    {
      name: "CA file missing",
      text: stringify({
        "current-context": "x",
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443", "certificate-authority": "nope.pem" } }],
        users: [{ name: "u", user: { token: SECRET_TOKEN } }],
      }),
      message: /cluster "c"\.certificate-authority .*nope\.pem is not readable: ENOENT/,
    },
  ];
  for (const c of cases) {
    test(`${c.name}: a clear error naming the file`, () => {
      const path = join(dir, `broken-${c.name.replace(/\W+/g, "-")}`);
      writeFileSync(path, c.text);
      assert.throws(
        () => kubeconfigCredentials(path),
        (e: unknown) => {
          assert.ok(e instanceof CredentialsError, String(e));
          assert.match(e.message, c.message);
          assert.ok(e.message.includes(path), `names the file: ${e.message}`);
          assert.ok(!e.message.includes(SECRET_TOKEN), "never echoes the token");
          return true;
        },
      );
    });
  }

  test("a missing file", () => {
    assert.throws(() => kubeconfigCredentials(join(dir, "absent")), /absent cannot be read: ENOENT/);
  });
});
