// A real control plane for integration tests: etcd + kube-apiserver on loopback, the way controller-runtime's
// envtest starts them (../shared/reference/k8s.md §1). Certificates are made at start with the openssl CLI: one CA
// that signs the serving certificate and client certificates (users are CN=name, O=groups), and an ECDSA key for
// service-account tokens. The binaries come from scripts/k8s-binaries.sh, which builds them from the Go module
// proxy when they are missing (about 6 minutes on 2 cores) and is a no-op otherwise.
import { type ChildProcess, execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { e2eMissing, type E2eOptions, type E2eParts, startE2e } from "./envtest-e2e.ts";
import { banner, clusterMode, k3sCluster, kubeconfigCluster, unhonoured } from "./external-cluster.ts";
import { freePort } from "./node-process.ts";
import {
  exitedMessage,
  httpsStatus,
  poll,
  runProvisionScript,
  spawnLogged,
  stopProcess,
  Tail,
  type Tls,
} from "./processes.ts";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/k8s-binaries.sh", import.meta.url));
const START_TIMEOUT_MS = Number(process.env.POOLFLEET_ENVTEST_START_TIMEOUT_MS ?? 90_000);
const BUILD_TIMEOUT_MS = 50 * 60_000;

export interface ControlPlane {
  /** Admin (system:masters) access. */
  readonly kc: KubeConfig;
  readonly server: string;
  /** A KubeConfig for another user, authenticated by a client certificate (for RBAC tests). */
  userConfig(name: string, groups?: string[]): Promise<KubeConfig>;
  /** The end-to-end tier's parts (fake node names), when started with `{ e2e: true }`. */
  readonly e2e?: { readonly nodeNames: string[] };
  /** Last lines of every control-plane process's output, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface ControlPlaneOptions {
  /**
   * Also start kube-controller-manager, kube-scheduler and kwok with fake nodes, so StatefulSets, Jobs and
   * Deployments get pods that become Running and Ready, and owner references are garbage-collected. Throws when
   * the binaries are missing: call e2eSkipReason() first and skip the test with its reason.
   */
  e2e?: boolean | E2eOptions;
  /** More kube-apiserver flags, e.g. `--enable-admission-plugins=OwnerReferencesPermissionEnforcement`. */
  apiServerArgs?: string[];
  /**
   * The Service ClusterIP range (default 10.0.0.0/24: 254 Services, as controller-runtime's envtest). The operator
   * benchmark makes thousands of Services and needs more.
   */
  serviceClusterIpRange?: string;
  /**
   * The one address kube-apiserver binds, advertises (the `kubernetes` Service's endpoint) and is reached at (default
   * 127.0.0.1); its serving certificate names it. The real-cluster tier uses the host end of its node's veth.
   */
  address?: string;
  /** More subjectAltName entries for the serving certificate, e.g. `IP:10.0.0.1`, `DNS:kubernetes.default.svc`. */
  servingSans?: string[];
  /**
   * Keep the ServiceAccount admission plugin (default off: a bare API server has no token controller's
   * namespaces to wait for), so pods get their ServiceAccount's projected token, as on any cluster.
   */
  serviceAccountAdmission?: boolean;
}

/**
 * The directory holding `etcd` and `kube-apiserver`, building them first when absent. A build failure throws
 * with the script's output: integration tests fail loudly rather than skip.
 */
export async function k8sAssets(): Promise<string> {
  const { code, provided: dir, errTail } = await runProvisionScript(SCRIPT, BUILD_TIMEOUT_MS);
  if (code !== 0 || !existsSync(join(dir, "kube-apiserver")) || !existsSync(join(dir, "etcd"))) {
    throw new Error(
      `scripts/k8s-binaries.sh could not provide etcd and kube-apiserver (exit ${code}); ` +
        `integration tests need them. Its output ends:\n${errTail}`,
    );
  }
  return dir;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  await run("openssl", args, { cwd: dir });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makeCa(dir: string): Promise<void> {
  await openssl(
    dir,
    ["req", "-x509", ...EC, "-keyout", "ca.key", "-out", "ca.crt", "-days", "7"].concat([
      "-subj",
      "/O=poolfleet/CN=poolfleet-envtest-ca",
    ]),
  );
}

/** A certificate signed by the test CA; `ext` lines go into the certificate's extensions. */
async function signed(dir: string, base: string, subject: string, ext: string[]): Promise<void> {
  writeFileSync(join(dir, `${base}.ext`), ext.join("\n") + "\n");
  await openssl(dir, ["req", ...EC, "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", subject]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${base}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "7",
    "-extfile",
    `${base}.ext`,
    "-out",
    `${base}.crt`,
  ]);
}

function subjectFor(name: string, groups: string[]): string {
  const esc = (s: string) => s.replace(/[/\\=+,]/g, (c) => `\\${c}`);
  return groups.map((g) => `/O=${esc(g)}`).join("") + `/CN=${esc(name)}`;
}

/**
 * Why the end-to-end tier cannot run on this machine (its binaries are not built), or undefined when it can. The
 * reason is also printed to stderr in a banner, so a skipped tier is never silent. The integration binaries
 * (etcd, kube-apiserver) are built here when missing, as for every integration test.
 */
export async function e2eSkipReason(): Promise<string | undefined> {
  const mode = clusterMode();
  const reason = mode === "envtest" ? e2eMissing(await k8sAssets()) : unhonoured(mode, { e2e: true });
  if (reason) banner("SKIPPING THE END-TO-END TIER", reason);
  return reason;
}

/**
 * Why a test cannot run on the cluster POOLFLEET_TEST_CLUSTER selects with these options (an external cluster
 * cannot take kube-apiserver flags, for one), or undefined. A reason is printed in a banner: skip the test with it.
 */
export function clusterSkipReason(options: ControlPlaneOptions): string | undefined {
  const reason = unhonoured(clusterMode(), options);
  if (reason) banner("SKIPPING ON THIS CLUSTER", reason);
  return reason;
}

/**
 * Starts etcd and kube-apiserver (and with `e2e`, the controllers, scheduler and kwok) and returns once the
 * apiserver is ready and the default namespace exists. POOLFLEET_TEST_CLUSTER=kubeconfig uses the cluster in
 * KUBECONFIG instead, and =k3s a K3s container (external-cluster.ts); options they cannot honour throw (call
 * clusterSkipReason first).
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const mode = clusterMode();
  if (mode !== "envtest") {
    const reason = unhonoured(mode, options);
    if (reason) throw new Error(reason);
    return mode === "k3s" ? k3sCluster(START_TIMEOUT_MS) : kubeconfigCluster(START_TIMEOUT_MS);
  }
  return startEnvtest(options);
}

/** The harness's own etcd + kube-apiserver whatever POOLFLEET_TEST_CLUSTER says (tests of the external modes). */
export async function startEnvtest(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const assets = await k8sAssets();
  if (options.e2e) {
    const missing = e2eMissing(assets);
    if (missing) throw new Error(missing);
  }
  const dir = mkdtempSync(join(tmpdir(), "poolfleet-envtest-"));
  // etcd on tmpfs when there is one: the apiserver's writes do not wait for a disk.
  const dataRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const dataDir = mkdtempSync(join(dataRoot, "poolfleet-etcd-"));
  const etcdTail = new Tail(200);
  const apiTail = new Tail(200);
  const children: ChildProcess[] = [];
  const killAll = () => children.forEach((c) => c.exitCode === null && c.kill("SIGKILL"));
  process.once("exit", killAll);
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  };
  let e2e: E2eParts | undefined;
  const logs = () =>
    `--- etcd ---\n${etcdTail.text()}\n--- kube-apiserver ---\n${apiTail.text()}` + (e2e ? `\n${e2e.logs()}` : "");

  try {
    await makeCa(dir);
    const address = options.address ?? "127.0.0.1";
    const sans = ["DNS:localhost", "IP:127.0.0.1", ...(address === "127.0.0.1" ? [] : [`IP:${address}`])];
    await signed(dir, "apiserver", "/CN=localhost", [
      `subjectAltName=${[...sans, ...(options.servingSans ?? [])].join(",")}`,
      "extendedKeyUsage=serverAuth",
      "keyUsage=critical,digitalSignature,keyEncipherment",
    ]);
    await signed(dir, "admin", subjectFor("admin", ["system:masters"]), [
      "extendedKeyUsage=clientAuth",
      "keyUsage=critical,digitalSignature",
    ]);
    await openssl(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "sa.key"]);

    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = spawnLogged(
      join(assets, "etcd"),
      [
        "--name=default",
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        "--unsafe-no-fsync=true",
        "--log-level=warn",
      ],
      etcdTail,
    );
    children.push(etcd);
    const deadline = Date.now() + START_TIMEOUT_MS;
    await poll(
      "etcd",
      deadline,
      async () => {
        try {
          const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
          return res.ok;
        } catch {
          return false;
        }
      },
      exitedMessage(etcd, "etcd", etcdTail),
    );

    const server = `https://${address}:${apiPort}`;
    const api = spawnLogged(
      join(assets, "kube-apiserver"),
      [
        `--etcd-servers=${etcdUrl}`,
        `--bind-address=${address}`,
        `--advertise-address=${address}`,
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${join(dir, "apiserver.crt")}`,
        `--tls-private-key-file=${join(dir, "apiserver.key")}`,
        `--client-ca-file=${join(dir, "ca.crt")}`,
        "--authorization-mode=RBAC",
        `--service-cluster-ip-range=${options.serviceClusterIpRange ?? "10.0.0.0/24"}`,
        "--allow-privileged=true",
        ...(options.serviceAccountAdmission ? [] : ["--disable-admission-plugins=ServiceAccount"]),
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${join(dir, "sa.key")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        ...(options.apiServerArgs ?? []),
      ],
      apiTail,
    );
    children.push(api);
    const ca = readFileSync(join(dir, "ca.crt"));
    const admin: Tls = { ca, cert: readFileSync(join(dir, "admin.crt")), key: readFileSync(join(dir, "admin.key")) };
    await poll(
      "kube-apiserver",
      deadline,
      async () => (await httpsStatus(`${server}/readyz`, admin)) === 200,
      exitedMessage(api, "kube-apiserver", apiTail),
    );

    const configFor = (name: string, cert: Buffer, key: Buffer): KubeConfig => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: "envtest", server, caData: ca.toString("base64") }],
        users: [{ name, certData: cert.toString("base64"), keyData: key.toString("base64") }],
        contexts: [{ name: "envtest", cluster: "envtest", user: name }],
        currentContext: "envtest",
      });
      return kc;
    };
    const kc = configFor("admin", admin.cert!, admin.key!);
    const core = kc.makeApiClient(CoreV1Api);
    await poll(
      "namespace default",
      deadline,
      async () => {
        try {
          await core.readNamespace({ name: "default" });
          return true;
        } catch {
          return false;
        }
      },
      exitedMessage(api, "kube-apiserver", apiTail),
    );

    if (options.e2e) {
      e2e = await startE2e(
        {
          assets,
          dir,
          kc,
          caFile: join(dir, "ca.crt"),
          deadline: Date.now() + START_TIMEOUT_MS,
          track: (c) => children.push(c),
        },
        options.e2e === true ? {} : options.e2e,
      );
    }

    let users = 0;
    return {
      kc,
      server,
      ...(e2e ? { e2e: { nodeNames: e2e.nodeNames } } : {}),
      logs,
      async userConfig(name, groups = []) {
        const base = `user${++users}`;
        await signed(dir, base, subjectFor(name, groups), [
          "extendedKeyUsage=clientAuth",
          "keyUsage=critical,digitalSignature",
        ]);
        return configFor(name, readFileSync(join(dir, `${base}.crt`)), readFileSync(join(dir, `${base}.key`)));
      },
      async stop() {
        await e2e?.stop();
        await stopProcess(api, 10_000);
        await stopProcess(etcd, 10_000);
        process.removeListener("exit", killAll);
        cleanup();
      },
    };
  } catch (e) {
    killAll();
    process.removeListener("exit", killAll);
    cleanup();
    const err = e instanceof Error ? e : new Error(String(e));
    err.message += `\n${logs().slice(-4000)}`;
    throw err;
  }
}

/** Installs the project's CRDs (crds/*.yaml, which the stale-file test keeps equal to the zod schemas). */
export async function installProjectCrds(kc: KubeConfig): Promise<void> {
  const dir = fileURLToPath(new URL("../../crds/", import.meta.url));
  const texts = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => readFileSync(join(dir, f), "utf8"));
  await installCrds(kc, texts);
}

/**
 * Creates CRDs from their YAML text (replacing ones already there: an external cluster may hold an older copy,
 * or another test file's) and waits until every one is Established. The YAML goes through client-node's
 * loadYaml: the typed API serialises by its own field names (xKubernetesValidations -> x-kubernetes-validations)
 * and silently drops keys it does not know, so a plain parsed object would lose every x-kubernetes-* extension.
 */
export async function installCrds(kc: KubeConfig, yamlTexts: string[], timeoutMs = 30_000): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const crds = yamlTexts.map((text) => loadYaml<V1CustomResourceDefinition>(text));
  for (const body of crds) {
    try {
      await api.createCustomResourceDefinition({ body });
    } catch (e) {
      if (!(e instanceof ApiException && e.code === 409)) throw e;
      const name = body.metadata!.name!;
      const { resourceVersion } = (await api.readCustomResourceDefinition({ name })).metadata ?? {};
      await api.replaceCustomResourceDefinition({
        name,
        body: { ...body, metadata: { ...body.metadata, resourceVersion } },
      });
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata!.name!;
    for (;;) {
      const got = await api.readCustomResourceDefinition({ name });
      const est = got.status?.conditions?.find((c) => c.type === "Established");
      if (est?.status === "True") break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
