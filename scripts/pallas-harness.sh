#!/usr/bin/env bash
# Build the pallas interop harness (test/interop/pallas-n2c: pallas-network's node-to-client NodeClient, Rust) that
# test/network/interop-pallas-n2c.test.ts runs against poolfleet-node, so the build is its own CI step outside the
# test timings. Crates from crates.io at the versions in its Cargo.toml/Cargo.lock (--locked); build output in
# ${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/pallas-n2c, never in the repository. The test runs the same cargo
# command (a no-op once built).
#
# Cold build on a 2-core machine (crates downloaded, 58 dependencies compiled, then the harness): ~1.5 min wall when
# idle; 13 min 26 s wall under a load average of 12-15 from other agents (2 min 59 s of CPU). Warm (nothing
# changed): a no-op, under a second idle (3.5 s under that load).
#
# Needs cargo (rustup's, in ~/.cargo/bin on these machines; rustc >= 1.88 for pallas 1.4.0). Fails, naming what is
# missing, when there is none: CI runs the pallas test with POOLFLEET_REQUIRE_INTEROP=1, which must not skip.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=$(command -v cargo || true)
[ -n "$CARGO" ] || CARGO="${CARGO_HOME:-$HOME/.cargo}/bin/cargo"
if ! "$CARGO" --version >/dev/null 2>&1; then
  echo "pallas-harness: no cargo on PATH or in ${CARGO_HOME:-$HOME/.cargo}/bin (install Rust with rustup)" >&2
  exit 1
fi
export CARGO_TARGET_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/pallas-n2c"
"$CARGO" build --release --locked --quiet --manifest-path test/interop/pallas-n2c/Cargo.toml
echo "$CARGO_TARGET_DIR/release/pallas-n2c"
