"""parse_identity, decode_passport, encode_passport: shapes from the RFCs and the wild."""

from __future__ import annotations

import contextlib
import json
import pickle
import re
from collections.abc import Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from conftest import VECTORS
from shakentrace import IdentityParseError, PassportParseError
from shakentrace._jose import b64url_encode, verify_es256
from shakentrace.passport import (
    PassportLimits,
    canonical_json,
    decode_passport,
    encode_passport,
    parse_identity,
)

KEY = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())
HEADER = {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": "https://cr.example/c.pem"}
CLAIMS = {
    "attest": "A",
    "dest": {"tn": ["12155551213"]},
    "iat": 1700000000,
    "orig": {"tn": "12155551212"},
    "origid": "123e4567-e89b-12d3-a456-426614174000",
}
TOKEN = encode_passport(HEADER, CLAIMS, KEY)


def codes(reasons: tuple[object, ...]) -> list[str]:
    return [r.code for r in reasons]  # type: ignore[attr-defined]


def _raw(header: bytes | Mapping[str, Any], claims: bytes | Mapping[str, Any]) -> str:
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    c = claims if isinstance(claims, bytes) else json.dumps(claims).encode()
    return f"{b64url_encode(h)}.{b64url_encode(c)}.{b64url_encode(bytes(64))}"


def _seg(data: bytes) -> str:
    return b64url_encode(data)


# --- parse_identity -----------------------------------------------------------------


def test_full_identity_value() -> None:
    ih = parse_identity(f"{TOKEN};info=<https://cr.example/c.pem>;alg=ES256;ppt=shaken")
    assert (ih.token, ih.info, ih.alg, ih.ppt, ih.compact) == (
        TOKEN,
        "https://cr.example/c.pem",
        "ES256",
        "shaken",
        False,
    )
    assert ih.findings == ()


def test_quoted_ppt_and_whitespace_around_semicolons() -> None:
    ih = parse_identity(f' {TOKEN} ; info=<https://x/c.pem> ;alg=ES256; ppt="div"')
    assert ih.ppt == "div"
    assert ih.params["ppt"] == '"div"'
    assert ih.findings == ()


def test_missing_alg_and_ppt_are_absent_not_errors_at_parse_time() -> None:
    ih = parse_identity(f"{TOKEN};info=<https://x/c.pem>")
    assert ih.alg is None
    assert ih.ppt is None
    assert ih.findings == ()


def test_missing_semicolon_before_alg_is_a_finding() -> None:
    # PortSIP's documented INVITE and Asterisk's 2021 test both look like this.
    ih = parse_identity(f"{TOKEN};info=<https://x/c.pem>alg=ES256;ppt=shaken")
    assert ih.alg == "ES256"
    assert ih.ppt == "shaken"
    assert codes(ih.findings) == ["identity-malformed"]
    assert "missing ';'" in ih.findings[0].message


def test_info_without_angle_brackets_is_reported() -> None:
    ih = parse_identity(f"{TOKEN};info=https://x/c.pem;alg=ES256")
    assert ih.info == "https://x/c.pem"
    assert "angle brackets" in ih.findings[0].message


def test_missing_info_is_reported() -> None:
    ih = parse_identity(f"{TOKEN};alg=ES256;ppt=shaken")
    assert ih.info is None
    assert [r.severity for r in ih.findings] == ["error"]


def test_unknown_parameter_is_a_warning_and_kept() -> None:
    ih = parse_identity(f"{TOKEN};info=<https://x/c.pem>;alg=ES256;ppt=shaken;toto=titi")
    assert ih.params["toto"] == "titi"
    assert [(r.code, r.severity) for r in ih.findings] == [("identity-malformed", "warning")]


def test_duplicate_parameter_is_an_error() -> None:
    ih = parse_identity(f"{TOKEN};info=<https://x/c.pem>;ppt=shaken;ppt=div")
    assert ih.ppt == "shaken"
    assert "twice" in ih.findings[0].message


def test_parameter_findings_are_bounded() -> None:
    # 16 KiB of "a;" once gave 8000 findings: 50 times the value's size in JSON.
    ih = parse_identity(f"{TOKEN};info=<https://x/c.pem>;alg=ES256;ppt=shaken" + ";a" * 7000)
    assert len(ih.findings) <= 20
    assert ih.findings[15].message == "and 6984 more problems like these"
    assert ih.params["info"] == "<https://x/c.pem>"  # the parameters before still read


def test_advisory_ghsa_mrq5_74j5_f5cr_identity_without_semicolon() -> None:
    """Asterisk crashed on an Identity header with no ';' at all."""
    ih = parse_identity(TOKEN)
    assert ih.token == TOKEN
    assert ih.info is None
    assert "no ';'" in ih.findings[0].message


def test_compact_form_is_recognised() -> None:
    ih = parse_identity("..c2ln;info=<https://x/c.pem>")
    assert ih.compact
    pp = decode_passport(ih.token)
    assert pp.compact
    assert pp.header == {}
    assert pp.signature == b"sig"


@pytest.mark.parametrize("value", ["", "   ", "o=<https://cert.example/x>;alg=ES256", '"a";b'])
def test_no_token_raises(value: str) -> None:
    with pytest.raises(IdentityParseError) as info:
        parse_identity(value)
    assert info.value.code == "identity-malformed"
    assert info.value.sip_code == 438


def test_a_wrapped_token_names_the_whitespace_and_says_to_join_the_lines() -> None:
    """A mail or ticket system wrapped the value: the analyst is told what to do."""
    head, rest = TOKEN[:50], TOKEN[50:]
    with pytest.raises(IdentityParseError, match=r"offset 50 .*: was the value wrapped") as info:
        parse_identity(f"{head}\n {rest};info=<https://x/c.pem>")
    assert "character '\\n'" in str(info.value)
    with pytest.raises(IdentityParseError) as info:
        parse_identity(f"{head}>{rest};info=<https://x/c.pem>")
    assert "wrapped" not in str(info.value)


def test_overlong_value_raises() -> None:
    with pytest.raises(IdentityParseError):
        parse_identity("a" * 20, limits=PassportLimits(max_identity_length=10))


def test_parse_identity_rejects_bytes() -> None:
    with pytest.raises(TypeError):
        parse_identity(b"x;info=<y>")  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_parse_identity_is_total(value: str) -> None:
    try:
        ih = parse_identity(value)
    except IdentityParseError:
        return
    assert ih.token


# --- decode_passport ------------------------------------------------------------------


def test_decode_keeps_segments_and_signing_input() -> None:
    pp = decode_passport(TOKEN)
    head, payload, sig = TOKEN.split(".")
    assert (pp.raw_header, pp.raw_payload, pp.raw_signature) == (head, payload, sig)
    assert pp.signing_input == f"{head}.{payload}".encode()
    assert verify_es256(KEY.public_key(), pp.signing_input, pp.signature)
    assert (pp.ppt, pp.attest, pp.orig_tn, pp.dest_tns, pp.iat) == (
        "shaken",
        "A",
        "12155551212",
        ("12155551213",),
        1700000000,
    )
    assert pp.findings == ()
    assert pp.issued_at is not None
    assert pp.issued_at.timestamp() == 1700000000


def test_an_origid_that_is_not_a_uuid_is_noted_not_malformed() -> None:
    # RFC 8588 §5 only recommends a UUID; real gateways send trunk names.
    pp = decode_passport(encode_passport(HEADER, {**CLAIMS, "origid": "globex-ingress-3"}, KEY))
    assert [(r.code, r.severity) for r in pp.findings] == [("origid-not-uuid", "info")]
    assert pp.origid == "globex-ingress-3"


def test_passport_is_frozen_read_only_and_picklable() -> None:
    pp = decode_passport(TOKEN)
    with pytest.raises(TypeError):
        pp.claims["iat"] = 1  # type: ignore[index]
    assert pickle.loads(pickle.dumps(pp)) == pp
    json.dumps(pp.to_dict())


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("a.b", "3 dot-separated parts"),
        ("eyJh,bGci.e30.AA", "character ','"),
        ("e30=.e30.AA", "character '='"),
        (_seg(b"[1]") + ".e30.AA", "not an object"),
        (_seg(b"{") + ".e30.AA", "not JSON"),
        (_seg(b'{"a":NaN}') + ".e30.AA", "not JSON"),
        # Python 3.11's decoder gives up (not JSON); 3.12+ decodes it (too deep).
        (_seg(b'{"a":' + b"[" * 3000 + b"]" * 3000 + b"}") + ".e30.AA", "not JSON|nests deeper"),
        (_seg(b'{"iat":1e400}') + ".e30.AA", "out of range"),  # Python reads inf
        (_seg(b'{"iat":-1e400}') + ".e30.AA", "out of range"),
    ],
)
def test_structural_problems_raise(token: str, fragment: str) -> None:
    with pytest.raises(PassportParseError) as info:
        decode_passport(token)
    assert re.search(fragment, str(info.value))


