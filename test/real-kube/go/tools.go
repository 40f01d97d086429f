//go:build tools

// Package tools pins the programs build.sh compiles, so go.mod and go.sum hold their whole dependency graph.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
