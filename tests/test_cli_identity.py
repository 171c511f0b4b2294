"""``shakentrace verify --identity``: Identity header values pasted from a ticket, no SIP."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import ROOT, VECTORS
from shakentrace.cli import main
from shakentrace.testing import StiCA

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BANDWIDTH = VECTORS / "bandwidth"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def minted(tmp_path: Path) -> tuple[list[str], list[str]]:
    """Options for a test STI-CA, and three values: two good, one with a forged orig."""
    ca = StiCA(seed=21, now=NOW)
    cert = ca.issue_cert(spc="4321")
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / cert.x5u.rsplit("/", 1)[1]).write_bytes(bytes(cert.chain_pem))
    (tmp_path / "trust.pem").write_bytes(ca.trust_pem)
    dest = "13105550000"
    good = [cert.identity_header(orig=f"1215555000{n}", dest=dest, iat=NOW) for n in "12"]
    token, params = good[0].split(";", 1)
    head, _, signature = token.split(".")
    other = cert.identity_header(orig="19995550000", dest="13105550000", iat=NOW)
    forged = f"{head}.{other.split('.')[1]}.{signature};{params}"  # payload swapped
    options = ["--trust", str(tmp_path / "trust.pem"), "--certs", str(certs)]
    return [*options, "--at", NOW.isoformat()], [*good, forged]


def test_the_real_bandwidth_token_as_pasted_in_a_ticket() -> None:
    # ticket.txt: the real token on an "Identity: " line; x5u/: the chain as served at
    # its x5u (test_vectors/bandwidth/PROVENANCE.md).
    ticket = str(BANDWIDTH / "ticket.txt")
    trust, certs = str(BANDWIDTH / "neustar_root_ca.pem"), str(BANDWIDTH / "x5u")
    argv = ["verify", "--identity", "--trust", trust, "--certs", certs, ticket]
    code, out, err = _run([*argv, "--at", "2022-06-29T20:25:36Z"])
    assert (code, err) == (0, "")
    assert out.startswith(f"{ticket}:1  valid       attest=A ")
    assert "signer=SPC 997E (Bandwidth.com CLEC LLC)" in out
    # The iat as printed in the decoded PASSporT is the same moment.
    assert _run([*argv, "--at", "1656534336"])[:2] == (code, out)
    # Judged today, the same token is stale and its certificate expired.
    code, out, _ = _run(argv)
    assert code == 1
    assert "reasons=cert-expired,stale" in out


def test_without_trust_the_certificate_still_names_its_signer_as_unverified() -> None:
    # No STI-CA list at hand: the chain is not checked, but who the certificate
    # says signed the call is still the analyst's lead, marked as a claim.
    ticket = str(BANDWIDTH / "ticket.txt")
    argv = ["verify", "--identity", "--certs", str(BANDWIDTH / "x5u"), ticket]
    code, out, _ = _run([*argv, "--at", "2022-06-29T20:25:36Z"])
    assert code == 1
    assert "signer=SPC 997E (Bandwidth.com CLEC LLC, unverified)" in out
    assert out.rstrip().endswith("reasons=cert-untrusted")  # the signature itself holds
    code, out, _ = _run([*argv, "--at", "2022-06-29T20:25:36Z", "--json"])
    signer = json.loads(out)["signer"]
    assert (signer["spc"], signer["verified"]) == ("997E", False)


def test_each_line_one_value_header_name_optional(
    tmp_path: Path, minted: tuple[list[str], list[str]]
) -> None:
    options, (first, second, forged) = minted
    values = tmp_path / "values.txt"
    values.write_text(f"y: {first}\n{second}\n\n# from ticket 1234\n{forged}\n")
    code, out, _ = _run(["verify", "--identity", *options, "--json", str(values)])
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["capture"]["line"], r["status"]) for r in rows] == [
        (1, "valid"),
        (2, "valid"),
        (5, "invalid"),
    ]
    assert rows[0]["orig_tn"] == "12155550001"
    assert rows[0]["signer"]["spc"] == "4321"
    assert "bad-signature" in {r["code"] for r in rows[2]["reasons"]}


def test_values_quoted_from_a_mail_as_a_sip_message_is(
    tmp_path: Path, minted: tuple[list[str], list[str]]
) -> None:
    # A pasted INVITE keeps its headers under "> " quote marks; an Identity line
    # quoted the same way was identity-malformed ("character '>' at offset 0").
    options, (first, second, _forged) = minted
    values = tmp_path / "reply.txt"
    values.write_text(f"> Identity: {first}\n>\n> > {second}\n>> # quoted twice\n")
    code, out, err = _run(["verify", "--identity", *options, "--json", str(values)])
    assert (code, err) == (0, "")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["capture"]["line"], r["status"]) for r in rows] == [(1, "valid"), (3, "valid")]


def test_an_overlong_line_is_skipped_with_a_warning(
    tmp_path: Path, minted: tuple[list[str], list[str]]
) -> None:
    options, (first, _, _) = minted
    values = tmp_path / "values.txt"
    values.write_text("x" * 70_000 + f"\n{first}\n")
    code, out, err = _run(["verify", "--identity", *options, str(values)])
    assert code == 0
    assert f"{values}:1: line longer than 65536 bytes skipped" in err
    assert out.startswith(f"{values}:2  valid")


def test_a_file_without_any_value_is_unreadable_input(
    tmp_path: Path, minted: tuple[list[str], list[str]]
) -> None:
    options, (first, _, _) = minted
    empty = tmp_path / "empty.txt"
    empty.write_text("# ticket 4711: no header pasted yet\n\n")
    values = tmp_path / "values.txt"
    values.write_text(f"{first}\n")
    code, out, err = _run(["verify", "--identity", *options, str(empty), str(values)])
    assert code == 2
    assert out.startswith(f"{values}:1  valid")
    assert err == f"shakentrace: error: {empty}: no Identity value found\n"


def test_without_identity_a_file_of_values_says_no_sip_message(
    tmp_path: Path, minted: tuple[list[str], list[str]]
) -> None:
    options, (first, _, _) = minted
    values = tmp_path / "values.txt"
    values.write_text(f"Identity: {first}\n")
    code, out, err = _run(["verify", *options, str(values)])
    assert (code, out) == (2, "")  # unreadable input: no exit 0 for "every call valid"
    hint = "(Identity values alone: verify or inspect --identity)"
    assert f"error: {values}: no SIP message found {hint}" in err


def test_as_a_process_reading_stdin(minted: tuple[list[str], list[str]]) -> None:
    options, (first, _, forged) = minted
    result = subprocess.run(
        [sys.executable, "-m", "shakentrace", "verify", "--identity", *options, "-"],
        input=f"{first}\n{forged}\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["valid", "invalid"]


def test_inspect_shows_a_line_feed_in_a_certificate_subject_as_an_escape(tmp_path: Path) -> None:
    cert = StiCA().issue_cert(spc="123A", common_name="SHAKEN 123A\n  verdict valid")
    certs = tmp_path / "certs"
    certs.mkdir()
    cert.chain_pem.write_to_path(certs / cert.x5u.rsplit("/", 1)[1])
    ticket = tmp_path / "ticket.txt"
    ticket.write_text(cert.identity_header(orig="12155550100", dest="13105550100") + "\n")
    code, out, err = _run(["inspect", "--identity", "--certs", str(certs), str(ticket)])
    assert (code, err) == (0, "")
    (line,) = [line for line in out.splitlines() if "verdict" in line]
    assert line.startswith("  cert    SPC 123A  O=Test Carrier 123A  CN=SHAKEN 123A\\n  verdict")


def test_inspect_decodes_each_value_without_verifying(tmp_path: Path) -> None:
    """``inspect --identity``: the token decoded and the certificate named, nothing judged."""
    ticket = str(BANDWIDTH / "ticket.txt")
    code, out, err = _run(["inspect", "--identity", "--certs", str(BANDWIDTH / "x5u"), ticket])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"== {ticket}:1"
    assert lines[1].startswith("  params  info=<https://bw-shaken-cert-pub.s3.amazonaws.com/")
    assert lines[2].startswith('  header  {"alg": "ES256", "ppt": "shaken", "typ": "passport"')
    assert '"origid": "49459a8a-42f6-351c-9361-adf57a9e08ca"' in lines[3]
    assert lines[4] == "  iat     1656534336 = 2022-06-29T20:25:36+00:00"
    assert lines[5].startswith("  cert    SPC 997E  O=Bandwidth.com CLEC LLC")
    code, out, _ = _run(["inspect", "--identity", "--json", ticket])
    record = json.loads(out)
    assert list(record) == ["capture", "passports"]
    assert record["capture"]["line"] == 1
    assert record["passports"][0]["passport"]["claims"]["orig"] == {"tn": "19194442683"}
    code, out, _ = _run(["inspect", "--identity", "--json", "--fields", "passports", ticket])
    assert list(json.loads(out)) == ["passports"]


def test_inspect_identity_shows_a_value_that_does_not_decode_and_exits_2(tmp_path: Path) -> None:
    values = tmp_path / "values.txt"
    values.write_text(
        "Identity: garbage;info=<https://x.example/a.pem>\neyJhbGciOiJFUzI1NiJ9.e30.\n"
    )
    code, out, _ = _run(["inspect", "--identity", str(values)])
    assert code == 2
    assert out.splitlines() == [
        f"== {values}:1",
        "  params  info=<https://x.example/a.pem>",
        "  identity-malformed: a JWS has 3 dot-separated parts, this token has 1",
        f"== {values}:2",
        "  params  -",
        '  header  {"alg": "ES256"}',
        "  claims  {}",
    ]


_PICKS_SIP = "--all, --orig, --dest and --around pick SIP messages"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--all"], _PICKS_SIP),
        (["--orig", "12155550001"], _PICKS_SIP),
        (["--json", "--fields", "call_id"], "--fields takes capture and passports"),
    ],
)
def test_inspect_identity_refuses_options_about_sip_messages(
    option: list[str], message: str
) -> None:
    code, _, err = _run(["inspect", "--identity", *option, str(BANDWIDTH / "ticket.txt")])
    assert code == 2
    assert message in err
