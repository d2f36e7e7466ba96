// poolfleet-node containers for the container tier, run the way the operator runs the pod: read-only root
// filesystem, the image's non-root user, no capabilities, /tmp on a tmpfs, configuration and keys mounted read-only,
// the chain database on the image's /data volume. Each container's log is kept (bounded) for failure messages.
import type { Readable } from "node:stream";
import { GenericContainer, type StartedNetwork, type StartedTestContainer, Wait } from "testcontainers";
import { sample } from "../../src/cli/devnet/status.ts";
import { NODE_API_PORT } from "../../src/operator/builders/node-pod.ts";

export const NODE_PORT = 3001;
export const METRICS_PORT = 12798;
/** The API port the operator's pods use (--api-port; a container started without it has no API). */
export const API_PORT = NODE_API_PORT;
/** On containers and networks the tests create, to find leftovers of a crashed run (`docker ps -a --filter`). */
export const TEST_LABEL = { "io.poolfleet.test": "containers" };

/** GenericContainer has no read-only-root option; Docker's HostConfig does. */
class ReadOnlyRootContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.hostConfig.ReadonlyRootfs = true;
  }
}

export interface NodeContainer {
  readonly name: string;
  readonly container: StartedTestContainer;
  /** The node's HTTP endpoints (metrics port) as reachable from the test process. */
  readonly http: string;
  /** The node's API (/api/*, when started with --api-port API_PORT) as reachable from the test process. */
  readonly api: string;
  /** The last lines the container wrote. */
  logTail(lines?: number): string;
}

export interface NodeContainerSpec {
  readonly image: string;
  readonly name: string;
  readonly network: StartedNetwork;
  readonly command: string[];
  /** Host path -> container path, mounted read-only. */
  readonly mounts: Record<string, string>;
}

const MAX_LOG_CHARS = 64 * 1024;

export async function startNodeContainer(spec: NodeContainerSpec): Promise<NodeContainer> {
  let log = "";
  const container = await new ReadOnlyRootContainer(spec.image)
    .withNetwork(spec.network)
    .withNetworkAliases(spec.name)
    .withCommand(spec.command)
    .withBindMounts(Object.entries(spec.mounts).map(([source, target]) => ({ source, target, mode: "ro" as const })))
    .withTmpFs({ "/tmp": "rw,size=16m" })
    .withDroppedCapabilities("ALL")
    .withSecurityOpt("no-new-privileges")
    .withExposedPorts(METRICS_PORT, API_PORT)
    .withLabels(TEST_LABEL)
    .withLogConsumer((stream: Readable) => {
      stream.on("data", (chunk: Buffer | string) => {
        log = (log + chunk.toString()).slice(-MAX_LOG_CHARS);
      });
    })
    .withWaitStrategy(Wait.forHttp("/health", METRICS_PORT).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
  return {
    name: spec.name,
    container,
    http: `http://${container.getHost()}:${container.getMappedPort(METRICS_PORT)}`,
    api: `http://${container.getHost()}:${container.getMappedPort(API_PORT)}`,
    logTail: (lines = 15) =>
      log
        .trimEnd()
        .split("\n")
        .slice(-lines)
        .map((l) => `  ${spec.name}| ${l}`)
        .join("\n"),
  };
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function getMetric(base: string, name: string): Promise<number | null> {
  const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(2000) });
  return sample(await res.text(), name);
}
