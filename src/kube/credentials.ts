// Where the API server is and how to authenticate to it (the operator's, and a node's for its pool Leases),
// without @kubernetes/client-node's KubeConfig: importing that module loads every generated API model (~85 MB
// resident), and an operator or node in a pod needs only its service account, or, run from a workstation, a
// kubeconfig with certificates or a token. Kubeconfigs that need more (exec plugins, auth providers, several
// files in KUBECONFIG) are handed to client-node, loaded only then. The order is client-node's loadFromDefault:
// KUBECONFIG, ~/.kube/config, then the in-cluster account.
import { existsSync, readFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";

/**
 * The two things the client needs from a kubeconfig. client-node's KubeConfig has this shape too, so tests and
 * the CLI can pass one.
 */
export interface KubeCredentials {
  getCurrentCluster(): { server: string } | null;
  /** Fills in TLS material and the Authorization header; called again to pick up rotated tokens. */
  applyToHTTPSOptions(opts: RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** A kubeconfig (or in-cluster account) this loader cannot use; the message names the file and the field. */
export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialsError";
  }
}

interface Resolved {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  servername?: string;
  /** Bearer token, read again each time (projected service-account tokens rotate on disk). */
  token?: () => string;
  basic?: string;
}

class StaticCredentials implements KubeCredentials {
  private readonly r: Resolved;
  constructor(r: Resolved) {
    this.r = r;
  }
  getCurrentCluster(): { server: string } {
    return { server: this.r.server };
  }
  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const r = this.r;
    if (r.ca) opts.ca = r.ca;
    if (r.cert) opts.cert = r.cert;
    if (r.key) opts.key = r.key;
    if (r.insecure) opts.rejectUnauthorized = false;
    if (r.servername) opts.servername = r.servername;
    const headers: Record<string, string> = {};
    if (r.token) headers.Authorization = `Bearer ${r.token()}`;
    if (r.basic) opts.auth = r.basic;
    opts.headers = { ...opts.headers, ...headers };
  }
}

/** The pod's service account: the API server from the environment the kubelet sets, token and CA from `dir`. */
export function inClusterCredentials(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeCredentials {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port)
    throw new CredentialsError("not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  const tokenFile = join(dir, "token");
  const read = (file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new CredentialsError(`the service account's ${file} is not readable: ${(e as NodeJS.ErrnoException).code}`);
    }
  };
  read(tokenFile); // fail at start-up, not at the first request
  return new StaticCredentials({
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ca: read(join(dir, "ca.crt")),
    token: () => read(tokenFile).toString("utf8").trim(),
  });
}

function entry(list: unknown, name: string, what: string, file: string): Record<string, unknown> {
  if (!Array.isArray(list)) throw new CredentialsError(`${file}: it has no ${what}s list`);
  const found = (list as Record<string, unknown>[]).find((e) => e?.name === name);
  const body = found?.[what];
  if (typeof body !== "object" || body === null)
    throw new CredentialsError(`${file}: ${what} "${name}" is not in its ${what}s list`);
  return body as Record<string, unknown>;
}

/**
 * Credentials from one kubeconfig file, for its current context. Returns undefined when the user authenticates
 * in a way only client-node implements (exec, auth-provider), so the caller can fall back to it.
 */
