package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
)

// checkReport is printed as JSON for the test to assert on.
type checkReport struct {
	SpiffeID           string   `json:"spiffeId"`
	RootcaTrustDomains []string `json:"rootcaTrustDomains"`
	AllTrustDomains    []string `json:"allTrustDomains"`
	Versions           []string `json:"versions"`
	Nonces             []string `json:"nonces"`
	AfterNackNames     []string `json:"afterNackNames"`
	RotatedFrom        string   `json:"rotatedFrom,omitempty"`
	RotatedTo          string   `json:"rotatedTo,omitempty"`
	FetchNames         []string `json:"fetchNames"`
	FetchNonce         string   `json:"fetchNonce"`
	DeltaCode          string   `json:"deltaCode"`
}

// check runs the conversation an Envoy sidecar has with its SDS server, checking each Secret.
func check(ctx context.Context, client secretv3.SecretDiscoveryServiceClient, waitRotation bool) {
	report := checkReport{}
	s := openStream(ctx, client, "sidecar~check")

	// 1. The listener's certificate and validation context, as Envoy subscribes to them.
	names := []string{"default", "ROOTCA"}
	s.send("request default+ROOTCA", &discoveryv3.DiscoveryRequest{ResourceNames: names})
	first := s.recv("response to default+ROOTCA")
	got, gotNames := mustSecrets("response to default+ROOTCA", first)
	expectNames("response to default+ROOTCA", gotNames, names)
	own := mustSvid("default", got["default"])
	report.SpiffeID = own.id
	pools, domains, err := spiffeValidator(got["ROOTCA"])
	if err != nil {
		fail("ROOTCA", err)
	}
	if !slices.Equal(domains, []string{trustDomainOf(own.id)}) {
		fail("ROOTCA", fmt.Errorf("SPIFFE validator names trust domains %v, want [%s]", domains, trustDomainOf(own.id)))
	}
	if _, err := verifySpiffe(own.chain, pools, own.id); err != nil {
		fail("default verifies against ROOTCA", err)
	}
	report.RootcaTrustDomains = domains
	record(&report, first)

	// 2. ACK, then a new set of names on the same stream: the next response must answer them
	// (an ACK gets no response of its own).
	s.ack(names, first)
	names = []string{"default", "ROOTCA", "ALL"}
	s.send("request ALL", &discoveryv3.DiscoveryRequest{ResourceNames: names, VersionInfo: first.VersionInfo, ResponseNonce: first.Nonce})
	second := s.recv("response to ALL")
	got, gotNames = mustSecrets("response to ALL", second)
	expectNames("response to ALL", gotNames, names)
	allPools, allDomains, err := spiffeValidator(got["ALL"])
	if err != nil {
		fail("ALL", err)
	}
	if !slices.Contains(allDomains, trustDomainOf(own.id)) {
		fail("ALL", fmt.Errorf("SPIFFE validator names %v, not the workload's trust domain", allDomains))
	}
	if _, err := verifySpiffe(mustSvid("default", got["default"]).chain, allPools, ""); err != nil {
		fail("default verifies against ALL", err)
	}
	report.AllTrustDomains = allDomains
	if second.VersionInfo == first.VersionInfo || second.Nonce == first.Nonce {
		fail("response to ALL", fmt.Errorf("version %q nonce %q repeat the first response's", second.VersionInfo, second.Nonce))
	}
	record(&report, second)

	// 3. NACK once (keeping the last applied version, as Envoy does), then change the names:
	// the NACK must not be answered, so the next response is the one for the new names.
	s.send("NACK", &discoveryv3.DiscoveryRequest{
		ResourceNames: names, VersionInfo: first.VersionInfo, ResponseNonce: second.Nonce,
		ErrorDetail: &status.Status{Code: int32(codes.InvalidArgument), Message: "interop: rejected on purpose"},
	})
	tdName := "spiffe://" + trustDomainOf(own.id)
	names = []string{"default", tdName}
	s.send("request after NACK", &discoveryv3.DiscoveryRequest{ResourceNames: names, VersionInfo: first.VersionInfo, ResponseNonce: second.Nonce})
	third := s.recv("response after NACK")
	got, gotNames = mustSecrets("response after NACK", third)
	expectNames("response after NACK", gotNames, names)
	if _, tdDomains, err := spiffeValidator(got[tdName]); err != nil || !slices.Equal(tdDomains, []string{trustDomainOf(own.id)}) {
		fail(tdName, fmt.Errorf("validator trust domains %v: %v", tdDomains, err))
	}
	report.AfterNackNames = gotNames
	record(&report, third)
	s.ack(names, third)

	// 4. A renewal arrives on the open stream as a new version with a new certificate.
	if waitRotation {
		current := mustSvid("default", got["default"])
		next := s.recv("renewal on the open stream")
		renewedSecrets, _ := mustSecrets("renewal", next)
		renewed := mustSvid("renewed default", renewedSecrets["default"])
		if next.VersionInfo == third.VersionInfo || renewed.leaf.SerialNumber.Cmp(current.leaf.SerialNumber) == 0 {
			fail("renewal", fmt.Errorf("version %q serial %s did not change", next.VersionInfo, renewed.leaf.SerialNumber))
		}
		if _, err := verifySpiffe(renewed.chain, pools, own.id); err != nil {
			fail("renewed SVID verifies against ROOTCA", err)
		}
		report.RotatedFrom = current.leaf.SerialNumber.String()
		report.RotatedTo = renewed.leaf.SerialNumber.String()
		record(&report, next)
		s.ack(names, next)
	}
	_ = s.call.CloseSend()

	// 5. FetchSecrets and DeltaSecrets.
	fetched, err := client.FetchSecrets(ctx, &discoveryv3.DiscoveryRequest{TypeUrl: secretTypeURL, Node: envoyNode("sidecar~fetch"), ResourceNames: []string{"default"}})
	if err != nil {
		fail("FetchSecrets", err)
	}
	got, report.FetchNames = mustSecrets("FetchSecrets", fetched)
	mustSvid("fetched default", got["default"])
	report.FetchNonce = fetched.Nonce
	report.DeltaCode = deltaCode(ctx, client)

	out, _ := json.Marshal(report)
	fmt.Fprintln(os.Stdout, string(out))
}

func deltaCode(ctx context.Context, client secretv3.SecretDiscoveryServiceClient) string {
	delta, err := client.DeltaSecrets(ctx)
	if err != nil {
		fail("DeltaSecrets", err)
	}
	_ = delta.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: secretTypeURL, ResourceNamesSubscribe: []string{"default"}})
	_, err = delta.Recv()
	return grpcstatus.Code(err).String()
}

func record(report *checkReport, resp *discoveryv3.DiscoveryResponse) {
	report.Versions = append(report.Versions, resp.VersionInfo)
	report.Nonces = append(report.Nonces, resp.Nonce)
}

func mustSecrets(check string, resp *discoveryv3.DiscoveryResponse) (map[string]*tlsv3.Secret, []string) {
	got, names, err := secrets(resp)
	if err != nil {
		fail(check, err)
	}
	return got, names
}

func mustSvid(check string, secret *tlsv3.Secret) *svid {
	if secret == nil {
		fail(check, fmt.Errorf("secret missing"))
	}
	parsed, err := tlsCertificate(secret)
	if err != nil {
		fail(check, err)
	}
	return parsed
}

func expectNames(check string, got, want []string) {
	if !slices.Equal(got, want) {
		fail(check, fmt.Errorf("secrets %v, want %v", got, want))
	}
}
