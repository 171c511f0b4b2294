"""Regression tests named after the advisories and incidents they guard against."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shakentrace import StaticFetcher, TrustStore, Verifier, parse_identity
from shakentrace.testing import StiCA, build_invite

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="advisories", now=NOW)
CERT = CA.issue_cert(spc="1234")
VERIFIER = Verifier(
    trust=TrustStore.from_pem(CA.trust_pem),
    fetcher=StaticFetcher({CERT.x5u: bytes(CERT.chain_pem)}),
)
TOKEN = CERT.sign_passport(orig="12155551212", dest="12155551213")


def test_ghsa_mrq5_74j5_f5cr_asterisk_crash_on_identity_without_semicolon() -> None:
    """Asterisk res_pjsip_stir_shaken crashed on an Identity header with no ';'."""
    for value in (TOKEN, TOKEN + " info=<x>", "eyJ", "a.b.c"):
        raw = build_invite(identity=[value], date=NOW)
        out = VERIFIER.verify(raw, now=NOW)
        assert out.status == "invalid"
        assert "identity-malformed" in {r.code for r in out.reasons}


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJFUzI1NiJ9..",  # empty payload and signature
        ".." + "A" * 90,  # compact form with no SIP to rebuild from
        "e30.e30.e30",  # {} {} and a 2-byte signature
        "eyJ" * 2000,  # one long segment
        "a" * 10 + "." * 5000,  # many empty segments
        "\u00e9.\u00e9.\u00e9",  # non-ASCII
    ],
)
def test_kamailio_4284_malformed_tokens_from_the_wild_do_not_crash(token: str) -> None:
    """Kamailio #4284: intermittent secsipid crashes on malformed tokens seen in traffic."""
    out = VERIFIER.verify_identity(f"{token};info=<{CERT.x5u}>;alg=ES256;ppt=shaken", now=NOW)
    assert out.status == "invalid"


def test_kamailio_4930_identity_parser_over_read_on_truncated_params() -> None:
    """Kamailio #4930: the core Identity parser could read past a truncated value."""
    for cut in ("info=<https://x", "info=", "info", ";", ";;;", 'ppt="shaken'):
        header = parse_identity(f"{TOKEN};{cut}")
        assert header.token == TOKEN


def test_libstirshaken_134_corrupted_paste_names_the_bad_byte() -> None:
    """libstirshaken #134: a user-pasted token was corrupted; say where, not just 'invalid'."""
    head, payload, signature = TOKEN.split(".")
    corrupted = f"{head}.{payload[:12]} {payload[12:]}.{signature}"
    out = VERIFIER.verify_identity(f"{corrupted};info=<{CERT.x5u}>;alg=ES256;ppt=shaken", now=NOW)
    assert out.status == "invalid"
    assert any("missing ';'" in r.message or "character" in r.message for r in out.reasons)


def test_rfc8725_alg_confusion_hs256_with_certificate_as_secret() -> None:
    """RFC 8725 §2.1 / CVE-2015-9235-style confusion: the token never picks the algorithm."""
    from shakentrace.testing import alg_hs256

    forged = alg_hs256(TOKEN, bytes(CERT.cert_pem))
    out = VERIFIER.verify_identity(f"{forged};info=<{CERT.x5u}>;alg=ES256;ppt=shaken", now=NOW)
    assert {r.code for r in out.reasons if r.severity == "error"} == {"unsupported-alg"}
    assert out.identities[0].signature == "unchecked"


@pytest.mark.parametrize(
    "orig",
    ["1215555121\u00b2", "\u0661\u0662\u0661\u0665\u0665\u0665\u0665\u0661\u0662\u0661\u0662"],
)
def test_unicode_digit_in_orig_against_a_tn_range_certificate(orig: str) -> None:
    """str.isdigit() is true of a superscript two, which int() refuses: a PASSporT's
    orig with one crashed the TNAuthList range check of a delegate certificate
    (RFC 9060). A TN holds ASCII digits, '#' and '*' only (RFC 8224 §8.3)."""
    ca = StiCA(seed="unicode-digits", now=NOW)
    cert = ca.issue_cert(spc=None, tn_ranges=[("12155551200", 100)])
    verifier = Verifier(
        trust=TrustStore.from_pem(ca.trust_pem),
        fetcher=StaticFetcher({cert.x5u: bytes(cert.chain_pem)}),
    )
    raw = build_invite(identity=cert.identity_header(orig=orig, iat=NOW), date=NOW)
    out = verifier.verify(raw, now=NOW)
    assert out.status == "invalid"
    assert "tn-not-authorized" in {r.code for r in out.reasons}