export function kubeconfigCredentials(file: string): KubeCredentials | undefined {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message.split("\n")[0];
    throw new CredentialsError(`kubeconfig ${file} cannot be read: ${why}`);
  }
  if (typeof doc !== "object" || doc === null) throw new CredentialsError(`kubeconfig ${file} is not a YAML mapping`);
  const config = doc as Record<string, unknown>;
  const current = config["current-context"];
  if (typeof current !== "string" || !current) throw new CredentialsError(`kubeconfig ${file} has no current-context`);
  const context = entry(config.contexts, current, "context", file);
  const cluster = entry(config.clusters, String(context.cluster ?? ""), "cluster", file);
  const user = context.user === undefined ? {} : entry(config.users, String(context.user), "user", file);
  if (user.exec !== undefined || user["auth-provider"] !== undefined) return undefined;

  const base = dirname(resolve(file));
  const str = (obj: Record<string, unknown>, field: string, where: string): string | undefined => {
    const v = obj[field];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new CredentialsError(`${file}: ${where}.${field} must be a string`);
    return v;
  };
  // `<field>-data` (base64) wins over `<field>` (a path, relative to the kubeconfig's folder), as in kubectl.
  const material = (obj: Record<string, unknown>, field: string, where: string): Buffer | undefined => {
    const data = str(obj, `${field}-data`, where);
    if (data !== undefined) return Buffer.from(data, "base64");
    const path = str(obj, field, where);
    if (path === undefined) return undefined;
    const full = isAbsolute(path) ? path : join(base, path);
    try {
      return readFileSync(full);
    } catch (e) {
      throw new CredentialsError(
        `${file}: ${where}.${field} ${full} is not readable: ${(e as NodeJS.ErrnoException).code}`,
      );
    }
  };
  const clusterWhere = `cluster "${String(context.cluster)}"`;
  const userWhere = `user "${String(context.user)}"`;
  const server = str(cluster, "server", clusterWhere);
  if (!server) throw new CredentialsError(`${file}: ${clusterWhere} has no server`);
  try {
    new URL(server);
  } catch {
    throw new CredentialsError(`${file}: ${clusterWhere}.server is not a URL`);
  }
  const r: Resolved = { server };
  const ca = material(cluster, "certificate-authority", clusterWhere);
  if (ca) r.ca = ca;
  if (cluster["insecure-skip-tls-verify"] === true) r.insecure = true;
  const servername = str(cluster, "tls-server-name", clusterWhere);
  if (servername) r.servername = servername;
  const cert = material(user, "client-certificate", userWhere);
  const key = material(user, "client-key", userWhere);
  if ((cert === undefined) !== (key === undefined))
    throw new CredentialsError(
      `${file}: ${userWhere} has a client certificate without its key, or a key without its certificate`,
    );
  if (cert && key) Object.assign(r, { cert, key });
  const token = str(user, "token", userWhere);
  const tokenFile = str(user, "tokenFile", userWhere);
  if (token) r.token = () => token;
  else if (tokenFile) {
    const full = isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile);
    r.token = () => {
      try {
        return readFileSync(full, "utf8").trim();
      } catch (e) {
        throw new CredentialsError(
          `${file}: ${userWhere}.tokenFile ${full} is not readable: ${(e as NodeJS.ErrnoException).code}`,
        );
      }
    };
    r.token();
  }
  const username = str(user, "username", userWhere);
  if (username) r.basic = `${username}:${str(user, "password", userWhere) ?? ""}`;
  return new StaticCredentials(r);
}

async function clientNodeCredentials(load: (kc: KubeConfig) => void): Promise<KubeCredentials> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  load(kc);
  return kc;
}

/**
 * The operator's credentials: the file given, else as kubectl finds them. Only kubeconfigs this module cannot
 * read (exec, auth-provider, several files to merge) load client-node.
 */
export async function loadCredentials(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): Promise<KubeCredentials> {
  if (path) return kubeconfigCredentials(path) ?? clientNodeCredentials((kc) => kc.loadFromFile(path));
  const list = (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
  if (list.length > 1) return clientNodeCredentials((kc) => kc.loadFromDefault());
  if (list.length === 1) return kubeconfigCredentials(list[0]!) ?? clientNodeCredentials((kc) => kc.loadFromDefault());
  const home = join(env.HOME ?? homedir(), ".kube", "config");
  if (existsSync(home)) return kubeconfigCredentials(home) ?? clientNodeCredentials((kc) => kc.loadFromDefault());
  if (env.KUBERNETES_SERVICE_HOST) return inClusterCredentials(env, serviceAccountDir);
  throw new CredentialsError(
    "no credentials for the API server: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod",
  );
}
