"""STI certificates: loading chains, RFC 8226 TNAuthList, and the facts a traceback needs.

An STI certificate (RFC 8226, ATIS-1000080 §6.4.1) names its holder through the
TNAuthList extension: a Service Provider Code (SPC, in the US the OCN) or, for
delegate certificates (RFC 9060, ATIS-1000092), telephone numbers and ranges.
:func:`cert_facts` pulls those and the subject, validity, policy and CRL facts out
of a :class:`cryptography.x509.Certificate`; :func:`lint` judges the certificate
against ATIS-1000080 and the SHAKEN Certificate Policy (warnings only).

Nothing here does I/O; malformed extensions become findings, never exceptions.
"""

from __future__ import annotations

import base64
import contextlib
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtensionOID, NameOID

from shakentrace._asn1 import (
    Asn1Error,
    decode_claim_constraints,
    decode_tn_auth_list,
    extension_values,
    without_null_ecdsa_params,
)
from shakentrace._x509 import (
    UNREADABLE_EXTENSIONS,
    attr,
    authority_key_id,
    extension,
    extension_value,
    fingerprint,
    is_ca,
    key_type,
    policy_oids,
    subject_key_id,
)
from shakentrace.errors import CertificateParseError
from shakentrace.reasons import Reason

__all__ = [
    "ENHANCED_JWT_CLAIM_CONSTRAINTS_OID",
    "JWT_CLAIM_CONSTRAINTS_OID",
    "MAX_CHAIN_BYTES",
    "MAX_CHAIN_CERTS",
    "SHAKEN_POLICY_OIDS",
    "TN_AUTH_LIST_OID",
    "CertFacts",
    "ClaimConstraints",
    "CrlDistributionPoint",
    "TNAuthList",
    "TNRange",
    "cert_facts",
    "claim_constraints",
    "crl_distribution_points",
    "fingerprint",
    "is_ca",
    "key_type",
    "lint",
    "load_chain",
    "null_ecdsa_params",
    "policy_oids",
    "tn_auth_list",
]

#: id-pe-TNAuthList (RFC 8226 §9).
TN_AUTH_LIST_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26")
#: id-pe-JWTClaimConstraints (RFC 8226 §8).
JWT_CLAIM_CONSTRAINTS_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.27")
#: id-pe-eJWTClaimConstraints (RFC 9118 §3).
ENHANCED_JWT_CLAIM_CONSTRAINTS_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.33")
#: US SHAKEN Certificate Policy OIDs by CP version (STI-PA; v1.1 is legacy).
SHAKEN_POLICY_OIDS: dict[str, str] = {
    "2.16.840.1.114569.1.1.1": "1.1",
    "2.16.840.1.114569.1.1.3": "1.3",
    "2.16.840.1.114569.1.1.4": "1.4",
}
#: Most certificates :func:`load_chain` accepts (leaf, intermediates, maybe a root).
MAX_CHAIN_CERTS = 8
#: Largest chain, in bytes, :func:`load_chain` accepts (the x5u size cap).
MAX_CHAIN_BYTES = 64 * 1024

_PEM_MARK = b"-----BEGIN CERTIFICATE-----"
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----")


