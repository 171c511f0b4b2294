"""Every message in test_vectors/sip/ parses to its expected facts (or its expected error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import VECTORS
from shakentrace import SipParseError, parse_sip

CASES = sorted((VECTORS / "sip").glob("*.sip"))


def test_corpus_is_there() -> None:
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_vector(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    data = path.read_bytes()
    if "error" in expected:
        with pytest.raises(SipParseError) as info:
            parse_sip(data)
        assert {"code": info.value.code, "line": info.value.line} == expected["error"]
    else:
        assert parse_sip(data).to_dict() == expected["facts"]
        assert parse_sip(data.decode("utf-8")).to_dict() == expected["facts"]
