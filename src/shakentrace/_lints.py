"""ATIS-1000080 v003–v005 and SHAKEN CP 1.1–1.4 lints (see :func:`shakentrace.certs.lint`).

The lints are a table: lint id (the names used by the public SHAKEN PKI reports,
so findings can be compared with them), the certificate role it applies to, the
date from which it applies (certificates issued before a rule took effect are not
judged by it — ATIS-1000080 gives CAs 90 days after each version), and a check
returning a message or ``None``. Each finding becomes a ``cert-nonconformant``
warning ``"<lint id>: <message> (<source>)"``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID, NameOID

from shakentrace._asn1 import extension_values
from shakentrace._x509 import UNREADABLE_EXTENSIONS, public_key
from shakentrace.certs import TN_AUTH_LIST_OID, CertFacts, cert_facts
from shakentrace.reasons import Reason

__all__ = ["LINTS", "Lint", "run_lints"]

# Publication + 90 days (ATIS-1000080 v003 2020-09-04, v004 2021-10-18, v005
# 2022-12-12); CP 1.3 approved 2021-08-18 (+145 days); CP 1.4 2023-06-06 (+90).
V003 = datetime(2020, 9, 4, tzinfo=UTC) + timedelta(days=90)
V004 = datetime(2021, 10, 18, tzinfo=UTC) + timedelta(days=90)
V005 = datetime(2022, 12, 12, tzinfo=UTC) + timedelta(days=90)
CP13 = datetime(2021, 8, 18, tzinfo=UTC) + timedelta(days=145)
ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)

CP_1_1, CP_1_3, CP_1_4 = (f"2.16.840.1.114569.1.1.{n}" for n in (1, 3, 4))
_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
_ECDSA_SHA384 = "1.2.840.10045.4.3.3"
_SPC = re.compile(r"[0-9A-Z]+")
_SPECIFIED = {
    ExtensionOID.BASIC_CONSTRAINTS.dotted_string,
    ExtensionOID.KEY_USAGE.dotted_string,
    ExtensionOID.CERTIFICATE_POLICIES.dotted_string,
    ExtensionOID.CRL_DISTRIBUTION_POINTS.dotted_string,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER.dotted_string,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string,
    TN_AUTH_LIST_OID.dotted_string,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Cert:
    """What the checks look at: the certificate, its facts, its extensions as encoded."""

    cert: x509.Certificate
    facts: CertFacts
    raw: dict[str, tuple[bool, bytes]]

    def ext(self, oid: x509.ObjectIdentifier) -> tuple[bool, bytes] | None:
        return self.raw.get(oid.dotted_string)


Check = Callable[[_Cert], str | None]
_E = TypeVar("_E", bound=x509.ExtensionType)


@dataclass(frozen=True, slots=True, kw_only=True)
class Lint:
    """One conformance rule.

    Attributes:
        id: The lint id (as in the SHAKEN PKI reports).
        roles: The certificate roles it applies to.
        since: Certificates with notBefore on or after this are judged.
        source: The rule's origin (document and section).
        check: Returns what is wrong, or ``None``.
    """

    id: str
    roles: frozenset[str]
    since: datetime
    source: str
    check: Check


def run_lints(
    cert: x509.Certificate, *, role: str = "leaf", facts: CertFacts | None = None
) -> tuple[Reason, ...]:
    """Return the ``cert-nonconformant`` warnings for ``cert`` in ``role``."""
    facts = facts or cert_facts(cert)
    view = _Cert(cert=cert, facts=facts, raw=extension_values(cert.tbs_certificate_bytes))
    found: list[Reason] = []
    for rule in LINTS:
        if role not in rule.roles or cert.not_valid_before_utc < rule.since:
            continue
        message = rule.check(view)
        if message is not None:
            text = f"{rule.id}: {message} ({rule.source})"
            found.append(Reason.of("cert-nonconformant", text, severity="warning"))
    return tuple(found)


def _version(c: _Cert) -> str | None:
    return None if c.cert.version is x509.Version.v3 else "certificate is not X.509 v3"


def _basic_constraints(c: _Cert) -> str | None:
    ext = c.ext(ExtensionOID.BASIC_CONSTRAINTS)
    if ext is None:
        return "no BasicConstraints extension"
    return None if ext[0] else "BasicConstraints is not critical"


def _key_usage(c: _Cert) -> str | None:
    ext = c.ext(ExtensionOID.KEY_USAGE)
    if ext is None:
        return "no KeyUsage extension"
    return None if ext[0] else "KeyUsage is not critical"


def _key_usage_ee(c: _Cert) -> str | None:
    value = _value(c.cert, x509.KeyUsage)
    if value is None:
        return None
    others = [n for n in _KU_NAMES if n != "digital_signature" and getattr(value, n)]
    if value.digital_signature and not others:
        return None
    return "KeyUsage shall be a single digitalSignature, has " + ", ".join(others or ["none"])


def _ku_encoding(c: _Cert) -> str | None:
    # DER (X.690 §11.2.2): a named bit list drops trailing zero bits, so the
    # "unused bits" count equals the trailing zeros of the last byte.
    ext = c.ext(ExtensionOID.KEY_USAGE)
    if ext is None:
        return None
    der = ext[1]
    if len(der) < 3 or der[0] != 0x03 or der[1] != len(der) - 2:
        return "KeyUsage is not a DER BIT STRING"
    unused, data = der[2], der[3:]
    if not data or data[-1] == 0:
        return "KeyUsage BIT STRING has no set bit or a trailing zero byte"
    trailing = (data[-1] & -data[-1]).bit_length() - 1
    return None if trailing == unused else f"KeyUsage unused bits {unused}, expected {trailing}"


def _policies(c: _Cert) -> str | None:
    ext = c.ext(ExtensionOID.CERTIFICATE_POLICIES)
    if ext is None:
        return "no CertificatePolicies extension"
    if ext[0]:
        return "CertificatePolicies is critical"
    count = len(c.facts.policy_oids)
    return None if count == 1 else f"CertificatePolicies holds {count} OIDs, not one"


def _policy_id(c: _Cert) -> str | None:
    oids = c.facts.policy_oids
    if CP_1_3 in oids or CP_1_4 in oids:
        return None
    return f"no SHAKEN CP OID {CP_1_3} or {CP_1_4} (has {', '.join(oids) or 'none'})"


def _crl_dp(c: _Cert) -> str | None:
    return None if c.facts.crl_distribution_points else "no CRL Distribution Points extension"


def _crl_dp_struct(c: _Cert) -> str | None:
    # v004+: one DistributionPoint with a distributionPoint name and a cRLIssuer.
    # As in the public reports, applied to certificates issued under CP 1.4.
    value = _value(c.cert, x509.CRLDistributionPoints)
    if value is None or CP_1_4 not in c.facts.policy_oids:
        return None
    first = value[0]
    if first.full_name is None and first.relative_name is None:
        return "the DistributionPoint has no distributionPoint name"
    if first.reasons is not None:
        return "the DistributionPoint has a reasons field"
    return None if first.crl_issuer else "the DistributionPoint has no cRLIssuer"


def _aki(c: _Cert) -> str | None:
    return None if c.ext(ExtensionOID.AUTHORITY_KEY_IDENTIFIER) else "no AuthorityKeyIdentifier"


def _aki_key_id(c: _Cert) -> str | None:
    return None if c.facts.aki else "AuthorityKeyIdentifier has no keyIdentifier"


def _ski(c: _Cert) -> str | None:
    return None if c.facts.ski else "no SubjectKeyIdentifier"


def _ski_size(c: _Cert) -> str | None:
    size = len(c.facts.ski or "") * 4
    return None if size == 160 else f"SubjectKeyIdentifier is {size} bits, not 160"


def _tn_auth_list(c: _Cert) -> str | None:
    tn_auth = c.facts.tn_auth
    if tn_auth is None:
        return "no TNAuthList extension"
    if not tn_auth.well_formed:
        return "TNAuthList does not decode: " + "; ".join(tn_auth.findings)
    if len(tn_auth.spcs) != 1 or tn_auth.has_numbers:
        return "TNAuthList shall hold exactly one SPC and no TNs"
    return None


def _spc_format(c: _Cert) -> str | None:
    tn_auth = c.facts.tn_auth
    if tn_auth is None:
        return None
    if tn_auth.encoding == "untagged-string":
        return "the SPC is not an IA5String tagged [0]"
    bad = [s for s in tn_auth.spcs if not _SPC.fullmatch(s)]
    if tn_auth.encoding != "rfc8226" or not bad:
        return None
    return f"SPC {bad[0]!r} is not upper-case letters and digits"


def _cn_spc(c: _Cert) -> str | None:
    tn_auth = c.facts.tn_auth
    if tn_auth is None or not tn_auth.well_formed or not tn_auth.spcs:
        return "no SPC can be read from the TNAuthList for the CN"
    wanted = f"SHAKEN {tn_auth.spcs[0]}"
    common_name = c.facts.common_name or ""
    return None if wanted in common_name else f"CN {common_name!r} lacks {wanted!r}"


def _subject_sn(c: _Cert) -> str | None:
    if CP_1_3 not in c.facts.policy_oids or c.facts.serial_number:
        return None
    return "subject has no serialNumber attribute (CP 1.3)"


def _signature_algorithm(c: _Cert) -> str | None:
    alg = c.facts.signature_algorithm
    if alg == _ECDSA_SHA256 or (alg == _ECDSA_SHA384 and CP_1_4 in c.facts.policy_oids):
        return None
    return f"signature algorithm {alg} is not ecdsa-with-SHA256"


def _public_key(c: _Cert) -> str | None:
    key = public_key(c.cert)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return None
    return f"subject key is {c.facts.key_type}, not id-ecPublicKey P-256"


def _serial_size(c: _Cert) -> str | None:
    bits = c.cert.serial_number.bit_length()
    return None if bits >= 64 else f"serial number has {bits} bits, fewer than 64"


def _not_specified(c: _Cert) -> str | None:
    extra = sorted(set(c.raw) - _SPECIFIED)
    return None if not extra else "extensions not specified by ATIS-1000080: " + ", ".join(extra)


def _no_tn_auth_list(c: _Cert) -> str | None:
    return "a CA certificate carries a TNAuthList" if c.facts.tn_auth else None


def _ca_key_usage(c: _Cert) -> str | None:
    value = _value(c.cert, x509.KeyUsage)
    return None if value is not None and value.key_cert_sign else "KeyUsage lacks keyCertSign"


def _subject_attrs(c: _Cert) -> str | None:
    missing = [
        label
        for label, oid in (
            ("C", NameOID.COUNTRY_NAME),
            ("O", NameOID.ORGANIZATION_NAME),
            ("CN", NameOID.COMMON_NAME),
        )
        if not c.cert.subject.get_attributes_for_oid(oid)
    ]
    return None if not missing else "subject lacks " + ", ".join(missing)


_KU_NAMES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


def _value(cert: x509.Certificate, kind: type[_E]) -> _E | None:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except UNREADABLE_EXTENSIONS:
        return None


_A3 = "ATIS-1000080 v003 §6.4.1"
_A4 = "ATIS-1000080 v004 §6.4.1"
_A5 = "ATIS-1000080 v005 §6.4.1"
_LEAF = frozenset({"leaf"})
_CA = frozenset({"intermediate", "root"})
_ANY = frozenset({"leaf", "intermediate", "root"})
_SUB = frozenset({"leaf", "intermediate"})


def _rule(lint_id: str, roles: frozenset[str], since: datetime, source: str, check: Check) -> Lint:
    return Lint(id=lint_id, roles=roles, since=since, source=source, check=check)


#: Every lint, in report order.
LINTS: tuple[Lint, ...] = (
    _rule("e_atis_version", _ANY, V003, _A3, _version),
    _rule("e_atis_ext_basic_constraints", _ANY, V003, _A3, _basic_constraints),
    _rule("e_atis_ext_key_usage", _ANY, V003, _A3, _key_usage),
    _rule("e_atis_ext_key_usage_ee", _LEAF, V003, _A3, _key_usage_ee),
    _rule("e_atis_ext_key_usage_ca", _CA, V003, _A3, _ca_key_usage),
    _rule("e_incorrect_ku_encoding", _ANY, ALWAYS, "X.690 §11.2.2 (DER)", _ku_encoding),
    _rule("e_atis_ext_certificate_policies", _SUB, V003, _A3, _policies),
    _rule("e_shaken_certificate_policies_id", _SUB, CP13, "SHAKEN CP 1.3/1.4 §1.2", _policy_id),
    _rule("e_atis_ext_crl_distribution", _SUB, V003, _A3, _crl_dp),
    _rule("e_atis_ext_crl_distribution_struct", _SUB, V004, _A4, _crl_dp_struct),
    _rule("e_atis_ext_authority_key_identifier", _SUB, V003, _A3, _aki),
    _rule("e_ext_authority_key_identifier_missing", _SUB, ALWAYS, "RFC 5280 §4.2.1.1", _aki),
    _rule(
        "e_ext_authority_key_identifier_no_key_identifier",
        _SUB,
        ALWAYS,
        "RFC 5280 §4.2.1.1",
        _aki_key_id,
    ),
    _rule("e_atis_subject_key_identifier", _ANY, V003, _A3, _ski),
    _rule("e_atis_subject_key_identifier_size", _ANY, V003, _A5, _ski_size),
    _rule("w_ext_subject_key_identifier_missing_sub_cert", _LEAF, ALWAYS, "RFC 5280", _ski),
    _rule("e_atis_tn_auth_list", _LEAF, V003, _A5, _tn_auth_list),
    _rule("e_atis_tn_auth_list_spc_format", _LEAF, V003, _A5, _spc_format),
    _rule("e_atis_tn_auth_list_ca", _CA, V005, _A5, _no_tn_auth_list),
    _rule("e_atis_subject_cn_spc", _LEAF, V004, _A4, _cn_spc),
    _rule("e_atis_subject", _ANY, V003, _A3, _subject_attrs),
    _rule("e_us_cp_subject_sn_shall", _LEAF, CP13, "SHAKEN CP 1.3 §3.1", _subject_sn),
    _rule("e_atis_signature_algorithm", _ANY, V003, _A3 + "; CP 1.4 §6.1.5", _signature_algorithm),
    _rule("e_atis_subject_public_key", _LEAF, V003, _A3, _public_key),
    _rule("e_atis_serial_number_size", _ANY, V005, _A5, _serial_size),
    _rule("e_atis_ext_not_specified", _LEAF, V005, _A5, _not_specified),
)
