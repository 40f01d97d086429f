#!/usr/bin/env bash
# Finds or builds the real control plane the real-API suite runs: etcd, kube-apiserver and kubectl,
# compiled from the pinned module in test/real-kube/go. Binaries are cached outside the clone, keyed by a
# hash of go.mod, go.sum and this script, so only the first run on a machine pays for the build
# (about 5 minutes and 2 GB of Go build cache on 2 cores). Prints the binary directory on its last line.
#   test/real-kube/build.sh            build when missing, print the directory
#   test/real-kube/build.sh --print    print the directory it would use, build nothing
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src="$here/go"
key=$(cat "$src/go.mod" "$src/go.sum" "$here/build.sh" | sha256sum | cut -c1-16)
cache_root="${CONJUR_SPIFFE_AGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/conjur-spiffe-agent}"
dir="$cache_root/real-kube-$key"
if [ "${1:-}" = "--print" ]; then echo "$dir"; exit 0; fi
if [ -x "$dir/etcd" ] && [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kubectl" ]; then echo "$dir"; exit 0; fi
command -v go >/dev/null || { echo "real-kube: Go is not installed (apt-get install golang-go)" >&2; exit 3; }
mkdir -p "$cache_root"
# One build at a time per cache: a second caller waits, then finds the binaries.
exec 9>"$cache_root/real-kube.lock"
flock 9
if [ -x "$dir/etcd" ] && [ -x "$dir/kube-apiserver" ] && [ -x "$dir/kubectl" ]; then echo "$dir"; exit 0; fi
k8s_version=$(cd "$src" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
major=$(echo "$k8s_version" | sed -E 's/^v([0-9]+)\..*/\1/')
minor=$(echo "$k8s_version" | sed -E 's/^v[0-9]+\.([0-9]+)\..*/\1/')
# Stamp the Kubernetes version the way its own release build does, so kubectl and the server agree on it.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
tmp="$dir.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "real-kube: building etcd, kube-apiserver and kubectl $k8s_version into $dir (first time only; minutes)" >&2
start=$(date +%s)
(cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  go.etcd.io/etcd/server/v3 k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
# etcd's main package is its server module's root: go build names it after "server" (the element before /v3).
mv "$tmp/server" "$tmp/etcd"
rm -rf "$dir"; mv "$tmp" "$dir"
echo "real-kube: built in $(( $(date +%s) - start )) s" >&2
echo "$dir"
