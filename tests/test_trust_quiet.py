"""A chain verdict kept for the interval it holds is the verdict computed afresh.

TrustStore.verify_chain hands out a kept ChainResult while ``at`` stays inside
every certificate's validity, before any revocation, for an SPC-based
TNAuthList. These properties ask one long-lived store at moments around every
boundary, in any order, and compare each answer with a new store's.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from shakentrace import FetchError, TrustStore
from shakentrace.testing import StiCA

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
_CA = StiCA(seed="quiet", now=NOW)
_SPC = _CA.issue_cert()
_REVOKED = _CA.issue_cert(spc="5678")
_CA.revoke(_REVOKED, at=NOW + timedelta(hours=1))
_DELEGATE = _CA.issue_cert(spc=None, tns=["12155551212"])
_SHORT = _CA.issue_cert(not_before=NOW - timedelta(hours=1), not_after=NOW + timedelta(hours=2))
_PEM = _CA.trust_pem
_CRL = x509.load_pem_x509_crl(_CA.crl().data)
_CHAINS = tuple(tuple(c.chain) for c in (_SPC, _REVOKED, _DELEGATE, _SHORT))
_KEPT = TrustStore.from_pem(_PEM, crls=[_CRL])

_BOUNDARIES = (
    NOW,
    NOW - timedelta(days=1),
    NOW + timedelta(days=90),
    NOW + timedelta(hours=1),
    NOW - timedelta(hours=1),
    NOW + timedelta(hours=2),
)
_MOMENTS = st.builds(
    lambda base, delta: base + timedelta(seconds=delta),
    st.sampled_from(_BOUNDARIES),
    st.sampled_from([-1, 0, 1, -3600, 86400]) | st.integers(-(10**7), 10**7),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(_CHAINS) - 1),
            _MOMENTS,
            st.sampled_from([None, "12155551212", "12025550000"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_kept_verdict_is_the_fresh_verdict(
    calls: list[tuple[int, datetime, str | None, bool]],
) -> None:
    fresh = TrustStore.from_pem(_PEM, crls=[_CRL])
    for index, at, orig, copy in calls:
        chain = list(_CHAINS[index]) if copy else _CHAINS[index]
        assert _KEPT.verify_chain(chain, at=at, orig_tn=orig) == fresh.verify_chain(
            chain, at=at, orig_tn=orig
        )


def test_a_quiet_verdict_is_kept_and_handed_out_again() -> None:
    store = TrustStore.from_pem(_PEM)
    chain = _CHAINS[0]
    first = store.verify_chain(chain, at=NOW, orig_tn="12155551212")
    assert store.verify_chain(chain, at=NOW + timedelta(days=1), orig_tn=None) is first
    late = store.verify_chain(chain, at=NOW + timedelta(days=91))
    assert late is not first
    assert [r.code for r in late.reasons if r.severity == "error"] == ["cert-expired"]


def test_new_crls_forget_kept_verdicts() -> None:
    store = TrustStore.from_pem(_PEM)
    chain = _CHAINS[1]
    assert store.verify_chain(chain, at=NOW + timedelta(hours=2)).trusted
    store.add_crls([_CRL])
    assert not store.verify_chain(chain, at=NOW + timedelta(hours=2)).trusted


class _HeldCrlFetcher:
    """A CRL fetcher (the Fetcher protocol) whose fetches wait until released."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def fetch(self, url: str) -> bytes:
        self.entered.set()
        self.release.wait(10)
        raise FetchError(f"no CRL at {url} in this test")


def test_crls_added_while_a_chain_is_judged_are_not_forgotten() -> None:
    # A service refreshes the STI-PA CRL while its threads verify calls. A verdict
    # computed with the old CRLs was stored after add_crls had cleared the caches,
    # and then handed out for good: the revoked certificate stayed trusted.
    crl_fetcher = _HeldCrlFetcher()
    store = TrustStore.from_pem(_PEM, crl_fetcher=crl_fetcher)
    chain, at = _CHAINS[1], NOW + timedelta(hours=2)
    during: list[bool] = []
    judge = threading.Thread(target=lambda: during.append(store.verify_chain(chain, at=at).trusted))
    judge.start()
    assert crl_fetcher.entered.wait(10)
    store.add_crls([_CRL])  # the new CRL revokes the certificate being judged
    crl_fetcher.release.set()
    judge.join(10)
    assert during == [True]  # judged with the CRLs it started with
    after = store.verify_chain(chain, at=at)
    assert [r.code for r in after.reasons if r.severity == "error"] == ["cert-revoked"]
