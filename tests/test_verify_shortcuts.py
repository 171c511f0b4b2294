"""Every shortcut on the verification path gives the general path's answer.

The shortcuts exist for speed (benchmarks/verify.py): the usual Identity value,
a canonical JSON segment, a signer's JWS header decoded once, the usual SHAKEN
payload. Each property draws inputs around the usual shape (and across it) and
compares the shortcut with the general code it stands in for.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shakentrace import _jose, _joseheader, _jsonseg, identity, passport
from shakentrace.claims import PassportLimits, read_claims
from shakentrace.errors import ParseError

# --- Identity values -------------------------------------------------------------------

_IDENTITY_PIECES = st.sampled_from(
    ["eyJh.eyJi.c2ln", "..c2ln", "a.b", "a-_", ";info=<https://cr.example/x.pem>", ";info=<>",
     ";info=<a b>", ";info=https://x", ";alg=ES256", ";alg=", ";ALG=ES256", ";ppt=shaken",
     ';ppt="shaken"', ";ppt=div", ";ppt=", ";foo=bar", ";", " ", "\t", "<", ">", '"', ",",
     "info=<x>", "=", "é", ";info=<a;b>"]
)  # fmt: skip


@st.composite
def _identity_values(draw: st.DrawFn) -> str:
    """The usual token;info=<…>;alg=…;ppt=… with up to two pieces inserted or replaced."""
    parts = [
        draw(st.sampled_from(["eyJh.eyJi.c2ln", "..c2ln", "a_b-c.d.e"])),
        draw(st.sampled_from([";info=<https://cr.example/x.pem>", ";info=<>", ";info=<a:b/c?d>"])),
        draw(st.sampled_from([";alg=ES256", ";alg=RS256"])),
        draw(st.sampled_from([";ppt=shaken", ";ppt=div"])),
    ]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(parts)))
        piece = draw(_IDENTITY_PIECES)
        if draw(st.booleans()) and at < len(parts):
            parts[at] = piece
        else:
            parts.insert(at, piece)
    return draw(st.sampled_from(["", " "])) + "".join(parts)


def _outcome(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except ParseError as exc:
        return (type(exc).__name__, exc.code, exc.message)


@given(_identity_values() | st.lists(_IDENTITY_PIECES, min_size=1, max_size=8).map("".join))
def test_usual_identity_value_parses_as_the_general_parse(text: str) -> None:
    stripped = text.strip()
    quick = _outcome(identity.parse_identity, text)
    if stripped:
        assert quick == _outcome(identity._general, stripped, text)


def test_usual_identity_value_takes_the_shortcut() -> None:
    value = "h.p.s;info=<https://cr.example/1.pem>;alg=ES256;ppt=shaken"
    assert identity._USUAL.fullmatch(value)
    assert identity.parse_identity(value) == identity._general(value, value)


# --- JSON segments ---------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def _json_texts(draw: st.DrawFn) -> bytes:
    value = draw(st.dictionaries(st.text(max_size=4), _JSON, max_size=4))
    style = draw(st.sampled_from(["canonical", "spaced", "ascii", "unsorted", "repeat", "pad"]))
    if style == "spaced":
        text = json.dumps(value, sort_keys=True)
    elif style == "ascii":
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    elif style == "unsorted":
        text = json.dumps(dict(reversed(value.items())), separators=(",", ":"), ensure_ascii=False)
    else:
        text = _jsonseg.canonical_text(value)
    if style == "repeat" and value:
        name = json.dumps(next(iter(value)), ensure_ascii=False)
        text = text[:-1] + f",{name}:1}}"
    if style == "pad":
        text = draw(st.sampled_from([" ", "\n", ""])) + text + draw(st.sampled_from([" ", "x", ""]))
    return text.encode("utf-8", "surrogatepass")


def _general(data: bytes, limits: PassportLimits) -> Any:
    nesting = data.count(b"{") + data.count(b"[")
    return _outcome(_jsonseg._general, data, "payload", limits, nesting)


@given(_json_texts() | st.binary(max_size=40))
def test_canonical_shortcut_agrees_with_the_general_decoder(data: bytes) -> None:
    limits = PassportLimits()
    quick = _jsonseg._canonical_object(data)
    if quick is not None:
        assert _general(data, limits) == (quick, data, (), True)
    segment = _jose.b64url_encode(data)
    assert _outcome(_jsonseg.json_segment, segment, "payload", limits) == _general(data, limits)


@given(_json_texts(), st.integers(0, 200), st.integers(0, 3))
def test_json_segment_under_any_limits(data: bytes, size: int, depth: int) -> None:
    limits = PassportLimits(max_json_bytes=size, max_json_depth=depth)
    segment = _jose.b64url_encode(data)
    got = _outcome(_jsonseg.json_segment, segment, "payload", limits)
    expected = (
        ("PassportParseError", "passport-malformed", f"payload is larger than {size} bytes")
        if len(data) > size
        else _general(data, limits)
    )
    assert got == expected


def test_lone_surrogate_is_noncanonical_not_a_crash() -> None:
    data = b'{"x5u":"\\ud800"}'
    value, _, repeats, canonical = _jsonseg.json_segment(
        _jose.b64url_encode(data), "JWS header", PassportLimits()
    )
    assert value == {"x5u": "\ud800"}
    assert (repeats, canonical) == ((), False)


# --- the JWS header cache --------------------------------------------------------------

_HEADER_VALUES = st.one_of(
    st.sampled_from(["ES256", "passport", "shaken", "https://cr.example/1.pem"]),
    st.text(max_size=5),
    st.integers(),
    st.lists(st.text(max_size=3), max_size=2),
)


@given(
    st.dictionaries(st.sampled_from(["alg", "typ", "ppt", "x5u", "crit", "jwk"]), _HEADER_VALUES),
    st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3)), min_size=1, max_size=3),
)
def test_cached_jws_header_is_the_fresh_decode(header: dict[str, Any], limits: list[Any]) -> None:
    segment = _jose.b64url_encode(_jsonseg.canonical_json(header))
    for size, depth in limits:
        bounds = PassportLimits(max_json_bytes=size, max_json_depth=depth)
        try:
            value, data, repeats, canonical = _jsonseg.json_segment(segment, "JWS header", bounds)
        except ParseError as exc:
            expected: Any = exc.message
        else:
            expected = _joseheader.Jose.of(value, len(data), repeats, canonical)
        try:
            got: Any = _joseheader.jose_header(segment, bounds)
        except ParseError as exc:
            got = exc.message
        assert got == expected


def test_only_all_string_headers_are_cached() -> None:
    shared = _jose.b64url_encode(b'{"alg":"ES256","crit":["x"]}')
    _joseheader.jose_header(shared, PassportLimits())
    assert shared not in _joseheader._JOSE_CACHE


# --- the usual SHAKEN payload ----------------------------------------------------------

_TNS = st.sampled_from(
    ["12155551212", "12025550000", "1215555121#", "+12155551212", "", 1215, None]
)
_UUIDS = st.sampled_from(
    ["28f649f3-86ab-4196-a8fe-7a31167a6bd0", "28F649F3-86AB-4196-A8FE-7A31167A6BD0", "abc", 7]
)


_USUAL_CLAIMS: dict[str, Any] = {
    "attest": "A",
    "dest": {"tn": ["12025550000"]},
    "iat": 1700000000,
    "orig": {"tn": "12155551212"},
    "origid": "28f649f3-86ab-4196-a8fe-7a31167a6bd0",
}


@st.composite
def _claim_values(draw: st.DrawFn, name: str) -> Any:
    if name == "orig":
        return draw(
            st.one_of(
                st.fixed_dictionaries({"tn": _TNS}),
                st.fixed_dictionaries({"tn": _TNS, "uri": st.just("sip:a@b")}),
                st.sampled_from(['{"tn":"12155551212"}', {}, ["12155551212"]]),
            )
        )
    if name == "dest":
        return draw(
            st.one_of(
                st.fixed_dictionaries({"tn": st.lists(_TNS, max_size=3)}),
                st.fixed_dictionaries({"tn": _TNS}),
                st.sampled_from([{"uri": ["sip:b@c"]}, '{"tn":["12025550000"]}']),
            )
        )
    if name == "iat":
        return draw(
            st.one_of(
                st.integers(-(10**13), 10**13),
                st.sampled_from([True, "1700000000", 1.5, math.inf, 10**12, -(10**12) + 1]),
            )
        )
    if name == "attest":
        return draw(st.sampled_from(["A", "B", "C", "D", "", 1, None]))
    return draw(_UUIDS)


@st.composite
def _shaken_claims(draw: st.DrawFn) -> dict[str, Any]:
    """The usual payload with up to three claims changed, dropped or added."""
    claims = dict(_USUAL_CLAIMS)
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from([*sorted(_USUAL_CLAIMS), "div", "rcd", "rph", "crn", "x"]))
        change = draw(st.sampled_from(["value", "drop"]))
        if change == "drop":
            claims.pop(name, None)
        else:
            claims[name] = draw(_claim_values(name)) if name in _USUAL_CLAIMS else {}
    return claims


# --- raw R‖S to DER ------------------------------------------------------------------------

_HALVES = st.one_of(
    st.binary(min_size=32, max_size=32),
    st.sampled_from(
        [b"\0" * 32, b"\0" * 31 + b"\x01", b"\x80" + b"\0" * 31, b"\0\x80" + b"\0" * 30]
    ),
)


@given(_HALVES, _HALVES)
def test_raw_to_der_is_encode_dss_signature(r: bytes, s: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    expected = encode_dss_signature(int.from_bytes(r), int.from_bytes(s))
    assert _jose.raw_to_der(r + s) == expected


# --- the usual SHAKEN payload text ---------------------------------------------------------


@st.composite
def _payload_texts(draw: st.DrawFn) -> bytes:
    claims = draw(_shaken_claims())
    style = draw(st.sampled_from(["canonical", "canonical", "spaced", "unsorted", "ascii"]))
    if style == "spaced":
        text = json.dumps(claims, sort_keys=True)
    elif style == "unsorted":
        text = json.dumps(dict(reversed(claims.items())), separators=(",", ":"))
    elif style == "ascii":
        text = json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    else:
        text = _jsonseg.canonical_text(claims)
    return text.encode()


@given(_payload_texts(), st.integers(0, 6))
def test_usual_payload_text_reads_as_the_general_decoder(data: bytes, depth: int) -> None:
    from shakentrace._usual import usual_payload

    limits = PassportLimits(max_json_depth=depth)
    quick = usual_payload(data, limits)
    if quick is not None:
        claims, _, repeats, canonical = _jsonseg.json_object(data, "payload", limits)
        assert (claims, repeats, canonical) == (quick[0], (), True)
        assert list(claims.items()) == list(quick[0].items())
        fields = read_claims(claims, "shaken")
        assert not fields.findings
        read = (fields.iat, fields.orig_tn, fields.dest_tns, fields.attest, fields.origid)
        assert read == quick[1]
        # The Passport built from it is the one the general assembly gives.
        jose = _joseheader.Jose.of(
            {"alg": "ES256", "ppt": "shaken", "typ": "passport", "x5u": "https://cr.example/1.pem"},
            80,
            (),
            True,
        )
        segments = ("h", _jose.b64url_encode(data), "c2ln")
        general = passport._assemble(jose, claims, segments, b"sig")
        assert passport._usual(jose, claims, segments, b"sig", quick[1], compact=False) == general


def test_usual_payload_text_takes_the_shortcut() -> None:
    from shakentrace._usual import usual_payload

    data = _jsonseg.canonical_json(_USUAL_CLAIMS)
    assert usual_payload(data, PassportLimits()) is not None
    assert usual_payload(data, PassportLimits(max_json_depth=3)) is None


# --- Identity parameters against the JWS header ----------------------------------------------


@given(
    st.sampled_from([None, "ES256", "RS256"]),
    st.sampled_from([None, "ES256", "RS256"]),
    st.sampled_from([None, "shaken", "div", "x"]),
    st.sampled_from([None, "shaken", "div", "x"]),
    st.sampled_from([None, "https://a/1.pem", "https://b/1.pem"]),
    st.sampled_from([None, "https://a/1.pem", "https://b/1.pem"]),
    st.booleans(),
    st.booleans(),
)
def test_params_agree_means_the_parameter_checks_find_nothing(
    alg: str | None,
    jws_alg: str | None,
    ppt: str | None,
    jws_ppt: str | None,
    info: str | None,
    x5u: str | None,
    compact: bool,
    required: bool,
) -> None:
    from dataclasses import replace

    from shakentrace import _checks

    value = "eyJh.eyJi.c2ln;info=<https://a/1.pem>;alg=ES256;ppt=shaken"
    header = replace(identity.parse_identity(value), alg=alg, ppt=ppt, info=info)
    token = "eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9.c2ln"
    pp = replace(
        passport.decode_passport(token), alg=jws_alg, ppt=jws_ppt, x5u=x5u, compact=compact
    )
    algorithms, ppts = ("ES256",), ("shaken", "div")
    if _checks.params_agree(header, pp, algorithms, ppts):
        assert not _checks.check_alg(header, pp, algorithms=algorithms, require_params=required)
        assert not _checks.check_ppt(header, pp, ppts=ppts, require_params=required)
        assert not _checks.check_info(header, pp)


@given(
    st.integers(1_700_000_000 - 200, 1_700_000_000 + 200) | st.none(),
    st.integers(0, 120),
    st.integers(0, 10),
)
def test_validity_moment_is_iat_exactly_when_iat_is_fresh(
    iat: int | None, max_age: int, skew: int
) -> None:
    from datetime import UTC, datetime, timedelta

    from shakentrace import StaticFetcher
    from shakentrace._checks import check_freshness
    from shakentrace.verify import Policy, Verifier

    policy = Policy(max_age=timedelta(seconds=max_age), future_skew=timedelta(seconds=skew))
    verifier = Verifier(fetcher=StaticFetcher({}), policy=policy)
    now = datetime.fromtimestamp(1_700_000_000, UTC)
    fresh = iat is not None and not check_freshness(
        iat, now, max_age=policy.max_age, future_skew=policy.future_skew
    )
    expected = datetime.fromtimestamp(iat, UTC) if fresh and iat is not None else now
    assert verifier._validity_moment(iat, now) == expected


@given(st.lists(st.integers(-(10**11), 10**11) | st.none(), min_size=1, max_size=5))
def test_kept_issued_at_is_the_datetime_of_iat(iats: list[int | None]) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    pp = passport.decode_passport("eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9.c2ln")
    for iat in iats * 2:
        usable = iat is not None and -62135596800 < iat < 253402300800
        expected = datetime.fromtimestamp(iat, UTC) if usable and iat is not None else None
        assert replace(pp, iat=iat).issued_at == expected
