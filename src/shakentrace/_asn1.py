"""The pyasn1 adapter: RFC 8226 / RFC 9118 extension values in, plain Python out.

This is the only module of :mod:`shakentrace` (outside ``shakentrace.testing``)
that imports pyasn1. Every pyasn1 exception becomes a finding string or a
:class:`Asn1Error`; nothing pyasn1-typed leaves this module.

TNAuthList (RFC 8226 §9, App. A, ``DEFINITIONS EXPLICIT TAGS``)::

    TNAuthorizationList ::= SEQUENCE SIZE (1..MAX) OF TNEntry
    TNEntry ::= CHOICE { spc [0] ServiceProviderCode,
                         range [1] TelephoneNumberRange,
                         one [2] TelephoneNumber }

Real certificates break it in a few known ways (vectors/peers NOTES §6): a bare
IA5String (libstirshaken), a PrintableString SPC without the ``[0]`` tag
(Telonium), an IA5String whose length byte is missing (GBSDTech). Those are
recovered where the intent is unambiguous and always reported as findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyasn1.codec.der.decoder import decode as der_decode
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, constraint, namedtype, tag, univ
from pyasn1_modules import rfc8226

__all__ = [
    "ENHANCED_JWT_CLAIM_CONSTRAINTS",
    "Asn1Error",
    "RawClaimConstraints",
    "RawTNAuthList",
    "decode_claim_constraints",
    "decode_tn_auth_list",
    "extension_values",
    "tbs_with_null_ecdsa_params",
    "without_null_ecdsa_params",
]

_MAX = float("inf")
# GBSDTech: 30 08 A0 06 16 <SPC> — the IA5String length byte is missing.
_TELEPHONE_NUMBER = re.compile(r"[0-9#*]{1,15}")
_MISSING_LENGTH = re.compile(rb"\x30(.)\xa0(.)\x16([\x20-\x7e]{1,16})", re.DOTALL)


class Asn1Error(Exception):
    """A value that does not decode (message says why); raised by this adapter only."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawTNAuthList:
    """Decoded TNAuthList entries, before :mod:`shakentrace.certs` wraps them."""

    spcs: tuple[str, ...] = ()
    ranges: tuple[tuple[str, int], ...] = ()
    tns: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    well_formed: bool = False
    encoding: str = "undecodable"


@dataclass(frozen=True, slots=True, kw_only=True)
class RawClaimConstraints:
    """Decoded (Enhanced)JWTClaimConstraints (RFC 8226 §8, RFC 9118 §3)."""

    must_include: tuple[str, ...] = ()
    permitted_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    must_exclude: tuple[str, ...] = ()


def decode_tn_auth_list(der: bytes) -> RawTNAuthList:
    """Decode a TNAuthList extension value; never raises.

    Args:
        der: The extension's ``extnValue`` contents.

    Returns:
        The entries; ``well_formed`` is true only for a clean RFC 8226 DER value.
    """
    try:
        value, rest = der_decode(der, asn1Spec=rfc8226.TNAuthorizationList())
    except (PyAsn1Error, ValueError, TypeError):
        return _recover(der, "DER is not an RFC 8226 TNAuthorizationList")
    if rest:
        return _recover(der, f"{len(rest)} trailing bytes after the TNAuthorizationList")
    return _entries(value)


def _entries(value: univ.SequenceOf) -> RawTNAuthList:
    spcs: list[str] = []
    ranges: list[tuple[str, int]] = []
    tns: list[str] = []
    for entry in value:
        name = entry.getName()
        if name == "spc":
            spcs.append(str(entry["spc"]))
        elif name == "range":
            ranges.append((str(entry["range"]["start"]), int(entry["range"]["count"])))
        else:
            tns.append(str(entry["one"]))
    findings = _constraint_findings(spcs, ranges, tns)
    return RawTNAuthList(
        spcs=tuple(spcs),
        ranges=tuple(ranges),
        tns=tuple(tns),
        findings=findings,
        well_formed=not findings,
        encoding="rfc8226",
    )


