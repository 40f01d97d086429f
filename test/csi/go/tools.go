//go:build tools

// Package tools pins the SPIFFE CSI driver that build.sh compiles, so go.mod and go.sum hold its
// whole dependency graph.
package tools

import _ "github.com/spiffe/spiffe-csi/cmd/spiffe-csi-driver"
