#!/usr/bin/env bash
# Installs the real SPIFFE clients the interop suite drives, each at a pinned version:
#   go-spiffe v2.9.0 (through our small Go program), spiffe-helper v0.11.0, py-spiffe 0.3.2,
#   Envoy's API types (go-control-plane/envoy v1.36.0, through our Envoy stand-in).
# Binaries go to test/interop/.bin, the Python environment to test/interop/.venv (both ignored by git).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin="$here/.bin"
mkdir -p "$bin"

echo "interop: building the go-spiffe program"
(cd "$here/go-spiffe" && go build -o "$bin/interop-go" .)

echo "interop: building the Envoy SDS program"
(cd "$here/envoy-sds" && go build -o "$bin/interop-envoy-sds" .)

echo "interop: installing spiffe-helper v0.11.0"
# The proxy does not list spiffe-helper versions, so `go install ...@v0.11.0` is refused;
# building from a module that requires the exact version works.
(cd "$here/spiffe-helper" && go build -o "$bin/spiffe-helper" github.com/spiffe/spiffe-helper/cmd/spiffe-helper)

echo "interop: installing py-spiffe into a virtual environment"
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/py-spiffe/requirements.txt"
echo "interop: clients installed"
