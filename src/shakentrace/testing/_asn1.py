"""DER encoding of RFC 8226 / RFC 9118 extension values (the testing package's pyasn1 adapter).

Only encoding lives here: decoding and judging TNAuthLists is
:mod:`shakentrace.certs`' job. The module is EXPLICIT-tagged (RFC 8226 App. A), so a
single SPC ``1234`` encodes as ``30 08 A0 06 16 04 "1234"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyasn1.codec.der.encoder import encode
from pyasn1.error import PyAsn1Error
from pyasn1.type import char
from pyasn1_modules import rfc8226

from shakentrace._asn1 import ENHANCED_JWT_CLAIM_CONSTRAINTS
from shakentrace.certs import ClaimConstraints
from shakentrace.errors import ConfigurationError

__all__ = [
    "TN_AUTH_LIST_OID",
    "encode_claim_constraints",
    "encode_ia5string",
    "encode_tn_auth_list",
]

#: id-pe-TNAuthList (RFC 8226 §9).
TN_AUTH_LIST_OID = str(rfc8226.id_pe_TNAuthList)


def encode_claim_constraints(rule: ClaimConstraints) -> bytes:
    """Return the DER of JWTClaimConstraints (RFC 8226 §8), or RFC 9118's enhanced form.

    ``rule.enhanced`` picks EnhancedJWTClaimConstraints (RFC 9118 §3).

    Raises:
        ConfigurationError: No constraint at all, ``must_exclude`` without
            ``enhanced``, an empty list of permitted values, or a claim name
            beyond ASCII.
    """
    if not (rule.must_include or rule.permitted_values or rule.must_exclude):
        raise ConfigurationError("JWT Claim Constraints need at least one constraint")
    if rule.must_exclude and not rule.enhanced:
        raise ConfigurationError("must_exclude needs the RFC 9118 form (enhanced=True)")
    if any(not values for _, values in rule.permitted_values):
        raise ConfigurationError("each permitted claim needs at least one value")
    spec = ENHANCED_JWT_CLAIM_CONSTRAINTS if rule.enhanced else rfc8226.JWTClaimConstraints()
    value = spec.clone()
    try:
        if rule.must_include:
            value["mustInclude"].extend(rule.must_include)
        if rule.must_exclude:
            value["mustExclude"].extend(rule.must_exclude)
        if rule.permitted_values:
            values_key = "values" if rule.enhanced else "permitted"
            listed = value["permittedValues"]
            for claim, permitted in rule.permitted_values:
                entry = listed.componentType.clone()
                entry["claim"] = claim
                entry[values_key].extend(permitted)
                listed.append(entry)
        return bytes(encode(value))
    except PyAsn1Error as exc:
        raise ConfigurationError(f"JWT Claim Constraints: {exc}") from None


def encode_tn_auth_list(
    *,
    spcs: Sequence[str] = (),
    tns: Sequence[str] = (),
    ranges: Sequence[tuple[str, int]] = (),
) -> bytes:
    """Return the DER of a TNAuthorizationList with the given entries, in that order.

    Args:
        spcs: Service provider codes (``spc [0]`` entries).
        tns: Single telephone numbers (``one [2]`` entries).
        ranges: ``(start, count)`` pairs (``range [1]`` entries; RFC 8226 wants
            ``count >= 2`` but any value is encoded, to build defective lists).

    Raises:
        ConfigurationError: No entry at all, or a value the ASN.1 types refuse.
    """
    if not (spcs or tns or ranges):
        raise ConfigurationError(
            "a TNAuthList needs an SPC, a TN or a range (RFC 8226); the 'empty-tnauthlist'"
            " deviation makes an empty one"
        )
    tn_list = rfc8226.TNAuthorizationList()
    for spc in spcs:
        entry = rfc8226.TNEntry()
        _set(entry, "spc", spc, "an SPC is an IA5String (ATIS-1000080: the OCN)")
        tn_list.append(entry)
    for start, count in ranges:
        entry = rfc8226.TNEntry()
        _set(entry["range"], "start", start, _TN_RULE)
        _set(entry["range"], "count", count, "a range count is a whole number")
        tn_list.append(entry)
    for tn in tns:
        entry = rfc8226.TNEntry()
        _set(entry, "one", tn, _TN_RULE)
        tn_list.append(entry)
    try:
        return bytes(encode(tn_list))
    except PyAsn1Error:  # IA5 is checked on encoding: an SPC beyond ASCII
        raise ConfigurationError(f"TNAuthList spcs {list(spcs)!r}: SPCs are ASCII") from None


_TN_RULE = "a TN is 1 to 15 of 0-9, # and * (RFC 8226 TelephoneNumber)"


def _set(entry: Any, name: str, value: object, rule: str) -> None:
    """``entry[name] = value``, pyasn1's refusal (a KeyError or PyAsn1Error) mapped to ours."""
    try:
        entry[name] = value
    except (KeyError, PyAsn1Error):
        raise ConfigurationError(f"TNAuthList {name} {value!r}: {rule}") from None


def encode_ia5string(text: str) -> bytes:
    """Return the DER of a bare IA5String (libstirshaken's non-RFC 8226 TNAuthList)."""
    return bytes(encode(char.IA5String(text)))
