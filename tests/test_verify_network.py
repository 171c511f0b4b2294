"""The Verifier over a real HTTPS x5u server on 127.0.0.1 (shakentrace.testing.cert_server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from shakentrace import TrustStore, Verifier
from shakentrace.fetch import CachingFetcher, HttpsFetcher
from shakentrace.testing import (
    CertServer,
    StiCA,
    build_invite,
    cert_server,
    format_identity,
    resign,
)

pytestmark = pytest.mark.network

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="verify-network", now=NOW)
LEAF = CA.issue_cert(spc="1234")


@pytest.fixture(scope="module")
def server() -> Iterator[CertServer]:
    with cert_server(LEAF.chain_pem.data) as running:
        yield running


def _verifier(server: CertServer) -> Verifier:
    https = HttpsFetcher(server.policy(), resolver=server.resolver, ssl_context=server.ssl_context)
    fetcher = CachingFetcher(https, clock=lambda: NOW)
    return Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=fetcher)


def _signed(server: CertServer, path: str) -> bytes:
    """An INVITE signed by the certificate /chain.pem serves, with x5u and info = ``path``."""
    url = server.url(path)
    token = resign(LEAF.sign_passport(), LEAF, header={"x5u": url})
    return build_invite(identity=format_identity(token, info=url), date=NOW)


def test_valid_call_fetches_the_chain_once(server: CertServer) -> None:
    verifier = _verifier(server)
    before = server.hits["/chain.pem"]
    outcomes = [verifier.verify(_signed(server, "/chain.pem"), now=NOW) for _ in range(3)]
    assert [o.status for o in outcomes] == ["valid"] * 3
    assert outcomes[0].signer is not None
    assert outcomes[0].signer.x5u == server.url("/chain.pem")
    assert server.hits["/chain.pem"] - before == 1  # cached after the first fetch


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/redirect.pem", "x5u-forbidden"),
        ("/missing.pem", "cert-unavailable"),
        ("/garbage.pem", "cert-unavailable"),
        ("/error.pem", "cert-unavailable"),
    ],
)
def test_fetch_failures_become_436(server: CertServer, path: str, code: str) -> None:
    out = _verifier(server).verify(_signed(server, path), now=NOW)
    assert {r.code for r in out.reasons if r.severity == "error"} == {code}
    assert out.sip_code == 436
    assert out.reason_header == 'STIR;cause=436;text="Bad Identity Info"'


def test_default_policy_refuses_the_loopback_server(server: CertServer) -> None:
    """The default policy refuses it: an odd port, and loopback (ATIS-1000074 §5.3.1, SSRF)."""
    verifier = Verifier(
        trust=TrustStore.from_pem(CA.trust_pem), fetcher=HttpsFetcher(resolver=server.resolver)
    )
    out = verifier.verify(_signed(server, "/chain.pem"), now=NOW)
    assert {r.code for r in out.reasons if r.severity == "error"} == {"x5u-forbidden"}