def test_duplicate_members_keep_the_last_and_are_errors() -> None:
    header = b'{"alg":"none","alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://x/c"}'
    pp = decode_passport(_raw(header, CLAIMS))
    assert pp.alg == "ES256"  # RFC 7515 §4: the last one, if not rejected
    assert any("repeats alg" in r.message and r.severity == "error" for r in pp.findings)


def test_json_depth_bound() -> None:
    deep = {"a": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}
    with pytest.raises(PassportParseError, match="nests deeper"):
        decode_passport(_raw(HEADER, deep))


def test_depth_check_follows_any_nesting_the_decoder_gives() -> None:
    # Python 3.12+ decodes JSON nested far deeper than the recursion limit (3.11
    # raised RecursionError in json.loads): the depth check must not recurse.
    from shakentrace._jsonseg import _deeper_than

    value: Any = 1
    for _ in range(20_000):
        value = [value]
    assert _deeper_than({"a": value}, 12)
    assert not _deeper_than({"a": [[1], {"b": []}]}, 4)
    assert _deeper_than({"a": [[1], {"b": [{}]}]}, 4)


def test_json_depth_bound_past_the_recursion_limit_is_a_parse_error() -> None:
    """Found by fuzzing: nesting the C decoder reads (~500) overflowed the depth check."""
    header = json.dumps(HEADER)[:-1].encode() + b',"x":' + b"[" * 600 + b"]" * 600 + b"}"
    with pytest.raises(PassportParseError, match="nests deeper"):
        decode_passport(_raw(header, CLAIMS))


