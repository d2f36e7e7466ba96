// A Rust program of the project's under test/interop/<dir>, built with cargo from crates.io (versions pinned in its
// Cargo.toml and Cargo.lock, `--locked`) into ${XDG_CACHE_HOME:-~/.cache}/poolfleet/<dir>: build output never
// lands in the repository. cargo's own incremental build decides what to rebuild (a warm build is a no-op, ~0.3 s);
// crates already in ~/.cargo/registry are not fetched again, so a warm machine builds offline. Used by the interop
// tests that run pallas against poolfleet.
//
// Without cargo the tests skip, saying why; with POOLFLEET_REQUIRE_INTEROP=1 (CI, .ci/run) they fail instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");

/** cargo on PATH, else where rustup puts it ($CARGO_HOME/bin, ~/.cargo/bin). */
export const cargo =
  [
    "cargo",
    join(process.env.CARGO_HOME || join(homedir(), ".cargo"), "bin", "cargo"),
    join(homedir(), ".cargo", "bin", "cargo"),
  ].find((c) => spawnSync(c, ["--version"]).status === 0) ?? null;

/** The reason to skip an interop test needing cargo, or false to run it (and fail if cargo is missing). */
export function cargoSkip(): string | false {
  if (cargo) return false;
  if (process.env.POOLFLEET_REQUIRE_INTEROP === "1") return false;
  return "no cargo (Rust toolchain) found on PATH or in ~/.cargo/bin; install rustup to run the pallas interop test";
}

export interface CargoHarness {
  readonly binary: string;
  /** Build (cargo decides what is stale); undefined when built, else why the build failed. */
  build(): string | undefined;
}

export function cargoHarness(dir: string, binaryName: string): CargoHarness {
  const manifest = join(root, "test/interop", dir, "Cargo.toml");
  const target = join(cacheHome, "poolfleet", dir);
  const binary = join(target, "release", binaryName);
  return {
    binary,
    build() {
      if (!cargo) return "POOLFLEET_REQUIRE_INTEROP=1 but cargo is not installed (rustup puts it in ~/.cargo/bin)";
      const r = spawnSync(cargo, ["build", "--release", "--locked", "--manifest-path", manifest], {
        env: { ...process.env, CARGO_TARGET_DIR: target },
        encoding: "utf8",
        timeout: 900_000,
      });
      if (r.status !== 0) return `cargo build failed: ${r.stderr || r.error?.message}`;
      return existsSync(binary) ? undefined : `cargo build succeeded but ${binary} is missing`;
    },
  };
}
