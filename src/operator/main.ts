// poolfleet-operator: flags (each also POOLFLEET_<FLAG>), JSON logs on stdout, the manager running the
// registered controllers. Exit codes: 0 after SIGTERM/SIGINT (lease released), 1 when leadership was lost or
// the operator could not start (the Deployment restarts it; it campaigns again).
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pino, { type Logger } from "pino";
import type { Registry } from "prom-client";
import { operatorControllers } from "./controllers/index.ts";
import { kesMetricsRegistry } from "./kesrotation/controller.ts";
import { poolKesMetricsRegistry } from "./controllers/stakepool-kes-metrics.ts";
import type { Controller } from "./manager/context.ts";
import { Manager } from "./manager/manager.ts";
import { SecretRedactor } from "./manager/redact.ts";
import { loadCredentials } from "../kube/credentials.ts";

const FLAGS = {
  kubeconfig: {
    type: "string",
    help: "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's service account)",
  },
  namespace: { type: "string", multiple: true, help: "namespace to watch; repeatable (default: all)" },
  "leader-elect": { type: "boolean", help: "elect one active replica through a Lease (default: false)" },
  "lease-namespace": { type: "string", help: "namespace of the Lease (default: the pod's namespace)" },
  "lease-duration": { type: "string", help: "seconds a lease lasts without renewal (default 15)" },
  "renew-deadline": { type: "string", help: "seconds the leader tries to renew before giving up (default 10)" },
  "retry-period": { type: "string", help: "seconds between lease attempts (default 2)" },
  "metrics-addr": { type: "string", help: "host:port for /metrics (default :8080; 0 disables)" },
  "health-addr": { type: "string", help: "host:port for /healthz and /readyz (default :8081; 0 disables)" },
  "log-level": { type: "string", help: "trace, debug, info, warn or error (default info)" },
  help: { type: "boolean", help: "this text" },
} as const;

type Flag = keyof typeof FLAGS;
const envName = (f: string) => `POOLFLEET_${f.toUpperCase().replace(/-/g, "_")}`;

const USAGE = `poolfleet-operator — reconciles StakePool, Relay, KesRotation and MultikeyGroup objects

Flags (each also an environment variable; the flag wins; --namespace's variable is comma-separated):
${Object.entries(FLAGS)
  .map(([f, d]) => `  --${f.padEnd(18)}${envName(f).padEnd(30)}${d.help}`)
  .join("\n")}`;

const SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export interface OperatorOptions {
  kubeconfig?: string;
  namespaces: string[];
  leaderElect: boolean;
  leaseNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  metricsAddr?: string;
  healthAddr?: string;
  logLevel: string;
}

function seconds(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what} must be a positive number of seconds, got "${v}"`);
  return n * 1000;
}

/** Flags over environment over defaults. Throws a message naming the bad flag. */
export function resolveOptions(argv: string[], env: NodeJS.ProcessEnv): OperatorOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      Object.entries(FLAGS).map(([f, d]) => [f, { type: d.type, ...("multiple" in d ? { multiple: true } : {}) }]),
    ) as Record<Flag, { type: "string" | "boolean"; multiple?: boolean }>,
    strict: true,
    allowPositionals: false,
  });
  const str = (f: Flag): string | undefined => (values[f] as string | undefined) ?? env[envName(f)];
  const bool = (f: Flag): boolean => {
    if (values[f] !== undefined) return Boolean(values[f]);
    const v = env[envName(f)];
    if (v === undefined || v === "") return false;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    throw new Error(`${envName(f)} must be true or false, got "${v}"`);
  };
  const namespaces =
    (values.namespace as string[] | undefined) ??
    (env[envName("namespace")] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const addr = (f: Flag, fallback: string) => {
    const v = str(f) ?? fallback;
    return v === "0" || v === "" ? undefined : v;
  };
  const logLevel = str("log-level") ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(logLevel)) {
    throw new Error(`--log-level must be trace, debug, info, warn or error, got "${logLevel}"`);
  }
  const leaseNamespace =
    str("lease-namespace") ??
    env.POD_NAMESPACE ??
    (existsSync(SA_NAMESPACE) ? readFileSync(SA_NAMESPACE, "utf8").trim() : "default");
  return {
    help: Boolean(values.help),
    kubeconfig: str("kubeconfig"),
    namespaces,
    leaderElect: bool("leader-elect"),
    leaseNamespace,
    leaseDurationMs: seconds(str("lease-duration"), 15, "lease-duration"),
    renewDeadlineMs: seconds(str("renew-deadline"), 10, "renew-deadline"),
    retryPeriodMs: seconds(str("retry-period"), 2, "retry-period"),
    metricsAddr: addr("metrics-addr", ":8080"),
    healthAddr: addr("health-addr", ":8081"),
    logLevel,
  };
}

/** JSON lines; every string and object logged passes the secret redactor. */
export function operatorLogger(level: string, redactor: SecretRedactor, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "poolfleet-operator" },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a: unknown) =>
            typeof a === "string" ? redactor.scrub(a) : typeof a === "object" && a !== null ? redactor.scrubDeep(a) : a,
          );
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination(1),
  );
}

/** Runs the operator with the given controllers until a signal or the loss of leadership. */
export async function runOperator(argv: string[], env: NodeJS.ProcessEnv, controllers: Controller[]): Promise<number> {
  let opts: ReturnType<typeof resolveOptions>;
  try {
    opts = resolveOptions(argv, env);
  } catch (e) {
    console.error(`poolfleet-operator: ${(e as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const redactor = new SecretRedactor();
  const log = operatorLogger(opts.logLevel, redactor);
  let manager: Manager;
  try {
    manager = new Manager({
      kc: await loadCredentials(opts.kubeconfig),
      controllers,
      log,
      redactor,
      namespaces: opts.namespaces,
      ...(opts.leaderElect
        ? {
            leaderElection: {
              namespace: opts.leaseNamespace,
              leaseDurationMs: opts.leaseDurationMs,
              renewDeadlineMs: opts.renewDeadlineMs,
              retryPeriodMs: opts.retryPeriodMs,
            },
          }
        : {}),
      metricsAddr: opts.metricsAddr,
      healthAddr: opts.healthAddr,
    });
    // The KesRotation gauges live in their own registry (the Controller contract has no metrics hook yet);
    // serve them on the manager's /metrics. prom-client's getMetricsAsArray returns the metric instances.
    for (const m of [...kesMetricsRegistry.getMetricsAsArray(), ...poolKesMetricsRegistry.getMetricsAsArray()])
      manager.metrics.registry.registerMetric(m as unknown as Parameters<Registry["registerMetric"]>[0]);
    await manager.start();
  } catch (e) {
    log.fatal({ err: (e as Error).message }, "poolfleet-operator cannot start");
    console.error(`poolfleet-operator: ${(e as Error).message}`);
    return 1;
  }
  log.info(
    {
      namespaces: opts.namespaces.length ? opts.namespaces : "all",
      leaderElect: opts.leaderElect,
      ports: manager.ports,
    },
    "started",
  );
  const onSignal = (signal: string) => {
    log.info({ signal }, "stopping");
    void manager.stop();
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  const end = await manager.done;
  if (end === "lost") {
    log.error("leadership lost: exiting so a fresh process campaigns again");
    await manager.stop(); // informers and endpoints would keep the process alive
    return 1;
  }
  log.info("stopped");
  return 0;
}

export function main(argv: string[]): Promise<number> {
  return runOperator(argv, process.env, operatorControllers(process.env));
}
