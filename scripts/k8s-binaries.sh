#!/usr/bin/env bash
# Build the Kubernetes control-plane binaries the operator's tests run against, from the Go module proxy, into a
# cache directory that survives between runs. Prints the asset directory (the KUBEBUILDER_ASSETS value) as the last
# line of stdout; everything else goes to stderr.
#
#   scripts/k8s-binaries.sh            etcd + kube-apiserver (the integration tier)
#   scripts/k8s-binaries.sh --e2e      also kube-controller-manager, kube-scheduler and kwok (the end-to-end tier)
#   scripts/k8s-binaries.sh --print-dir   only print the asset directory
#
# Output directory: $POOLFLEET_K8S_ASSETS, else $KUBEBUILDER_ASSETS, else
# ${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s/<versions>/. Go's module and build caches live next to it, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s/go/, so a rebuild after a version bump is incremental.
# A no-op when the binaries are already there. Safe to run concurrently (flock). Needs Go >= 1.26 (etcd 3.5.35).
# The binaries are for tests, not for running a cluster.
#
# Why a wrapper module: `go install k8s.io/kubernetes/cmd/kube-apiserver@v1.33.x` is refused because kubernetes'
# go.mod replaces its staging modules (k8s.io/api, ...) with ./staging paths and requires them at v0.0.0. A module of
# our own requiring k8s.io/kubernetes and replacing every staging module with its published v0.33.x works
# (kubernetes/kubernetes#79384). etcd's server module has replace directives too, but its requires are real versions,
# so a wrapper with no replaces builds it.
set -euo pipefail

# ---- Pinned versions: the only place they are written. -------------------------------------------------------------
K8S_VERSION=1.33.13 # kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes v1.33.13)
ETCD_VERSION=3.5.35 # >= 3.5.13 for RequestWatchProgress (consistent reads from the watch cache)
KWOK_VERSION=0.7.0  # v0.7.0 still has embedded default stages; client-go v0.33 matches the API server
# Build times measured on a 2-core machine shared with other builds, empty Go caches, module downloads included:
# etcd 69 s, kube-apiserver 4 min 27 s (wrapper module tidy 22 s): 5 min 58 s in all (--e2e: see E2E_TIMES).
# E2E_TIMES (same machine, warm caches from the above): kube-controller-manager 2 min 10 s, kube-scheduler 7 s,
# kwok 1 min 54 s (its own module graph). About 4 more minutes; .ci/run passes --e2e so CI runs test/e2e/.
# With the binaries present the script is a no-op (milliseconds).

GO=${GO:-/usr/local/go/bin/go}
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s"
STAMP="k8s-v${K8S_VERSION}_etcd-v${ETCD_VERSION}"
OUT="${POOLFLEET_K8S_ASSETS:-${KUBEBUILDER_ASSETS:-$CACHE_ROOT/$STAMP}}"

E2E=0
for arg in "$@"; do
  case "$arg" in
    --e2e) E2E=1 ;;
    --print-dir)
      echo "$OUT"
      exit 0
      ;;
    -h | --help)
      sed -n '2,12p' "$0"
      exit 0
      ;;
    *)
      echo "k8s-binaries: unknown argument $arg" >&2
      exit 2
      ;;
  esac
done

WANT=(etcd kube-apiserver)
if [[ $E2E == 1 ]]; then WANT+=(kube-controller-manager kube-scheduler kwok); fi

missing() {
  local b
  for b in "${WANT[@]}"; do [[ -x "$OUT/$b" ]] || return 0; done
  return 1
}

if ! missing; then
  echo "$OUT"
  exit 0
fi

if [[ ! -x $GO ]]; then
  echo "k8s-binaries: Go not found at $GO (set GO=/path/to/go); it is needed to build ${WANT[*]} into $OUT" >&2
  exit 1
fi

mkdir -p "$OUT" "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
echo "k8s-binaries: waiting for the build lock $CACHE_ROOT/.lock" >&2
flock 9
if ! missing; then # another process built them while we waited
  echo "$OUT"
  exit 0
