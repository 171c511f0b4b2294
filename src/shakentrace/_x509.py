"""Plain X.509 field extraction for :mod:`shakentrace.certs` (no STI types here)."""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtensionOID

__all__ = [
    "UNREADABLE_EXTENSIONS",
    "attr",
    "authority_key_id",
    "extension",
    "extension_value",
    "fingerprint",
    "is_ca",
    "key_type",
    "policy_oids",
    "public_key",
    "signature_hash",
    "subject_key_id",
]


#: What cryptography raises when it cannot read a certificate's (or a CRL entry's)
#: extensions: an undecodable value, or a GeneralName type it does not support
#: (x400Address, ediPartyName). It then reads none of them; the raw DER still can be.
UNREADABLE_EXTENSIONS: tuple[type[Exception], ...] = (ValueError, x509.UnsupportedGeneralNameType)


def fingerprint(cert: x509.Certificate) -> str:
    """Return the SHA-256 fingerprint of ``cert``'s DER as lower-case hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def public_key(cert: x509.Certificate) -> object | None:
    """``cert``'s public key, or ``None`` if cryptography cannot load it (unknown curve or type)."""
    try:
        return cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def signature_hash(cert: x509.Certificate) -> hashes.HashAlgorithm | None:
    """The hash of ``cert``'s signature algorithm; ``None`` if unknown to cryptography or none."""
    try:
        return cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None


def key_type(cert: x509.Certificate) -> str:
    """Describe ``cert``'s public key: ``"ec:secp256r1"``, ``"rsa:2048"``, ``"ed25519"``…"""
    try:
        key = cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # unknown curve or algorithm
        return f"unsupported:{exc}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ec:{key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"rsa:{key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "ed448"
    return type(key).__name__


def policy_oids(cert: x509.Certificate) -> tuple[str, ...]:
    """Return the certificate policy OIDs of ``cert`` (dotted)."""
    value = extension_value(cert, ExtensionOID.CERTIFICATE_POLICIES)
    if not isinstance(value, x509.CertificatePolicies):
        return ()
    return tuple(p.policy_identifier.dotted_string for p in value)


def is_ca(cert: x509.Certificate) -> bool:
    """Tell whether ``cert`` says BasicConstraints cA=TRUE."""
    value = extension_value(cert, ExtensionOID.BASIC_CONSTRAINTS)
    return isinstance(value, x509.BasicConstraints) and value.ca


def subject_key_id(cert: x509.Certificate) -> str | None:
    """Return the Subject Key Identifier of ``cert`` as hex, if any."""
    value = extension_value(cert, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    return value.digest.hex() if isinstance(value, x509.SubjectKeyIdentifier) else None


def authority_key_id(cert: x509.Certificate) -> str | None:
    """Return the AKI keyIdentifier of ``cert`` as hex, if any."""
    value = extension_value(cert, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    if isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier:
        return value.key_identifier.hex()
    return None


def attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    """Return the first attribute ``oid`` of ``name`` as text, if any."""
    attrs = name.get_attributes_for_oid(oid)
    return str(attrs[0].value) if attrs else None


def extension(
    cert: x509.Certificate, oid: x509.ObjectIdentifier
) -> x509.Extension[x509.ExtensionType] | None:
    """Return ``cert``'s extension ``oid``; ``None`` if absent or undecodable."""
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None
    except UNREADABLE_EXTENSIONS:
        return None


def extension_value(
    cert: x509.Certificate, oid: x509.ObjectIdentifier
) -> x509.ExtensionType | None:
    """Return the value of ``cert``'s extension ``oid``, if present."""
    ext = extension(cert, oid)
    return ext.value if ext is not None else None
