"""A capture cannot steer the analyst's terminal: control characters are shown escaped.

A PASSporT claim is JSON, so it can carry ESC (``\\u001b``), the 8-bit CSI
(``\\u009b``) or a bidirectional override; shown raw, an origid could clear the
screen, move the cursor over a finding or hide what follows it. Every text view
goes through :func:`printable`, and only the console's own colours (marked with
a random string no capture can know) become escape sequences.
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT
from shakentrace._cli_io import Console
from shakentrace._printable import printable
from shakentrace.cli import _main
from shakentrace.testing import StiCA, build_invite

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b[1A\x1b[2K\u009b8m\u202eevil\r"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
OUR_COLOURS = re.compile(r"\x1b\[[0-9;]+m")


def test_printable_escapes_what_steers_a_terminal() -> None:
    assert printable("a\x1bb\u009bc\u202ed\x7fe\rf\u2028") == (
        "a\\x1bb\\x9bc\\u202ed\\x7fe\\x0df\\u2028"
    )
    assert printable("line\n\tBäñk ☎ 電話") == "line\n\tBäñk ☎ 電話"  # text stays text


@given(st.text())
def test_printable_is_total_safe_and_idempotent(text: str) -> None:
    shown = printable(text)
    assert not UNSAFE.search(shown)
    assert printable(shown) == shown
    if not UNSAFE.search(text):
        assert shown == text


def test_only_the_consoles_own_marks_become_colours() -> None:
    console = Console(out=io.StringIO(), err=io.StringIO(), colour=True)
    styled = console.style("valid", "green")
    assert console.finish(styled) == "\x1b[32mvalid\x1b[0m"
    forged = "\ue000" + "0" * 16 + "[31m" + "\x1b[32m"  # guessing the mark's shape
    assert "\x1b" not in console.finish(forged)
    assert Console(colour=True).mark != console.mark  # random per console


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """70 INVITEs (enough for worker processes) whose PASSporTs carry control characters."""
    cert = StiCA(seed="terminal", now=NOW).issue_cert(spc="1234", organization="Bad\x1b[8mCo")
    messages = []
    for n in range(70):
        orig, dest = f"1215555{n:04d}", "12155551213"
        identity = cert.identity_header(
            orig=orig, dest=dest, origid=HOSTILE, rcd={"nam": HOSTILE}, iat=NOW
        )
        meta = f"U 2026/03/01 12:00:{n % 60:02d}.000000 192.0.2.1:5060 -> 192.0.2.2:5060\r\n"
        invite = build_invite(identity=identity, orig=orig, dest=dest, call_id=f"c{n}")
        messages.append(meta.encode() + invite)  # sngrep's header: a time, so a styled title
    path = tmp_path_factory.mktemp("terminal") / "hostile.sip"
    path.write_bytes(b"\r\n".join(messages))
    return path


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = _main(argv, Console(out=out, err=err, colour=True))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    "command",
    [
        ["inspect"],
        ["verify", "--at", NOW.isoformat()],
        ["verify", "--why", "--at", NOW.isoformat()],
        ["campaigns"],
        [
            "trace",
            "--at",
            NOW.isoformat(),
            "--directory",
            str(ROOT / "examples" / "directory.toml"),
            "--provider",
            "994L",
        ],
    ],
    ids=["inspect", "verify", "why", "campaigns", "trace"],
)
def test_text_views_show_control_characters_escaped(
    hostile: Path, command: list[str], jobs: str
) -> None:
    code, out, err = _run([*command, "--jobs", jobs, str(hostile)])
    assert code in (0, 1), err
    assert "\\x1b[2J" in out or "\\u001b[2J" in out  # the value is there, as text
    for text in (out, err):
        assert not UNSAFE.search(OUR_COLOURS.sub("", text))
    assert OUR_COLOURS.search(out)  # and the console's own colours still work


def test_json_lines_escape_esc_and_stay_json(hostile: Path) -> None:
    code, out, _err = _run(["verify", "--json", "--at", NOW.isoformat(), str(hostile)])
    assert code == 1  # cert-unavailable: no certificates given
    first = json.loads(out.splitlines()[0])
    assert first["origid"] == HOSTILE  # the exact value, for jq
    assert "\x1b" not in out


def test_error_lines_are_printable(tmp_path: Path) -> None:
    missing = tmp_path / "no\x1b[2Jsuch.pcap"
    code, _out, err = _run(["inspect", str(missing)])
    assert code == 2
    assert "no\\x1b[2Jsuch.pcap" in err
    assert "\x1b" not in err


def test_html_report_shows_control_characters_as_text(hostile: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    directory = str(ROOT / "examples" / "directory.toml")
    argv = ["trace", "--at", NOW.isoformat(), "--directory", directory, "--provider", "994L"]
    code, _out, err = _run([*argv, "--html", str(report), str(hostile)])
    assert code in (0, 1), err
    page = (tmp_path / "report-1.html").read_text(encoding="utf-8")  # one page per call
    assert "\\x1b[2J" in page
    assert not UNSAFE.search(page.replace("\n", ""))
