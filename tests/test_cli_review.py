"""The command line as an analyst meets it: awkward inputs and flags, on the bundled data."""

from __future__ import annotations

import contextlib
import io

from conftest import ROOT, VECTORS
from shakentrace.cli import main

EXAMPLE = ROOT / "examples" / "capture"
LAKESIDE = str(EXAMPLE / "lakeside.pcap")
OFFLINE = ["--trust", str(EXAMPLE / "trust.pem"), "--certs", str(EXAMPLE / "certs")]
RFC8224 = str(ROOT / "examples" / "invites" / "rfc8224-5.1.sip")
NUL_INVITE = str(VECTORS / "sip" / "error-nul-in-header.sip")
DIRECTORY = ["--directory", str(ROOT / "examples" / "directory.toml")]


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_verify_reports_an_invite_it_cannot_parse_instead_of_leaving_it_out() -> None:
    code, out, err = _run(["verify", "--jobs", "1", RFC8224, NUL_INVITE])
    assert code == 2
    assert out.count("\n") == 1
    assert err == (
        f"shakentrace: error: {NUL_INVITE}:1: [sip-control-char] control character"
        " '\\x00' in the header (line 3); INVITE not verified\n"
    )


def test_campaigns_and_trace_report_an_unparseable_invite_too() -> None:
    code, out, err = _run(["campaigns", "--jobs", "1", *OFFLINE, LAKESIDE, NUL_INVITE])
    assert (code, out.count("#"), err.count("INVITE not verified")) == (2, 3, 1)
    trace = ["trace", *DIRECTORY, "--provider", "994L", "--jobs", "1", *OFFLINE]
    code, out, err = _run([*trace, LAKESIDE, NUL_INVITE])
    assert (code, out.count("\ncall ") + 1, err.count("INVITE not verified")) == (2, 8, 1)
