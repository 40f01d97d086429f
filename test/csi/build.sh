#!/usr/bin/env bash
# Finds or builds what the CSI suite runs: the upstream SPIFFE CSI driver (github.com/spiffe/spiffe-csi,
# pinned in test/csi/go/go.mod) and kubelet-csi, our small CSI client that plays the kubelet. Binaries
# are cached outside the clone, keyed by a hash of go.mod, go.sum, the client's source and this script,
# so only the first run on a machine compiles (about a minute on 2 cores). Prints the directory last.
#   test/csi/build.sh            build when missing, print the directory
#   test/csi/build.sh --print    print the directory it would use, build nothing
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src="$here/go"
key=$(cat "$src/go.mod" "$src/go.sum" "$src/kubelet-csi/main.go" "$here/build.sh" | sha256sum | cut -c1-16)
cache_root="${CONJUR_SPIFFE_AGENT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/conjur-spiffe-agent}"
dir="$cache_root/spiffe-csi-$key"
built() { [ -x "$dir/spiffe-csi-driver" ] && [ -x "$dir/kubelet-csi" ]; }
if [ "${1:-}" = "--print" ]; then echo "$dir"; exit 0; fi
if built; then echo "$dir"; exit 0; fi
command -v go >/dev/null || { echo "spiffe-csi: Go is not installed (apt-get install golang-go)" >&2; exit 3; }
mkdir -p "$cache_root"
# One build at a time per cache: a second caller waits, then finds the binaries.
exec 9>"$cache_root/spiffe-csi.lock"
flock 9
if built; then echo "$dir"; exit 0; fi
version=$(cd "$src" && go list -m -f '{{.Version}}' github.com/spiffe/spiffe-csi)
tmp="$dir.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "spiffe-csi: building spiffe-csi-driver $version and kubelet-csi into $dir (first time only)" >&2
start=$(date +%s)
(cd "$src" && go build -trimpath -o "$tmp/" github.com/spiffe/spiffe-csi/cmd/spiffe-csi-driver ./kubelet-csi)
rm -rf "$dir"; mv "$tmp" "$dir"
echo "spiffe-csi: built in $(( $(date +%s) - start )) s" >&2
echo "$dir"
