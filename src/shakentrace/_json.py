"""The JSON-lines adapter: the only module that imports orjson.

``inspect``, ``verify`` and ``trace`` print one compact JSON object per message,
and on a large capture encoding those lines was the largest single cost of
``inspect --json`` (about 45 of 140 µs a message with the standard library's
encoder; orjson takes about 8). orjson refuses a few values the standard library
writes (an integer beyond 64 bits, a string with a lone surrogate, a key that is
not a string): those lines fall back to the standard library, so every value
still prints. Three deliberate differences from ``json.dumps``: a float is
written in its shortest form (``1e16``, not ``1e+16``; the same number), a
non-finite float (``NaN``, which is not JSON) is written as ``null``, and a lone
surrogate as its escape (``\\ud800``, the same value), which UTF-8 output can write.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps_line"]

# Datetimes and dataclasses go through ``default`` (``str``), as the standard library's.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_FALLBACK = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode


def dumps_line(value: Any) -> str:
    """``value`` as compact one-line JSON (non-ASCII kept; unknown types by ``str``)."""
    try:
        return orjson.dumps(value, default=str, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _FALLBACK(value).encode("utf-8", "backslashreplace").decode("utf-8")
