// A Go program of the project's under test/interop/<dir>, built from the Go module proxy into .cache/go (the
// module, build and GOPATH caches live there too) when its sources are newer than the binary. Used by the
// interop tests that run gouroboros against poolfleet.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cache = join(root, ".cache/go");
const go = existsSync("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : "go";

/**
 * Whether the gouroboros tests run: with Go, or always under POOLFLEET_REQUIRE_INTEROP=1 (CI), where a missing Go
 * then fails their build step instead of skipping them.
 */
export const haveGo = spawnSync(go, ["version"]).status === 0 || process.env.POOLFLEET_REQUIRE_INTEROP === "1";

export interface GoHarness {
  readonly binary: string;
  /** Build when needed; undefined when the binary is current, else why the build failed. */
  build(): string | undefined;
}

export function goHarness(dir: string, binaryName: string): GoHarness {
  const harness = join(root, "test/interop", dir);
  const binary = join(cache, "bin", binaryName);
  return {
    binary,
    build() {
      const newest = Math.max(...["main.go", "go.mod", "go.sum"].map((f) => statSync(join(harness, f)).mtimeMs));
      if (existsSync(binary) && statSync(binary).mtimeMs >= newest) return undefined;
      const env = {
        ...process.env,
        GOMODCACHE: join(cache, "mod"),
        GOCACHE: join(cache, "build"),
        GOPATH: join(cache, "path"),
        GOFLAGS: "-mod=mod",
      };
      const r = spawnSync(go, ["build", "-o", binary, "."], { cwd: harness, env, encoding: "utf8", timeout: 540_000 });
      return r.status === 0 ? undefined : `go build failed: ${r.stderr || r.error?.message}`;
    },
  };
}