def extension_values(tbs_der: bytes) -> dict[str, tuple[bool, bytes]]:
    """Return ``{oid: (critical, extnValue)}`` of a TBSCertificate, as encoded.

    cryptography re-encodes the extensions it understands; lints on the exact
    encoding (e.g. KeyUsage's BIT STRING) need the bytes as found. A small DER
    walker (RFC 5280 §4.1: extensions are the ``[3]`` field of the TBSCertificate)
    is used rather than pyasn1, which is ~50x slower on a whole certificate. An
    undecodable TBSCertificate gives an empty mapping.
    """
    try:
        fields = _children(_tlv(tbs_der, 0, 0x30)[1])
        wrapper = next((body for tag, body in fields if tag == 0xA3), None)
        if wrapper is None:
            return {}
        found: dict[str, tuple[bool, bytes]] = {}
        for tag, body in _children(_tlv(wrapper, 0, 0x30)[1]):
            parts = _children(body)
            if tag != 0x30 or not 2 <= len(parts) <= 3 or parts[0][0] != 0x06:
                return {}
            critical = len(parts) == 3 and parts[1] == (0x01, b"\xff")
            found[_oid(parts[0][1])] = (critical, parts[-1][1])
        return found
    except (IndexError, ValueError):
        return {}


# ecdsa-with-SHA224/256/384/512 (RFC 5758 §3.2), whose AlgorithmIdentifier
# must omit the parameters.
_ECDSA_OID_BODIES = frozenset(
    bytes.fromhex(f"2a8648ce3d04030{n}") for n in (1, 2, 3, 4)
)  # fmt: skip


def without_null_ecdsa_params(der: bytes) -> bytes | None:
    """Re-encode a certificate whose ECDSA signature algorithm carries NULL parameters.

    RFC 5758 §3.2 says the parameters MUST be absent; some real STI-CAs encode
    NULL, and cryptography 50 refuses such certificates. The two
    AlgorithmIdentifiers (the TBSCertificate's ``signature`` and the outer
    ``signatureAlgorithm``) are re-encoded without them and every other byte is
    kept. The issuer's signature covered the original TBSCertificate, so the
    result no longer verifies against its issuer as it stands;
    :func:`tbs_with_null_ecdsa_params` gives back the bytes the issuer signed.

    Returns:
        The re-encoded DER, or ``None`` when ``der`` is not a certificate with
        NULL ECDSA parameters.
    """
    try:
        fields = _children(_tlv(der, 0, 0x30)[1])
        if len(fields) != 3 or fields[0][0] != 0x30:
            return None
        tbs = _children(fields[0][1])
        at = 1 if tbs and tbs[0][0] == 0xA0 else 0  # the optional [0] version
        outer, inner = _bare_ecdsa(fields[1]), _bare_ecdsa(tbs[at + 1])
    except (IndexError, ValueError):
        return None
    if outer is None or inner is None:
        return None
    tbs[at + 1] = inner
    body = _der(0x30, b"".join(_der(t, v) for t, v in tbs)) + _der(*outer) + _der(*fields[2])
    return _der(0x30, body)


def tbs_with_null_ecdsa_params(tbs_der: bytes) -> bytes | None:
    """A TBSCertificate as a CA that encodes NULL ECDSA parameters would have signed it.

    The inverse of :func:`without_null_ecdsa_params` on the TBSCertificate: the
    ``signature`` AlgorithmIdentifier gets its NULL parameters back, so that the
    issuer's signature over the original bytes can be checked.

    Returns:
        The TBSCertificate with NULL parameters, or ``None`` when its signature
        algorithm is not a parameterless ``ecdsa-with-SHA*``.
    """
    try:
        tbs = _children(_tlv(tbs_der, 0, 0x30)[1])
        at = 1 if tbs and tbs[0][0] == 0xA0 else 0  # the optional [0] version
        tag, body = tbs[at + 1]
        parts = _children(body) if tag == 0x30 else []
    except (IndexError, ValueError):
        return None
    if len(parts) != 1 or parts[0][0] != 0x06 or parts[0][1] not in _ECDSA_OID_BODIES:
        return None
    tbs[at + 1] = (0x30, _der(*parts[0]) + _der(0x05, b""))
    return _der(0x30, b"".join(_der(t, v) for t, v in tbs))


