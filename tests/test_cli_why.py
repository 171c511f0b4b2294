"""``shakentrace verify --why``: every reason's message under its call line."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, datetime
from pathlib import Path

from conftest import VECTORS
from shakentrace.cli import main
from shakentrace.testing import StiCA, build_invite

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORIG, DEST, FORWARDED = "12155551212", "12155551213", "12155559999"


def _run(argv: list[str]) -> tuple[int, list[str]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, out.getvalue().splitlines()


def test_each_reason_with_severity_sip_code_and_message() -> None:
    ticket = str(VECTORS / "bandwidth" / "ticket.txt")
    argv = ["verify", "--why", "--identity", "--certs", str(VECTORS / "bandwidth" / "x5u")]
    code, lines = _run([*argv, "--at", "2022-06-29T20:25:36Z", ticket])
    assert code == 1
    assert lines[0].startswith(f"{ticket}:1  invalid ")
    assert lines[1:] == [
        "    error   cert-untrusted (437): no TrustStore configured; chain not checked"
    ]
    code, plain = _run([*argv[:1], *argv[2:], "--at", "2022-06-29T20:25:36Z", ticket])
    assert plain == lines[:1]  # without --why: the call line alone


def test_a_broken_div_header_is_named_by_its_position_and_ppt(tmp_path: Path) -> None:
    ca = StiCA(seed="why", now=NOW)
    cert = ca.issue_cert(spc="1234")
    shaken = cert.identity_header(orig=ORIG, dest=DEST, iat=NOW)
    div = cert.sign_div(orig=ORIG, dest=FORWARDED, div="12155550000", iat=NOW)  # not DEST
    raw = build_invite(identity=[shaken, cert.identity_for(div)], orig=ORIG, dest=DEST)
    raw = raw.replace(f"sip:+{DEST}@".encode(), f"sip:+{FORWARDED}@".encode(), 1)  # retargeted
    (tmp_path / "call.txt").write_bytes(raw)
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / cert.x5u.rsplit("/", 1)[1]).write_bytes(bytes(cert.chain_pem))
    (tmp_path / "trust.pem").write_bytes(ca.trust_pem)
    options = ["--trust", str(tmp_path / "trust.pem"), "--certs", str(certs)]
    code, lines = _run(
        ["verify", "--why", *options, "--at", NOW.isoformat(), str(tmp_path / "call.txt")]
    )
    assert code == 1
    assert "reasons=div-broken" in lines[0]
    assert any(line.startswith("    error   div-broken (438): ") for line in lines[1:])
    assert any(line.startswith("    [2 div] error   div-broken (438): ") for line in lines[1:])
