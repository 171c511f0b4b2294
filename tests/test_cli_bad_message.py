"""One bad message never hides the others: every command goes on past it.

A capture holds whatever the calls carried; a header that does not parse, or
too many Identity headers, in one INVITE must be reported for that INVITE
alone, with its place, while the command still shows every other call.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, VECTORS
from shakentrace.cli import main
from shakentrace.testing import StiCA, build_invite
from strategies import mutated

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_CA = StiCA(seed="bad-message", now=NOW)
_CERT = _CA.issue_cert(spc="1234")
_GOOD = build_invite(
    identity=_CERT.identity_header(iat=NOW), call_id="good-call@example", date=NOW
).replace(b"\r\n", b"\n")
_SEEDS = tuple(p.read_bytes() for p in sorted((VECTORS / "sip").glob("*.sip")))
_HEAD = (
    "INVITE sip:+12025550100@b.example SIP/2.0\n"
    "From: <sip:+12025550101@a.example>;tag=1\nTo: <sip:+12025550100@b.example>\n"
    "Call-ID: bad-call@example\nCSeq: 1 INVITE\n"
)
_KNOWN_BAD = {
    "to-unterminated": _HEAD.replace("To: <sip:+12025550100@b.example>", "To: Al <sip:al@b.ex"),
    "too-many-identities": _HEAD + "Identity: a.b.c;info=<https://x.example/y.pem>\n" * 70,
    "from-unterminated": _HEAD.replace("From: <sip:+12025550101@a.example>", 'From: "x <sip:'),
}
_COMMANDS = {
    "inspect": ["inspect", "--jobs", "1"],
    "inspect --json": ["inspect", "--json", "--jobs", "1"],
    "verify --json": ["verify", "--json", "--jobs", "1", "--at", NOW.isoformat()],
    "campaigns --json": ["campaigns", "--json", "--jobs", "1", "--min-calls", "1"],
    "trace --json": [
        "trace", "--json", "--jobs", "1", "--at", NOW.isoformat(), "--provider", "994L",
        "--directory", str(ROOT / "examples" / "directory.toml"),
    ],
}  # fmt: skip


def _run(command: list[str], bad: bytes, folder: Path) -> tuple[int, str, str]:
    path = folder / "calls.sip"
    # The bad message first, then the good one; a blank line and a new start line part them.
    path.write_bytes(bad.rstrip(b"\r\n") + b"\n\n" + _GOOD)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*command, str(path)])
    return code, out.getvalue(), err.getvalue()


def _goes_on(name: str, code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2)
    assert "Traceback" not in err
    for line in err.splitlines():  # a problem names its message's place: file:line
        assert not line.startswith("shakentrace: error: ["), line
    if name == "campaigns --json":
        assert '"calls":' in out
    else:
        assert "good-call@example" in out or "13125550" in out or "12155551212" in out


@pytest.mark.parametrize("bad", _KNOWN_BAD.values(), ids=_KNOWN_BAD.keys())
@pytest.mark.parametrize("name", _COMMANDS)
def test_known_bad_messages(name: str, bad: str, tmp_path: Path) -> None:
    code, out, err = _run(_COMMANDS[name], (bad + "\n").encode(), tmp_path)
    _goes_on(name, code, out, err)
    if name.startswith("inspect"):
        assert code == 0  # decoded: the malformed header is shown, not an error


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(bad=mutated(_SEEDS), name=st.sampled_from(sorted(_COMMANDS)))
def test_damaged_messages(bad: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        code, out, err = _run(_COMMANDS[name], bad, Path(folder))
    _goes_on(name, code, out, err)


_CAPTURES = tuple(
    (ROOT / "examples" / "capture" / name).read_bytes()
    for name in ("lakeside.pcap", "prairie.pcapng", "midwest.pcap")
)
_CAPTURE_COMMANDS = {
    **_COMMANDS,
    "verify --why": [
        "verify", "--why", "--jobs", "1", "--at", NOW.isoformat(),
        "--trust", str(ROOT / "examples" / "capture" / "trust.pem"),
        "--certs", str(ROOT / "examples" / "capture" / "certs"),
    ],
}  # fmt: skip


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    seed=st.sampled_from(_CAPTURES),
    flips=st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(0, 20_000),
    name=st.sampled_from(sorted(_CAPTURE_COMMANDS)),
)
def test_damaged_captures(
    seed: bytes, flips: list[tuple[int, int]], cut: int | None, name: str
) -> None:
    """Damaged real captures (bytes changed, the file cut short) through every command."""
    data = bytearray(seed)
    for at, value in flips:
        data[at % len(data)] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.cap"
        path.write_bytes(bytes(data[:cut]))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*_CAPTURE_COMMANDS[name], str(path)])
    assert code in (0, 1, 2)
    assert "Traceback" not in err.getvalue()
    for line in err.getvalue().splitlines():  # a file-wide error names the file
        assert not line.startswith("shakentrace: error: ["), line