def _bare_ecdsa(field: tuple[int, bytes]) -> tuple[int, bytes] | None:
    """An ``ecdsa-with-SHA*`` AlgorithmIdentifier with NULL parameters, without them."""
    parts = _children(field[1]) if field[0] == 0x30 else []
    if len(parts) == 2 and parts[0][0] == 0x06 and parts[0][1] in _ECDSA_OID_BODIES:
        return (0x30, _der(*parts[0])) if parts[1] == (0x05, b"") else None
    return None


def _der(tag: int, body: bytes) -> bytes:
    """Encode one DER TLV (definite length, short or long form)."""
    size = len(body)
    if size < 0x80:
        return bytes((tag, size)) + body
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(octets))) + octets + body


def _tlv(data: bytes, at: int, want: int | None = None) -> tuple[int, bytes, int]:
    """Read one DER TLV at ``at``: ``(tag, contents, next offset)``."""
    tag, length, at = data[at], data[at + 1], at + 2
    if want is not None and tag != want:
        raise ValueError(f"tag {tag:#x}, expected {want:#x}")
    if length & 0x80:
        count = length & 0x7F
        if not 1 <= count <= 4:
            raise ValueError("bad DER length")
        length, at = int.from_bytes(data[at : at + count], "big"), at + count
    if at + length > len(data):
        raise ValueError("DER value runs past its container")
    return tag, data[at : at + length], at + length


def _children(data: bytes) -> list[tuple[int, bytes]]:
    out: list[tuple[int, bytes]] = []
    at = 0
    while at < len(data):
        tag, body, at = _tlv(data, at)
        out.append((tag, body))
    return out


def _oid(body: bytes) -> str:
    arcs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise ValueError("empty OID")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(n) for n in (first, arcs[0] - 40 * first, *arcs[1:]))


def _constraint_findings(
    spcs: list[str], ranges: list[tuple[str, int]], tns: list[str]
) -> tuple[str, ...]:
    """RFC 8226 App. A constraints that the DER decoder does not enforce."""
    found: list[str] = []
    if not (spcs or ranges or tns):
        found.append("empty TNAuthorizationList (RFC 8226: SIZE (1..MAX))")
    for tn in (*tns, *(start for start, _ in ranges)):
        if not _TELEPHONE_NUMBER.fullmatch(tn):
            found.append(f"TelephoneNumber {tn!r} is not 1-15 of 0-9 # *")
    found.extend(f"range count {count} is below 2" for _, count in ranges if count < 2)
    return tuple(found)


def _recover(der: bytes, why: str) -> RawTNAuthList:
    """Salvage the SPC of the malformed encodings seen in real certificates."""
    for encoding, kind in (
        ("ia5string", _bare_string),
        ("untagged-string", _untagged_string),
        ("missing-length", _missing_length),
    ):
        got = kind(der)
        if got is not None:
            text, how = got
            spcs = (text,) if text else ()
            return RawTNAuthList(spcs=spcs, findings=(why, how), encoding=encoding)
    return RawTNAuthList(findings=(why,))


def _bare_string(der: bytes) -> tuple[str, str] | None:
    # libstirshaken writes a bare IA5String (often a URL) instead of a SEQUENCE.
    text = _decode_string(der, char.IA5String())
    if text is None:
        return None
    return "", f"bare IA5String {text!r} instead of a SEQUENCE (libstirshaken encoding)"


def _untagged_string(der: bytes) -> tuple[str, str] | None:
    # Telonium: SEQUENCE { PrintableString "755J" } — no [0] tag, wrong string type.
    spec = univ.SequenceOf(componentType=char.PrintableString())
    try:
        value, rest = der_decode(der, asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError):
        return None
    if rest or len(value) != 1:
        return None
    text = str(value[0])
    return text, f"SPC {text!r} is a PrintableString without the [0] tag"


