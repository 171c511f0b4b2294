"""shakentrace.testing certificates under shakentrace's own trust, cert and passport code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from shakentrace import certs
from shakentrace.fetch import StaticFetcher
from shakentrace.passport import decode_passport
from shakentrace.testing import DEVIATIONS, StiCA
from shakentrace.testing import StaticFetcher as ReExported
from shakentrace.trust import TrustStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORIG = "12155551212"


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed="trust", now=NOW)


@pytest.fixture(scope="module")
def store(ca: StiCA) -> TrustStore:
    return TrustStore.from_pem(ca.trust_pem)


def _errors(store: TrustStore, chain: tuple[x509.Certificate, ...], at: datetime = NOW) -> set[str]:
    result = store.verify_chain(chain, at=at, orig_tn=ORIG)
    errors = {r.code for r in result.reasons if r.severity == "error"}
    assert result.trusted == (not errors)
    return errors


def test_default_certificate_is_trusted_and_lint_clean(ca: StiCA, store: TrustStore) -> None:
    cert = ca.issue_cert(spc="1234")
    result = store.verify_chain(cert.chain, at=NOW, orig_tn=ORIG)
    assert result.trusted
    assert result.reasons == ()
    assert result.leaf is not None
    assert result.leaf.spc == "1234"
    assert certs.lint(cert.certificate) == ()
    # The one known gap: no CRL DP on the intermediate (see shakentrace.testing._ca).
    (gap,) = certs.lint(ca.intermediate_cert, role="intermediate")
    assert gap.message.startswith("e_atis_ext_crl_distribution")
    assert certs.lint(ca.root_cert, role="root") == ()


def test_tn_auth_list_reads_back_through_certs(ca: StiCA) -> None:
    cert = ca.issue_cert(spc=None, tns=["12155551212"], tn_ranges=[("12155551300", 100)])
    tn_auth = certs.tn_auth_list(cert.certificate)
    assert tn_auth is not None
    assert tn_auth.covers("12155551212")
    assert tn_auth.covers("12155551399")
    assert not tn_auth.covers("12155551400")


#: What each deviation does to chain validation (empty: trusted, lint-only deviation).
DEVIATION_ERRORS: dict[str, set[str]] = {
    "no-tnauthlist": {"cert-invalid"},
    "empty-tnauthlist": {"cert-invalid"},
    "tnauthlist-ia5string": {"cert-invalid"},
    "tnauthlist-critical": {"cert-untrusted"},
    "ca-leaf": {"cert-invalid"},
    "rsa-key": {"cert-invalid"},
    "p384-key": {"cert-invalid"},
    "self-signed": {"cert-untrusted"},
    "no-basic-constraints": set(),
    "no-key-usage": set(),
    "key-cert-sign": set(),
    "no-policy": set(),
    "old-policy": set(),
    "no-crl-dp": set(),
    "cn-format": set(),
    "short-serial": set(),
    "issued-by-root": set(),
}


def test_every_deviation_has_an_expectation() -> None:
    assert set(DEVIATION_ERRORS) == set(DEVIATIONS)


@pytest.mark.parametrize("deviation", sorted(DEVIATION_ERRORS))
def test_deviation_under_the_trust_store(ca: StiCA, store: TrustStore, deviation: str) -> None:
    cert = ca.issue_cert(deviations=[deviation])  # type: ignore[list-item]
    assert _errors(store, cert.chain) == DEVIATION_ERRORS[deviation]


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"tns": [ORIG]}, set()),
        ({"tns": ["12155550000"]}, {"tn-not-authorized"}),
        ({"tn_ranges": [("12155551113", 100)]}, set()),
        ({"tn_ranges": [("12155551113", 99)]}, {"tn-not-authorized"}),
    ],
)
def test_delegate_certificates(
    ca: StiCA, store: TrustStore, kwargs: dict[str, object], errors: set[str]
) -> None:
    cert = ca.issue_cert(spc=None, **kwargs)  # type: ignore[arg-type]
    assert _errors(store, cert.chain) == errors


def test_validity_boundaries(ca: StiCA, store: TrustStore) -> None:
    cert = ca.issue_cert(not_before=NOW, not_after=NOW + timedelta(days=1))
    assert _errors(store, cert.chain, NOW) == set()
    assert _errors(store, cert.chain, NOW - timedelta(seconds=1)) == {"cert-not-yet-valid"}
    assert _errors(store, cert.chain, NOW + timedelta(days=1, seconds=1)) == {"cert-expired"}


def test_revoked_and_untrusted(ca: StiCA) -> None:
    local = StiCA(seed="trust-crl", now=NOW)
    revoked = local.issue_cert()
    local.revoke(revoked)
    crl = x509.load_pem_x509_crl(local.crl().data)
    store = TrustStore.from_pem(local.trust_pem, crls=[crl])
    assert _errors(store, revoked.chain) == {"cert-revoked"}
    assert _errors(store, local.issue_cert().chain) == set()
    assert _errors(TrustStore.from_pem(ca.trust_pem), revoked.chain) == {"cert-untrusted"}
    assert _errors(store, revoked.chain[:1]) == {"cert-untrusted"}


def test_passports_decode_with_the_passport_module(ca: StiCA) -> None:
    cert = ca.issue_cert()
    passport = decode_passport(cert.sign_passport(orig=ORIG, dest=["12155551213"], attest="B"))
    assert passport.attest == "B"
    assert passport.orig_tn == ORIG
    assert passport.dest_tns == ("12155551213",)
    assert passport.x5u == cert.x5u
    assert passport.warnings == ()


def test_static_fetcher_is_re_exported(ca: StiCA) -> None:
    assert ReExported is StaticFetcher
    cert = ca.issue_cert()
    assert ReExported({cert.x5u: bytes(cert.chain_pem)}).fetch(cert.x5u) == cert.chain_pem.data
