"""The usual SHAKEN payload, read by one regular expression.

Nearly every SHAKEN PASSporT a verifier sees carries exactly the five RFC 8588
claims, serialised canonically (RFC 8225 §9) by its signer:
``{"attest":"A","dest":{"tn":["…"]},"iat":…,"orig":{"tn":"…"},"origid":"<uuid>"}``.
Text of exactly that shape is canonical JSON with no repeated name, and its
claims are well formed, so :func:`usual_payload` builds the decoded object
directly instead of scanning the JSON, re-encoding it to prove its form and
checking each claim. Anything else, even one space, goes the general way; the
tests hold the two to the same answer.
"""

from __future__ import annotations

import re
from typing import Any

from shakentrace.claims import PassportLimits

__all__ = ["usual_payload"]

_TN = r"[0-9*#]+"
_PAYLOAD = re.compile(
    rf'\{{"attest":"(?P<attest>[ABC])","dest":\{{"tn":\[(?P<dest>"{_TN}"(?:,"{_TN}")*)\]\}},'
    rf'"iat":(?P<iat>0|-?[1-9][0-9]{{0,11}}),"orig":\{{"tn":"(?P<orig>{_TN})"\}},'
    r'"origid":"(?P<origid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}'
    r'-[0-9a-fA-F]{12})"\}'
)
# Objects and arrays in that shape: the top level, dest, its tn array, orig.
_NESTING = 4

Usual = tuple[int, str, tuple[str, ...], str, str]


def usual_payload(data: bytes, limits: PassportLimits) -> tuple[dict[str, Any], Usual] | None:
    """The decoded claims and ``(iat, orig_tn, dest_tns, attest, origid)``, else ``None``.

    ``None`` unless ``data`` is the usual SHAKEN payload in canonical form with
    ``dest.tn`` sorted, within the depth bound; then the general decoder would
    give the same object and find nothing to report.
    """
    if limits.max_json_depth < _NESTING or not data.isascii():
        return None
    match = _PAYLOAD.fullmatch(data.decode("ascii"))
    if match is None:
        return None
    attest, dest, iat_text, orig, origid = match.group("attest", "dest", "iat", "orig", "origid")
    dest_tns = dest[1:-1].split('","')
    if len(dest_tns) > 1 and dest_tns != sorted(dest_tns):
        return None
    iat = int(iat_text)
    claims = {
        "attest": attest,
        "dest": {"tn": dest_tns},
        "iat": iat,
        "orig": {"tn": orig},
        "origid": origid,
    }
    return claims, (iat, orig, tuple(dest_tns), attest, origid)
