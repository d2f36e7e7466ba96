#!/usr/bin/env bash
# Build the node side of the real-cluster test tier (test/cluster/): kubelet, kube-proxy and a CoreDNS with a minimal
# plugin set, kube-router (only its NetworkPolicy enforcer is used) and a pause binary, from the Go module proxy, into
# a cache directory that survives between runs; the pause image (pause.tar, `docker save` format, made with the local
# Docker engine from that binary alone, no registry); and the Debian packages the node runs on (containerd, runc, the
# CNI plugins, nftables, iptables, ipset). Prints the asset directory as the last line of stdout; everything else goes
# to stderr.
#
#   scripts/k8s-node-binaries.sh             build (a no-op when everything is there)
#   scripts/k8s-node-binaries.sh --print-dir only print the asset directory
#
# Output directory: $POOLFLEET_K8S_NODE_ASSETS, else ${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s/node-<versions>/.
# The control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) comes from scripts/k8s-binaries.sh;
# this script shares its Go module and build caches (${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s/go/), so with the
# control plane built, kubelet and kube-proxy build warm. Safe to run concurrently (flock). Needs Go >= 1.26.
# The binaries are for tests, not for running a cluster.
#
# kubelet and kube-proxy come from a wrapper module around k8s.io/kubernetes, made exactly as k8s-binaries.sh makes
# its own (kubernetes' go.mod replaces its staging modules with ./staging paths; the wrapper replaces each with its
# published v0.<minor>). CoreDNS is a tiny main package of our own that imports only the plugins the tests' Corefile
# uses (CoreDNS's documented way of choosing plugins at compile time), which builds in a fraction of the full set.
#
# NetworkPolicy enforcer: kube-router's iptables/ipset enforcer (--run-firewall, routing and service proxy off). It
# takes --kubeconfig, so it runs as a process in the node's network namespace like kubelet; and it needs no nftables
# `queue` expression, which this machine's kernel lacks (CONFIG_NFT_QUEUE unset), unlike kube-network-policies.
set -euo pipefail

# ---- Pinned versions: the only place they are written. -------------------------------------------------------------
K8S_VERSION=1.33.13   # kubelet, kube-proxy: the control plane's version (scripts/k8s-binaries.sh)
COREDNS_VERSION=1.12.2 # client-go v0.32; talks to the v1.33 API server (only core, discovery APIs)
KUBE_ROUTER_VERSION=2.1.0 # the newest the Go module proxy lists for github.com/cloudnativelabs/kube-router/v2
PAUSE_TAG=poolfleet.local/pause:1 # containerd's sandbox_image (test/helpers/real-cluster-node.ts)
# Build times measured on a 2-core machine shared with other builds, with the control plane's Go caches warm
# (scripts/k8s-binaries.sh run before): kubelet 16 s, kube-proxy 5 s, CoreDNS 45 s (its module downloads included),
# kube-router 2 min 16 s (its own module graph, downloads included), pause + its image 2 s: about 3 min 25 s in all,
# plus ~30 s of apt-get. With empty Go caches kubelet alone was measured at 5 min 43 s on a similar machine (issue 17).
# With the binaries present the script is a no-op (milliseconds).

# CoreDNS plugins compiled in, in CoreDNS's plugin order (plugin.cfg): what test/helpers/real-cluster.ts's Corefile uses.
COREDNS_PLUGINS=(errors log health ready kubernetes loop reload loadbalance cache forward)

GO=${GO:-/usr/local/go/bin/go}
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/poolfleet/k8s"
STAMP="node-k8s-v${K8S_VERSION}_coredns-v${COREDNS_VERSION}_kube-router-v${KUBE_ROUTER_VERSION}"
OUT="${POOLFLEET_K8S_NODE_ASSETS:-$CACHE_ROOT/$STAMP}"
DEBS=(containerd runc containernetworking-plugins nftables iptables ipset iproute2 util-linux)

for arg in "$@"; do
  case "$arg" in
    --print-dir)
      echo "$OUT"
      exit 0
      ;;
    -h | --help)
      sed -n '2,13p' "$0"
      exit 0
      ;;
    *)
      echo "k8s-node-binaries: unknown argument $arg" >&2
      exit 2
      ;;
  esac
done

WANT=(kubelet kube-proxy coredns kube-router pause pause.tar)

missing_bins() {
  local b
  for b in "${WANT[@]}"; do [[ -s "$OUT/$b" ]] || return 0; done
  return 1
}
# containernetworking-plugins installs into /usr/lib/cni (Debian's path), not /opt/cni/bin.
missing_debs() {
  command -v containerd >/dev/null && command -v runc >/dev/null && command -v ctr >/dev/null &&
    [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback && -x /usr/lib/cni/portmap ]] &&
    command -v nft >/dev/null && command -v ipset >/dev/null && command -v iptables >/dev/null && command -v ip >/dev/null &&
    command -v nsenter >/dev/null && return 1
  return 0
}

if missing_debs; then
  echo "k8s-node-binaries: installing Debian packages: ${DEBS[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${DEBS[@]}" >&2
fi

if ! missing_bins; then
  echo "$OUT"
  exit 0
fi

if [[ ! -x $GO ]]; then
  echo "k8s-node-binaries: Go not found at $GO (set GO=/path/to/go); it is needed to build ${WANT[*]} into $OUT" >&2
  exit 1
fi

mkdir -p "$OUT" "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
echo "k8s-node-binaries: waiting for the build lock $CACHE_ROOT/.lock" >&2
flock 9
if ! missing_bins; then # another process built them while we waited
  echo "$OUT"
  exit 0
