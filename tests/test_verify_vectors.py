"""Published vectors: each verifies or fails exactly as its source (and our checks) say.

The RFC and libstirshaken vectors are copied in ``test_vectors/`` (permissive
licences, see each PROVENANCE file). The full peer set the team collected
(``shared/vectors/peers/INDEX_signature_checks.json``, GPL/AGPL/unstated sources
included) is checked too when that directory is present; it is not part of the
repository (tests/test_verify_peers.py has regenerated equivalents).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key

from conftest import VECTORS
from shakentrace import Outcome, PassportParseError, Verifier, decode_passport, parse_identity
from shakentrace._jose import b64url_decode
from shakentrace.verify import Policy

RFC8225 = VECTORS / "rfc8225"
RFC8224 = VECTORS / "rfc8224"
LIBSS = VECTORS / "libstirshaken"
A2 = RFC8225 / "appendixA2_public_key.pem"
A1_DERIVED = RFC8225 / "appendixA1_private_key_derived_public.pem"
EXAMPLE_X5U = "https://cert.example.org/passport.cer"
BILOXI = "https://biloxi.example.org/biloxi.cert"
#: RFC examples carry no alg/ppt parameters and are not SHAKEN: judge signatures only.
LENIENT = Policy(require_ppt=False, check_date=False)


def key(path: Path) -> ec.EllipticCurvePublicKey:
    data = path.read_bytes()
    if b"CERTIFICATE" in data:
        loaded: Any = x509.load_pem_x509_certificate(data).public_key()
    elif b"PRIVATE" in data:
        loaded = load_pem_private_key(data, None).public_key()
    else:
        loaded = load_pem_public_key(data)
    assert isinstance(loaded, ec.EllipticCurvePublicKey)
    return loaded


def verify_value(value: str, public: ec.EllipticCurvePublicKey, *urls: str) -> Outcome:
    header = parse_identity(value)
    try:
        pp: Any = decode_passport(header.token)
    except PassportParseError:
        pp = None
    pinned = {u: public for u in (*urls, pp and pp.x5u, header.info) if u}
    when = (pp and pp.issued_at) or datetime(2020, 1, 1, tzinfo=UTC)
    return Verifier(keys=pinned, policy=LENIENT).verify_identity(value, now=when)


def identity_line(path: Path) -> str:
    return path.read_text().strip().removeprefix("Identity:").strip()


# --- RFC 8225 Appendix A vs §7.1 (NOTES §1) -------------------------------------------


@pytest.mark.parametrize("public", [A2, A1_DERIVED], ids=["A.2", "A.1-derived"])
def test_rfc8225_appendix_a_token_does_not_verify(public: Path) -> None:
    """The App. A token was not signed with either App. A key: a published bad signature."""
    out = verify_value((RFC8225 / "appendixA_token.txt").read_text().strip(), key(public))
    assert out.identities[0].signature == "invalid"
    assert "bad-signature" in {r.code for r in out.reasons}


def test_appendix_a1_and_a2_are_not_a_key_pair() -> None:
    private = load_pem_private_key(
        (RFC8225 / "appendixA1_private_key_normalized.pem").read_bytes(), None
    )
    assert private.public_key().public_numbers() == key(A1_DERIVED).public_numbers()  # type: ignore[union-attr]
    assert key(A1_DERIVED).public_numbers() != key(A2).public_numbers()


def test_rfc8225_section_7_1_token_verifies_with_a2_and_iat_is_a_string() -> None:
    out = verify_value(
        (RFC8225 / "section7_1_full_token_iat_string.txt").read_text().strip(), key(A2)
    )
    result = out.identities[0]
    assert result.signature == "valid"
    assert "bad-signature" not in {r.code for r in out.reasons}
    assert any("iat is the string" in r.message for r in out.reasons)
    assert out.iat == datetime.fromtimestamp(1443208345, UTC)
    other = verify_value(
        (RFC8225 / "section7_1_full_token_iat_string.txt").read_text().strip(), key(A1_DERIVED)
    )
    assert other.identities[0].signature == "invalid"


def test_rfc8224_section_4_1_full_form_signature_valid_info_differs_from_x5u() -> None:
    out = verify_value(identity_line(RFC8224 / "section4_1_full_form_identity_header.txt"), key(A2))
    assert out.identities[0].signature == "valid"
    codes = {r.code for r in out.reasons}
    assert "info-x5u-mismatch" in codes  # biloxi.example.org vs cert.example.org, in the RFC itself
    assert out.sip_code in (436, 438)


def _section_5_1_invite(identity: str) -> bytes:
    raw = (RFC8224 / "section5_1_invite_without_identity.sip").read_text()
    return raw.replace("Content-Type:", f"Identity: {identity}\nContent-Type:", 1).encode()


def test_rfc8224_section_5_1_compact_rebuild_numeric_iat_fails_string_iat_verifies() -> None:
    identity = identity_line(RFC8224 / "section5_1_compact_form_identity_header.txt")
    v = Verifier(keys={EXAMPLE_X5U: key(A2)}, policy=LENIENT)
    out = v.verify(_section_5_1_invite(identity), now=datetime.fromtimestamp(1443208345, UTC))
    result = out.identities[0]
    assert result.signature == "valid"
    assert result.reconstruction is not None
    assert "iat from Date as a string" in result.reconstruction
    assert "orig from From (tn 12155551212)" in result.reconstruction
    assert "dest from To (uri sip:alice@example.com)" in result.reconstruction
    pp = result.passport
    assert pp is not None
    assert pp.compact
    assert pp.claims["iat"] == "1443208345"  # the string form is what was signed
    payload = json.loads((RFC8224 / "section5_1_payload_serialized.json").read_text())
    assert payload["iat"] == 1443208345  # ...not the numeric one §5.1 prints


def test_rfc8224_section_4_1_compact_form_cannot_be_rebuilt() -> None:
    """§4.1's compact value names info=biloxi, but the signed x5u is cert.example.org."""
    identity = identity_line(RFC8224 / "section4_1_compact_form_identity_header.txt")
    v = Verifier(keys={BILOXI: key(A2)}, policy=LENIENT)
    out = v.verify(_section_5_1_invite(identity), now=datetime.fromtimestamp(1443208345, UTC))
    assert out.identities[0].signature == "invalid"
    assert out.identities[0].reconstruction is None
    assert "bad-signature" in {r.code for r in out.reasons}


