"""CRL loading and revocation checks for :mod:`shakentrace.trust` (RFC 5280 §5, §6.3).

A certificate is revoked when a CRL whose signature verifies lists its serial,
the CRL being issued either by the certificate's issuer (a direct CRL) or by the
cRLIssuer its CRL Distribution Point names (an indirect CRL, as the STI-PA CRL
is under ATIS-1000080 v004+). Entries of an indirect CRL that carry a
certificateIssuer extension must name the certificate's issuer; the
carry-forward rule of RFC 5280 §5.3.3 is not applied.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from shakentrace._x509 import public_key
from shakentrace.certs import crl_distribution_points
from shakentrace.errors import CertificateParseError

__all__ = ["Revocation", "find_revocation", "load_crls", "signature_valid"]

_PEM_CRL = b"-----BEGIN X509 CRL-----"
_PEM_END = b"-----END X509 CRL-----"


def load_crls(data: bytes) -> tuple[x509.CertificateRevocationList, ...]:
    """Load one DER CRL or any number of PEM CRLs.

    Raises:
        CertificateParseError: The bytes are not CRLs.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            if _PEM_CRL not in data:
                crls: tuple[x509.CertificateRevocationList, ...] = (x509.load_der_x509_crl(data),)
            else:
                crls = tuple(x509.load_pem_x509_crl(block) for block in _pem_blocks(data))
            return tuple(_readable(crl) for crl in crls)
    except (ValueError, TypeError, x509.InvalidVersion) as exc:
        raise CertificateParseError(f"not a CRL: {exc}", code="crl-malformed") from None


def _readable(crl: x509.CertificateRevocationList) -> x509.CertificateRevocationList:
    """``crl``, if its issuer and every entry (serial, date, extensions) can be read.

    cryptography parses them when first asked, so a CRL that loads could raise
    later, while judging a chain; such a CRL is refused here, once, instead.

    Raises:
        ValueError: A part of ``crl`` cannot be read.
    """
    try:
        crl.issuer, crl.extensions  # noqa: B018 (parsed when read)
        for entry in crl:
            entry.serial_number, entry.revocation_date_utc, entry.extensions  # noqa: B018
    except (x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise ValueError(f"unreadable: {exc}") from None
    return crl


def _pem_blocks(data: bytes) -> Iterable[bytes]:
    start = data.find(_PEM_CRL)
    while start != -1:
        end = data.find(_PEM_END, start)
        if end == -1:
            raise ValueError("unterminated PEM CRL")
        yield data[start : end + len(_PEM_END)]
        start = data.find(_PEM_CRL, end)


@dataclass(frozen=True, slots=True, kw_only=True)
class Revocation:
    """A CRL entry that revokes a certificate.

    Attributes:
        serial: The revoked certificate serial, hex.
        revoked_at: The revocation date (aware UTC).
        crl_issuer: The DN of the CRL that lists it.
    """

    serial: str
    revoked_at: datetime
    crl_issuer: str


def signature_valid(crl: x509.CertificateRevocationList, signer: x509.Certificate) -> bool:
    """Tell whether ``signer``'s key verifies ``crl``'s signature."""
    key = public_key(signer)
    if not isinstance(
        key,
        ec.EllipticCurvePublicKey
        | rsa.RSAPublicKey
        | dsa.DSAPublicKey
        | ed25519.Ed25519PublicKey
        | ed448.Ed448PublicKey,
    ):
        return False
    return crl.issuer == signer.subject and crl.is_signature_valid(key)


def find_revocation(
    cert: x509.Certificate,
    crls: Sequence[x509.CertificateRevocationList],
) -> Revocation | None:
    """Return the entry revoking ``cert`` in the (already verified) ``crls``, if any."""
    indirect = {dp.crl_issuer_name for dp in crl_distribution_points(cert) if dp.crl_issuer_name}
    for crl in crls:
        if crl.issuer != cert.issuer and crl.issuer not in indirect:
            continue
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is None or not _names_issuer(entry, cert.issuer, crl.issuer):
            continue
        return Revocation(
            serial=format(cert.serial_number, "x"),
            revoked_at=entry.revocation_date_utc,
            crl_issuer=crl.issuer.rfc4514_string(),
        )
    return None


def _names_issuer(entry: x509.RevokedCertificate, issuer: x509.Name, crl_issuer: x509.Name) -> bool:
    try:
        ext = entry.extensions.get_extension_for_class(x509.CertificateIssuer)
    except x509.ExtensionNotFound:
        return True
    names = ext.value.get_values_for_type(x509.DirectoryName)
    return issuer in names or (not names and issuer == crl_issuer)
