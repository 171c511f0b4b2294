"""The JSON-lines adapter (orjson, the standard library where orjson refuses a value)."""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shakentrace._json import dumps_line

_STDLIB = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str).encode

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too: orjson refuses them, the fallback writes them
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()  # lone surrogates too
    | st.datetimes(timezones=st.just(UTC))
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return False


@given(_VALUES)
def test_same_json_as_the_standard_library(value: Any) -> None:
    line = dumps_line(value)
    assert "\n" not in line
    assert json.loads(line) == json.loads(_STDLIB(value))
    if not _has_float(value):  # floats: the same number, perhaps written shorter
        assert line == _STDLIB(value)


def test_values_orjson_refuses_fall_back() -> None:
    assert dumps_line({"iat": 2**70}) == '{"iat":1180591620717411303424}'
    # A lone surrogate has no UTF-8 form: written as its JSON escape, the same value.
    assert dumps_line({"tn": "\ud800"}) == '{"tn":"\\ud800"}'
    assert dumps_line({1: "a"}) == '{"1":"a"}'


def test_datetimes_and_dataclasses_are_written_by_str() -> None:
    @dataclass
    class Point:
        x: int

    when = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    assert dumps_line([when, Point(1)]) == _STDLIB([when, Point(1)])
    assert dumps_line([when]) == '["2026-11-29 03:00:00+00:00"]'


def test_non_finite_floats_are_null() -> None:
    assert dumps_line([math.nan, math.inf]) == "[null,null]"


def test_each_third_party_library_has_one_adapter() -> None:
    """STYLE 7: a library other than cryptography is imported by one module only."""
    package = Path(__file__).resolve().parent.parent / "src" / "shakentrace"
    importers: dict[str, set[str]] = {}
    for path in package.glob("*.py"):  # shakentrace.testing keeps its own adapters
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                importers.setdefault(name.split(".")[0], set()).add(path.name)
    assert {lib: importers.get(lib) for lib in ("orjson", "dpkt", "jwt", "dns", "pyasn1")} == {
        "orjson": {"_json.py"},
        "dpkt": {"_pcap.py"},
        "jwt": {"_jose.py"},
        "dns": {"lookup.py"},
        "pyasn1": {"_asn1.py"},
    }
