package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
)

// fromSds is everything a listener or cluster gets over SDS: its certificate (default) and the
// SPIFFE validator settings (ROOTCA). Nothing else configures TLS here.
type fromSds struct {
	own   *svid
	pools map[string]*x509.CertPool
}

func loadFromSds(ctx context.Context, client secretv3.SecretDiscoveryServiceClient, nodeID string) fromSds {
	s := openStream(ctx, client, nodeID)
	names := []string{"default", "ROOTCA"}
	s.send("request default+ROOTCA", &discoveryv3.DiscoveryRequest{ResourceNames: names})
	resp := s.recv("response to default+ROOTCA")
	got, _ := mustSecrets("response to default+ROOTCA", resp)
	own := mustSvid("default", got["default"])
	pools, _, err := spiffeValidator(got["ROOTCA"])
	if err != nil {
		fail("ROOTCA", err)
	}
	s.ack(names, resp)
	return fromSds{own: own, pools: pools}
}

// peerCheck verifies the peer as Envoy's SPIFFE validator with a SPIFFE ID match would.
func (f fromSds) peerCheck(wantID string, seen *string) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		var chain []*x509.Certificate
		for _, der := range raw {
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return err
			}
			chain = append(chain, cert)
		}
		id, err := verifySpiffe(chain, f.pools, wantID)
		if err == nil {
			*seen = id
		}
		return err
	}
}

func serve(ctx context.Context, client secretv3.SecretDiscoveryServiceClient, authorize, addr string) {
	sds := loadFromSds(ctx, client, "server~"+authorize)
	var peer string
	config := &tls.Config{
		MinVersion:            tls.VersionTLS12,
		Certificates:          []tls.Certificate{sds.own.certificate},
		ClientAuth:            tls.RequireAnyClientCert,
		VerifyPeerCertificate: sds.peerCheck(authorize, &peer),
	}
	listener, err := tls.Listen("tcp", addr, config)
	if err != nil {
		fail("listen", err)
	}
	defer listener.Close()
	fmt.Printf("listening %s\n", listener.Addr())
	// The overall time limit also bounds Accept.
	go func() { <-ctx.Done(); listener.Close() }()
	conn, err := listener.Accept()
	if err != nil {
		fail("accept", err)
	}
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fail("read from authorized peer", err)
	}
	fmt.Fprintf(conn, "hello %s, this is %s\n", peer, sds.own.id)
	fmt.Printf("served %s (said %q)\n", peer, strings.TrimSpace(line))
}

func dial(ctx context.Context, client secretv3.SecretDiscoveryServiceClient, authorize, addr string) {
	sds := loadFromSds(ctx, client, "client~"+authorize)
	var peer string
	config := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{sds.own.certificate},
		// Envoy's SPIFFE validator replaces hostname checks with the SPIFFE ID match below.
		InsecureSkipVerify:    true,
		VerifyPeerCertificate: sds.peerCheck(authorize, &peer),
	}
	dialer := &tls.Dialer{Config: config}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		fail("dial (peer authorized by SPIFFE ID)", err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintln(conn, "ping"); err != nil {
		fail("write", err)
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fail("read reply", err)
	}
	fmt.Fprint(os.Stdout, reply)
}