def load_chain(
    data: bytes, *, max_certs: int = MAX_CHAIN_CERTS, max_bytes: int = MAX_CHAIN_BYTES
) -> tuple[x509.Certificate, ...]:
    """Load a certificate chain: PEM (leaf first, then intermediates) or one DER certificate.

    A certificate whose ECDSA signature algorithm carries NULL parameters (RFC 5758
    §3.2 forbids them; some real STI-CAs encode them, and cryptography 50 refuses
    such certificates) is loaded re-encoded without them, so its subject, key and
    extensions can be read and a trust list holding it still loads. Its issuer's
    signature covered the original encoding, so a path through it does not
    validate; :func:`null_ecdsa_params` tells which certificates were re-encoded.

    Args:
        data: The bytes served at an x5u URL, or read from a file.
        max_certs: Refuse chains with more certificates than this.
        max_bytes: Refuse inputs larger than this.

    Returns:
        The certificates in the order given (leaf first).

    Raises:
        CertificateParseError: Not a certificate, too large, too many certificates,
            or a certificate whose serial number, names or extensions cannot be read
            (not positive, undecodable, or an extension repeated).
    """
    count = _count(data, max_certs, max_bytes)
    if not count and not data.startswith(b"\x30"):  # DER starts with a SEQUENCE
        raise CertificateParseError(
            "no certificate: neither a PEM block (-----BEGIN CERTIFICATE-----) nor DER"
        )
    try:
        with warnings.catch_warnings():
            # cryptography warns, rather than refuses, on some non-conformant encodings
            # of real certificates; what matters is linted, and a warning must not
            # escape (or become an error under -W error).
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return _readable(_loaded(data, count))
    except (ValueError, x509.InvalidVersion) as exc:
        kind = "PEM" if count else "DER"
        raise CertificateParseError(f"not a {kind} certificate chain: {exc}") from None


def _loaded(data: bytes, count: int) -> tuple[x509.Certificate, ...]:
    if not count:
        return (_load_der(data),)
    try:
        return tuple(x509.load_pem_x509_certificates(data))
    except ValueError:
        chain = tuple(_load_der(der) for der in _pem_blocks(data))
    if not chain:  # a BEGIN line, but no block of base64 after it
        raise ValueError("no complete PEM certificate block")
    return chain


def _readable(chain: tuple[x509.Certificate, ...]) -> tuple[x509.Certificate, ...]:
    """``chain``, if every certificate's serial number, names and extensions can be read.

    cryptography parses these when first asked, so a certificate that loads can
    still fail (or warn) at every later use: one whose serial number is not
    positive or whose names do not parse (RFC 5280 §4.1.2), or that repeats an
    extension (§4.2), which makes cryptography refuse all of them. Such a chain
    is refused here, once, instead. A certificate whose extensions cryptography
    cannot read (a value that does not decode, a GeneralName type it does not
    support) is kept: its TNAuthList and the lints read the DER as encoded.

    Raises:
        ValueError: A certificate that cannot be read, saying which and why.
    """
    for position, cert in enumerate(chain):
        try:
            if cert.serial_number <= 0:  # cryptography warns at every read, then will refuse
                raise ValueError("its serial number is not positive (RFC 5280 §4.1.2.2)")
            cert.subject, cert.issuer  # noqa: B018 (parsed when read)
            with contextlib.suppress(*UNREADABLE_EXTENSIONS):  # read raw, and linted
                cert.extensions  # noqa: B018
        except (ValueError, TypeError, x509.DuplicateExtension) as exc:
            raise ValueError(f"certificate {position} cannot be read: {exc}") from None
    return chain


def null_ecdsa_params(
    data: bytes, *, max_certs: int = MAX_CHAIN_CERTS, max_bytes: int = MAX_CHAIN_BYTES
) -> tuple[int, ...]:
    """Positions (0 = leaf) of the certificates in a chain that encode NULL ECDSA parameters.

    These are the certificates :func:`load_chain` re-encodes.

    Raises:
        CertificateParseError: Too large, or too many certificates.
    """
    count = _count(data, max_certs, max_bytes)
    try:
        blocks = _pem_blocks(data) if count else [data]
    except ValueError:
        return ()
    return tuple(n for n, der in enumerate(blocks) if without_null_ecdsa_params(der) is not None)


def _count(data: bytes, max_certs: int, max_bytes: int) -> int:
    """The PEM certificates in ``data``, after checking the bounds."""
    if len(data) > max_bytes:
        raise CertificateParseError(f"chain is {len(data)} bytes, over the {max_bytes} limit")
    count = data.count(_PEM_MARK)
    if count > max_certs:
        raise CertificateParseError(f"chain has {count} certificates, over the {max_certs} limit")
    return count


def _pem_blocks(data: bytes) -> list[bytes]:
    """The DER of each PEM CERTIFICATE block (RFC 7468 §5)."""
    return [base64.b64decode(body) for body in _PEM_BLOCK.findall(data)]


