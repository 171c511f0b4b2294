"""``shakentrace verify --summary``: a capture's verdicts counted, equal to its per-call lines."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import VECTORS
from shakentrace.cli import main
from shakentrace.testing import StiCA, build_invite

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "capture"
CAPTURES = [str(EXAMPLES / name) for name in ("lakeside.pcap", "prairie.pcapng", "midwest.pcap")]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORIG, DEST, FORWARDED = "12155551212", "12155551213", "12155559999"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _counted(lines: str) -> tuple[Counter[str], Counter[str], Counter[tuple[object, ...]]]:
    """Statuses, attestations and (ppt, code, severity, SIP code) per call, from ``--json``."""
    statuses: Counter[str] = Counter()
    attestations: Counter[str] = Counter()
    findings: Counter[tuple[object, ...]] = Counter()
    for line in lines.splitlines():
        outcome = json.loads(line)
        statuses[outcome["status"]] += 1
        attestations[outcome["attestation"] or "none"] += 1
        found: set[tuple[object, ...]] = {
            (None, r["code"], r["severity"], r["sip_code"]) for r in outcome["reasons"]
        }
        for result in (i for i in outcome["identities"] if i["ppt"] != "shaken"):
            ppt = result["ppt"] or "?"
            found |= {(ppt, r["code"], r["severity"], r["sip_code"]) for r in result["reasons"]}
        findings.update(found)
    return statuses, attestations, findings


@pytest.mark.parametrize("trust", [True, False])
def test_summary_counts_what_the_json_lines_say(trust: bool) -> None:
    options = ["--certs", str(EXAMPLES / "certs"), "--jobs", "1"]
    options += ["--trust", str(EXAMPLES / "trust.pem")] if trust else []
    code, lines, _ = _run(["verify", "--json", *options, *CAPTURES])
    summary_code, out, _ = _run(["verify", "--summary", "--json", *options, *CAPTURES])
    summary = json.loads(out)
    assert out.count("\n") == 1  # one object, no per-call lines
    assert summary_code == code == (0 if trust else 1)
    statuses, attestations, findings = _counted(lines)
    assert summary["calls"] == sum(statuses.values()) == 20
    assert summary["unreadable"] == 0
    assert summary["status"] == {s: statuses[s] for s in ("valid", "invalid", "no-identity")}
    assert summary["attestation"] == dict(attestations)
    counted = {
        (r["ppt"], r["code"], r["severity"], r["sip_code"]): r["calls"] for r in summary["reasons"]
    }
    assert counted == dict(findings)
    assert [r["calls"] for r in summary["reasons"]] == sorted(counted.values(), reverse=True)


def test_summary_over_worker_processes_counts_every_call() -> None:
    options = ["--certs", str(EXAMPLES / "certs"), "--trust", str(EXAMPLES / "trust.pem")]
    _, once, _ = _run(["verify", "--summary", "--json", "--jobs", "1", *options, *CAPTURES])
    code, out, _ = _run(["verify", "--summary", "--json", "--jobs", "2", *options, *CAPTURES * 4])
    single, fourfold = json.loads(once), json.loads(out)
    assert code == 0
    # 80 INVITEs (past the in-process threshold), each call's Call-ID seen four times
    assert (fourfold["calls"], fourfold["retransmissions"]) == (20, 60)
    assert {**fourfold, "retransmissions": 0} == single


def test_summary_text() -> None:
    options = ["--certs", str(EXAMPLES / "certs"), "--trust", str(EXAMPLES / "trust.pem")]
    code, out, _ = _run(["verify", "--summary", *options, *CAPTURES])
    assert code == 0
    assert out.splitlines() == [
        "20 calls: 20 valid, 0 invalid, 0 no-identity",
        "attestation: A 2, C 18",
        "reasons (calls with each):",
        "        20  info     origid-not-uuid",
    ]


def test_summary_names_a_div_headers_findings_by_ppt(tmp_path: Path) -> None:
    ca = StiCA(seed="summary", now=NOW)
    cert = ca.issue_cert(spc="1234")
    shaken = cert.identity_header(orig=ORIG, dest=DEST, iat=NOW)
    div = cert.sign_div(orig=ORIG, dest=FORWARDED, div="12155550000", iat=NOW)  # not DEST
    broken = [
        build_invite(
            identity=[shaken, cert.identity_for(div)], orig=ORIG, dest=DEST, call_id=f"{n}@x"
        ).replace(f"sip:+{DEST}@".encode(), f"sip:+{FORWARDED}@".encode(), 1)
        for n in range(2)
    ]
    good = build_invite(identity=[shaken], orig=ORIG, dest=DEST)
    (tmp_path / "calls.txt").write_bytes(b"\r\n".join([broken[0], good, broken[1]]))
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / cert.x5u.rsplit("/", 1)[1]).write_bytes(bytes(cert.chain_pem))
    (tmp_path / "trust.pem").write_bytes(ca.trust_pem)
    options = ["--trust", str(tmp_path / "trust.pem"), "--certs", str(certs), "--at", "1772366400"]
    code, out, _ = _run(["verify", "--summary", *options, str(tmp_path / "calls.txt")])
    assert code == 1
    lines = out.splitlines()
    assert lines[:2] == ["3 calls: 1 valid, 2 invalid, 0 no-identity", "attestation: A 3"]
    assert "         2  error    div-broken (438)" in lines
    assert "         2  error    [div] div-broken (438)" in lines


def test_summary_of_identity_values_and_of_an_unparseable_invite(tmp_path: Path) -> None:
    ticket = str(VECTORS / "bandwidth" / "ticket.txt")
    argv = ["verify", "--summary", "--json", "--identity", "--at", "2022-06-29T20:25:36Z"]
    code, out, _ = _run([*argv, "--certs", str(VECTORS / "bandwidth" / "x5u"), ticket])
    summary = json.loads(out)
    assert code == 1
    assert (summary["calls"], summary["status"]["invalid"]) == (1, 1)
    assert summary["reasons"][0]["code"] == "cert-untrusted"
    (tmp_path / "bad.sip").write_bytes(b"INVITE nowhere SIP/2.0\r\n\r\n")
    code, out, err = _run(["verify", "--summary", str(tmp_path / "bad.sip")])
    assert code == 2
    assert "INVITE not verified" in err
    assert out.splitlines()[:2] == [
        "0 calls: 0 valid, 0 invalid, 0 no-identity",
        "1 INVITE(s) did not parse (not counted)",
    ]


def test_a_retransmitted_invite_counts_once(tmp_path: Path) -> None:
    ca = StiCA(seed="summary", now=NOW)
    cert = ca.issue_cert(spc="1234")
    calls = [
        build_invite(
            identity=[cert.identity_header(orig=ORIG, dest=DEST, iat=NOW)], call_id=f"{n}@x"
        )
        for n in range(2)
    ]
    (tmp_path / "calls.txt").write_bytes(b"\r\n".join([calls[0], calls[0], calls[1], calls[0]]))
    code, out, _ = _run(
        ["verify", "--summary", "--json", "--at", "1772366400", str(tmp_path / "calls.txt")]
    )
    summary = json.loads(out)
    assert code == 1  # no --trust: cert-untrusted
    assert (summary["calls"], summary["retransmissions"]) == (2, 2)
    assert summary["status"]["invalid"] == 2
    assert summary["reasons"][0]["calls"] == 2
    _, text, _ = _run(["verify", "--summary", "--at", "1772366400", str(tmp_path / "calls.txt")])
    assert text.splitlines()[:2] == [
        "2 calls: 0 valid, 2 invalid, 0 no-identity",
        "2 retransmitted INVITE(s) counted once",
    ]


def test_summary_and_why_exclude_each_other() -> None:
    code, _, err = _run(["verify", "--summary", "--why", *CAPTURES])
    assert code == 2
    assert "not allowed with argument" in err
