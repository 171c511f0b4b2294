"""``shakentrace mint``: files a non-Python system under test can use."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509

from shakentrace.cli import main
from shakentrace.passport import decode_passport
from shakentrace.trust import TrustStore

NOW = "2026-03-01T12:00:00Z"


def test_mint_writes_a_usable_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sti"
    argv = ["mint", str(out), "--seed", "s", "--now", NOW, "--spc", "987A", "--attest", "B"]
    assert main([*argv, "--dest", "12155551213", "--dest", "12155551214", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["spc"] == "987A"
    assert sorted(p.name for p in out.iterdir()) == summary["files"]
    chain = x509.load_pem_x509_certificates((out / "chain.pem").read_bytes())
    store = TrustStore.from_pem((out / "root.pem").read_bytes())
    at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert store.verify_chain(chain, at=at, orig_tn="12155551212").trusted
    passport = decode_passport((out / "passport.jwt").read_text().strip())
    assert passport.attest == "B"
    assert passport.dest_tns == ("12155551213", "12155551214")
    identity = (out / "identity.txt").read_text().strip()
    assert identity.endswith(f";info=<{summary['x5u']}>;alg=ES256;ppt=shaken")
    invite = (out / "invite.sip").read_bytes()
    assert invite.startswith(b"INVITE sip:+12155551213@")
    assert f"\r\nIdentity: {identity}\r\n".encode() in invite


def test_mint_says_how_to_verify_its_invite_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The minted INVITE could not be checked with shakentrace itself: --certs
    # looks a chain up by the x5u's file name (1.pem), and mint wrote chain.pem.
    monkeypatch.chdir(tmp_path)
    assert main(["mint", "sti/", "--seed", "v", "--now", NOW]) == 0
    told = capsys.readouterr().out.splitlines()[-1]
    assert told == (
        "check it: shakentrace verify --trust sti/root.pem --certs sti/certs.pem"
        " --at 2026-03-01T12:00:00Z sti/invite.sip"
    )
    assert main(shlex.split(told.removeprefix("check it: shakentrace "))) == 0
    assert capsys.readouterr().out.startswith("sti/invite.sip:1  valid       attest=A ")


def test_mint_is_reproducible_with_a_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        assert main(["mint", str(tmp_path / name), "--seed", "1", "--now", NOW]) == 0
    assert "serve chain.pem at" in capsys.readouterr().out
    for file in ("chain.pem", "key.pem", "invite.sip", "identity.txt", "crl.pem"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_mint_deviation_and_x5u(tmp_path: Path) -> None:
    url = "https://certs.example.net/sti/1234.pem"
    argv = ["mint", str(tmp_path), "--x5u", url, "--deviation", "no-tnauthlist", "--now", NOW]
    assert main(argv) == 0
    assert url in (tmp_path / "identity.txt").read_text()
    cert = x509.load_pem_x509_certificate((tmp_path / "cert.pem").read_bytes())
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26"))


def test_mint_bad_usage_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mint", str(tmp_path), "--deviation", "nope"]) == 2
    assert main(["mint", str(tmp_path), "--attest", "D"]) == 2
    capsys.readouterr()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--days", "99999999999"),  # overflowed timedelta: OverflowError, a traceback
        ("--days", "0"),
        ("--days", "-5"),
        ("--now", "9999-12-30"),  # the CA's ten years past year 9999
        ("--now", "1900-01-01"),
    ],
)
def test_out_of_range_dates_are_usage_errors(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mint", str(tmp_path), option, value]) == 2
    assert f"argument {option}" in capsys.readouterr().err
