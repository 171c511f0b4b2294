"""The STI certificate profile: OIDs, named deviations, deterministic key material.

ATIS-1000080 §6.4.1 (v003-v005) and the US SHAKEN Certificate Policy, as data and
small builders used by :mod:`shakentrace.testing._ca`.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shakentrace.errors import ConfigurationError

__all__ = [
    "DEVIATIONS",
    "OLD_CP_OID",
    "SHAKEN_CP_OID",
    "Deviation",
    "Seeder",
    "key_usage",
    "name",
    "policies",
    "utc",
]

#: US SHAKEN Certificate Policy v1.3 (STI-PA); v1.1 is ``…1.1.1``, v1.4 ``…1.1.4``.
SHAKEN_CP_OID = "2.16.840.1.114569.1.1.3"
OLD_CP_OID = "2.16.840.1.114569.1.1.1"
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

Deviation = Literal[
    "no-tnauthlist",
    "empty-tnauthlist",
    "tnauthlist-ia5string",
    "tnauthlist-critical",
    "ca-leaf",
    "no-basic-constraints",
    "no-key-usage",
    "key-cert-sign",
    "rsa-key",
    "p384-key",
    "no-policy",
    "old-policy",
    "no-crl-dp",
    "cn-format",
    "short-serial",
    "issued-by-root",
    "self-signed",
]

#: Every deviation :meth:`StiCA.issue_cert` knows, with the rule it breaks.
DEVIATIONS: dict[str, str] = {
    "no-tnauthlist": "no TNAuthList extension (RFC 8226 §9; ATIS-1000080 §6.4.1)",
    "empty-tnauthlist": "TNAuthList is an empty SEQUENCE (RFC 8226: SIZE (1..MAX))",
    "tnauthlist-ia5string": "TNAuthList is a bare IA5String URL (libstirshaken's encoding)",
    "tnauthlist-critical": "TNAuthList marked critical",
    "ca-leaf": "end-entity BasicConstraints says CA:TRUE",
    "no-basic-constraints": "no BasicConstraints extension",
    "no-key-usage": "no KeyUsage extension",
    "key-cert-sign": "end-entity KeyUsage is keyCertSign, not digitalSignature",
    "rsa-key": "RSA-2048 subject key instead of P-256 (ATIS-1000080: id-ecPublicKey P-256)",
    "p384-key": "P-384 subject key (ES256 needs P-256)",
    "no-policy": "no CertificatePolicies extension (SHAKEN CP)",
    "old-policy": "CP v1.1 OID 2.16.840.1.114569.1.1.1, rejected by current lints",
    "no-crl-dp": "no CRL Distribution Points extension",
    "cn-format": "subject CN is not 'SHAKEN <SPC>'",
    "short-serial": "serial number 1 (ATIS-1000080 v005: at least 64 bits of CSPRNG output)",
    "issued-by-root": "issued directly by the root (no intermediate in the chain)",
    "self-signed": "self-signed end-entity certificate (chains to no STI-CA)",
}


class Seeder:
    """Deterministic key and serial material from a seed (random without one)."""

    def __init__(self, seed: int | str | bytes | None) -> None:
        if isinstance(seed, int):
            seed = str(seed)
        self.seed = seed.encode() if isinstance(seed, str) else seed

    @property
    def deterministic(self) -> bool:
        return self.seed is not None

    def _digest(self, label: str) -> bytes:
        assert self.seed is not None
        return hmac.new(self.seed, label.encode(), hashlib.sha256).digest()

    def ec_key(self, label: str, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
        if self.seed is None:
            return ec.generate_private_key(curve)
        # Below the P-256 order, hence valid on P-256 and P-384 alike.
        scalar = int.from_bytes(self._digest("key:" + label)) % (_P256_ORDER - 1) + 1
        return ec.derive_private_key(scalar, curve)

    def serial(self, label: str) -> int:
        if self.seed is None:
            return x509.random_serial_number()
        # 120 bits, top bit clear: positive and at least 64 bits (ATIS-1000080 v005).
        return int.from_bytes(self._digest("serial:" + label)[:15]) | (1 << 118)


def utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ConfigurationError(f"{what} must be an aware datetime (UTC)")
    return moment.astimezone(UTC).replace(microsecond=0)


def name(org: str, cn: str, country: str = "US", serial: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ]
    if serial is not None:
        # SHAKEN CP 1.3 §3.1: end-entity subjects carry a serialNumber attribute.
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attributes)


def key_usage(
    *, sign: bool = False, cert_sign: bool = False, crl_sign: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )


def policies(oid: str) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(oid), None)])
