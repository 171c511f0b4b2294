"""Verifier and evaluate: every reason code, several Identity headers, the verdict fields."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

import strategies
from shakentrace import (
    ConfigurationError,
    Outcome,
    Policy,
    StaticFetcher,
    TrustStore,
    VerificationError,
    Verifier,
    verify_many,
)
from shakentrace.errors import FetchError
from shakentrace.reasons import REASON_CODES
from shakentrace.testing import MUTATIONS, StiCA, StiCert, build_invite
from shakentrace.verify import CallFacts, evaluate

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
CA = StiCA(seed="verify-core", now=NOW)
CERT = CA.issue_cert(spc="1234")
ORIG, DEST = "12155551212", "12155551213"


def verifier(*certs: StiCert, ca: StiCA = CA, **policy: object) -> Verifier:
    bodies = {c.x5u: bytes(c.chain_pem) for c in (certs or (CERT,))}
    return Verifier(
        trust=TrustStore.from_pem(ca.trust_pem),
        fetcher=StaticFetcher(bodies),
        policy=Policy(**policy),  # type: ignore[arg-type]
    )


def invite(*identities: str, **kwargs: object) -> bytes:
    return build_invite(identity=list(identities), orig=ORIG, dest=DEST, **kwargs)  # type: ignore[arg-type]


def diverted(*identities: str, to: str = "12155559999") -> bytes:
    """An INVITE after retargeting: To keeps the original callee, the Request-URI is new."""
    raw = invite(*identities)
    _line, rest = raw.split(b"\r\n", 1)
    return f"INVITE sip:+{to}@sbc.terminating.example;user=phone SIP/2.0\r\n".encode() + rest


def good(**kwargs: object) -> str:
    return CERT.identity_header(orig=ORIG, dest=DEST, **kwargs)  # type: ignore[arg-type]


def errors(out: Outcome) -> set[str]:
    return {r.code for r in out.reasons if r.severity == "error"}


def test_valid_call_has_every_field() -> None:
    out = verifier().verify(invite(good()), now=NOW)
    assert out.status == "valid"
    assert out.ok
    assert (out.verstat, out.sip_code, out.sip_reason, out.reason_header) == (
        "TN-Validation-Passed",
        None,
        None,
        None,
    )
    assert (out.attestation, out.orig_tn, out.dest_tns, out.iat) == ("A", ORIG, (DEST,), NOW)
    assert out.signer is not None
    assert (out.signer.spc, out.signer.common_name, out.signer.verified) == (
        "1234",
        "SHAKEN 1234",
        True,
    )
    assert out.signer.x5u == CERT.x5u
    assert out.reasons == ()
    (result,) = out.identities
    assert (result.status, result.signature, result.ppt) == ("valid", "valid", "shaken")
    assert {(p.claim, p.header, p.match) for p in result.pairings} == {
        ("orig", "From", "equal"),
        ("orig", "P-Asserted-Identity", "equal"),
        ("dest", "To", "equal"),
        ("dest", "Request-URI", "equal"),
    }
    assert out.raise_for_failure() is out


def test_outcome_to_dict_is_json_safe_and_outcome_pickles() -> None:
    out = verifier().verify(invite(good()), now=NOW)
    data = json.loads(json.dumps(out.to_dict()))
    assert data["status"] == "valid"
    assert data["identities"][0]["passport"]["claims"]["attest"] == "A"
    assert pickle.loads(pickle.dumps(out)) == out


def test_no_identity_is_428() -> None:
    out = verifier().verify(invite(), now=NOW)
    assert (out.status, out.verstat, out.sip_code) == ("no-identity", "No-TN-Validation", 428)
    assert out.reason_header == 'STIR;cause=428;text="Use Identity Header"'
    with pytest.raises(VerificationError) as info:
        out.raise_for_failure()
    assert (info.value.code, info.value.sip_code, info.value.outcome) == ("no-identity", 428, out)


def test_unparseable_message_is_reported_not_raised() -> None:
    out = verifier().verify(b"\x00\x01 not sip", now=NOW)
    assert out.status == "no-identity"
    assert [r.code for r in out.reasons] == ["sip-malformed"]
    assert out.sip_code == 400


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_every_mutation_gives_its_reason(name: str) -> None:
    mutation = MUTATIONS[name]
    out = verifier().verify(invite(mutation.apply(CERT, good())), now=NOW)
    codes = {r.code for r in out.reasons}
    assert mutation.reason in codes, out.reasons
    severity = REASON_CODES[mutation.reason].severity
    assert out.status == ("invalid" if severity == "error" else "valid")
    if severity == "error":
        assert out.verstat == "TN-Validation-Failed"
        assert out.sip_code in (403, 436, 437, 438)
        assert out.reason_header == (
            f'STIR;cause={out.sip_code};text="{out.sip_reason}"'  # RFC 9410
        )


def test_alg_none_is_not_checked_as_es256() -> None:
    out = verifier().verify(invite(MUTATIONS["alg-none"].apply(CERT, good())), now=NOW)
    assert errors(out) == {"unsupported-alg"}
    assert out.identities[0].signature == "unchecked"
    assert out.sip_code == 437


def test_der_signature_is_named() -> None:
    out = verifier().verify(invite(MUTATIONS["der-signature"].apply(CERT, good())), now=NOW)
    assert errors(out) == {"bad-signature"}
    assert "DER" in out.reasons[0].message


def test_embedded_jwk_is_never_trusted() -> None:
    out = verifier().verify(invite(MUTATIONS["embedded-jwk"].apply(CERT, good())), now=NOW)
    assert {"bad-signature", "embedded-key"} <= {r.code for r in out.reasons}


def test_crit_header_fails_but_the_signature_is_still_checked() -> None:
    out = verifier().verify(invite(MUTATIONS["crit-header"].apply(CERT, good())), now=NOW)
    assert errors(out) == {"passport-malformed"}
    assert out.identities[0].signature == "valid"


@pytest.mark.parametrize(
    ("shift", "code"),
    [(-60, None), (-61, "stale"), (5, None), (6, "iat-in-future")],
)
def test_freshness_boundaries(shift: int, code: str | None) -> None:
    identity = good(iat=NOW + timedelta(seconds=shift))
    out = verifier().verify(invite(identity, date=NOW), now=NOW)
    found = {r.code for r in out.reasons if r.code in ("stale", "iat-in-future")}
    assert found == ({code} if code else set())


def test_max_age_comes_from_the_policy() -> None:
    identity = good(iat=NOW - timedelta(seconds=100))
    out = verifier(max_age=timedelta(seconds=300)).verify(invite(identity, date=NOW), now=NOW)
    assert out.ok


def test_date_header_far_from_now_is_stale_and_reported_against_iat() -> None:
    out = verifier().verify(invite(good(), date=NOW - timedelta(days=1)), now=NOW)
    assert errors(out) == {"stale"}
    assert "Date header" in out.reasons[0].message
    assert "date-mismatch" in {r.code for r in out.reasons}
    assert out.reasons[0].message == "Date header is 86400 s (1 d 0 h) old (RFC 8224 §6.2)"
    relaxed = verifier(check_date=False).verify(
        invite(good(), date=NOW - timedelta(days=1)), now=NOW
    )
    assert relaxed.ok


def test_time_is_evidence_a_year_old_capture_at_its_own_time() -> None:
    old = NOW - timedelta(days=30)
    ca = StiCA(seed="old", now=old)
    cert = ca.issue_cert(spc="9999")
    identity = cert.identity_header(orig=ORIG, dest=DEST)
    v = verifier(cert, ca=ca)
    assert v.verify(invite(identity), now=old).ok
    later = v.verify(invite(identity), now=old + timedelta(days=365))
    assert {"stale", "cert-expired"} <= errors(later)
    stale = next(r for r in later.reasons if r.code == "stale")
    assert stale.message == "iat is 31536000 s (365 d 0 h) old (max 60 s)"  # readable at once
    ahead = v.verify(invite(identity), now=old - timedelta(minutes=90))
    assert "iat is 5400 s (1 h 30 min) ahead (skew 5 s)" in {r.message for r in ahead.reasons}


def test_orig_against_from_and_each_pai() -> None:
    raw = invite(good(), extra_headers=[("P-Asserted-Identity", "<tel:+12025550100>")])
    out = verifier().verify(raw, now=NOW)
    assert out.ok  # From and the first PAI agree
    warning = [r for r in out.reasons if r.code == "orig-mismatch"]
    assert [r.severity for r in warning] == ["warning"]
    headers = {p.header for p in out.identities[0].pairings if p.claim == "orig"}
    assert headers == {"From", "P-Asserted-Identity[1]", "P-Asserted-Identity[2]"}


def test_orig_matching_no_header_is_an_error() -> None:
    out = verifier().verify(invite(CERT.identity_header(orig="12025550100", dest=DEST)), now=NOW)
    assert errors(out) == {"orig-mismatch"}
    assert out.sip_code == 438


def test_dest_against_to_and_request_uri() -> None:
    out = verifier().verify(invite(CERT.identity_header(orig=ORIG, dest="12025550199")), now=NOW)
    assert errors(out) == {"dest-mismatch"}
    assert len([r for r in out.reasons if r.code == "dest-mismatch"]) == 2


def test_canonical_tn_match_plus_and_national_forms() -> None:
    identity = CERT.identity_header(orig="+12155551212", dest=["2155551213"])
    out = verifier().verify(invite(identity), now=NOW)
    assert errors(out) == set()
    matches = {p.match for p in out.identities[0].pairings}
    assert matches == {"canonical-equal"}


def test_info_x5u_mismatch_is_refused_before_fetching() -> None:
    identity = good().replace(f"info=<{CERT.x5u}>", "info=<https://elsewhere.example/c.pem>")
    fetcher = StaticFetcher({CERT.x5u: bytes(CERT.chain_pem)})
    v = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=fetcher)
    out = v.verify(invite(identity), now=NOW)
    assert errors(out) == {"info-x5u-mismatch"}
    assert (out.sip_code, fetcher.calls) == (436, [])


def test_fetch_failures_map_to_their_codes() -> None:
    class Refusing:
        def fetch(self, url: str) -> bytes:
            raise FetchError("private address", code="x5u-forbidden")

    v = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=Refusing())
    assert errors(v.verify(invite(good()), now=NOW)) == {"x5u-forbidden"}
    v = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=StaticFetcher({}))
    out = v.verify(invite(good()), now=NOW)
    assert (errors(out), out.sip_code) == ({"cert-unavailable"}, 436)
    v = Verifier(
        trust=TrustStore.from_pem(CA.trust_pem), fetcher=StaticFetcher({CERT.x5u: b"junk"})
    )
    assert errors(v.verify(invite(good()), now=NOW)) == {"cert-unavailable"}


def test_untrusted_chain_and_bad_signature_are_reported_independently() -> None:
    other = StiCA(seed="other", now=NOW)
    out = verifier(ca=other).verify(invite(MUTATIONS["wrong-key"].apply(CERT, good())), now=NOW)
    assert {"cert-untrusted", "bad-signature"} <= errors(out)
    assert out.signer is not None
    assert not out.signer.verified


def test_without_a_trust_store_the_signer_is_named_unverified() -> None:
    v = Verifier(fetcher=StaticFetcher({CERT.x5u: bytes(CERT.chain_pem)}))
    out = v.verify(invite(good()), now=NOW)
    assert errors(out) == {"cert-untrusted"}  # the signature is still checked, and holds
    assert out.signer is not None
    assert (out.signer.spc, out.signer.x5u, out.signer.verified) == ("1234", CERT.x5u, False)
    forged = v.verify(invite(MUTATIONS["wrong-key"].apply(CERT, good())), now=NOW)
    assert errors(forged) == {"cert-untrusted", "bad-signature"}


def test_tn_not_authorized_comes_from_the_chain_result() -> None:
    delegate = CA.issue_cert(spc=None, tns=["12155550000"])
    identity = delegate.identity_header(orig=ORIG, dest=DEST)
    out = verifier(delegate).verify(invite(identity), now=NOW)
    assert "tn-not-authorized" in errors(out)


def test_revoked_certificate() -> None:
    cert = CA.issue_cert(spc="7777")
    CA.revoke(cert, at=NOW - timedelta(days=1))
    trust = TrustStore.from_pem(CA.trust_pem + bytes(CA.crl()))
    v = Verifier(trust=trust, fetcher=StaticFetcher({cert.x5u: bytes(cert.chain_pem)}))
    out = v.verify(invite(cert.identity_header(orig=ORIG, dest=DEST)), now=NOW)
    assert "cert-revoked" in errors(out)


def test_shaken_and_div_headers_each_get_a_result() -> None:
    shaken = CERT.sign_passport(orig=ORIG, dest=DEST)
    div = CERT.divert(shaken, to="12155559999")
    raw = diverted(CERT.identity_for(shaken), CERT.identity_for(div))
    out = verifier().verify(raw, now=NOW)
    assert out.ok
    assert [r.ppt for r in out.identities] == ["shaken", "div"]
    assert out.passport is out.identities[0].passport
    assert out.identities[1].status == "valid"
    assert out.identities[1].passport is not None
    assert out.identities[1].passport.div is not None


def test_div_first_then_shaken_call_fields_come_from_shaken() -> None:
    shaken = CERT.sign_passport(orig=ORIG, dest=DEST, attest="B")
    div = CERT.divert(shaken, to="12155559999")
    out = verifier().verify(diverted(CERT.identity_for(div), CERT.identity_for(shaken)), now=NOW)
    assert out.attestation == "B"
    assert out.passport is out.identities[1].passport


def test_broken_div_fails_the_call() -> None:
    shaken = CERT.sign_passport(orig=ORIG, dest=DEST)
    div = CERT.sign_div(orig=ORIG, dest="12155559999", div="12155550000")
    out = verifier().verify(diverted(CERT.identity_for(shaken), CERT.identity_for(div)), now=NOW)
    assert errors(out) == {"div-broken"}
    assert out.identities[1].status == "invalid"


def test_retargeted_to_and_request_uri_verify_through_the_div_passport() -> None:
    """A forwarding B2BUA that rewrites To as well as the Request-URI: the shaken
    PASSporT's dest names the original callee, the chained div PASSporT's dest the
    new target (RFC 8946 §4.2). The call verifies; the old dest is only noted."""
    shaken = CERT.sign_passport(orig=ORIG, dest=DEST)
    div = CERT.divert(shaken, to="12155559999")
    raw = build_invite(
        identity=[CERT.identity_for(shaken), CERT.identity_for(div)], orig=ORIG, dest="12155559999"
    )
    out = verifier().verify(raw, now=NOW)
    assert out.status == "valid"
    noted = {(r.code, r.severity) for r in out.reasons}
    assert noted == {("dest-mismatch", "warning")}
    assert all("RFC 8946" in r.message for r in out.reasons)
    # Without the div PASSporT (or with one that does not chain) dest is still an error.
    alone = build_invite(identity=CERT.identity_for(shaken), orig=ORIG, dest="12155559999")
    assert errors(verifier().verify(alone, now=NOW)) == {"dest-mismatch"}
    stray = CERT.identity_for(CERT.sign_div(orig=ORIG, dest="12155559999", div="12155550000"))
    broken = build_invite(
        identity=[CERT.identity_for(shaken), stray], orig=ORIG, dest="12155559999"
    )
    assert errors(verifier().verify(broken, now=NOW)) == {"dest-mismatch", "div-broken"}


def test_comma_joined_identity_values() -> None:
    shaken = CERT.sign_passport(orig=ORIG, dest=DEST)
    div = CERT.divert(shaken, to="12155559999")
    joined = f"{CERT.identity_for(shaken)}, {CERT.identity_for(div)}"
    out = verifier().verify(diverted(joined), now=NOW)
    assert [r.ppt for r in out.identities] == ["shaken", "div"]
    assert out.ok


def test_rcd_next_to_shaken_and_unknown_ppt_alone() -> None:
    shaken = good()
    rcd = CERT.identity_header(orig=ORIG, dest=DEST, ppt="rcd", rcd={"nam": "Example Bank"})
    out = verifier().verify(invite(shaken, rcd), now=NOW)
    assert out.ok
    rcd_pp = out.identities[1].passport
    assert rcd_pp is not None
    assert rcd_pp.rcd is not None
    assert rcd_pp.rcd.nam == "Example Bank"
    vvp = CERT.identity_header(orig=ORIG, dest=DEST, ppt="vvp")
    alone = verifier().verify(invite(vvp), now=NOW)
    assert "unsupported-ppt" in errors(alone)
    assert alone.identities[0].signature == "valid"


def test_missing_alg_param_warns_missing_ppt_param_fails() -> None:
    no_alg = good().replace(";alg=ES256", "")
    out = verifier().verify(invite(no_alg), now=NOW)
    assert out.ok
    assert "unsupported-alg" in {r.code for r in out.reasons}
    strict = verifier(require_alg=True).verify(invite(no_alg), now=NOW)
    assert (errors(strict), strict.sip_code) == ({"unsupported-alg"}, 437)
    no_ppt = good().replace(";ppt=shaken", "")
    assert errors(verifier().verify(invite(no_ppt), now=NOW)) == {"unsupported-ppt"}


def test_verify_identity_alone_has_no_pairings() -> None:
    out = verifier().verify_identity(good(), now=NOW)
    assert out.ok
    assert out.identities[0].pairings == ()


def test_evaluate_is_pure_and_takes_pinned_credentials() -> None:
    call = CallFacts(identities=(good(),))
    out = evaluate(call, now=NOW)
    assert out.identities[0].signature == "unchecked"
    assert out.ok  # nothing refuted, but nothing checked: the shell's credentials decide


def test_pinned_keys_without_certificates() -> None:
    v = Verifier(keys={CERT.x5u: CERT.private_key.public_key()})  # type: ignore[dict-item]
    out = v.verify(invite(good()), now=NOW)
    assert out.ok
    assert out.signer is None


def test_policy_and_verifier_misuse_raise() -> None:
    with pytest.raises(ConfigurationError):
        Policy(algorithms=("ES384",))
    with pytest.raises(ConfigurationError):
        Policy(max_age=timedelta(seconds=-1))
    with pytest.raises(ConfigurationError):
        Verifier()
    with pytest.raises(ConfigurationError):
        verifier().verify(invite(good()), now=datetime(2026, 3, 1))
    with pytest.raises(TypeError):
        verifier().verify(42, now=NOW)  # type: ignore[arg-type]
    assert dataclasses.replace(Policy(), max_age=timedelta(seconds=5)).max_age.seconds == 5


def test_too_many_identity_values_are_bounded() -> None:
    out = verifier(max_identities=2).verify(invite(good(), good(), good()), now=NOW)
    assert len(out.identities) == 2
    assert any("only the first 2" in r.message for r in out.reasons)


def _make_verifier() -> Verifier:
    return verifier()


def test_verify_many_keeps_order_across_processes() -> None:
    messages = [invite(good()), invite(), b"junk", invite(good(attest="C"))]
    outcomes = verify_many(messages, partial(_make_verifier), now=NOW, workers=2, chunksize=1)
    assert [o.status for o in outcomes] == ["valid", "no-identity", "no-identity", "valid"]
    assert outcomes[3].attestation == "C"
    assert verify_many(messages, _make_verifier, now=NOW, workers=1) == outcomes


@given(st.text(max_size=300))
def test_verify_is_total_over_identity_values(value: str) -> None:
    header_safe = value.replace("\r", " ").replace("\n", " ")
    out = verifier().verify(invite(header_safe), now=NOW)
    assert out.status in ("valid", "invalid", "no-identity")
    json.dumps(out.to_dict())


@given(st.binary(max_size=600))
def test_verify_is_total_over_arbitrary_messages(data: bytes) -> None:
    out = verifier().verify(data, now=NOW)
    assert out.status in ("valid", "invalid", "no-identity")


@given(st.data())
def test_verify_is_total_over_mangled_invites(data: st.DataObject) -> None:
    raw = bytearray(invite(good()))
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    out = verifier().verify(bytes(raw), now=NOW)
    assert out.status in ("valid", "invalid", "no-identity")


@given(strategies.sip_messages())
def test_verify_is_total_over_generated_sip_messages(model_and_raw: tuple[object, bytes]) -> None:
    out = verifier().verify(model_and_raw[1], now=NOW)
    assert out.status in ("valid", "invalid", "no-identity")
    json.dumps(out.to_dict())


@given(strategies.identity_values())
def test_verify_is_total_over_rfc8224_shaped_identity_values(value: str) -> None:
    out = verifier().verify(invite(value), now=NOW)
    assert out.status == "invalid"
    assert out.identities
    _reason_values_parse_back(out)


def _reason_values_parse_back(out: Outcome) -> None:
    """Every RFC 9410 Reason value is one well-formed reason-value with its cause."""
    from shakentrace.sipheaders import parse_reason

    pairs = [(out.reason_header, out.sip_code)]
    for result in out.identities:
        first = next((r for r in result.reasons if r.severity == "error"), None)
        pairs.append((result.reason_header, first.sip_code if first else None))
    for value, code in pairs:
        if value is None:
            continue
        parsed = parse_reason(value)
        assert (parsed.protocol, parsed.cause) == ("STIR", code)
        assert parsed.ppi is None or parsed.ppi.startswith("..")


@given(st.lists(strategies.identity_values(), min_size=2, max_size=3))
def test_reason_values_of_several_identity_headers_parse_back(values: list[str]) -> None:
    _reason_values_parse_back(verifier().verify(invite(*values), now=NOW))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.sampled_from(["iat", "orig", "dest", "attest", "origid", "div", "rcd", "rph"]), JSON)
def test_verify_is_total_over_signed_claims_of_any_shape(claim: str, value: object) -> None:
    """Correctly signed PASSporTs whose claims hold anything JSON can (huge ints, NaN…)."""
    identity = CERT.identity_header(orig=ORIG, dest=DEST, extra_claims={claim: value})
    out = verifier().verify(invite(identity, date=NOW), now=NOW)
    assert out.status in ("valid", "invalid")
    json.dumps(out.to_dict())


def test_malformed_headers_are_reported_not_raised() -> None:
    raw = invite(good()).replace(b"Date: ", b"Date: not a date ", 1)
    out = verifier().verify(raw, now=NOW)
    assert "sip-malformed" in errors(out)
    assert out.identities[0].signature == "valid"  # the PASSporT is still examined


def test_injected_clock_is_now_when_none_is_given() -> None:
    v = Verifier(
        trust=TrustStore.from_pem(CA.trust_pem),
        fetcher=StaticFetcher({CERT.x5u: bytes(CERT.chain_pem)}),
        clock=lambda: NOW + timedelta(minutes=5),
    )
    out = v.verify(invite(good(), date=NOW))
    assert out.now == NOW + timedelta(minutes=5)
    assert "stale" in errors(out)
    assert v.verify(invite(good(), date=NOW), now=NOW).ok


def test_a_retransmitted_identity_is_decoded_once() -> None:
    v = verifier()
    first = v.verify(invite(good()), now=NOW)
    again = v.verify(invite(good()), now=NOW + timedelta(seconds=1))
    assert first.passport is again.passport  # same immutable decode, reused
    assert again.ok


def _signature(identity: str) -> str:
    return identity.split(";", 1)[0].rsplit(".", 1)[1]


def test_rfc9410_reason_names_the_failed_header_by_ppi() -> None:
    shaken = CERT.sign_passport(orig=ORIG, dest=DEST)
    div = CERT.sign_div(orig=ORIG, dest="12155559999", div="12155550000")  # not a dest
    first, second = CERT.identity_for(shaken), CERT.identity_for(div)
    out = verifier().verify(diverted(first, second), now=NOW)
    assert out.identities[0].reason_header is None  # the shaken one verified
    assert out.identities[1].reason_header == (
        f'STIR;cause=438;text="Invalid Identity Header";ppi="..{_signature(second)}"'
    )
    # The call fails on the broken div chain: the call's Reason names the shaken header.
    assert out.reason_header == (
        f'STIR;cause=438;text="Invalid Identity Header";ppi="..{_signature(first)}"'
    )
    assert out.to_dict()["identities"][1]["reason_header"] == out.identities[1].reason_header


def test_rfc9410_single_header_reason_has_no_ppi_but_its_result_does() -> None:
    bad = MUTATIONS["wrong-key"].apply(CERT, good())
    out = verifier().verify(invite(bad), now=NOW)
    assert out.reason_header == 'STIR;cause=438;text="Invalid Identity Header"'
    assert out.identities[0].reason_header == (
        f'STIR;cause=438;text="Invalid Identity Header";ppi="..{_signature(bad)}"'
    )


def test_rfc9410_reason_value_parses_back_with_its_ppi() -> None:
    from shakentrace.sipheaders import parse_reason

    token = CERT.sign_passport(orig=ORIG, dest=DEST)
    compact = f"..{token.rsplit('.', 1)[1]};info=<{CERT.x5u}>;alg=ES256;ppt=shaken"
    out = verifier().verify(invite(compact), now=NOW + timedelta(hours=1))  # stale
    value = out.identities[0].reason_header
    assert value is not None
    parsed = parse_reason(value)
    assert (parsed.protocol, parsed.cause, parsed.text) == ("STIR", out.sip_code, out.sip_reason)
    assert out.sip_code in (403, 438)
    assert parsed.ppi == compact.split(";", 1)[0]  # a compact token is its own ppi


def test_rfc9410_no_ppi_without_a_signature_segment() -> None:
    from shakentrace._outcome import compact_ppi, reason_value

    assert compact_ppi("a.b") is None
    assert compact_ppi("a.b.") is None
    assert compact_ppi('a.b.c"d') is None  # would break out of the quoted string
    assert compact_ppi("a.b.c") == "..c"
    assert reason_value(None) is None
    assert reason_value(499) is None  # not a STIR response code
    out = verifier().verify(invite("not-a-passport;info=<https://x.example/c.pem>"), now=NOW)
    assert out.identities[0].reason_header == 'STIR;cause=438;text="Invalid Identity Header"'
