"""``inspect --json --fields``: only the keys asked for, each equal to the full record's."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, VECTORS
from shakentrace import SipParseError, parse_sip
from shakentrace._cli_inspect import JSON_KEYS
from shakentrace._sipdict import FIELDS, message_to_dict
from shakentrace.cli import main
from strategies import mutated

SEEDS = tuple(p.read_bytes() for p in sorted((VECTORS / "sip").glob("*.sip")))
LAKESIDE = str(ROOT / "examples" / "capture" / "lakeside.pcap")


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@given(mutated(SEEDS) | st.sampled_from(SEEDS), st.sets(st.sampled_from(FIELDS), min_size=1))
def test_a_subset_is_the_full_record_cut_down(data: bytes, fields: set[str]) -> None:
    with contextlib.suppress(SipParseError):
        msg = parse_sip(data)
        full = message_to_dict(msg)
        want = {key: full[key] for key in FIELDS if key in fields}
        if "errors" in want:  # only the failures of the facts computed
            want["errors"] = [e for e in full["errors"] if e["field"] in fields]
        assert message_to_dict(msg, frozenset(fields)) == want


def test_the_command_keeps_the_documented_order_and_values() -> None:
    code, full, _ = _run(["inspect", "--json", LAKESIDE])
    assert code == 0
    fields = "passports,call_id,capture,from"
    code, cut, err = _run(["inspect", "--json", "--fields", fields, LAKESIDE])
    assert (code, err) == (0, "")
    for whole, part in zip(full.splitlines(), cut.splitlines(), strict=True):
        record, selected = json.loads(whole), json.loads(part)
        assert list(selected) == ["from", "call_id", "capture", "passports"]
        assert selected == {key: record[key] for key in selected}
    assert set(json.loads(full.splitlines()[0])) == set(JSON_KEYS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--json", "--fields", "call_id,frm"], "--fields 'call_id,frm': frm; keys: method,"),
        (["--json", "--fields", ","], "--fields ',': no key; keys: method,"),
        (["--fields", "call_id"], "--fields selects JSON keys: give --json too"),
    ],
)
def test_bad_fields_are_one_line_and_exit_2(argv: list[str], message: str) -> None:
    code, out, err = _run(["inspect", *argv, LAKESIDE])
    assert (code, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1