def test_out_of_range_numbers_in_claims_are_malformed_not_infinite() -> None:
    """Found by fuzzing: ``1e400`` became ``inf`` and ``to_dict()`` was no longer JSON."""
    claims = json.dumps(CLAIMS)[:-1].encode() + b',"rcdi":1e400}'
    with pytest.raises(PassportParseError, match="out of range"):
        decode_passport(_raw(HEADER, claims))
    tiny = decode_passport(_raw(HEADER, json.dumps(CLAIMS)[:-1].encode() + b',"x":1e-400}'))
    assert tiny.claims["x"] == 0.0


def test_json_in_a_string_nested_past_the_recursion_limit_is_a_finding() -> None:
    """Found by fuzzing: an ``orig`` string of 3000 brackets raised RecursionError."""
    deep = '{"tn":' + "[" * 3000 + "]" * 3000 + "}"
    pp = decode_passport(_raw(HEADER, {**CLAIMS, "orig": deep}))
    assert pp.orig_tn is None
    # 3.11's decoder gives up on it (a string, not an object); 3.12+ decodes it
    # (JSON inside a string, whose tn is a list): an error finding either way.
    problems = [r.message for r in pp.findings if r.severity == "error"]
    assert any("not an object" in m or "JSON inside a string" in m for m in problems)


def test_token_length_and_json_size_bounds() -> None:
    with pytest.raises(PassportParseError, match="longer than"):
        decode_passport(TOKEN, limits=PassportLimits(max_token_length=50))
    with pytest.raises(PassportParseError, match="larger than"):
        decode_passport(TOKEN, limits=PassportLimits(max_json_bytes=20))


def test_string_iat_is_decoded_and_flagged() -> None:
    pp = decode_passport(_raw(HEADER, {**CLAIMS, "iat": "1700000000"}))
    assert pp.iat == 1700000000
    assert any("iat is the string" in r.message for r in pp.findings)


def test_json_in_a_string_orig_dest_decoded_and_flagged() -> None:
    claims = {**CLAIMS, "orig": '{"tn":"1"}', "dest": '{"tn":["2"]}'}
    pp = decode_passport(_raw(HEADER, claims))
    assert (pp.orig_tn, pp.dest_tns) == ("1", ("2",))
    assert sum("JSON inside a string" in r.message for r in pp.findings) == 2


def test_plus_empty_tns_and_non_uuid_origid_are_warnings() -> None:
    claims = {**CLAIMS, "orig": {"tn": "+12155551212"}, "dest": {"tn": [""]}, "origid": "toto"}
    pp = decode_passport(_raw(HEADER, claims))
    assert pp.orig_tn == "+12155551212"
    assert {r.severity for r in pp.findings} == {"warning", "info"}


def test_noncanonical_json_warns() -> None:
    header = b'{"typ":"passport","alg":"ES256","ppt":"shaken","x5u":"https://x/c.pem"}'
    pp = decode_passport(_raw(header, canonical_json(CLAIMS)))
    assert codes(pp.findings) == ["noncanonical-json"]
    assert pp.warnings == pp.findings


@pytest.mark.parametrize(
    ("drop", "fragment"),
    [("attest", "no attest"), ("origid", "no origid"), ("iat", "no iat"), ("dest", "no dest")],
)
def test_missing_shaken_claims_are_errors(drop: str, fragment: str) -> None:
    claims = {k: v for k, v in CLAIMS.items() if k != drop}
    pp = decode_passport(_raw(HEADER, claims))
    assert any(fragment in r.message and r.severity == "error" for r in pp.findings)


