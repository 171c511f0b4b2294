"""shakentrace.testing against shakentrace.Verifier: good calls pass, mutations fail as named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from shakentrace.fetch import StaticFetcher
from shakentrace.testing import MUTATIONS, StiCA, StiCert, build_invite, forward_invite
from shakentrace.trust import TrustStore

verify: Any = pytest.importorskip("shakentrace.verify", reason="shakentrace.verify has not landed")

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed="verifier", now=NOW)


@pytest.fixture(scope="module")
def cert(ca: StiCA) -> StiCert:
    return ca.issue_cert(spc="1234")


@pytest.fixture(scope="module")
def verifier(ca: StiCA, cert: StiCert) -> Any:
    fetcher = StaticFetcher({cert.x5u: bytes(cert.chain_pem)})
    return verify.Verifier(trust=TrustStore.from_pem(ca.trust_pem), fetcher=fetcher)


def _codes(outcome: Any, severity: str) -> set[str]:
    return {r.code for r in outcome.reasons if r.severity == severity}


def test_good_call_verifies(verifier: Any, cert: StiCert) -> None:
    identity = cert.identity_header(orig="12155551212", dest="12155551213", attest="B", origid="o")
    outcome = verifier.verify(build_invite(identity=identity), now=NOW)
    assert outcome.status == "valid", outcome.reasons
    assert outcome.verstat == "TN-Validation-Passed"
    assert outcome.attestation == "B"
    assert outcome.origid == "o"
    assert outcome.signer.spc == "1234"


def test_the_later_hop_verifies_the_same(verifier: Any, cert: StiCert) -> None:
    first = build_invite(identity=cert.identity_header())
    later = forward_invite(forward_invite(first, by="198.51.100.7"), by="203.0.113.9:5060")
    one, two = verifier.verify(first, now=NOW), verifier.verify(later, now=NOW)
    assert one.status == two.status == "valid"
    assert one.origid == two.origid


def test_div_and_rcd_verify(verifier: Any, cert: StiCert) -> None:
    shaken = cert.sign_passport(rcd={"nam": "Example Bank"}, crn="Fraud alert")
    div = cert.divert(shaken, to="12155557777")
    raw = build_invite(identity=[cert.identity_for(shaken), cert.identity_for(div)])
    outcome = verifier.verify(raw, now=NOW)
    assert outcome.status == "valid", outcome.reasons


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_yields_the_reason_it_claims(verifier: Any, cert: StiCert, name: str) -> None:
    mutation = MUTATIONS[name]
    good = cert.identity_header()
    outcome = verifier.verify(build_invite(identity=mutation.apply(cert, good), date=NOW), now=NOW)
    if mutation.reason == "noncanonical-json":
        assert outcome.status == "valid"
        assert mutation.reason in _codes(outcome, "warning")
    else:
        assert outcome.status == "invalid"
        assert mutation.reason in _codes(outcome, "error"), outcome.reasons
