"""``shakentrace cert``: a chain's STI facts, lints and trust verdict, from a file or an x5u URL."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, VECTORS
from shakentrace.cli import main
from shakentrace.testing import StiCA, cert_server
from strategies import mutated

BANDWIDTH = VECTORS / "bandwidth"
CHAIN = str(BANDWIDTH / "x5u_served_chain.pem")
ROOT_CA = ["--trust", str(BANDWIDTH / "neustar_root_ca.pem")]
SIGNED = "1656534336"  # the iat of the real Bandwidth PASSporT this certificate signed
REPORTS = VECTORS / "shaken-pki-reports"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_the_real_bandwidth_chain_names_its_signer_and_holds_when_it_signed() -> None:
    code, out, err = _run(["cert", *ROOT_CA, "--at", SIGNED, CHAIN])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == CHAIN
    assert lines[1] == "  leaf          SPC 997E  O=Bandwidth.com CLEC LLC  CN=SHAKEN"
    assert lines[-1] == "  verdict       trusted at 2022-06-29T20:25:36+00:00"
    assert any(
        line.startswith("  intermediate  O=Neustar Information Services Inc") for line in lines
    )


def test_judged_now_the_expired_chain_exits_1_and_says_why() -> None:
    code, out, _ = _run(["cert", *ROOT_CA, CHAIN])
    assert code == 1
    assert "  verdict       NOT trusted at " in out
    assert "cert-expired: signing certificate" in out


def test_json_one_object_per_chain() -> None:
    code, out, _ = _run(["cert", "--json", *ROOT_CA, "--at", SIGNED, CHAIN])
    assert code == 0
    record = json.loads(out)
    assert record["source"] == CHAIN
    assert [c["role"] for c in record["certificates"]] == ["leaf", "intermediate"]
    leaf = record["certificates"][0]
    assert (leaf["spc"], leaf["organization"], leaf["lints"]) == (
        "997E",
        "Bandwidth.com CLEC LLC",
        [],
    )
    verdict = record["verdict"]
    assert (verdict["trusted"], verdict["reasons"], verdict["at"]) == (
        True,
        [],
        "2022-06-29T20:25:36+00:00",
    )
    assert verdict["path"][-1].endswith("CN=Neustar Certified Caller ID Root CA")


def test_without_trust_each_certificate_with_the_lints_of_its_role(tmp_path: Path) -> None:
    name = "martini_leaf_683G_crl_struct_lint"
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        (REPORTS / f"{name}.pem").read_bytes() + (REPORTS / f"{name}.chain.pem").read_bytes()
    )
    code, out, _ = _run(["cert", "--json", str(chain)])
    assert code == 0  # nothing judged
    record = json.loads(out)
    assert record["verdict"] is None
    roles = [(c["role"], c["spc"]) for c in record["certificates"]]
    assert roles == [("leaf", "683G"), ("intermediate", None), ("root", None)]
    manifest = json.loads((REPORTS / "manifest.json").read_text())
    expected = manifest[name]["lint_findings_in_report"]  # the public report's
    found = [r["message"].split(":")[0] for r in record["certificates"][0]["lints"]]
    assert found == expected
    code, text, _ = _run(["cert", str(chain)])
    assert "                lint e_atis_ext_crl_distribution_struct: " in text
    assert text.rstrip().endswith("  verdict       not judged (no --trust)")


def test_a_line_feed_in_a_subject_cannot_add_a_line(tmp_path: Path) -> None:
    """A certificate's subject is its holder's text: a line feed in it is shown as ``\\n``."""
    ca = StiCA()
    cert = ca.issue_cert(spc="123A", organization="Evil\n  verdict       trusted")
    chain = tmp_path / "chain.pem"
    cert.chain_pem.write_to_path(chain)
    code, text, _ = _run(["cert", str(chain)])
    assert code == 0
    assert "O=Evil\\n  verdict       trusted" in text
    assert [line for line in text.splitlines() if "verdict" in line] == [
        "  leaf          SPC 123A  O=Evil\\n  verdict       trusted  CN=SHAKEN 123A",
        "  verdict       not judged (no --trust)",
    ]


def test_a_ca_certificate_alone_is_shown_and_linted_as_a_ca(tmp_path: Path) -> None:
    """An STI-CA root (a trust anchor file) given to ``cert`` is no signing certificate:
    it was labelled ``leaf`` and judged by the nine end-entity lints (KeyUsage,
    TNAuthList, the CN's SPC...). It is a root, or an intermediate when not self-issued."""
    ca = StiCA(seed="cert-role", now=NOW)
    root = tmp_path / "root.pem"
    root.write_bytes(ca.trust_pem)
    code, out, _ = _run(["cert", "--json", str(root)])
    (record,) = [json.loads(line) for line in out.splitlines()]
    (only,) = record["certificates"]
    assert (code, only["role"], only["is_ca"]) == (0, "root", True)
    assert not [r for r in only["lints"] if "e_atis_tn_auth_list" in r["message"]]
    intermediate = tmp_path / "intermediate.pem"
    intermediate.write_bytes(bytes(ca.intermediate_pem))
    _, out, _ = _run(["cert", "--json", str(intermediate)])
    assert [c["role"] for c in json.loads(out)["certificates"]] == ["intermediate"]


def test_a_tn_based_certificate_and_orig(tmp_path: Path) -> None:
    ca = StiCA(seed="cli-cert", now=NOW)
    delegate = ca.issue_cert(spc=None, tns=["12155550100"])
    (tmp_path / "chain.pem").write_bytes(bytes(delegate.chain_pem))
    (tmp_path / "trust.pem").write_bytes(ca.trust_pem)
    argv = ["cert", "--trust", str(tmp_path / "trust.pem"), "--at", NOW.isoformat()]
    code, out, _ = _run([*argv, "--orig", "12155550100", str(tmp_path / "chain.pem")])
    assert code == 0
    assert "                TNs 12155550100" in out
    code, out, _ = _run([*argv, "--orig", "12155559999", str(tmp_path / "chain.pem")])
    assert code == 1
    assert "tn-not-authorized: " in out


def test_an_unreadable_source_is_one_error_line_and_the_others_still_print(tmp_path: Path) -> None:
    junk = tmp_path / "page.html"
    junk.write_text("<html>not a certificate</html>")
    missing = tmp_path / "missing.pem"
    code, out, err = _run(["cert", str(junk), str(missing), str(tmp_path), CHAIN])
    assert code == 2
    assert out.startswith(CHAIN)
    errors = err.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(f"shakentrace: error: {junk}: ")
    assert errors[1] == f"shakentrace: error: {missing}: No such file or directory"
    assert errors[2] == f"shakentrace: error: {tmp_path}: Is a directory"


@pytest.mark.network
def test_an_x5u_url_is_fetched_under_the_fetch_policy(tmp_path: Path) -> None:
    ca = StiCA(seed="cli-cert-url", now=NOW)
    leaf = ca.issue_cert(spc="5150")
    with cert_server(bytes(leaf.chain_pem)) as server:
        url = f"https://127.0.0.1:{server.port}/chain.pem"
        (tmp_path / "x5u-ca.pem").write_bytes(server.ca_pem)
        lab = [
            "--fetch-policy",
            f"ports={server.port}",
            "--fetch-policy",
            "allow_networks=127.0.0.0/8",
        ]
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "src"),
            "SSL_CERT_FILE": str(tmp_path / "x5u-ca.pem"),
        }
        result = subprocess.run(
            [sys.executable, "-m", "shakentrace", "cert", *lab, url],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout.splitlines()[1].startswith("  leaf          SPC 5150  ")
        refused = subprocess.run(
            [sys.executable, "-m", "shakentrace", "cert", url],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
        assert refused.returncode == 2
        assert f"x5u port {server.port} is not allowed" in refused.stderr
        assert server.hits["/chain.pem"] == 1


def test_a_url_found_in_certs_is_not_fetched() -> None:
    url = "https://bw-shaken-cert-pub.s3.amazonaws.com/bandwidth-shaken-cert_20230716.pem"
    code, out, _ = _run(["cert", "--certs", str(BANDWIDTH / "x5u"), *ROOT_CA, "--at", SIGNED, url])
    assert code == 0
    assert out.splitlines()[0] == url


_SEEDS = (
    (BANDWIDTH / "x5u_served_chain.pem").read_bytes(),
    (REPORTS / "gbsdtech_leaf_867J_tnauthlist_bad_length.pem").read_bytes(),
)
_DER = tuple(
    c.public_bytes(serialization.Encoding.DER) for c in x509.load_pem_x509_certificates(_SEEDS[0])
)


@given(data=mutated(_SEEDS + _DER) | st.binary(max_size=2048))
def test_any_bytes_give_a_report_or_one_error_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chain"
        path.write_bytes(data)
        code, out, err = _run(["cert", *ROOT_CA, "--at", SIGNED, str(path)])
    assert code in (0, 1, 2)
    if code == 2:
        assert (out, err.count("\n")) == ("", 1)
    else:
        assert out.splitlines()[0] == str(path)
