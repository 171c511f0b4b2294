"""shakentrace.testing: PASSporTs are canonical, raw R‖S signed, and verify."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from shakentrace._jose import b64url_decode, verify_es256
from shakentrace.passport import decode_passport
from shakentrace.testing import StiCA, StiCert, canonical_json, format_identity, split_token

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cert() -> StiCert:
    return StiCA(seed="passport", now=NOW).issue_cert(spc="1234")


def _verifies(cert: StiCert, token: str) -> bool:
    head, payload, sig = token.split(".")
    key = cert.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return verify_es256(key, f"{head}.{payload}".encode(), b64url_decode(sig))


def test_shaken_passport_is_canonical_and_verifies(cert: StiCert) -> None:
    token = cert.sign_passport(orig="12155551212", dest=["12155551213"], attest="B", origid="x")
    head, payload, sig = token.split(".")
    assert b64url_decode(head) == (
        b'{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"' + cert.x5u.encode() + b'"}'
    )
    assert b64url_decode(payload) == (
        b'{"attest":"B","dest":{"tn":["12155551213"]},"iat":'
        + str(int(NOW.timestamp())).encode()
        + b',"orig":{"tn":"12155551212"},"origid":"x"}'
    )
    assert len(b64url_decode(sig)) == 64
    assert _verifies(cert, token)


def test_default_origid_is_a_reproducible_uuid(cert: StiCert) -> None:
    one = split_token(cert.sign_passport())[1]["origid"]
    assert one == split_token(cert.sign_passport())[1]["origid"]
    assert len(one) == 36
    assert one[14] == "4"


def test_iat_accepts_seconds_and_datetimes(cert: StiCert) -> None:
    assert split_token(cert.sign_passport(iat=1000))[1]["iat"] == 1000
    later = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
    assert split_token(cert.sign_passport(iat=later))[1]["iat"] == int(later.timestamp())


def test_extra_claims_and_header_override_and_remove(cert: StiCert) -> None:
    token = cert.sign_passport(
        extra_claims={"origid": None, "mky": "x"}, header_extra={"typ": None, "kid": "k"}
    )
    header, claims, _ = split_token(token)
    assert "origid" not in claims
    assert claims["mky"] == "x"
    assert "typ" not in header
    assert header["kid"] == "k"
    assert _verifies(cert, token)


def test_base_passport_has_no_shaken_claims(cert: StiCert) -> None:
    header, claims, _ = split_token(cert.sign_passport(ppt=None))
    assert "ppt" not in header
    assert set(claims) == {"dest", "iat", "orig"}


def test_rcd_claims(cert: StiCert) -> None:
    token = cert.sign_passport(rcd={"nam": "Société Générale"}, crn="Your order")
    claims = split_token(token)[1]
    assert claims["rcd"] == {"nam": "Société Générale"}
    assert claims["crn"] == "Your order"
    # RFC 8225 §9: UTF-8, not \\u escapes.
    assert "Société".encode() in b64url_decode(token.split(".")[1])
    assert _verifies(cert, token)


def test_div_passport_chains_to_the_shaken_one(cert: StiCert) -> None:
    shaken = cert.sign_passport(orig="12155551212", dest="12155551213")
    div = cert.divert(shaken, to="12155559999")
    header, claims, _ = split_token(div)
    assert header["ppt"] == "div"
    assert claims["div"] == {"tn": "12155551213"}
    assert claims["orig"] == {"tn": "12155551212"}
    assert claims["dest"] == {"tn": ["12155559999"]}
    assert claims["iat"] == split_token(shaken)[1]["iat"]
    assert _verifies(cert, div)
    assert cert.identity_for(div).endswith(";ppt=div")


def test_identity_header_format(cert: StiCert) -> None:
    value = cert.identity_header(orig="12155551212", dest="12155551213")
    token, params = value.split(";", 1)
    assert params == f"info=<{cert.x5u}>;alg=ES256;ppt=shaken"
    assert _verifies(cert, token)


def test_format_identity_variants() -> None:
    assert format_identity("t", info="https://x", alg=None, ppt="shaken", quote_ppt=True) == (
        't;info=<https://x>;ppt="shaken"'
    )
    assert format_identity("t", info="u", ppt=None, extra_params=["toto=titi"]) == (
        "t;info=<u>;alg=ES256;toto=titi"
    )


def test_canonical_json_sorts_and_strips() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == (
        '{"a":{"c":"é","d":[1,2]},"b":1}'.encode()
    )
    assert json.loads(canonical_json({"x": 1})) == {"x": 1}


def test_unseeded_signatures_still_verify() -> None:
    cert = StiCA(now=NOW).issue_cert()
    token = cert.sign_passport()
    assert _verifies(cert, token)


CERT = StiCA(seed="passport-property", now=NOW).issue_cert(spc="1234")
TN = st.text(alphabet="0123456789*#", min_size=1, max_size=15)


@given(
    orig=TN,
    dest=st.lists(TN, min_size=1, max_size=3),
    attest=st.sampled_from("ABC"),
    origid=st.text(min_size=1, max_size=40),
    iat=st.integers(min_value=0, max_value=2**33),
    nam=st.none() | st.text(max_size=30),
)
def test_sign_passport_round_trips(
    orig: str, dest: list[str], attest: str, origid: str, iat: int, nam: str | None
) -> None:
    rcd = {"nam": nam} if nam is not None else None
    token = CERT.sign_passport(orig=orig, dest=dest, attest=attest, origid=origid, iat=iat, rcd=rcd)
    header, claims, _ = split_token(token)
    assert b64url_decode(token.split(".")[1]) == canonical_json(claims)
    assert header["x5u"] == CERT.x5u
    assert _verifies(CERT, token)
    passport = decode_passport(token)
    assert (passport.attest, passport.origid, passport.iat) == (attest, origid, iat)
    assert passport.orig_tn == orig
    assert passport.dest_tns == tuple(dest)
    assert "noncanonical-json" not in {w.code for w in passport.warnings}
