// Command kubelet-csi plays the kubelet's part towards a CSI node plugin, for the CSI suite: it
// sends the calls the kubelet sends for an ephemeral inline volume (csi: {driver, readOnly}) and
// prints each answer as one JSON line, so the test can check the driver's real behaviour.
//
//	kubelet-csi -csi-socket PATH info
//	kubelet-csi -csi-socket PATH publish -volume-id ID -target-path DIR -pod-uid UID [-readonly=false] [-ephemeral=false] [-access-mode MODE]
//	kubelet-csi -csi-socket PATH unpublish -volume-id ID -target-path DIR
//	kubelet-csi -csi-socket PATH stats -volume-id ID -volume-path DIR
//
// Exit status: 0 when the call succeeded, 1 when the driver answered with a gRPC error (printed
// as {"code": ..., "message": ...}), 2 for a usage error or when the driver cannot be reached.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

func main() {
	global := flag.NewFlagSet("kubelet-csi", flag.ContinueOnError)
	socket := global.String("csi-socket", "", "the driver's CSI socket (unix path)")
	timeout := global.Duration("timeout", 10*time.Second, "deadline of the call")
	if err := global.Parse(os.Args[1:]); err != nil || *socket == "" || global.NArg() < 1 {
		usage("a -csi-socket and a command (info, publish, unpublish, stats) are required")
	}
	conn, err := grpc.NewClient("unix://"+*socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		usage(fmt.Sprintf("cannot dial %s: %v", *socket, err))
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	command, args := global.Arg(0), global.Args()[1:]
	var answer any
	switch command {
	case "info":
		answer, err = info(ctx, conn)
	case "publish":
		answer, err = publish(ctx, csi.NewNodeClient(conn), args)
	case "unpublish":
		answer, err = unpublish(ctx, csi.NewNodeClient(conn), args)
	case "stats":
		answer, err = stats(ctx, csi.NewNodeClient(conn), args)
	default:
		usage("unknown command " + command)
	}
	if err != nil {
		s, ok := status.FromError(err)
		if !ok {
			usage(err.Error())
		}
		print(map[string]string{"code": s.Code().String(), "message": s.Message()})
		os.Exit(1)
	}
	print(answer)
}

func info(ctx context.Context, conn *grpc.ClientConn) (any, error) {
	plugin, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
	if err != nil {
		return nil, err
	}
	node, err := csi.NewNodeClient(conn).NodeGetInfo(ctx, &csi.NodeGetInfoRequest{})
	if err != nil {
		return nil, err
	}
	return map[string]string{"name": plugin.GetName(), "vendorVersion": plugin.GetVendorVersion(), "nodeId": node.GetNodeId()}, nil
}

// publish sends what the kubelet sends for `csi: {driver: csi.spiffe.io, readOnly: true}` in a
// pod: a mount capability, SINGLE_NODE_WRITER (the kubelet's mode for inline volumes), readonly,
// and the volume context of a CSIDriver with podInfoOnMount: true.
func publish(ctx context.Context, node csi.NodeClient, args []string) (any, error) {
	flags := flag.NewFlagSet("publish", flag.ContinueOnError)
	volumeID := flags.String("volume-id", "", "volume handle (the kubelet derives it from the pod UID and volume name)")
	target := flags.String("target-path", "", "where the volume is published, under the pod's directory")
	podUID := flags.String("pod-uid", "", "csi.storage.k8s.io/pod.uid")
	podName := flags.String("pod-name", "workload", "csi.storage.k8s.io/pod.name")
	podNamespace := flags.String("pod-namespace", "default", "csi.storage.k8s.io/pod.namespace")
	readonly := flags.Bool("readonly", true, "the pod's csi.readOnly")
	ephemeral := flags.Bool("ephemeral", true, "csi.storage.k8s.io/ephemeral")
	accessMode := flags.String("access-mode", "SINGLE_NODE_WRITER", "a csi.VolumeCapability_AccessMode_Mode name")
	if err := flags.Parse(args); err != nil {
		usage(err.Error())
	}
	mode, ok := csi.VolumeCapability_AccessMode_Mode_value[*accessMode]
	if !ok {
		usage("unknown access mode " + *accessMode)
	}
	request := &csi.NodePublishVolumeRequest{
		VolumeId:   *volumeID,
		TargetPath: *target,
		Readonly:   *readonly,
		VolumeCapability: &csi.VolumeCapability{
			AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{}},
			AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_Mode(mode)},
		},
		VolumeContext: map[string]string{
			"csi.storage.k8s.io/ephemeral":            fmt.Sprint(*ephemeral),
			"csi.storage.k8s.io/pod.uid":              *podUID,
			"csi.storage.k8s.io/pod.name":             *podName,
			"csi.storage.k8s.io/pod.namespace":        *podNamespace,
			"csi.storage.k8s.io/serviceAccount.name": "default",
		},
	}
	if _, err := node.NodePublishVolume(ctx, request); err != nil {
		return nil, err
	}
	return map[string]string{"published": *target}, nil
}

func unpublish(ctx context.Context, node csi.NodeClient, args []string) (any, error) {
	flags := flag.NewFlagSet("unpublish", flag.ContinueOnError)
	volumeID := flags.String("volume-id", "", "volume handle given to publish")
	target := flags.String("target-path", "", "the published path")
	if err := flags.Parse(args); err != nil {
		usage(err.Error())
	}
	if _, err := node.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: *volumeID, TargetPath: *target}); err != nil {
		return nil, err
	}
	return map[string]string{"unpublished": *target}, nil
}

// stats asks for the volume condition, which the driver reports from the mount table.
func stats(ctx context.Context, node csi.NodeClient, args []string) (any, error) {
	flags := flag.NewFlagSet("stats", flag.ContinueOnError)
	volumeID := flags.String("volume-id", "", "volume handle given to publish")
	path := flags.String("volume-path", "", "the published path")
	if err := flags.Parse(args); err != nil {
		usage(err.Error())
	}
	answer, err := node.NodeGetVolumeStats(ctx, &csi.NodeGetVolumeStatsRequest{VolumeId: *volumeID, VolumePath: *path})
	if err != nil {
		return nil, err
	}
	condition := answer.GetVolumeCondition()
	return map[string]any{"abnormal": condition.GetAbnormal(), "message": condition.GetMessage()}, nil
}

func print(value any) {
	line, _ := json.Marshal(value)
	fmt.Println(string(line))
}

func usage(message string) {
	fmt.Fprintln(os.Stderr, "kubelet-csi: "+message)
	os.Exit(2)
}
