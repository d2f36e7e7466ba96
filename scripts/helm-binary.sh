#!/usr/bin/env bash
# Build the helm v3 binary the chart tests run (`helm lint`, `helm template`), from the Go module proxy, into the
# same cache directory as the Kubernetes binaries (scripts/k8s-binaries.sh). Prints the path of the helm binary as
# the last line of stdout; everything else goes to stderr.
#
#   scripts/helm-binary.sh              build helm if it is missing, print its path
#   scripts/helm-binary.sh --print-path only print the path
#
# Output: $POOLFLEET_HELM if set (used as is, never built), else
# ${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s/helm-v<version>/helm. Go's module and build caches are shared with
# k8s-binaries.sh (${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s/go/). A no-op when the binary is there. Safe to run
# concurrently (flock). Needs Go >= 1.26.
#
# helm's go.mod has no replace directives, so `go install helm.sh/helm/v3/cmd/helm@vX` works as is.
set -euo pipefail

# ---- Pinned version: the only place it is written. -----------------------------------------------------------------
HELM_VERSION=3.21.4 # go 1.26, client-go v0.36
# Build time on a 2-core machine shared with other agents: 96 s after k8s-binaries.sh (its Go caches hold some
# shared modules; helm's client-go v0.36 tree is still downloaded and compiled); 6 min 10 s with empty Go caches
# (niced, under load; 2 min 26 s of CPU). With the binary present the script is a no-op (milliseconds).

GO=${GO:-/usr/local/go/bin/go}
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s"
OUT_DIR="$CACHE_ROOT/helm-v$HELM_VERSION"
HELM="${POOLFLEET_HELM:-$OUT_DIR/helm}"

for arg in "$@"; do
  case "$arg" in
    --print-path)
      echo "$HELM"
      exit 0
      ;;
    -h | --help)
      sed -n '2,12p' "$0"
      exit 0
      ;;
    *)
      echo "helm-binary: unknown argument $arg" >&2
      exit 2
      ;;
  esac
done

if [[ -x $HELM ]]; then
  echo "$HELM"
  exit 0
fi
if [[ -n ${POOLFLEET_HELM:-} ]]; then
  echo "helm-binary: POOLFLEET_HELM=$POOLFLEET_HELM is not an executable file" >&2
  exit 1
fi
if [[ ! -x $GO ]]; then
  echo "helm-binary: Go not found at $GO (set GO=/path/to/go); it is needed to build helm v$HELM_VERSION" >&2
  exit 1
fi

mkdir -p "$OUT_DIR"
exec 9>"$CACHE_ROOT/.lock-helm"
echo "helm-binary: waiting for the build lock $CACHE_ROOT/.lock-helm" >&2
flock 9
if [[ -x $HELM ]]; then # another process built it while we waited
  echo "$HELM"
  exit 0
fi

export GOMODCACHE="$CACHE_ROOT/go/mod" GOCACHE="$CACHE_ROOT/go/build" GOPATH="$CACHE_ROOT/go/path"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
mkdir -p "$GOMODCACHE" "$GOCACHE" "$GOPATH"
START=$(date +%s)
echo "helm-binary: building helm v$HELM_VERSION" >&2
# helm stamps its version from these variables (internal/version); without them `helm version` says v3.x-dev.
LD="-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
GOBIN="$OUT_DIR/.tmp" "$GO" install -trimpath -ldflags "$LD" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
mv -f "$OUT_DIR/.tmp/helm" "$HELM"
rmdir "$OUT_DIR/.tmp"
echo "helm-binary: [$(($(date +%s) - START))s] helm v$HELM_VERSION built: $HELM" >&2
echo "$HELM"
