// The container tier's preconditions: a Docker engine that answers, and the node image built from this checkout
// (node-image/build.sh, a no-op when the image already holds these sources). Without them the tier skips and says
// why, loudly; with POOLFLEET_REQUIRE_DOCKER=1 (CI) a missing engine or a failed build fails the tier instead.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

// testcontainers' reaper (Ryuk) is itself an image from Docker Hub, which machines without a registry cannot pull.
// The tests remove their containers and networks in after(); a user whose Docker can pull may turn Ryuk back on.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

export type ContainerTier = { readonly image: string } | { readonly skip: string };

function loud(reason: string): string {
  const line = "!".repeat(100);
  process.stderr.write(`\n${line}\n!! CONTAINER TESTS SKIPPED: ${reason}\n${line}\n\n`);
  return `container tier skipped: ${reason}`;
}

async function engine(): Promise<string | null> {
  try {
    const { stdout } = await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 20_000 });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

let tier: Promise<ContainerTier> | undefined;

/** Docker and the image, or the reason there are none. Builds the image at most once per test process. */
export function containerTier(): Promise<ContainerTier> {
  tier ??= (async (): Promise<ContainerTier> => {
    const required = process.env.POOLFLEET_REQUIRE_DOCKER === "1";
    const fail = (reason: string): ContainerTier => {
      if (required) throw new Error(`POOLFLEET_REQUIRE_DOCKER=1 but ${reason}`);
      return { skip: loud(reason) };
    };
    if (!(await engine())) {
      return fail("no Docker engine answers `docker info` (start one: sudo scripts/docker-engine.sh)");
    }
    try {
      // Cold (base image from debootstrap) takes a couple of minutes; up to date, under a second.
      const { stdout } = await run("bash", [`${ROOT}node-image/build.sh`], {
        cwd: ROOT,
        timeout: 15 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      const image = stdout.trim().split("\n").at(-1);
      if (!image) return fail("node-image/build.sh printed no image reference");
      return { image };
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
      return fail(`node-image/build.sh failed:\n${stderr.trim().split("\n").slice(-8).join("\n")}`);
    }
  })();
  return tier;
}
