// interop-go: exercises conjur-spiffe-agent with go-spiffe v2's workloadapi, unchanged.
//
//	interop-go check                       fetch the X.509 context, validate with go-spiffe, print JSON
//	interop-go serve  -authorize ID -addr A    spiffetls mTLS server that authorizes its peer by SPIFFE ID
//	interop-go dial   -authorize ID -addr A    spiffetls mTLS client; prints what the server answered
//	interop-go rotation -timeout D         waits until the SVID changes on the open stream
//
// The socket comes from SPIFFE_ENDPOINT_SOCKET, as every go-spiffe user would configure it.
// Each failure prints one line naming the check and exits non-zero.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/spiffe/go-spiffe/v2/spiffeid"
	"github.com/spiffe/go-spiffe/v2/spiffetls"
	"github.com/spiffe/go-spiffe/v2/spiffetls/tlsconfig"
	"github.com/spiffe/go-spiffe/v2/svid/x509svid"
	"github.com/spiffe/go-spiffe/v2/workloadapi"
)

func fail(check string, err error) {
	fmt.Fprintf(os.Stderr, "go-spiffe: %s: %v\n", check, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage", fmt.Errorf("expected a mode: check, serve, dial, rotation"))
	}
	mode := os.Args[1]
	flags := flag.NewFlagSet(mode, flag.ExitOnError)
	authorize := flags.String("authorize", "", "SPIFFE ID the peer must have")
	addr := flags.String("addr", "127.0.0.1:0", "TCP address")
	timeout := flags.Duration("timeout", 30*time.Second, "overall time limit")
	_ = flags.Parse(os.Args[2:])

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	source, err := workloadapi.NewX509Source(ctx)
	if err != nil {
		fail("NewX509Source", err)
	}
	defer source.Close()

	switch mode {
	case "check":
		check(ctx, source)
	case "serve":
		serve(ctx, source, mustID(*authorize), *addr)
	case "dial":
		dial(ctx, source, mustID(*authorize), *addr)
	case "rotation":
		rotation(ctx, source)
	default:
		fail("usage", fmt.Errorf("unknown mode %q", mode))
	}
}

func mustID(text string) spiffeid.ID {
	id, err := spiffeid.FromString(text)
	if err != nil {
		fail("authorize flag", err)
	}
	return id
}

// check re-validates what the source already parsed (ParseRaw ran on receipt) and verifies the
// chain against the bundle of the SVID's own trust domain, as a go-spiffe peer would.
func check(ctx context.Context, source *workloadapi.X509Source) {
	svid, err := source.GetX509SVID()
	if err != nil {
		fail("GetX509SVID", err)
	}
	if _, _, err := x509svid.Verify(svid.Certificates, source); err != nil {
		fail("x509svid.Verify against the bundle", err)
	}
	keyDER, certDER, err := svid.Marshal()
	if err != nil {
		fail("svid.Marshal", err)
	}
	if _, err := x509svid.Parse(keyDER, certDER); err != nil {
		fail("x509svid.Parse of the re-marshalled SVID", err)
	}
	bundle, err := source.GetX509BundleForTrustDomain(svid.ID.TrustDomain())
	if err != nil {
		fail("GetX509BundleForTrustDomain", err)
	}
	bundles, err := workloadapi.FetchX509Bundles(ctx)
	if err != nil {
		fail("FetchX509Bundles", err)
	}
	if _, ok := bundles.Get(svid.ID.TrustDomain()); !ok {
		fail("FetchX509Bundles", fmt.Errorf("no bundle for %s", svid.ID.TrustDomain()))
	}
	out, _ := json.Marshal(map[string]any{
		"spiffeId":    svid.ID.String(),
		"hint":        svid.Hint,
		"notAfter":    svid.Certificates[0].NotAfter.UTC().Format(time.RFC3339),
		"chainLength": len(svid.Certificates),
		"authorities": len(bundle.X509Authorities()),
		"serial":      svid.Certificates[0].SerialNumber.String(),
	})
	fmt.Println(string(out))
}

// serve accepts one mTLS connection, answers with its own SPIFFE ID and the peer's, then exits.
func serve(ctx context.Context, source *workloadapi.X509Source, peer spiffeid.ID, addr string) {
	listener, err := spiffetls.ListenWithMode(ctx, "tcp", addr, spiffetls.MTLSServerWithSource(tlsconfig.AuthorizeID(peer), source))
	if err != nil {
		fail("spiffetls.Listen", err)
	}
	defer listener.Close()
	fmt.Printf("listening %s\n", listener.Addr().String())
	conn, err := listener.Accept()
	if err != nil {
		fail("spiffetls.Accept", err)
	}
	defer conn.Close()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fail("read from authorized peer", err)
	}
	own, _ := source.GetX509SVID()
	peerID, err := spiffetls.PeerIDFromConn(conn)
	if err != nil {
		fail("PeerIDFromConn", err)
	}
	fmt.Fprintf(conn, "hello %s, this is %s\n", peerID, own.ID)
	fmt.Printf("served %s (said %q)\n", peerID, line[:len(line)-1])
}

func dial(ctx context.Context, source *workloadapi.X509Source, peer spiffeid.ID, addr string) {
	conn, err := spiffetls.DialWithMode(ctx, "tcp", addr, spiffetls.MTLSClientWithSource(tlsconfig.AuthorizeID(peer), source))
	if err != nil {
		fail("spiffetls.Dial (peer authorized by SPIFFE ID)", err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "ping\n")
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		fail("read reply", err)
	}
	fmt.Print(reply)
}

// rotation waits for a new SVID on the open stream: the agent must push it without a reconnect.
func rotation(ctx context.Context, source *workloadapi.X509Source) {
	first, err := source.GetX509SVID()
	if err != nil {
		fail("GetX509SVID", err)
	}
	firstSerial := first.Certificates[0].SerialNumber
	for {
		select {
		case <-ctx.Done():
			fail("rotation", fmt.Errorf("no new SVID before the timeout"))
		case <-source.Updated():
		}
		next, err := source.GetX509SVID()
		if err != nil {
			fail("GetX509SVID after update", err)
		}
		if next.Certificates[0].SerialNumber.Cmp(firstSerial) != 0 {
			if _, _, err := x509svid.Verify(next.Certificates, source); err != nil {
				fail("x509svid.Verify of the rotated SVID", err)
			}
			fmt.Printf("rotated %s -> %s\n", firstSerial, next.Certificates[0].SerialNumber)
			return
		}
	}
}