def _load_der(der: bytes) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        bare = without_null_ecdsa_params(der)
        if bare is None:
            raise
        return x509.load_der_x509_certificate(bare)


_TN_CHARS = frozenset("0123456789#*")  # RFC 8224 §8.3: what a canonical TN holds


def _is_digits(text: str) -> bool:
    # ASCII only: str.isdigit() is true of "²", which int() refuses.
    return text.isascii() and text.isdigit()


@dataclass(frozen=True, slots=True, kw_only=True)
class TNRange:
    """A TelephoneNumberRange: ``count`` numbers starting at ``start`` (RFC 8226 §9).

    Attributes:
        start: The first number, digits as encoded.
        count: How many numbers the range holds.
    """

    start: str
    count: int

    def contains(self, tn: str) -> bool:
        """Tell whether the digit string ``tn`` falls inside the range (same length)."""
        if len(tn) != len(self.start) or not _is_digits(tn) or not _is_digits(self.start):
            return False
        return int(self.start) <= int(tn) < int(self.start) + self.count

    def to_dict(self) -> dict[str, Any]:
        """Return the range as JSON-safe data."""
        return {"start": self.start, "count": self.count}


@dataclass(frozen=True, slots=True, kw_only=True)
class TNAuthList:
    """The decoded TNAuthList extension (RFC 8226 §9).

    Attributes:
        spcs: Service Provider Codes (OCNs in the US); recovered from known
            malformed encodings too, with a finding.
        ranges: Telephone-number ranges (delegate certificates).
        tns: Single telephone numbers (delegate certificates).
        findings: What is wrong with the encoding; empty for a clean value.
        well_formed: Whether the value is valid RFC 8226 DER.
        encoding: ``"rfc8226"``, or the known malformation found:
            ``"ia5string"`` (bare IA5String, libstirshaken), ``"untagged-string"``
            (SPC without the ``[0]`` tag), ``"missing-length"`` (IA5String length
            byte missing), ``"undecodable"``.
        raw: The extension value as found in the certificate.
    """

    spcs: tuple[str, ...] = ()
    ranges: tuple[TNRange, ...] = ()
    tns: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    well_formed: bool = False
    encoding: str = "undecodable"
    raw: bytes = b""

    @classmethod
    def from_der(cls, der: bytes) -> TNAuthList:
        """Decode an extension value; malformed values give findings, never exceptions."""
        got = decode_tn_auth_list(der)
        return cls(
            spcs=got.spcs,
            ranges=tuple(TNRange(start=s, count=c) for s, c in got.ranges),
            tns=got.tns,
            findings=got.findings,
            well_formed=got.well_formed,
            encoding=got.encoding,
            raw=der,
        )

    @property
    def has_numbers(self) -> bool:
        """Whether the list authorizes numbers (TNs or ranges) rather than only an SPC."""
        return bool(self.tns or self.ranges)

    def covers(self, tn: str) -> bool:
        """Tell whether the telephone number ``tn`` is in the list's TNs or ranges.

        Only the digits of ``tn`` are compared (``+1 215…`` matches ``1215…``).
        """
        digits = "".join(ch for ch in tn if ch in _TN_CHARS)
        return digits in self.tns or any(r.contains(digits) for r in self.ranges)

    def to_dict(self) -> dict[str, Any]:
        """Return the list as JSON-safe data (``raw`` as hex)."""
        return {
            "spcs": list(self.spcs),
            "ranges": [r.to_dict() for r in self.ranges],
            "tns": list(self.tns),
            "findings": list(self.findings),
            "well_formed": self.well_formed,
            "encoding": self.encoding,
            "raw": self.raw.hex(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimConstraints:
    """JWTClaimConstraints (RFC 8226 §8) or EnhancedJWTClaimConstraints (RFC 9118 §3).

    Attributes:
        enhanced: ``True`` for the RFC 9118 form.
        must_include: Claims a PASSporT signed with this certificate must carry.
        permitted_values: ``(claim, values)`` pairs restricting claim values.
        must_exclude: Claims it must not carry (RFC 9118 only).
        findings: Decoding problems (the other fields are then empty).
    """

    enhanced: bool
    must_include: tuple[str, ...] = ()
    permitted_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    must_exclude: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the constraints as JSON-safe data."""
        return {
            "enhanced": self.enhanced,
            "must_include": list(self.must_include),
            "permitted_values": {c: list(v) for c, v in self.permitted_values},
            "must_exclude": list(self.must_exclude),
            "findings": list(self.findings),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CrlDistributionPoint:
    """One DistributionPoint of the CRL Distribution Points extension (RFC 5280 §4.2.1.13).

    Attributes:
        urls: The URIs of its fullName.
        crl_issuer: The cRLIssuer DN (RFC 4514 text) for indirect CRLs, if any.
        crl_issuer_name: The same DN as a :class:`cryptography.x509.Name`.
    """

    urls: tuple[str, ...] = ()
    crl_issuer: str | None = None
    crl_issuer_name: x509.Name | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the distribution point as JSON-safe data."""
        return {"urls": list(self.urls), "crl_issuer": self.crl_issuer}


@dataclass(frozen=True, slots=True, kw_only=True)
class CertFacts:
    """What a verifier and a traceback analyst want to know about an STI certificate.

    Attributes:
        subject: Subject DN (RFC 4514).
        issuer: Issuer DN (RFC 4514).
        spc: The first SPC of the TNAuthList (the OCN of the signer), if any.
        tn_auth: The decoded TNAuthList, or ``None`` when the extension is absent.
        organization: Subject O (the STI participant's legal name).
        common_name: Subject CN (``SHAKEN <SPC>`` under ATIS-1000080 v004+).
        serial_number: Subject serialNumber RDN (SHAKEN CP 1.3), not the certificate serial.
        country: Subject C.
        certificate_serial: The certificate's serial number, hex.
        not_before: Start of validity (aware UTC).
        not_after: End of validity (aware UTC).
        fingerprint: SHA-256 of the DER, lower-case hex.
        key_type: ``"ec:secp256r1"``, ``"rsa:2048"``, ``"ed25519"``…
        signature_algorithm: Dotted OID of the certificate's signature algorithm.
        policy_oids: Certificate policy OIDs, dotted.
        crl_distribution_points: The CRL distribution points.
        ski: Subject Key Identifier, hex.
        aki: Authority Key Identifier keyIdentifier, hex.
        is_ca: BasicConstraints cA (``False`` when absent).
        jwt_claim_constraints: RFC 8226 / RFC 9118 claim constraints, when present.
    """

    subject: str
    issuer: str
    spc: str | None
    tn_auth: TNAuthList | None
    organization: str | None
    common_name: str | None
    serial_number: str | None
    country: str | None
    certificate_serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str
    key_type: str
    signature_algorithm: str
    policy_oids: tuple[str, ...] = ()
    crl_distribution_points: tuple[CrlDistributionPoint, ...] = ()
    ski: str | None = None
    aki: str | None = None
    is_ca: bool = False
    jwt_claim_constraints: tuple[ClaimConstraints, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the facts as JSON-safe data (datetimes as ISO 8601)."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "spc": self.spc,
            "tn_auth": self.tn_auth.to_dict() if self.tn_auth else None,
            "organization": self.organization,
            "common_name": self.common_name,
            "serial_number": self.serial_number,
            "country": self.country,
            "certificate_serial": self.certificate_serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "fingerprint": self.fingerprint,
            "key_type": self.key_type,
            "signature_algorithm": self.signature_algorithm,
            "policy_oids": list(self.policy_oids),
            "crl_distribution_points": [d.to_dict() for d in self.crl_distribution_points],
            "ski": self.ski,
            "aki": self.aki,
            "is_ca": self.is_ca,
            "jwt_claim_constraints": [c.to_dict() for c in self.jwt_claim_constraints],
        }


def cert_facts(cert: x509.Certificate) -> CertFacts:
    """Extract the STI facts of ``cert``; never raises on odd extensions.

    Args:
        cert: Any X.509 certificate (usually the leaf of an x5u chain).
    """
    tn_auth = tn_auth_list(cert)
    return CertFacts(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        spc=tn_auth.spcs[0] if tn_auth and tn_auth.spcs else None,
        tn_auth=tn_auth,
        organization=attr(cert.subject, NameOID.ORGANIZATION_NAME),
        common_name=attr(cert.subject, NameOID.COMMON_NAME),
        serial_number=attr(cert.subject, NameOID.SERIAL_NUMBER),
        country=attr(cert.subject, NameOID.COUNTRY_NAME),
        certificate_serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint=fingerprint(cert),
        key_type=key_type(cert),
        signature_algorithm=cert.signature_algorithm_oid.dotted_string,
        policy_oids=policy_oids(cert),
        crl_distribution_points=crl_distribution_points(cert),
        ski=subject_key_id(cert),
        aki=authority_key_id(cert),
        is_ca=is_ca(cert),
        jwt_claim_constraints=claim_constraints(cert),
    )


def tn_auth_list(cert: x509.Certificate) -> TNAuthList | None:
    """Return the decoded TNAuthList of ``cert``, or ``None`` when it has none.

    Read from the certificate's DER as encoded, so it is found even when
    cryptography cannot read the certificate's other extensions.
    """
    found = extension_values(cert.tbs_certificate_bytes).get(TN_AUTH_LIST_OID.dotted_string)
    return TNAuthList.from_der(found[1]) if found is not None else None


def claim_constraints(cert: x509.Certificate) -> tuple[ClaimConstraints, ...]:
    """Return the RFC 8226 and RFC 9118 claim constraints of ``cert`` (possibly none)."""
    found: list[ClaimConstraints] = []
    for oid, enhanced in (
        (JWT_CLAIM_CONSTRAINTS_OID, False),
        (ENHANCED_JWT_CLAIM_CONSTRAINTS_OID, True),
    ):
        ext = extension(cert, oid)
        if ext is None or not isinstance(ext.value, x509.UnrecognizedExtension):
            continue
        try:
            raw = decode_claim_constraints(ext.value.value, enhanced=enhanced)
        except Asn1Error as exc:
            found.append(ClaimConstraints(enhanced=enhanced, findings=(str(exc),)))
            continue
        found.append(
            ClaimConstraints(
                enhanced=enhanced,
                must_include=raw.must_include,
                permitted_values=raw.permitted_values,
                must_exclude=raw.must_exclude,
            )
        )
    return tuple(found)


def crl_distribution_points(cert: x509.Certificate) -> tuple[CrlDistributionPoint, ...]:
    """Return the CRL distribution points of ``cert`` with their URLs and cRLIssuer."""
    value = extension_value(cert, ExtensionOID.CRL_DISTRIBUTION_POINTS)
    if not isinstance(value, x509.CRLDistributionPoints):
        return ()
    return tuple(_distribution_point(dp) for dp in value)


def _distribution_point(dp: x509.DistributionPoint) -> CrlDistributionPoint:
    urls = tuple(
        n.value for n in dp.full_name or () if isinstance(n, x509.UniformResourceIdentifier)
    )
    issuer = next((n.value for n in dp.crl_issuer or () if isinstance(n, x509.DirectoryName)), None)
    return CrlDistributionPoint(
        urls=urls,
        crl_issuer=issuer.rfc4514_string() if issuer else None,
        crl_issuer_name=issuer,
    )


def lint(
    cert: x509.Certificate, *, role: str = "leaf", facts: CertFacts | None = None
) -> tuple[Reason, ...]:
    """Judge ``cert`` against ATIS-1000080 v003–v005 and the SHAKEN CP 1.1–1.4.

    Every finding is a ``cert-nonconformant`` warning whose message starts with
    the lint id used by the public SHAKEN PKI reports (e.g.
    ``e_atis_subject_cn_spc``). Lints never fail a verification.

    Args:
        cert: The certificate to judge.
        role: ``"leaf"`` (end entity), ``"intermediate"`` or ``"root"``.
        facts: ``cert_facts(cert)`` if already computed.
    """
    from shakentrace._lints import run_lints

    return run_lints(cert, role=role, facts=facts)