def test_embedded_keys_and_crit_are_reported() -> None:
    header = {**HEADER, "jwk": {"kty": "EC"}, "x5c": ["MII"], "crit": ["foo"], "foo": 1}
    pp = decode_passport(_raw(header, CLAIMS))
    assert codes(pp.findings).count("embedded-key") == 2
    assert any("crit lists foo" in r.message for r in pp.findings)


def test_div_rcd_rph_claims_are_typed() -> None:
    div = decode_passport(_raw({**HEADER, "ppt": "div"}, {**CLAIMS, "div": {"tn": "12155551213"}}))
    assert div.div is not None
    assert div.div.tn == "12155551213"
    rcd_claims = {
        **CLAIMS,
        "rcd": {"nam": "Example Bank", "jcl": "https://x/j.json"},
        "rcdi": {"/nam": "sha256-abc"},
        "crn": "Your order",
    }
    rcd = decode_passport(_raw({**HEADER, "ppt": "rcd"}, rcd_claims))
    assert rcd.rcd is not None
    assert (rcd.rcd.nam, rcd.rcd.jcl, rcd.rcd.crn) == (
        "Example Bank",
        "https://x/j.json",
        "Your order",
    )
    assert dict(rcd.rcd.rcdi or {}) == {"/nam": "sha256-abc"}
    rph = decode_passport(_raw({**HEADER, "ppt": "rph"}, {**CLAIMS, "rph": {"auth": ["ets.0"]}}))
    assert rph.rph is not None
    assert rph.rph.auth == ("ets.0",)


def test_unknown_ppt_is_decoded() -> None:
    pp = decode_passport(_raw({**HEADER, "ppt": "vvp"}, CLAIMS))
    assert pp.ppt == "vvp"
    assert pp.attest == "A"


def test_div_without_div_claim_is_an_error() -> None:
    pp = decode_passport(_raw({**HEADER, "ppt": "div"}, CLAIMS))
    assert any("no div claim" in r.message for r in pp.findings)


@given(st.text(max_size=400))
def test_decode_passport_is_total(token: str) -> None:
    with contextlib.suppress(PassportParseError):
        decode_passport(token)


@given(st.binary(max_size=200), st.binary(max_size=200))
def test_decode_passport_total_over_segments(head: bytes, body: bytes) -> None:
    with contextlib.suppress(PassportParseError):
        decode_passport(f"{b64url_encode(head)}.{b64url_encode(body)}.AA")


# --- encode_passport and RFC 8225 App. A ------------------------------------------------


def test_encode_is_canonical_and_round_trips() -> None:
    pp = decode_passport(TOKEN)
    assert pp.header == HEADER
    assert pp.claims == CLAIMS
    assert b64url_encode(canonical_json(HEADER)) == pp.raw_header


def test_encode_refuses_other_algorithms() -> None:
    with pytest.raises(ValueError, match="ES256"):
        encode_passport({**HEADER, "alg": "ES384"}, CLAIMS, KEY)


def test_rfc8225_appendix_a_segments_are_the_serialized_json() -> None:
    token = (VECTORS / "rfc8225" / "appendixA_token.txt").read_text().strip()
    head = (VECTORS / "rfc8225" / "appendixA_protected_header_serialized.json").read_bytes()
    body = (VECTORS / "rfc8225" / "appendixA_payload_serialized.json").read_bytes()
    pp = decode_passport(token)
    assert pp.raw_header == b64url_encode(head.strip())
    assert pp.raw_payload == b64url_encode(body.strip())
    assert pp.findings == ()  # canonical JSON, numeric iat: well-formed, just not signed right


@pytest.mark.parametrize(
    ("crit", "extra", "fragment"),
    [
        (["foo"], {"foo": 1}, "not understood"),
        ("foo", {}, "not a non-empty array"),
        ([], {}, "not a non-empty array"),
        ([1], {}, "not a non-empty array"),
        (["bar"], {}, "absent from the header"),
    ],
)
def test_crit_decision_any_crit_is_refused(
    crit: object, extra: dict[str, Any], fragment: str
) -> None:
    """RFC 7515 §4.1.11: PASSporT defines no critical extension, so none is understood."""
    from shakentrace._jose import critical_problems

    problems = critical_problems({**HEADER, "crit": crit, **extra})
    assert any(fragment in p for p in problems)
    pp = decode_passport(_raw({**HEADER, "crit": crit, **extra}, CLAIMS))
    assert "passport-malformed" in codes(pp.findings)
    assert critical_problems(HEADER) == ()
