"""``--orig``, ``--dest``, ``--around``: the call a traceback request names, out of a capture."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT
from shakentrace._cli_filter import CallFilter
from shakentrace.capture import CapturedMessage
from shakentrace.cli import main
from shakentrace.hop import Hop
from shakentrace.testing import build_invite
from strategies import mutated

CAPTURE = ROOT / "examples" / "capture"
CAPTURES = [str(CAPTURE / name) for name in ("lakeside.pcap", "prairie.pcapng", "midwest.pcap")]
KEYS = ["--trust", str(CAPTURE / "trust.pem"), "--certs", str(CAPTURE / "certs")]
TRACE = ["trace", "--directory", str(ROOT / "examples" / "directory.toml"), *KEYS]
PROVIDERS = ["--provider", "994L", "--provider", "993W", "--provider", "992T"]


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _calls(argv: list[str]) -> list[dict[str, object]]:
    code, out, err = _run([*argv, "--json", *KEYS, str(CAPTURE / "lakeside.pcap")])
    assert (code, err) == (0, "")
    return [json.loads(line) for line in out.splitlines()]


def test_the_traceback_of_one_call_out_of_three_captures() -> None:
    argv = [*TRACE, *PROVIDERS, "--orig", "+1 (312) 555-0037", "--dest", "3125550178", *CAPTURES]
    code, out, err = _run(argv)
    assert (code, err) == (0, "")
    assert out.startswith("call 1: 13125550037 -> 13125550178\nTraceback: 3 captured hop(s)")
    assert "call 2:" not in out


@pytest.mark.parametrize(
    ("option", "value", "count"),
    [("--orig", "13125550000", 1), ("--dest", "13125550143", 2), ("--orig", "14025550005", 1)],
)
def test_each_number_in_any_written_form(option: str, value: str, count: int) -> None:
    calls = _calls(["verify", option, value])
    assert len(calls) == count
    for call in calls:
        assert value == call["orig_tn"] if option == "--orig" else value in call["dest_tns"]  # type: ignore[operator]


def test_around_keeps_the_calls_captured_within_the_window() -> None:
    everything = _calls(["verify"])
    times = [datetime.fromisoformat(c["capture"]["time"]) for c in everything]  # type: ignore[index]
    middle = times[3]
    near = _calls(["verify", "--around", middle.isoformat(), "--window", "90"])
    want = [
        c
        for c, t in zip(everything, times, strict=True)
        if abs(t - middle) <= timedelta(seconds=90)
    ]
    assert near == want
    assert 0 < len(near) < len(everything)


@pytest.mark.parametrize("around", ["0001-01-01", "9999-12-31T23:59:59"])
def test_around_at_the_ends_of_time_matches_nothing(around: str) -> None:
    """The window around the first or last representable time overflowed (OverflowError)."""
    code, out, err = _run(["verify", "--around", around, *KEYS, str(CAPTURE / "lakeside.pcap")])
    assert (code, out) == (0, "")
    assert "no message matched" in err


def test_a_pasted_invite_is_dated_by_its_date_header(tmp_path: Path) -> None:
    when = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    (tmp_path / "ticket.txt").write_bytes(build_invite(date=when, call_id="pasted"))
    argv = ["inspect", "--json", "--fields", "call_id", str(tmp_path / "ticket.txt")]
    code, out, _ = _run([*argv, "--around", "2026-03-02T14:04:00Z"])
    assert (code, json.loads(out)) == (0, {"call_id": "pasted"})
    code, out, err = _run([*argv, "--around", "2026-03-02T15:00:00Z"])
    assert (code, out) == (0, "")
    assert err == "shakentrace: no message matched --orig, --dest and --around\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["verify", "--orig", "call-me"], "--orig 'call-me' is not a telephone number"),
        (["verify", "--around", "noon"], "--around 'noon' is not an ISO 8601 time"),
        (["verify", "--window", "-5"], "argument --window: '-5' is not a number of seconds"),
        (["verify", "--window", "nan"], "argument --window: 'nan' is not a number of seconds"),
        (["verify", "--identity", "--orig", "12155551212"], "pick SIP messages, not --identity"),
    ],
)
def test_bad_filters_are_one_line_and_exit_2(argv: list[str], message: str) -> None:
    code, out, err = _run([*argv, str(CAPTURE / "lakeside.pcap")])
    assert (code, out) == (2, "")
    assert message in err.splitlines()[-1]  # argparse prints its usage lines before


def test_on_worker_processes_too(tmp_path: Path) -> None:
    many = tmp_path / "many.sip"
    many.write_bytes(
        b"".join(build_invite(orig=f"1215555{n:04d}", call_id=f"c-{n}") for n in range(300))
    )
    argv = ["inspect", "--json", "--fields", "call_id", "--jobs", "2", str(many)]
    code, out, _ = _run([*argv, "--orig", "2155550042"])
    assert (code, [json.loads(line) for line in out.splitlines()]) == (0, [{"call_id": "c-42"}])


_SEEDS = tuple(p.read_bytes() for p in sorted((ROOT / "test_vectors" / "sip").glob("*.sip")))
_FILTERS = st.builds(
    CallFilter,
    orig=st.sampled_from([None, "12155551212", "18005550100"]),
    dest=st.sampled_from([None, "12155551213", "13105550000"]),
    start=st.sampled_from([None, datetime(2020, 1, 1, tzinfo=UTC)]),
    end=st.sampled_from([None, datetime(2030, 1, 1, tzinfo=UTC)]),
)


@given(mutated(_SEEDS) | st.binary(max_size=300), _FILTERS)
def test_admits_is_total(data: bytes, keep: CallFilter) -> None:
    assert keep.admits(CapturedMessage(data=data, source="x")) in (True, False)


def _received_hop() -> Hop:
    argv = [*TRACE, "--json", "--provider", "994L", "--orig", "13125550037", CAPTURES[0]]
    code, out, err = _run(argv)
    assert (code, err) == (0, "")
    (call,) = [json.loads(line) for line in out.splitlines()]
    return Hop.from_dict(call["hops"][0])


def test_a_received_hop_record_is_kept_by_its_numbers_in_any_written_form() -> None:
    """A sender may write its numbers otherwise than canonically, or report From's
    number where the PASSporT it carries names the call's: both name the call."""
    hop = _received_hop()
    assert (hop.orig_tn, hop.dest_tns, len(hop.identities)) == ("13125550037", ("13125550178",), 1)
    keep = CallFilter(orig="13125550037", dest="13125550178")
    written = replace(hop, orig_tn="+1 (312) 555-0037", dest_tns=("+1-312-555-0178",))
    assert keep.admits_hop(written)
    spoofed = replace(hop, orig_tn="12025550111", dest_tns=("12025550122",))
    assert keep.admits_hop(spoofed)  # its PASSporT names the call
    assert not keep.admits_hop(replace(spoofed, identities=()))
    assert not CallFilter(orig="12025550199").admits_hop(hop)
    assert not CallFilter(dest="12025550199").admits_hop(written)
