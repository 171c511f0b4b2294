"""The JWS header of a PASSporT: decoded, judged, and kept per signer.

A signer's JWS header is the same text on every call it signs, so
:func:`jose_header` decodes and judges it once (``crit``, embedded keys, ``typ``,
``x5u``, RFC 8225 §9 form) and keeps the result by the segment's text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shakentrace import _jose
from shakentrace._jsonseg import json_segment
from shakentrace.claims import FrozenMap, PassportLimits
from shakentrace.reasons import Reason

__all__ = ["EMBEDDED_KEY_PARAMS", "Jose", "jose_header", "repeat_findings"]

#: JWS header parameters that carry a key; a verifier never uses them (RFC 8725 §3.10).
EMBEDDED_KEY_PARAMS: tuple[str, ...] = ("jwk", "jku", "x5c")


def _header_findings(header: Mapping[str, Any], canonical: bool) -> list[Reason]:
    findings = [
        Reason.of("passport-malformed", problem) for problem in _jose.critical_problems(header)
    ]
    for name in EMBEDDED_KEY_PARAMS:
        if name in header:
            findings.append(
                Reason.of("embedded-key", f"JWS header carries {name}; ignored (RFC 8725 §3.10)")
            )
    if header.get("typ") != "passport":
        findings.append(
            Reason.of("passport-malformed", f"typ is {header.get('typ')!r}, not 'passport'")
        )
    if not isinstance(header.get("x5u"), str):
        findings.append(Reason.of("passport-malformed", "no x5u in the JWS header (RFC 8225 §4)"))
    if not canonical:
        findings.append(Reason.of("noncanonical-json", "JWS header is not in RFC 8225 §9 form"))
    return findings


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def repeat_findings(what: str, names: tuple[str, ...]) -> tuple[Reason, ...]:
    # RFC 7515 §4: reject, or use the last; two readers could then disagree on
    # what was signed, so report it as an error (and keep the last).
    return (Reason.of("passport-malformed", f"{what} repeats {', '.join(names)}"),) if names else ()


@dataclass(frozen=True, slots=True)
class Jose:
    """A decoded JWS header, what it names, and the findings about it."""

    header: FrozenMap
    repeats: tuple[Reason, ...]
    findings: tuple[Reason, ...]
    alg: str | None
    typ: str | None
    ppt: str | None
    x5u: str | None
    size: int

    @classmethod
    def of(
        cls, header: dict[str, Any], size: int, repeats: tuple[str, ...], canonical: bool
    ) -> Jose:
        return cls(
            header=FrozenMap(header),
            repeats=repeat_findings("JWS header", repeats),
            findings=tuple(_header_findings(header, canonical)),
            alg=_str(header.get("alg")),
            typ=_str(header.get("typ")),
            ppt=_str(header.get("ppt")),
            x5u=_str(header.get("x5u")),
            size=size,
        )


# A signer's JWS header is the same text on every call: decoded once, kept by
# its segment text. Only all-string headers are kept (nothing mutable is shared),
# and their decoding depends on the limits only through the size checked below.
_JOSE_CACHE: dict[str, Jose] = {}
_JOSE_CACHE_SIZE = 256


def jose_header(segment: str, limits: PassportLimits) -> Jose:
    found = _JOSE_CACHE.get(segment)
    if found is not None and found.size <= limits.max_json_bytes and limits.max_json_depth >= 1:
        return found
    header, data, repeats, canonical = json_segment(segment, "JWS header", limits)
    jose = Jose.of(header, len(data), repeats, canonical)
    if all(type(v) is str for v in header.values()):
        if len(_JOSE_CACHE) >= _JOSE_CACHE_SIZE:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):
                del _JOSE_CACHE[next(iter(_JOSE_CACHE))]  # the oldest entry
        _JOSE_CACHE[segment] = jose
    return jose
