"""py-spiffe against conjur-spiffe-agent: fetch the X.509 context and check it with the library.

Reads SPIFFE_ENDPOINT_SOCKET like any py-spiffe user. Prints one JSON line on success; on a
failure prints one line naming the check and exits 1.
"""
import json
import sys

from cryptography import x509 as cx509
from cryptography.hazmat.primitives import serialization
from spiffe import WorkloadApiClient


def fail(check, error):
    print(f"py-spiffe: {check}: {error}", file=sys.stderr)
    sys.exit(1)


def main():
    try:
        client = WorkloadApiClient()
    except Exception as error:  # noqa: BLE001 - report any construction failure as the check
        fail("WorkloadApiClient", error)
    with client:
        try:
            context = client.fetch_x509_context()
        except Exception as error:  # noqa: BLE001
            fail("fetch_x509_context", error)
        svid = context.default_svid
        if svid is None:
            fail("default_svid", "no SVID in the context")
        leaf = svid.leaf
        # The library parsed the chain and key; check the key is the leaf's and the bundle verifies it.
        public_of_key = svid.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        public_of_leaf = leaf.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if public_of_key != public_of_leaf:
            fail("private key matches leaf", "public keys differ")
        bundle = context.x509_bundle_set.get_bundle_for_trust_domain(svid.spiffe_id.trust_domain)
        if bundle is None:
            fail("bundle for the SVID's trust domain", "missing")
        issuers = [a for a in bundle.x509_authorities if a.subject == leaf.issuer]
        if not issuers:
            fail("bundle verifies the chain", "no authority with the leaf's issuer name")
        try:
            leaf.verify_directly_issued_by(issuers[0])
        except Exception as error:  # noqa: BLE001
            fail("bundle verifies the chain", error)
        uris = leaf.extensions.get_extension_for_class(cx509.SubjectAlternativeName).value.get_values_for_type(
            cx509.UniformResourceIdentifier)
        if uris != [str(svid.spiffe_id)]:
            fail("single URI SAN equals the SPIFFE ID", uris)
        bundles = client.fetch_x509_bundles()
        if bundles.get_bundle_for_trust_domain(svid.spiffe_id.trust_domain) is None:
            fail("fetch_x509_bundles", "no bundle for the SVID's trust domain")
        print(json.dumps({
            "spiffeId": str(svid.spiffe_id),
            "hint": getattr(svid, "hint", None),
            "authorities": len(bundle.x509_authorities),
            "serial": str(leaf.serial_number),
        }))


if __name__ == "__main__":
    main()
