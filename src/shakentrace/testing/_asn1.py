"""DER encoding of RFC 8226 TNAuthList values (the testing package's pyasn1 adapter).

Only encoding lives here: decoding and judging TNAuthLists is
:mod:`shakentrace.certs`' job. The module is EXPLICIT-tagged (RFC 8226 App. A), so a
single SPC ``1234`` encodes as ``30 08 A0 06 16 04 "1234"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyasn1.codec.der.encoder import encode
from pyasn1.type import char
from pyasn1_modules import rfc8226

__all__ = ["TN_AUTH_LIST_OID", "encode_ia5string", "encode_tn_auth_list"]

#: id-pe-TNAuthList (RFC 8226 §9).
TN_AUTH_LIST_OID = str(rfc8226.id_pe_TNAuthList)


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
    """
    tn_list = rfc8226.TNAuthorizationList()
    for spc in spcs:
        entry = rfc8226.TNEntry()
        entry["spc"] = spc
        tn_list.append(entry)
    for start, count in ranges:
        entry = rfc8226.TNEntry()
        entry["range"]["start"] = start
        entry["range"]["count"] = count
        tn_list.append(entry)
    for tn in tns:
        entry = rfc8226.TNEntry()
        entry["one"] = tn
        tn_list.append(entry)
    return bytes(encode(tn_list))


def encode_ia5string(text: str) -> bytes:
    """Return the DER of a bare IA5String (libstirshaken's non-RFC 8226 TNAuthList)."""
    return bytes(encode(char.IA5String(text)))
