"""Peer vectors whose licences keep them out of the repository, regenerated.

The facts (source, licence, what each vector is and what its source expects) are
in ``test_vectors/REGENERATED.md``; each test below rebuilds the same shape with
:mod:`shakentrace.testing` and checks our verdict. The original bytes are checked
by tests/test_verify_vectors.py when the team's peer directory is present.
The real Bandwidth token (MIT, see test_vectors/bandwidth/PROVENANCE.md) is
checked end to end with its real Neustar chain.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import VECTORS
from shakentrace import Outcome, Policy, StaticFetcher, TrustStore, Verifier
from shakentrace.testing import (
    StiCA,
    build_invite,
    der_signature,
    encode_jws,
    format_identity,
    tamper_claim,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="peers", now=NOW)
CERT = CA.issue_cert(spc="1234")
HEADER = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": CERT.x5u}
CLAIMS: dict[str, Any] = {
    "attest": "C",
    "dest": {"tn": ["1002"]},
    "iat": int(NOW.timestamp()),
    "orig": {"tn": "1001"},
    "origid": "123456",
}


def verify(value: str, *, invite: dict[str, Any] | None = None, **policy: Any) -> Outcome:
    verifier = Verifier(
        trust=TrustStore.from_pem(CA.trust_pem),
        fetcher=StaticFetcher({CERT.x5u: bytes(CERT.chain_pem)}),
        policy=Policy(**policy),
    )
    if invite is None:
        return verifier.verify_identity(value, now=NOW)
    raw = build_invite(identity=[value], date=NOW, **invite)
    return verifier.verify(raw, now=NOW)


def token(header: dict[str, Any] | bytes = HEADER, claims: dict[str, Any] | bytes = CLAIMS) -> str:
    return encode_jws(header, claims, CERT.private_key, deterministic=True)


def errors(out: Outcome) -> set[str]:
    return {r.code for r in out.reasons if r.severity == "error"}


# --- cgrates (AGPL-3.0): Identity without alg, x5u a local path, tampering, commas ------


def test_cgrates_no_alg_parameter_verifies() -> None:
    out = verify(format_identity(token(), info=CERT.x5u, alg=None))
    assert (out.status, out.attestation, out.origid) == ("valid", "C", "123456")
    assert "unsupported-alg" in {r.code for r in out.reasons}  # a warning


def test_cgrates_payload_altered_after_signing() -> None:
    altered = tamper_claim(token(), "orig", {"tn": "1005"})
    assert errors(verify(format_identity(altered, info=CERT.x5u, alg=None))) == {"bad-signature"}


def test_cgrates_info_differs_from_x5u() -> None:
    out = verify(format_identity(token(), info=CERT.x5u + "2", alg=None))
    assert (errors(out), out.sip_code) == ({"info-x5u-mismatch"}, 436)


@pytest.mark.parametrize("segment", [0, 1])
def test_cgrates_comma_injected_into_base64(segment: int) -> None:
    parts = token().split(".")
    parts[segment] = parts[segment][:30] + "," + parts[segment][30:]
    out = verify(format_identity(".".join(parts), info=CERT.x5u, alg=None))
    assert errors(out) == {"passport-malformed"}
    assert "character ','" in out.reasons[0].message


def test_cgrates_local_path_x5u_is_not_fetched() -> None:
    local = token({**HEADER, "x5u": "/usr/share/cgrates/stir/stir_pubkey.pem"})
    out = verify(format_identity(local, info="/usr/share/cgrates/stir/stir_pubkey.pem", alg=None))
    assert errors(out) == {"cert-unavailable"}


# --- FreeSWITCH mod_sofia tests (MPL-1.1): stale, 404, foo;info=bar -------------------------


def test_freeswitch_verified_but_stale() -> None:
    old = token(claims={**CLAIMS, "iat": int((NOW - timedelta(days=400)).timestamp())})
    out = verify(format_identity(old, info=CERT.x5u))
    assert "stale" in errors(out)


def test_freeswitch_certificate_404() -> None:
    missing = token({**HEADER, "x5u": "https://cr.sti.example/404.pem"})
    out = verify(format_identity(missing, info="https://cr.sti.example/404.pem"))
    assert (errors(out), out.sip_code) == ({"cert-unavailable"}, 436)


def test_freeswitch_foo_info_bar() -> None:
    out = verify("foo;info=bar")
    assert (errors(out), out.sip_code) == ({"identity-malformed"}, 438)


# --- yeti-switch SEMS unit tests (GPL-2.0+): parse expectations -------------------------

SEMS_CLAIMS = {
    **CLAIMS,
    "dest": {"tn": [""]},
    "orig": {"tn": ""},
    "origid": "c99d9e7f-d1b3-4c92-b333-e5e5eff03af1",
}
SEMS = format_identity(token(claims=SEMS_CLAIMS), info=CERT.x5u)


def _sems(
    header: dict[str, Any] | bytes = HEADER,
    claims: dict[str, Any] | bytes = SEMS_CLAIMS,
    **params: Any,
) -> str:
    return format_identity(token(header, claims), info=params.pop("info", CERT.x5u), **params)


def test_sems_valid_attest_c_with_empty_tns() -> None:
    out = verify(SEMS)
    assert (out.status, out.attestation) == ("valid", "C")  # empty TNs are only noted
    assert {r.severity for r in out.reasons if r.code == "passport-malformed"} == {"warning"}


def test_sems_div_with_quoted_ppt() -> None:
    shaken = CERT.sign_passport(orig="12155551212", dest="12155551213")
    div = CERT.divert(shaken, to="12155551214")
    value = CERT.identity_for(div, quote_ppt=True)
    out = verify(value)
    result = out.identities[0]
    assert (result.ppt, result.signature) == ("div", "valid")
    assert result.header is not None
    assert result.header.params["ppt"] == '"div"'


SEMS_ERRORS: dict[str, tuple[str, set[str]]] = {
    # name: (value, our error codes); SEMS expects its parse to fail for each.
    "compact-form": ("..c2ln;info=<https://x/c.pem>;alg=ES256;ppt=shaken", {"passport-malformed"}),
    "alg-param-ES25": (_sems(alg="ES25"), {"unsupported-alg"}),
    "ppt-param-shake": (_sems(ppt="shake"), {"unsupported-ppt"}),
    "info-x5u-mismatch": (_sems(info="https://curl.example/ca/caert.pem"), {"info-x5u-mismatch"}),
    "header-alg-ES266": (_sems({**HEADER, "alg": "ES266"}), {"unsupported-alg"}),
    "header-typ-passpord": (_sems({**HEADER, "typ": "passpord"}), {"passport-malformed"}),
    "header-unquoted-values": (_sems(b'{"alg":ES256,"ppt":shaken}'), {"passport-malformed"}),
    "header-values-arrays": (
        _sems({**HEADER, "alg": ["ES256"], "ppt": ["shaken"]}, ppt="shaken"),
        {"unsupported-alg", "unsupported-ppt"},
    ),
    "header-pdt-not-ppt": (
        _sems({**{k: v for k, v in HEADER.items() if k != "ppt"}, "pdt": "shaken"}),
        {"unsupported-ppt"},
    ),
    "payload-dest-string-iat-misspelt": (
        _sems(
            claims={**{k: v for k, v in SEMS_CLAIMS.items() if k != "iat"}, "ia": 1, "dest": "dss"}
        ),
        {"passport-malformed"},
    ),
    "payload-attest-N": (_sems(claims={**SEMS_CLAIMS, "attest": "N"}), {"passport-malformed"}),
    "payload-tn-objects": (
        _sems(claims={**SEMS_CLAIMS, "dest": {"tn": {}}, "orig": {"tn": {}}}),
        {"passport-malformed"},
    ),
}


@pytest.mark.parametrize("name", sorted(SEMS_ERRORS))
def test_sems_error_cases_fail(name: str) -> None:
    value, expected = SEMS_ERRORS[name]
    out = verify(value)
    assert out.status == "invalid"
    assert expected <= errors(out), out.reasons


def test_sems_garbage_without_token() -> None:
    out = verify('o=<https://cert.stir.example/x.crt>;alg=ES256;ppt="shaken"')
    assert errors(out) == {"identity-malformed"}


# --- Asterisk testsuite (GPL-2.0) ----------------------------------------------------------


def test_asterisk_2021_der_signature_missing_semicolon_no_dest() -> None:
    claims = b'{"orig":{"tn":"1234567"},"attest":"A","origid":"asterisk","iat":%d}' % CLAIMS["iat"]
    signed = der_signature(token(HEADER, claims), CERT.private_key)  # type: ignore[arg-type]
    value = f"{signed};info=<{CERT.x5u}>alg=ES256;ppt=shaken"
    out = verify(value)
    codes = {r.code for r in out.reasons}
    assert {
        "identity-malformed",
        "passport-malformed",
        "bad-signature",
        "noncanonical-json",
    } <= codes
    assert any("DER" in r.message for r in out.reasons)


def test_asterisk_expired_ca_is_untrusted() -> None:
    expired = StiCA(seed="astdev-expired", now=NOW - timedelta(days=4000))
    cert = expired.issue_cert(spc="1234", not_after=NOW + timedelta(days=30))
    v = Verifier(
        trust=TrustStore.from_pem(expired.trust_pem),
        fetcher=StaticFetcher({cert.x5u: bytes(cert.chain_pem)}),
    )
    out = v.verify_identity(cert.identity_header(iat=NOW), now=NOW)
    assert errors(out) & {"cert-expired", "cert-untrusted"}


# --- OpenSIPS sipssert static tokens (licence unstated) -----------------------------------


def test_opensips_case09_old_iat_is_stale() -> None:
    old = int(datetime(2023, 6, 22, tzinfo=UTC).timestamp())
    out = verify(
        format_identity(token(claims={**CLAIMS, "iat": old, "origid": "toto"}), info=CERT.x5u)
    )
    assert (errors(out), out.sip_code) == ({"stale"}, 403)


def test_opensips_case12_header_without_ppt_noncanonical() -> None:
    header = json.dumps(
        {"typ": "passport", "alg": "ES256", "x5u": CERT.x5u}, separators=(",", ":")
    ).encode()
    out = verify(format_identity(token(header), info=CERT.x5u))
    assert errors(out) == {"unsupported-ppt"}
    assert "noncanonical-json" in {r.code for r in out.reasons}


# --- Bandwidth's real production token (MIT), with its real chain ---------------------------


def test_bandwidth_real_token_verifies_at_its_iat() -> None:
    folder = VECTORS / "bandwidth"
    value = (folder / "identity_header_callstate_example.txt").read_text().strip()
    x5u = "https://bw-shaken-cert-pub.s3.amazonaws.com/bandwidth-shaken-cert_20230716.pem"
    verifier = Verifier(
        trust=TrustStore.from_pem((folder / "neustar_root_ca.pem").read_bytes()),
        fetcher=StaticFetcher({x5u: (folder / "x5u_served_chain.pem").read_bytes()}),
    )
    out = verifier.verify_identity(value, now=datetime.fromtimestamp(1656534336 + 5, UTC))
    assert out.status == "valid", out.reasons
    assert out.signer is not None
    assert (out.signer.spc, out.signer.organization, out.signer.verified) == (
        "997E",
        "Bandwidth.com CLEC LLC",
        True,
    )
    assert (out.attestation, out.orig_tn, out.dest_tns) == ("A", "19194442683", ("19842820280",))
    later = verifier.verify_identity(value, now=datetime(2026, 3, 1, tzinfo=UTC))
    assert {"stale", "cert-expired"} <= errors(later)
