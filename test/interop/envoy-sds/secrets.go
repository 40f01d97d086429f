package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
)

const (
	spiffeValidatorName    = "envoy.tls.cert_validator.spiffe"
	spiffeValidatorTypeURL = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig"
)

// secrets unpacks every resource of a response into Envoy's own Secret type, by name.
func secrets(resp *discoveryv3.DiscoveryResponse) (map[string]*tlsv3.Secret, []string, error) {
	byName := map[string]*tlsv3.Secret{}
	var names []string
	for _, resource := range resp.Resources {
		if resource.TypeUrl != "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret" {
			return nil, nil, fmt.Errorf("resource type URL %q", resource.TypeUrl)
		}
		secret := &tlsv3.Secret{}
		if err := resource.UnmarshalTo(secret); err != nil {
			return nil, nil, fmt.Errorf("unmarshal Secret: %w", err)
		}
		// Envoy's own validation rules (protoc-gen-validate), as Envoy applies them to SDS answers.
		if err := secret.ValidateAll(); err != nil {
			return nil, nil, fmt.Errorf("Secret %q fails Envoy's validation: %w", secret.Name, err)
		}
		byName[secret.Name] = secret
		names = append(names, secret.Name)
	}
	return byName, names, nil
}

func inlineBytes(source *corev3.DataSource) ([]byte, error) {
	if source == nil {
		return nil, fmt.Errorf("no data source")
	}
	inline, ok := source.Specifier.(*corev3.DataSource_InlineBytes)
	if !ok {
		return nil, fmt.Errorf("data source is %T, not inline_bytes", source.Specifier)
	}
	return inline.InlineBytes, nil
}

// svid is what Envoy builds from a tls_certificate Secret: tls.X509KeyPair checks the key matches.
type svid struct {
	certificate tls.Certificate
	leaf        *x509.Certificate
	chain       []*x509.Certificate
	id          string
}

func tlsCertificate(secret *tlsv3.Secret) (*svid, error) {
	tc := secret.GetTlsCertificate()
	if tc == nil {
		return nil, fmt.Errorf("secret %q has no tls_certificate", secret.Name)
	}
	chainPEM, err := inlineBytes(tc.CertificateChain)
	if err != nil {
		return nil, fmt.Errorf("certificate_chain: %w", err)
	}
	keyPEM, err := inlineBytes(tc.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("private_key: %w", err)
	}
	certificate, err := tls.X509KeyPair(chainPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("key does not match certificate: %w", err)
	}
	chain, err := parseCertificates(chainPEM)
	if err != nil {
		return nil, err
	}
	leaf := chain[0]
	if len(leaf.URIs) != 1 || leaf.URIs[0].Scheme != "spiffe" {
		return nil, fmt.Errorf("leaf has URI SANs %v, want one SPIFFE ID", leaf.URIs)
	}
	return &svid{certificate: certificate, leaf: leaf, chain: chain, id: leaf.URIs[0].String()}, nil
}

func parseCertificates(pemBytes []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := pemBytes; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, cert)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no PEM certificate")
	}
	return out, nil
}

// spiffeValidator returns the trust domains of a validation_context that uses Envoy's SPIFFE
// certificate validator: each trust domain name with its own CA pool.
func spiffeValidator(secret *tlsv3.Secret) (map[string]*x509.CertPool, []string, error) {
	vc := secret.GetValidationContext()
	if vc == nil {
		return nil, nil, fmt.Errorf("secret %q has no validation_context", secret.Name)
	}
	custom := vc.CustomValidatorConfig
	if custom == nil || custom.Name != spiffeValidatorName {
		return nil, nil, fmt.Errorf("secret %q: custom_validator_config is %v, want %s", secret.Name, custom, spiffeValidatorName)
	}
	if custom.TypedConfig.GetTypeUrl() != spiffeValidatorTypeURL {
		return nil, nil, fmt.Errorf("typed_config type URL %q", custom.TypedConfig.GetTypeUrl())
	}
	config := &tlsv3.SPIFFECertValidatorConfig{}
	if err := custom.TypedConfig.UnmarshalTo(config); err != nil {
		return nil, nil, fmt.Errorf("unmarshal SPIFFECertValidatorConfig: %w", err)
	}
	if err := config.ValidateAll(); err != nil {
		return nil, nil, fmt.Errorf("SPIFFECertValidatorConfig fails Envoy's validation: %w", err)
	}
	pools := map[string]*x509.CertPool{}
	var names []string
	for _, domain := range config.TrustDomains {
		if strings.HasPrefix(domain.Name, "spiffe://") {
			return nil, nil, fmt.Errorf("trust domain name %q has the spiffe:// prefix Envoy refuses", domain.Name)
		}
		bundle, err := inlineBytes(domain.TrustBundle)
		if err != nil {
			return nil, nil, fmt.Errorf("trust_bundle of %s: %w", domain.Name, err)
		}
		cas, err := parseCertificates(bundle)
		if err != nil {
			return nil, nil, fmt.Errorf("trust_bundle of %s: %w", domain.Name, err)
		}
		pool := x509.NewCertPool()
		for _, ca := range cas {
			pool.AddCert(ca)
		}
		pools[domain.Name] = pool
		names = append(names, domain.Name)
	}
	return pools, names, nil
}

// verifySpiffe is what Envoy's SPIFFE validator does with a peer chain: pick the bundle of the
// trust domain in the leaf's SPIFFE ID, verify the chain against it alone, then (like
// match_typed_subject_alt_names) require the exact SPIFFE ID when one is configured.
func verifySpiffe(chain []*x509.Certificate, pools map[string]*x509.CertPool, wantID string) (string, error) {
	if len(chain) == 0 {
		return "", fmt.Errorf("no peer certificate")
	}
	leaf := chain[0]
	if len(leaf.URIs) != 1 || leaf.URIs[0].Scheme != "spiffe" {
		return "", fmt.Errorf("peer has URI SANs %v, want one SPIFFE ID", leaf.URIs)
	}
	id := leaf.URIs[0]
	pool, ok := pools[id.Host]
	if !ok {
		return "", fmt.Errorf("no trust bundle for trust domain %q", id.Host)
	}
	intermediates := x509.NewCertPool()
	for _, cert := range chain[1:] {
		intermediates.AddCert(cert)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", fmt.Errorf("chain does not verify against the %s bundle: %w", id.Host, err)
	}
	if wantID != "" && id.String() != wantID {
		return "", fmt.Errorf("unexpected SPIFFE ID %q, want %q", id.String(), wantID)
	}
	return id.String(), nil
}

func trustDomainOf(id string) string {
	parsed, err := url.Parse(id)
	if err != nil {
		return ""
	}
	return parsed.Host
}
