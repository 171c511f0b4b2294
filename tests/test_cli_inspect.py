"""``shakentrace inspect``: through main(argv), and once as a real process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, VECTORS
from shakentrace.cli import main

EXAMPLE = ROOT / "examples" / "invites" / "rfc8224-5.1.sip"


def test_inspect_prints_headers_and_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("INVITE sip:alice@example.com\n")
    assert "  Call-ID: a84b4c76e66710" in out
    assert "From         12155551212" in out
    assert "Identity headers: 1" in out
    # A compact-form Identity (RFC 8225 §7) sends no header or claims: not empty ones.
    assert "  compact form: header and claims not sent" in out
    assert "header  {}" not in out


def test_inspect_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--json", str(VECTORS / "sip" / "traceback-headers.sip")]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["verstat"] == "TN-Validation-Passed"
    assert facts["p_charging_vector"]["orig_ioi"] == "upstream.example"


def test_inspect_reports_malformed_headers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(VECTORS / "sip" / "rfc8224-5.1-invite-as-printed.sip")]) == 0
    assert "line 11: content_length (sip-content-length)" in capsys.readouterr().out


def test_inspect_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(EXAMPLE.read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["inspect", "-"]) == 0
    assert "Identity headers: 1" in capsys.readouterr().out
    # stdin can be read once: a second '-' is bad usage, not an empty input.
    assert main(["inspect", "-", str(EXAMPLE), "-"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "shakentrace: error: [configuration] '-' (stdin) given twice\n"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (Path("/nonexistent/invite.sip"), "No such file"),
        (VECTORS / "sip" / "error-nul-in-header.sip", "[sip-control-char]"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(
    path: Path, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert message in err


def test_inspect_as_a_process() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "shakentrace", "inspect", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "12155551212" in result.stdout