def _missing_length(der: bytes) -> tuple[str, str] | None:
    match = _MISSING_LENGTH.fullmatch(der)
    # The outer lengths are right for the intended encoding, one byte longer than what is there.
    if match is None or (match.group(1)[0], match.group(2)[0]) != (len(der) - 1, len(der) - 3):
        return None
    text = match.group(3).decode("ascii")
    return text, f"IA5String length byte missing before SPC {text!r}"


def _decode_string(der: bytes, spec: char.AbstractCharacterString) -> str | None:
    try:
        value, rest = der_decode(der, asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError):
        return None
    return None if rest else str(value)


def _ctx(number: int) -> tag.Tag:
    return tag.Tag(tag.tagClassContext, tag.tagFormatSimple, number)


# RFC 9118 §3 (EXPLICIT tags): JWTClaimValues ::= SEQUENCE { claim JWTClaimName,
# values SEQUENCE SIZE (1..MAX) OF UTF8String }.
_CLAIM_VALUES = univ.Sequence(
    componentType=namedtype.NamedTypes(
        namedtype.NamedType("claim", rfc8226.JWTClaimName()),
        namedtype.NamedType(
            "values",
            univ.SequenceOf(componentType=char.UTF8String()).subtype(
                sizeSpec=constraint.ValueSizeConstraint(1, _MAX)
            ),
        ),
    )
)
#: EnhancedJWTClaimConstraints ::= SEQUENCE { mustInclude [0], permittedValues [1],
#: mustExclude [2] } (RFC 9118 §3); the testing package encodes with it too.
ENHANCED_JWT_CLAIM_CONSTRAINTS = univ.Sequence(
    componentType=namedtype.NamedTypes(
        namedtype.OptionalNamedType(
            "mustInclude", rfc8226.JWTClaimNames().subtype(explicitTag=_ctx(0))
        ),
        namedtype.OptionalNamedType(
            "permittedValues",
            univ.SequenceOf(componentType=_CLAIM_VALUES).subtype(explicitTag=_ctx(1)),
        ),
        namedtype.OptionalNamedType(
            "mustExclude", rfc8226.JWTClaimNames().subtype(explicitTag=_ctx(2))
        ),
    )
)


def decode_claim_constraints(der: bytes, *, enhanced: bool) -> RawClaimConstraints:
    """Decode JWTClaimConstraints (RFC 8226) or EnhancedJWTClaimConstraints (RFC 9118).

    Args:
        der: The extension's ``extnValue`` contents.
        enhanced: ``True`` for the RFC 9118 extension (1.3.6.1.5.5.7.1.33).

    Raises:
        Asn1Error: The value does not decode.
    """
    spec = ENHANCED_JWT_CLAIM_CONSTRAINTS if enhanced else rfc8226.JWTClaimConstraints()
    values_key = "values" if enhanced else "permitted"
    try:
        value, rest = der_decode(der, asn1Spec=spec)
    except (PyAsn1Error, ValueError, TypeError) as exc:
        raise Asn1Error(_first_line(exc)) from None
    if rest:
        raise Asn1Error(f"{len(rest)} trailing bytes")
    return RawClaimConstraints(
        must_include=_names(value, "mustInclude"),
        permitted_values=tuple(
            (str(pv["claim"]), tuple(str(v) for v in pv[values_key]))
            for pv in _present(value, "permittedValues")
        ),
        must_exclude=_names(value, "mustExclude") if enhanced else (),
    )


def _present(value: univ.Sequence, name: str) -> tuple[univ.Asn1Item, ...]:
    component = value.getComponentByName(name)
    return tuple(component) if component.isValue else ()


def _names(value: univ.Sequence, name: str) -> tuple[str, ...]:
    return tuple(str(n) for n in _present(value, name))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
