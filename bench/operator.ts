// Operator benchmark: N StakePools (default 1000), each with its own real key set and 2 relays, applied at once on
// a real kube-apiserver + etcd (the integration tests' control plane), reconciled by the operator binary running as
// its own process with the registered controllers. Reports the time until every pool has its objects and status,
// the writes per minute once nothing changes (target 0: an unchanged pool's reconcile writes nothing), and the
// operator's resident memory (target under 200 MB).
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { API_VERSION } from "../src/api/common.ts";
import { encodeCbor } from "../src/codec/cbor.ts";
import { renderEnvelope } from "../src/formats/envelope.ts";
import { KEY_KINDS, OPCERT_TYPE } from "../src/formats/keys.ts";
import { encodeOperationalCertificate } from "../src/formats/opcert.ts";
import { KubeClient } from "../src/kube/client.ts";
import { networkClock } from "../src/operator/networks.ts";
import { installProjectCrds, startControlPlane } from "../test/helpers/envtest.ts";
import { issue, newKes, newPool, newVrf } from "../test/helpers/keyset.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const NS = "bench";
const b64 = (s: string) => Buffer.from(s).toString("base64");

function keySecret(): Record<string, string> {
  const clock = networkClock({ name: "preprod" });
  const pool = newPool();
  const kes = newKes();
  const vrf = newVrf();
  const cert = issue(pool, kes.vkey, 0, clock.kesPeriodOfSlot(clock.slotAt(Date.now())));
  const env = (kind: (typeof KEY_KINDS)[keyof typeof KEY_KINDS], bytes: Uint8Array) =>
    renderEnvelope({ type: kind.type, description: kind.description, cbor: encodeCbor(bytes) });
  return {
    "kes.skey": b64(env(KEY_KINDS.kesSigning, kes.bytes)),
    "vrf.skey": b64(env(KEY_KINDS.vrfSigning, vrf)),
    "node.cert": b64(renderEnvelope({ type: OPCERT_TYPE, description: "", cbor: encodeOperationalCertificate(cert) })),
  };
}

/**
 * The operator as the image ships it (node-image/build.sh): bin/ and the sources compiled to dist/, in `dir`, with
 * the checkout's node_modules. Memory is measured on what runs in a cluster, not on type stripping.
 */
