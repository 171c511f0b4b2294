"""``--fetch``: x5u chains over HTTPS from the command line, against a real server on 127.0.0.1.

The server (:func:`shakentrace.testing.cert_server`) has its own test CA for TLS;
the command line trusts it through ``SSL_CERT_FILE``, as a lab would.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import ROOT
from shakentrace._cli_options import replaced
from shakentrace.cli import main
from shakentrace.errors import ConfigurationError
from shakentrace.evidence import LOG_NAME
from shakentrace.fetch import FetchPolicy
from shakentrace.testing import (
    CertServer,
    Route,
    StiCA,
    build_invite,
    cert_server,
    format_identity,
)
from shakentrace.verify import Policy

pytestmark = pytest.mark.network

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="cli-fetch", now=NOW)
LEAF = CA.issue_cert(spc="4242")


@pytest.fixture(scope="module")
def server() -> Iterator[CertServer]:
    with cert_server(LEAF.chain_pem.data) as running:
        yield running


@dataclass(frozen=True)
class Lab:
    server: CertServer
    calls: Path  # three INVITEs signed with x5u on the server
    trust: list[str]  # --trust and --at
    allow: list[str]  # --fetch-policy for the server: its port, loopback

    def hits(self) -> int:
        return self.server.hits["/chain.pem"]


def _calls(path: Path, url: str) -> Path:
    """Three INVITEs signed by LEAF, naming ``url`` as x5u and info."""
    identity = format_identity(LEAF.sign_passport(x5u=url, iat=NOW), info=url)
    invites = (build_invite(identity=identity, date=NOW, call_id=f"fetch-{n}") for n in range(3))
    path.write_bytes(b"".join(invites))
    return path


@pytest.fixture
def lab(server: CertServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lab:
    (tmp_path / "x5u-ca.pem").write_bytes(server.ca_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "x5u-ca.pem"))
    (tmp_path / "trust.pem").write_bytes(CA.trust_pem)
    url = f"https://127.0.0.1:{server.port}/chain.pem"  # the TLS certificate covers the IP
    calls = _calls(tmp_path / "calls.txt", url)
    allow = [
        "--fetch-policy",
        f"ports={server.port}",
        "--fetch-policy",
        "allow_networks=127.0.0.0/8",
    ]
    trust = ["--trust", str(tmp_path / "trust.pem"), "--at", NOW.isoformat()]
    return Lab(server, calls, trust, allow)


def _run(argv: list[str]) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue().splitlines(), err.getvalue()


def test_fetch_verifies_each_call_and_fetches_the_chain_once(lab: Lab) -> None:
    before = lab.hits()
    code, lines, err = _run(["verify", "--fetch", *lab.allow, *lab.trust, str(lab.calls)])
    assert (code, err) == (0, "")
    assert len(lines) == 3
    assert all(" valid " in line and "signer=SPC 4242 (" in line for line in lines)
    assert lab.hits() - before == 1  # kept for the run, though expired by the wall clock


def test_a_failed_fetch_is_kept_for_the_run_too(lab: Lab, tmp_path: Path) -> None:
    calls = _calls(tmp_path / "error.txt", f"https://127.0.0.1:{lab.server.port}/error.pem")
    before = lab.server.hits["/error.pem"]
    code, lines, _ = _run(["verify", "--fetch", *lab.allow, *lab.trust, str(calls)])
    assert code == 1
    assert [line.rsplit("  ", 1)[1] for line in lines] == ["reasons=cert-unavailable"] * 3
    assert lab.server.hits["/error.pem"] - before == 1


def test_offline_unless_asked(lab: Lab) -> None:
    before = lab.hits()
    code, lines, _ = _run(["verify", *lab.trust, str(lab.calls)])
    assert code == 1
    assert all(line.endswith("reasons=cert-unavailable") for line in lines)
    assert lab.hits() == before


def test_the_default_policy_refuses_a_loopback_x5u(lab: Lab) -> None:
    before = lab.hits()
    port_only = ["--fetch-policy", f"ports={lab.server.port}"]
    code, lines, _ = _run(["verify", "--fetch", *port_only, "--why", *lab.trust, str(lab.calls)])
    assert code == 1
    assert "x5u-forbidden (436): " in lines[1]
    assert "special-purpose address 127.0.0.1" in lines[1]
    assert lab.hits() == before  # never connected


def test_local_chains_come_first(lab: Lab, tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "chain.pem").write_bytes(bytes(LEAF.chain_pem))
    before = lab.hits()
    argv = ["verify", "--certs", str(certs), "--fetch", *lab.allow, *lab.trust, str(lab.calls)]
    code, _, _ = _run(argv)
    assert code == 0
    assert lab.hits() == before


def test_keep_fetched_keeps_the_chain_as_served_for_an_offline_rerun(
    lab: Lab, tmp_path: Path
) -> None:
    kept = tmp_path / "evidence"
    missing = _calls(tmp_path / "error.txt", f"https://127.0.0.1:{lab.server.port}/error.pem")
    online = ["verify", "--fetch", *lab.allow, "--keep-fetched", str(kept), *lab.trust]
    code, lines, err = _run([*online, str(lab.calls), str(missing)])
    assert (code, err) == (1, "")  # the calls of error.pem fail
    url = f"https://127.0.0.1:{lab.server.port}/chain.pem"
    assert (kept / quote(url, safe="")).read_bytes() == bytes(LEAF.chain_pem)
    log = [json.loads(line) for line in (kept / LOG_NAME).read_text().splitlines()]
    assert [(r["url"].rsplit("/", 1)[1], "sha256" in r, r.get("error")) for r in log] == [
        ("chain.pem", True, None),
        ("error.pem", False, "cert-unavailable"),
    ]
    assert log[0]["sha256"] == hashlib.sha256(bytes(LEAF.chain_pem)).hexdigest()
    assert datetime.fromisoformat(log[0]["fetched_at"]).tzinfo is not None
    before = lab.hits()
    offline = ["verify", "--certs", str(kept), *lab.trust, str(lab.calls)]
    assert _run(offline)[:2] == (0, lines[:3])  # the same verdicts, nothing fetched
    assert lab.hits() == before


def test_keep_fetched_without_fetch_is_refused(lab: Lab, tmp_path: Path) -> None:
    code, _, err = _run(["verify", "--keep-fetched", str(tmp_path), *lab.trust, str(lab.calls)])
    assert code == 2
    assert "--keep-fetched keeps what --fetch fetches: give --fetch" in err


def test_cert_keeps_the_chain_of_an_x5u_url(lab: Lab, tmp_path: Path) -> None:
    url = f"https://127.0.0.1:{lab.server.port}/chain.pem"
    code, _, _ = _run(["cert", *lab.allow, "--keep-fetched", str(tmp_path / "kept"), url])
    assert code == 0
    assert (tmp_path / "kept" / quote(url, safe="")).read_bytes() == bytes(LEAF.chain_pem)


def test_fetch_crls_judges_revocation_on_the_published_crl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with cert_server() as server:
        crl_url = f"https://127.0.0.1:{server.port}/crl.pem"
        ca = StiCA(seed="cli-crl", now=NOW, crl_url=crl_url)
        leaf = ca.issue_cert(spc="4343")
        ca.revoke(leaf, at=NOW - timedelta(hours=1))
        server.add("/chain.pem", Route(body=bytes(leaf.chain_pem)))
        server.add("/crl.pem", Route(body=bytes(ca.crl()), content_type="application/pkix-crl"))
        (tmp_path / "x5u-ca.pem").write_bytes(server.ca_pem)
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "x5u-ca.pem"))
        (tmp_path / "trust.pem").write_bytes(ca.trust_pem)
        url = f"https://127.0.0.1:{server.port}/chain.pem"
        identity = format_identity(leaf.sign_passport(x5u=url, iat=NOW), info=url)
        (tmp_path / "call.txt").write_bytes(build_invite(identity=identity, date=NOW))
        allow = ["--fetch-policy", f"ports={server.port}"]
        allow += ["--fetch-policy", "allow_networks=127.0.0.0/8"]
        argv = ["verify", "--fetch", *allow, "--trust", str(tmp_path / "trust.pem")]
        argv += ["--at", NOW.isoformat(), str(tmp_path / "call.txt")]
        assert _run(argv)[0] == 0  # without the CRL: valid
        kept = tmp_path / "kept"
        code, lines, err = _run([*argv, "--fetch-crls", "--keep-fetched", str(kept)])
        assert (code, err) == (1, "")
        assert lines[0].endswith("reasons=cert-revoked")
        assert server.hits["/crl.pem"] == 1  # leaf and CA name one CRL: fetched once
        assert (kept / quote(crl_url, safe="")).read_bytes() == bytes(ca.crl())
        code, _, err = _run(["verify", "--fetch-crls", str(tmp_path / "call.txt")])
        assert code == 2
        assert "--fetch-crls checks chains against --trust: give --trust" in err


def test_inspect_shows_the_fetched_certificate(lab: Lab) -> None:
    code, lines, _ = _run(["inspect", "--fetch", *lab.allow, str(lab.calls)])
    assert code == 0
    assert any(line.startswith("  cert    SPC 4242  O=") for line in lines)


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--fetch-policy", "ports=https"], "--fetch-policy 'ports=https': ports takes a"),
        (["--fetch-policy", "nope=1"], "expected NAME=VALUE with a FetchPolicy field"),
        (["--fetch-policy", "allow_networks=10.0.0.0/99"], "bad allow_networks entry"),
        (["--fetch-policy", "_allowed=x"], "expected NAME=VALUE"),
    ],
)
def test_a_bad_fetch_policy_is_one_line_and_exit_2(
    lab: Lab, options: list[str], error: str
) -> None:
    code, lines, err = _run(["verify", "--fetch", *options, *lab.trust, str(lab.calls)])
    assert (code, lines) == (2, [])
    assert err.startswith("shakentrace: error: ")
    assert error in err
    assert err.count("\n") == 1


def test_a_fetch_policy_without_fetch_is_refused(lab: Lab) -> None:
    code, _, err = _run(["inspect", *lab.allow, str(lab.calls)])
    assert code == 2
    assert "--fetch-policy applies to --fetch, which was not given" in err


def test_as_a_process_on_two_jobs(lab: Lab) -> None:
    argv = ["verify", "--fetch", *lab.allow, *lab.trust, "--jobs", "2", str(lab.calls)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "shakentrace", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.count(" valid ") == 3


def test_replaced_reads_each_field_as_its_default_type() -> None:
    policy = replaced(
        FetchPolicy(),
        ["ports=443, 9443", "total_timeout=2.5", "require_pem=off", "schemes=https,http"],
        "--fetch-policy",
    )
    assert (policy.ports, policy.total_timeout) == ((443, 9443), 2.5)
    assert (policy.require_pem, policy.schemes) == (False, ("https", "http"))
    verify = replaced(Policy(), ["max_age=90", "max_identities=3"], "--policy")
    assert (verify.max_age, verify.max_identities) == (timedelta(seconds=90), 3)
    with pytest.raises(ConfigurationError, match="max_bytes takes a whole number"):
        replaced(FetchPolicy(), ["max_bytes=lots"], "--fetch-policy")
    for unbounded in ("nan", "inf"):
        with pytest.raises(ConfigurationError, match="total_timeout takes a number"):
            replaced(FetchPolicy(), [f"total_timeout={unbounded}"], "--fetch-policy")
    with pytest.raises(ConfigurationError, match="timeouts and max_bytes must be positive"):
        replaced(FetchPolicy(), ["connect_timeout=0"], "--fetch-policy")
