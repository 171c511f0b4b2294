"""The JSON segments of a PASSporT: strict decoding, duplicates and RFC 8225 §9 form.

:func:`json_segment` decodes one base64url segment into a JSON object and says
which member names were repeated and whether the bytes are the canonical
serialisation (sorted keys, no whitespace, UTF-8). A signer's output is almost
always canonical, so it first tries a shortcut: the C scanner without a pairs
hook, then one C-encoder pass compared with the received text. Equal text proves
both facts at once (a canonical serialisation of a ``dict`` cannot repeat a
name); anything else goes through the general decoder, which finds them itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from json import encoder as _encoder
from typing import Any

from shakentrace import _jose
from shakentrace.claims import PassportLimits
from shakentrace.errors import PassportParseError

__all__ = ["canonical_json", "canonical_text", "json_object", "json_segment", "segment_bytes"]


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Serialize ``value`` as RFC 8225 §9 asks: sorted keys, no whitespace, UTF-8."""
    return _CANONICAL.encode(value).encode()


def canonical_text(value: Any) -> str:
    """:func:`canonical_json` before UTF-8 encoding (lone surrogates stay as they are).

    Any decoded JSON value, not only an object (a claim's value, say).
    """
    return _CANONICAL.encode(value)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _not_json(value: Any) -> Any:  # pragma: no cover - decoded JSON holds JSON types only
    raise TypeError(f"{type(value).__name__} is not JSON")


# The C encoder that JSONEncoder.encode builds on every call, built once. No
# circularity markers: a value fresh out of the JSON decoder cannot be circular.
_CANONICAL_C = (
    _encoder.c_make_encoder(  # type: ignore[attr-defined]
        None, _not_json, _encoder.encode_basestring, None, ":", ",", True, False, True
    )
    if _encoder.c_make_encoder is not None  # type: ignore[attr-defined]
    else None
)


class _Members:
    """``object_pairs_hook`` that keeps the last duplicate and remembers it."""

    def __init__(self) -> None:
        self.duplicates: list[str] = []

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            names = [k for k, _ in pairs]
            self.duplicates += [k for k in set(names) if names.count(k) > 1]
        return result


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    # 1e400 is valid JSON grammar but no number (RFC 8259 §6): Python would read
    # it as inf, the value the NaN/Infinity constants are refused for above.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:24]} is out of range")
    return value


_SCAN = json.JSONDecoder(  # type: ignore[attr-defined]
    parse_constant=_reject_constant, parse_float=_finite
).scan_once


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels in ``value``.

    Iterative: since Python 3.12 the JSON decoder nests far deeper than the
    interpreter's recursion limit, so a recursive walk could not follow it.
    """
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def json_segment(
    segment: str, what: str, limits: PassportLimits
) -> tuple[dict[str, Any], bytes, tuple[str, ...], bool]:
    """Decode a base64url segment holding a JSON object.

    Returns:
        The object, the decoded bytes, the member names given more than once
        (the last value is kept), and whether the bytes are in RFC 8225 §9 form.

    Raises:
        PassportParseError: Not strict base64url, not a JSON object, too large
            or too deep.
    """
    return json_object(segment_bytes(segment, what, limits), what, limits)


def segment_bytes(segment: str, what: str, limits: PassportLimits) -> bytes:
    """The bytes of a base64url segment, within ``limits.max_json_bytes``.

    Raises:
        PassportParseError: Not strict base64url, or too large.
    """
    data = _jose.b64url_decode(segment, what=what)
    if len(data) > limits.max_json_bytes:
        raise PassportParseError(f"{what} is larger than {limits.max_json_bytes} bytes")
    return data


def json_object(
    data: bytes, what: str, limits: PassportLimits
) -> tuple[dict[str, Any], bytes, tuple[str, ...], bool]:
    """:func:`json_segment` after :func:`segment_bytes`."""
    nesting = data.count(b"{") + data.count(b"[")
    if nesting <= limits.max_json_depth:
        quick = _canonical_object(data)
        if quick is not None:
            return quick, data, (), True
    return _general(data, what, limits, nesting)


def _canonical_object(data: bytes) -> dict[str, Any] | None:
    """The object, if ``data`` is one in canonical form (then no name repeats)."""
    try:
        text = data.decode("utf-8")
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return None
    if end != len(text) or type(value) is not dict or _CANONICAL_C is None:
        return None
    return value if "".join(_CANONICAL_C(value, 0)) == text else None


def _general(
    data: bytes, what: str, limits: PassportLimits, nesting: int
) -> tuple[dict[str, Any], bytes, tuple[str, ...], bool]:
    members = _Members()
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=members,
            parse_constant=_reject_constant,
            parse_float=_finite,
        )
    except (ValueError, RecursionError) as exc:
        raise PassportParseError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PassportParseError(f"{what} is JSON but not an object")
    if nesting > limits.max_json_depth and _deeper_than(value, limits.max_json_depth):
        raise PassportParseError(f"{what} nests deeper than {limits.max_json_depth}")
    # Compared as text: a lone surrogate (a legal JSON escape) has no UTF-8 form,
    # so such a value is not canonical rather than an encoding error.
    canonical = not members.duplicates and canonical_text(value) == data.decode("utf-8")
    return value, data, tuple(sorted(set(members.duplicates))), canonical