fi

export GOMODCACHE="$CACHE_ROOT/go/mod" GOCACHE="$CACHE_ROOT/go/build" GOPATH="$CACHE_ROOT/go/path"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
WORK="$CACHE_ROOT/src"
mkdir -p "$WORK" "$GOMODCACHE" "$GOCACHE" "$GOPATH"
START=$(date +%s)
log() { echo "k8s-binaries: [$(($(date +%s) - START))s] $*" >&2; }

build_etcd() {
  local dir="$WORK/etcd-v$ETCD_VERSION"
  mkdir -p "$dir"
  local gomod
  gomod=$("$GO" mod download -json "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  local goline
  goline=$(sed -n 's/^go \(.*\)$/\1/p' "$gomod")
  cat >"$dir/go.mod" <<EOF
module poolfleet.local/etcdbin

go $goline

require go.etcd.io/etcd/server/v3 v$ETCD_VERSION

tool go.etcd.io/etcd/server/v3
EOF
  (cd "$dir" && "$GO" mod tidy >&2 && "$GO" build -trimpath -o "$OUT/.etcd.tmp" go.etcd.io/etcd/server/v3)
  mv -f "$OUT/.etcd.tmp" "$OUT/etcd"
}

k8s_module() {
  local dir="$WORK/k8s-v$K8S_VERSION"
  mkdir -p "$dir"
  local gomod
  gomod=$("$GO" mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  local minor=${K8S_VERSION#1.}
  {
    echo "module poolfleet.local/k8sbins"
    echo
    grep -E '^(go|godebug) ' "$gomod"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    # every `k8s.io/X => ./staging/src/k8s.io/X` becomes `k8s.io/X => k8s.io/X v0.<minor>.<patch>`
    sed -n 's#^\t\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*$#\t\1 => \1 v0.'"$minor"'#p' "$gomod"
    echo ")"
    echo
    echo "tool ("
    echo "	k8s.io/kubernetes/cmd/kube-apiserver"
    echo "	k8s.io/kubernetes/cmd/kube-controller-manager"
    echo "	k8s.io/kubernetes/cmd/kube-scheduler"
    echo ")"
  } >"$dir/go.mod"
  if ! grep -q 'k8s.io/api => k8s.io/api v0' "$dir/go.mod"; then
    echo "k8s-binaries: could not read the staging replaces from $gomod" >&2
    exit 1
  fi
  (cd "$dir" && "$GO" mod tidy >&2)
  echo "$dir"
}

build_k8s() {
  local dir=$1 name=$2
  local major=1 minor=${K8S_VERSION#1.}
  minor=${minor%%.*}
  local ld="" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  (cd "$dir" && "$GO" build -trimpath -ldflags "-s -w$ld" -o "$OUT/.$name.tmp" "k8s.io/kubernetes/cmd/$name")
  mv -f "$OUT/.$name.tmp" "$OUT/$name"
}

if [[ ! -x "$OUT/etcd" ]]; then
  log "building etcd v$ETCD_VERSION"
  build_etcd
  log "etcd done"
fi

need_k8s=0
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  if [[ " ${WANT[*]} " == *" $b "* && ! -x "$OUT/$b" ]]; then need_k8s=1; fi
done
if [[ $need_k8s == 1 ]]; then
  log "preparing the k8s.io/kubernetes v$K8S_VERSION wrapper module"
  moddir=$(k8s_module)
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    if [[ " ${WANT[*]} " == *" $b "* && ! -x "$OUT/$b" ]]; then
      log "building $b v$K8S_VERSION"
      build_k8s "$moddir" "$b"
      log "$b done"
    fi
  done
fi

if [[ $E2E == 1 && ! -x "$OUT/kwok" ]]; then
  log "building kwok v$KWOK_VERSION"
  GOBIN="$OUT" "$GO" install -trimpath "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  log "kwok done"
fi

log "all built in $OUT"
echo "$OUT"
