"""JWT Claim Constraints (RFC 8226 §8, RFC 9118 §3): a certificate limits what it signs.

An RCD or delegate certificate can say which claims a PASSporT signed with it
must carry, must not carry, and which values a claim may hold. A PASSporT
outside those limits is ``claims-not-permitted`` (438), with the constraint it
breaks, whichever certificate of the path (leaf or CA) holds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from shakentrace import Outcome, StaticFetcher, TrustStore, Verifier
from shakentrace._checks import check_claim_constraints
from shakentrace.certs import JWT_CLAIM_CONSTRAINTS_OID, ClaimConstraints, cert_facts
from shakentrace.errors import ConfigurationError
from shakentrace.testing import StiCA, StiCert, build_invite
from shakentrace.testing._asn1 import encode_claim_constraints

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="claim-constraints", now=NOW)
ORIG, DEST = "12155551212", "12155551213"


def _verify(cert: StiCert, chain_pem: bytes | None = None, **claims: Any) -> Outcome:
    verifier = Verifier(
        trust=TrustStore.from_pem(CA.trust_pem),
        fetcher=StaticFetcher({cert.x5u: chain_pem or bytes(cert.chain_pem)}),
    )
    identity = cert.identity_header(orig=ORIG, dest=DEST, iat=NOW, **claims)
    return verifier.verify(build_invite(identity=identity, orig=ORIG, dest=DEST), now=NOW)


def _refused(out: Outcome) -> list[str]:
    return [r.message for r in out.reasons if r.code == "claims-not-permitted"]


def _constrained(**rule: Any) -> StiCert:
    return CA.issue_cert(spc="1234", claim_constraints=[ClaimConstraints(**rule)])


def test_must_include() -> None:
    cert = _constrained(enhanced=False, must_include=("rcd",))
    out = _verify(cert)
    assert (out.status, out.sip_code) == ("invalid", 438)
    assert _refused(out) == ["no 'rcd' claim, which the certificate's JWTClaimConstraints require"]
    assert _verify(cert, ppt="shaken", rcd={"nam": "Example Bank"}).ok


def test_permitted_values_of_a_string_claim() -> None:
    cert = _constrained(enhanced=False, permitted_values=(("attest", ("B", "C")),))
    (message,) = _refused(_verify(cert, attest="A"))
    assert "attest is 'A', not one of ['B', 'C']" in message
    assert _verify(cert, attest="B").ok


def test_permitted_values_of_an_object_claim_compare_as_rfc8225_json() -> None:
    permitted = ('{"apn":"+12155551212","nam":"Example Bank"}',)
    cert = _constrained(enhanced=True, permitted_values=(("rcd", permitted),))
    # Members in another order still match: both sides in the RFC 8225 §9 form.
    assert _verify(cert, rcd={"nam": "Example Bank", "apn": "+12155551212"}).ok
    (message,) = _refused(_verify(cert, rcd={"nam": "Evil Bank", "apn": "+12155551212"}))
    assert "Evil Bank" in message
    assert "EnhancedJWTClaimConstraints" in message


def test_must_exclude_rfc9118() -> None:
    cert = _constrained(enhanced=True, must_exclude=("crn",))
    assert _refused(_verify(cert, crn="Your card")) == [
        "a 'crn' claim, which the certificate's EnhancedJWTClaimConstraints exclude"
    ]
    assert _verify(cert).ok


def test_a_constraint_on_the_intermediate_ca_binds_its_leaves() -> None:
    leaf = CA.issue_cert(spc="1234")
    inter = CA.intermediate_cert  # the same CA re-issued with a constraint: same name and key
    builder = (
        x509.CertificateBuilder()
        .subject_name(inter.subject)
        .issuer_name(inter.issuer)
        .public_key(inter.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(inter.not_valid_before_utc)
        .not_valid_after(inter.not_valid_after_utc)
    )
    for ext in inter.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    rule = ClaimConstraints(enhanced=False, permitted_values=(("attest", ("C",)),))
    der = encode_claim_constraints(rule)
    extension = x509.UnrecognizedExtension(JWT_CLAIM_CONSTRAINTS_OID, der)
    builder = builder.add_extension(extension, False)
    constrained = builder.sign(CA.root_key, hashes.SHA256())
    chain = leaf.certificate.public_bytes(Encoding.PEM) + constrained.public_bytes(Encoding.PEM)
    out = _verify(leaf, chain, attest="A")
    assert out.signer is not None
    assert out.signer.verified
    (message,) = _refused(out)
    assert "attest is 'A', not one of ['C']" in message
    assert _verify(leaf, chain, attest="C").ok
    assert _verify(leaf, attest="A").ok  # the unconstrained CA: no limit


def test_constraints_that_do_not_decode_fail_the_passport() -> None:
    broken = ClaimConstraints(enhanced=False, findings=("unexpected end of data",))
    assert [r.message for r in check_claim_constraints({"attest": "A"}, [broken])] == [
        "the certificate's JWTClaimConstraints do not decode (unexpected end of data)"
    ]


def test_an_unconstrained_certificate_permits_everything() -> None:
    assert check_claim_constraints({"attest": "A", "x": [1]}, []) == []
    assert _verify(CA.issue_cert(spc="1234"), attest="A", crn="anything").ok


@pytest.mark.parametrize(
    "rule",
    [
        ClaimConstraints(enhanced=False),
        ClaimConstraints(enhanced=False, must_exclude=("crn",)),
        ClaimConstraints(enhanced=True, permitted_values=(("attest", ()),)),
        ClaimConstraints(enhanced=True, must_include=("nâm",)),
    ],
    ids=["empty", "exclude-needs-rfc9118", "no-values", "name-beyond-ascii"],
)
def test_testing_encoder_refuses_what_the_asn1_cannot_hold(rule: ClaimConstraints) -> None:
    with pytest.raises(ConfigurationError):
        encode_claim_constraints(rule)


_NAMES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=8)


@given(
    enhanced=st.booleans(),
    include=st.lists(_NAMES, min_size=1, max_size=3),
    permitted=st.lists(
        st.tuples(_NAMES, st.lists(st.text(max_size=12), min_size=1, max_size=3)), max_size=3
    ),
    exclude=st.lists(_NAMES, max_size=3),
)
def test_issued_constraints_read_back(
    enhanced: bool,
    include: list[str],
    permitted: list[tuple[str, list[str]]],
    exclude: list[str],
) -> None:
    rule = ClaimConstraints(
        enhanced=enhanced,
        must_include=tuple(include),
        permitted_values=tuple((claim, tuple(values)) for claim, values in permitted),
        must_exclude=tuple(exclude) if enhanced else (),
    )
    try:
        cert = CA.issue_cert(spc="1234", claim_constraints=[rule])
    except ConfigurationError:  # a surrogate in a value: no UTF-8 form
        return
    assert cert_facts(cert.certificate).jwt_claim_constraints == (rule,)
