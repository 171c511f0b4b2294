"""CA certificates that encode NULL ECDSA parameters, checked over the bytes as issued.

RFC 5758 §3.2 says an ``ecdsa-with-SHA*`` AlgorithmIdentifier has no parameters;
some real STI-CAs (T-Mobile's issuing and root CAs) encode NULL, and
cryptography 50 refuses such certificates. :func:`shakentrace.certs.load_chain`
loads them re-encoded without the parameters, so the issuer's signature, made
over the original bytes, no longer matches and cryptography's path validation
fails at that link. :func:`vouched` finds the intermediates whose original
encoding a trusted root really signed; :class:`~shakentrace.trust.TrustStore`
then validates the rest of the path with them as anchors and names the link.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace._asn1 import tbs_with_null_ecdsa_params
from shakentrace._x509 import is_ca, public_key, signature_hash

__all__ = ["signed_as_issued", "vouched"]


def signed_as_issued(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer`` signed ``cert``'s TBSCertificate with NULL ECDSA parameters."""
    original = tbs_with_null_ecdsa_params(cert.tbs_certificate_bytes)
    key = public_key(issuer)
    algorithm = signature_hash(cert)
    if original is None or algorithm is None or not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(cert.signature, original, ec.ECDSA(algorithm))
    except InvalidSignature:
        return False
    return cert.issuer == issuer.subject


def vouched(
    intermediates: Iterable[x509.Certificate], roots: Iterable[x509.Certificate]
) -> dict[x509.Certificate, x509.Certificate]:
    """``{intermediate: root}`` for each CA certificate a root signed with NULL parameters."""
    roots = tuple(roots)
    found: dict[x509.Certificate, x509.Certificate] = {}
    for cert in intermediates:
        if not is_ca(cert):
            continue
        root = next((r for r in roots if signed_as_issued(cert, r)), None)
        if root is not None:
            found[cert] = root
    return found