function stageCompiledApp(dir: string): string {
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(ROOT, "tsconfig.build.json"), "--outDir", join(dir, "dist")], {
    stdio: "inherit",
  });
  cpSync(join(ROOT, "bin"), join(dir, "bin"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return join(dir, "bin/poolfleet-operator.js");
}

/** Runs `fn` over items with at most `width` in flight. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Unlabelled and labelled samples of one metric, summed. */
function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

export async function benchOperator(pools: number, steadySeconds: number): Promise<void> {
  // Each pool makes 4 Services (producer, relays' shared one, one per relay): more than envtest's /24 holds.
  const cp = await startControlPlane({ serviceClusterIpRange: "10.96.0.0/16" });
  const raw = new KubeClient(cp.kc);
  const dir = mkdtempSync(join(tmpdir(), "pf-bench-operator-"));
  let operator: ReturnType<typeof spawn> | undefined;
  try {
    await installProjectCrds(cp.kc);
    await raw.request("POST", "/api/v1/namespaces", { body: { metadata: { name: NS } } });
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, cp.kc.exportConfig(), { mode: 0o600 });

    const metricsPort = 20000 + Math.floor(Math.random() * 20000);
    // Started as the chart starts it: the entry script itself, so its shebang's Node.js flags apply (the pinned
    // node first on PATH). POOLFLEET_BENCH_OPERATOR_NODE_OPTIONS: more flags through NODE_OPTIONS (experiments).
    const extra = process.env.POOLFLEET_BENCH_OPERATOR_NODE_OPTIONS;
    operator = spawn(
      stageCompiledApp(join(dir, "app")),
      [
        "--kubeconfig",
        kubeconfig,
        "--metrics-addr",
        `127.0.0.1:${metricsPort}`,
        "--health-addr",
        "0",
        "--log-level",
        "warn",
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`,
          ...(extra ? { NODE_OPTIONS: extra } : {}),
        },
      },
    );
    // Warnings and errors the operator logs, counted by message and the start of the error (what went wrong).
    const complaints = new Map<string, number>();
    let partial = "";
    operator.stdout!.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        try {
          const l = JSON.parse(line) as { msg?: string; err?: string };
          const key = `${l.msg}: ${(l.err ?? "").slice(0, 100)}`;
          complaints.set(key, (complaints.get(key) ?? 0) + 1);
        } catch {
          // not a log line
        }
      }
    });
    const metrics = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    for (let i = 0; ; i++) {
      try {
        await metrics();
        break;
      } catch {
        if (i > 300) throw new Error("the operator's /metrics never came up");
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    console.log(`\noperator: ${pools} StakePools with 2 relays each, applied at once...`);
    const names = Array.from({ length: pools }, (_, i) => `p${String(i).padStart(4, "0")}`);
    const secrets = names.map(() => keySecret());
    const start = performance.now();
    await pool(names, 32, async (name) => {
      const i = names.indexOf(name);
      await raw.request("POST", `/api/v1/namespaces/${NS}/secrets`, {
        body: { metadata: { name: `${name}-keys` }, data: secrets[i] },
      });
      await raw.request("POST", `/apis/${API_VERSION}/namespaces/${NS}/stakepools`, {
        body: {
          apiVersion: API_VERSION,
          kind: "StakePool",
          metadata: { name },
          spec: {
            network: { name: "preprod" },
            keys: { secretRef: { name: `${name}-keys` } },
            relays: { replicas: 2 },
          },
        },
      });
    });
    const applied = performance.now();
    // Done: every pool has its status, and the objects the controllers make (the Relay controller's included) have
    // stopped appearing for 5 s. The time reported is that of the last new object.
    const count = async (path: string) => (await raw.request<{ items: unknown[] }>("GET", path)).items.length;
    const countAll = async () => ({
      statefulsets: await count(`/apis/apps/v1/namespaces/${NS}/statefulsets`),
      services: await count(`/api/v1/namespaces/${NS}/services`),
      configmaps: await count(`/api/v1/namespaces/${NS}/configmaps`),
      networkpolicies: await count(`/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`),
      poddisruptionbudgets: await count(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`),
      relays: await count(`/apis/${API_VERSION}/namespaces/${NS}/relays`),
      secrets: await count(`/api/v1/namespaces/${NS}/secrets`),
    });
    const deadline = Date.now() + 30 * 60_000;
    let done = 0;
    let objects = await countAll();
    let converged = performance.now();
    for (;;) {
      const list = await raw.request<{ items: { status?: { producer?: { keysHash?: string }; phase?: string } }[] }>(
        "GET",
        `/apis/${API_VERSION}/namespaces/${NS}/stakepools`,
      );
      done = list.items.filter((p) => p.status?.producer?.keysHash && p.status.phase === "Progressing").length;
      const now = await countAll();
      if (JSON.stringify(now) !== JSON.stringify(objects)) {
        objects = now;
        converged = performance.now();
      }
      if ((done === pools && performance.now() - converged > 5000) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(
      `applied in ${((applied - start) / 1000).toFixed(1)} s; ${done}/${pools} pools reconciled; the last object appeared ` +
        `${((converged - start) / 1000).toFixed(1)} s after the first was applied`,
    );
    console.log(
      `objects: ${Object.entries(objects)
        .map(([k, v]) => `${v} ${k}`)
        .join(", ")}`,
    );

    // Steady state: every pool is still reconciled (each polls its key Secret once a minute), nothing changes.
    await new Promise((r) => setTimeout(r, 5000));
    const before = metricSum(await metrics(), "poolfleet_operator_writes_total");
    const reconcilesBefore = metricSum(await metrics(), "poolfleet_operator_reconcile_total");
    await new Promise((r) => setTimeout(r, steadySeconds * 1000));
    const text = await metrics();
    const writes = metricSum(text, "poolfleet_operator_writes_total") - before;
    const reconciles = metricSum(text, "poolfleet_operator_reconcile_total") - reconcilesBefore;
    const perMinute = (writes * 60) / steadySeconds;
    const rssMb = metricSum(text, "poolfleet_operator_process_resident_memory_bytes") / 2 ** 20;
    const mb = (name: string) => (metricSum(text, `poolfleet_operator_nodejs_${name}`) / 2 ** 20).toFixed(0);
    console.log(
      `steady state over ${steadySeconds} s: ${reconciles} reconciles, ${writes} writes ` +
        `(${perMinute.toFixed(1)}/min; target 0: ${writes === 0 ? "MET" : "MISSED"})`,
    );
    console.log(
      `operator resident memory: ${rssMb.toFixed(0)} MB (JS heap in use ${mb("heap_size_used_bytes")} MB of ` +
        `${mb("heap_size_total_bytes")} MB, external ${mb("external_memory_bytes")} MB; ` +
        `target < 200 MB: ${rssMb < 200 ? "MET" : "MISSED"})`,
    );
    const errors = metricSum(text, "poolfleet_operator_reconcile_errors_total");
    console.log(`reconcile errors over the whole run: ${errors}`);
    for (const [what, n] of [...complaints].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`  ${n} x ${what}`);
  } finally {
    operator?.kill("SIGTERM");
    if (operator) await new Promise((r) => operator!.once("exit", r));
    raw.close();
    await cp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const n = Number(args[args.indexOf("--pools") + 1] ?? 0) || 1000;
  const steady = Number(args[args.indexOf("--steady-seconds") + 1] ?? 0) || 60;
  await benchOperator(n, steady);
}