def test_rfc8224_compact_form_with_wrong_key_says_what_was_tried() -> None:
    identity = identity_line(RFC8224 / "section5_1_compact_form_identity_header.txt")
    v = Verifier(keys={EXAMPLE_X5U: key(A1_DERIVED)}, policy=LENIENT)
    out = v.verify(_section_5_1_invite(identity), now=datetime.fromtimestamp(1443208345, UTC))
    (bad,) = [r for r in out.reasons if r.code == "bad-signature"]
    assert "iat from Date as a number" in bad.message
    assert "iat from Date as a string" in bad.message


# --- libstirshaken (MIT) -----------------------------------------------------------------

LIBSS_CASES = [
    (
        "passport_ref_token.txt",
        "test__ref__sp__sp.pub",
        {"passport-malformed", "identity-malformed"},
    ),
    ("passport_ref_identity_header.txt", "test__ref__sp__sp.pub", {"passport-malformed"}),
    ("readme_passport_attestB.txt", "test__ref__sp__sp.pub", {"identity-malformed"}),
    ("readme_identity_header_attestB.txt", "test__ref__sp__sp.pub", set()),
    ("spc_token_ref.txt", "test__ref__pa__pa.pub", {"passport-malformed", "identity-malformed"}),
    (
        "spc_token_test13_x5u_no_scheme.txt",
        "test__ref__pa__pa.pub",
        {"passport-malformed", "identity-malformed"},
    ),
]


@pytest.mark.parametrize(
    ("vector", "public", "errors"), LIBSS_CASES, ids=[c[0] for c in LIBSS_CASES]
)
def test_libstirshaken_signatures_verify(vector: str, public: str, errors: set[str]) -> None:
    out = verify_value((LIBSS / vector).read_text().strip(), key(LIBSS / public))
    assert out.identities[0].signature == "valid"
    assert {r.code for r in out.reasons if r.severity == "error"} == errors


def test_libstirshaken_json_in_a_string_claims_are_read() -> None:
    out = verify_value(
        (LIBSS / "passport_ref_identity_header.txt").read_text().strip(),
        key(LIBSS / "test__ref__sp__sp.pub"),
    )
    assert (out.orig_tn, out.dest_tns, out.origid) == ("01256789999", ("01256500600",), "ref")


# --- the whole peer collection, when present ------------------------------------------------

PEERS = Path(os.environ.get("SHAKENTRACE_PEERS", "/work/shared/vectors/peers"))
INDEX: list[dict[str, Any]] = (
    json.loads((PEERS / "INDEX_signature_checks.json").read_text())
    if (PEERS / "INDEX_signature_checks.json").is_file()
    else []
)


def _peer_value(entry: dict[str, Any]) -> str:
    path, _, label = entry["file"].partition("#")
    text = (PEERS / path).read_text()
    if label:
        return str(next(s["identity"] for s in json.loads(text) if s["id"] == label))
    return str(text.strip().removeprefix("Identity:").strip())


@pytest.mark.skipif(not INDEX, reason="team peer vectors not present (not part of the repository)")
@pytest.mark.parametrize("entry", INDEX, ids=[f"{e['file']}|{e['key_or_cert']}" for e in INDEX])
def test_every_indexed_peer_vector(entry: dict[str, Any]) -> None:
    value = _peer_value(entry)
    out = verify_value(value, key(PEERS / entry["key_or_cert"]))
    result = out.identities[0]
    expected = entry["es256_signature_check"]
    if expected.startswith("ERROR") or "," in value.split(";")[0]:
        # Strict base64url refuses the comma-injected segment outright, where a
        # lenient decoder errs (header) or checks other bytes than were signed.
        assert result.passport is None
        assert {r.code for r in result.reasons} & {"passport-malformed"}
    else:
        assert result.signature == expected.lower(), out.reasons
        if "mismatching value for x5u and info" in (
            entry.get("secsipidx_1.2.0_check_expire_999999999") or ""
        ):
            assert "info-x5u-mismatch" in {r.code for r in out.reasons}


def test_strict_base64url_refuses_comma_injection() -> None:
    """cgrates' comma vectors: lenient decoders drop the ',' and verify the original."""
    header = parse_identity(identity_line(RFC8224 / "section4_1_full_form_identity_header.txt"))
    head, payload, signature = header.token.split(".")
    tampered = f"{head}.{payload[:20]},{payload[20:]}.{signature};info=<{BILOXI}>"
    v = Verifier(keys={BILOXI: key(A2)}, policy=LENIENT)
    result = v.verify_identity(tampered, now=datetime.fromtimestamp(1443208345, UTC)).identities[0]
    assert result.passport is None
    assert "character ','" in result.reasons[-1].message
    assert b64url_decode(payload)  # the untampered segment decodes
