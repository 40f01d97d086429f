// interop-envoy-sds: talks to conjur-spiffe-agent's SDS as Envoy does, with the Envoy API types of
// go-control-plane (the same generated code Envoy's Go control planes use), so the agent's
// trimmed protos are checked against the real ones on the wire.
//
//	interop-envoy-sds check -rotation            the xDS conversation of an Envoy sidecar, checking every Secret
//	interop-envoy-sds serve -authorize ID        mutual-TLS server configured only from SDS
//	interop-envoy-sds dial  -authorize ID -addr A mutual-TLS client configured only from SDS
//
// The socket comes from SPIFFE_ENDPOINT_SOCKET. Each failure prints one line naming the check
// ("envoy-sds: <check>: <error>") and exits non-zero.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const secretTypeURL = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"

func fail(check string, err error) {
	fmt.Fprintf(os.Stderr, "envoy-sds: %s: %v\n", check, err)
	os.Exit(1)
}

// envoyNode is how Envoy 1.36 introduces itself in its first request.
func envoyNode(id string) *corev3.Node {
	return &corev3.Node{
		Id:            id,
		Cluster:       "interop",
		UserAgentName: "envoy",
		UserAgentVersionType: &corev3.Node_UserAgentBuildVersion{UserAgentBuildVersion: &corev3.BuildVersion{
			Version: &typev3.SemanticVersion{MajorNumber: 1, MinorNumber: 36, Patch: 0},
		}},
		ClientFeatures: []string{"envoy.lb.does_not_support_overprovisioning"},
	}
}

func main() {
	if len(os.Args) < 2 {
		fail("usage", fmt.Errorf("expected a mode: check, serve, dial"))
	}
	mode := os.Args[1]
	flags := flag.NewFlagSet(mode, flag.ExitOnError)
	authorize := flags.String("authorize", "", "SPIFFE ID the peer must have")
	addr := flags.String("addr", "127.0.0.1:0", "TCP address")
	rotation := flags.Bool("rotation", false, "check: also wait for a renewal pushed on the open stream")
	timeout := flags.Duration("timeout", 30*time.Second, "overall time limit")
	_ = flags.Parse(os.Args[2:])

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn := dialAgent()
	defer conn.Close()
	client := secretv3.NewSecretDiscoveryServiceClient(conn)

	switch mode {
	case "check":
		check(ctx, client, *rotation)
	case "serve":
		serve(ctx, client, *authorize, *addr)
	case "dial":
		dial(ctx, client, *authorize, *addr)
	default:
		fail("usage", fmt.Errorf("unknown mode %q", mode))
	}
}

func dialAgent() *grpc.ClientConn {
	endpoint := os.Getenv("SPIFFE_ENDPOINT_SOCKET")
	if !strings.HasPrefix(endpoint, "unix://") {
		fail("SPIFFE_ENDPOINT_SOCKET", fmt.Errorf("want unix:///path, got %q", endpoint))
	}
	// Envoy's static cluster on a pipe address: plain HTTP/2 on the socket, no security header.
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("connect", err)
	}
	return conn
}

// stream is one StreamSecrets call with the xDS bookkeeping an Envoy keeps.
type stream struct {
	call  secretv3.SecretDiscoveryService_StreamSecretsClient
	node  *corev3.Node
	first bool
}

func openStream(ctx context.Context, client secretv3.SecretDiscoveryServiceClient, nodeID string) *stream {
	call, err := client.StreamSecrets(ctx)
	if err != nil {
		fail("StreamSecrets", err)
	}
	return &stream{call: call, node: envoyNode(nodeID), first: true}
}

// send writes a request; like Envoy, the node goes only in the first one.
func (s *stream) send(check string, req *discoveryv3.DiscoveryRequest) {
	req.TypeUrl = secretTypeURL
	if s.first {
		req.Node = s.node
		s.first = false
	}
	if err := s.call.Send(req); err != nil {
		fail(check, err)
	}
}

func (s *stream) recv(check string) *discoveryv3.DiscoveryResponse {
	resp, err := s.call.Recv()
	if err != nil {
		fail(check, err)
	}
	if resp.TypeUrl != secretTypeURL {
		fail(check, fmt.Errorf("response type_url %q", resp.TypeUrl))
	}
	return resp
}

func (s *stream) ack(names []string, resp *discoveryv3.DiscoveryResponse) {
	s.send("ACK", &discoveryv3.DiscoveryRequest{ResourceNames: names, VersionInfo: resp.VersionInfo, ResponseNonce: resp.Nonce})
}