fi

export GOMODCACHE="$CACHE_ROOT/go/mod" GOCACHE="$CACHE_ROOT/go/build" GOPATH="$CACHE_ROOT/go/path"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
WORK="$CACHE_ROOT/src"
mkdir -p "$WORK" "$GOMODCACHE" "$GOCACHE" "$GOPATH"
START=$(date +%s)
log() { echo "k8s-node-binaries: [$(($(date +%s) - START))s] $*" >&2; }

k8s_module() {
  local dir="$WORK/k8s-node-v$K8S_VERSION"
  mkdir -p "$dir"
  local gomod
  gomod=$("$GO" mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  local minor=${K8S_VERSION#1.}
  {
    echo "module poolfleet.local/k8snodebins"
    echo
    grep -E '^(go|godebug) ' "$gomod"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    sed -n 's#^\t\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*$#\t\1 => \1 v0.'"$minor"'#p' "$gomod"
    echo ")"
    echo
    echo "tool ("
    echo "	k8s.io/kubernetes/cmd/kubelet"
    echo "	k8s.io/kubernetes/cmd/kube-proxy"
    echo ")"
  } >"$dir/go.mod"
  if ! grep -q 'k8s.io/api => k8s.io/api v0' "$dir/go.mod"; then
    echo "k8s-node-binaries: could not read the staging replaces from $gomod" >&2
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

build_coredns() {
  local dir="$WORK/coredns-v$COREDNS_VERSION"
  mkdir -p "$dir"
  local gomod
  gomod=$("$GO" mod download -json "github.com/coredns/coredns@v$COREDNS_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
  {
    echo "module poolfleet.local/corednsbin"
    echo
    grep -E '^go ' "$gomod"
    echo
    echo "require github.com/coredns/coredns v$COREDNS_VERSION"
  } >"$dir/go.mod"
  {
    echo "// Generated by scripts/k8s-node-binaries.sh: CoreDNS with only the plugins the real-cluster tests use."
    echo "package main"
    echo
    echo "import ("
    echo "	\"github.com/coredns/coredns/core/dnsserver\""
    echo "	\"github.com/coredns/coredns/coremain\""
    local p
    for p in "${COREDNS_PLUGINS[@]}"; do echo "	_ \"github.com/coredns/coredns/plugin/$p\""; done
    echo ")"
    echo
    echo "func init() {"
    echo "	dnsserver.Directives = []string{$(printf '"%s", ' "${COREDNS_PLUGINS[@]}")}"
    echo "}"
    echo
    echo "func main() { coremain.Run() }"
  } >"$dir/main.go"
  (cd "$dir" && "$GO" mod tidy >&2 && "$GO" build -trimpath -ldflags "-s -w" -o "$OUT/.coredns.tmp" .)
  mv -f "$OUT/.coredns.tmp" "$OUT/coredns"
}

if [[ ! -x "$OUT/kubelet" || ! -x "$OUT/kube-proxy" ]]; then
  log "preparing the k8s.io/kubernetes v$K8S_VERSION wrapper module (node side)"
  moddir=$(k8s_module)
  for b in kubelet kube-proxy; do
    if [[ ! -x "$OUT/$b" ]]; then
      log "building $b v$K8S_VERSION"
      build_k8s "$moddir" "$b"
      log "$b done"
    fi
  done
fi

if [[ ! -x "$OUT/coredns" ]]; then
  log "building coredns v$COREDNS_VERSION (plugins: ${COREDNS_PLUGINS[*]})"
  build_coredns
  log "coredns done"
fi

if [[ ! -x "$OUT/kube-router" ]]; then
  log "building kube-router v$KUBE_ROUTER_VERSION"
  GOBIN="$OUT" "$GO" install -trimpath -ldflags "-s -w" "github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v$KUBE_ROUTER_VERSION"
  log "kube-router done"
fi

# The pod sandbox's process: PID 1 of every pod, it holds the namespaces open, reaps zombies and exits on SIGTERM/SIGINT.
if [[ ! -x "$OUT/pause" ]]; then
  log "building pause"
  dir="$WORK/pause"
  mkdir -p "$dir"
  printf 'module poolfleet.local/pause\n\ngo 1.24\n' >"$dir/go.mod"
  cat >"$dir/main.go" <<'EOF_GO'
// Generated by scripts/k8s-node-binaries.sh: the pod sandbox process (what Kubernetes' pause.c does).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			if pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); pid <= 0 || err != nil {
				break
			}
		}
	}
}
EOF_GO
  (cd "$dir" && "$GO" build -trimpath -ldflags "-s -w" -o "$OUT/.pause.tmp" .)
  mv -f "$OUT/.pause.tmp" "$OUT/pause"
  log "pause done"
fi

if [[ ! -s "$OUT/pause.tar" ]]; then
  log "making the pause image $PAUSE_TAG"
  command -v docker >/dev/null 2>&1 || { echo "k8s-node-binaries: the pause image needs a Docker engine (scripts/docker-engine.sh)" >&2; exit 1; }
  ctx=$(mktemp -d)
  cp "$OUT/pause" "$ctx/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  docker build -q -t "$PAUSE_TAG" "$ctx" >&2
  rm -rf "$ctx"
  docker save -o "$OUT/.pause.tar.tmp" "$PAUSE_TAG"
  mv -f "$OUT/.pause.tar.tmp" "$OUT/pause.tar"
  log "pause image done"
fi

log "all built in $OUT"
echo "$OUT"
