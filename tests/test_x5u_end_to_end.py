"""End to end: Verifier + CachingFetcher + HttpsFetcher + TrustStore, x5u served over real
HTTPS on 127.0.0.1 — many calls sharing one certificate cost one fetch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from shakentrace import CachingFetcher, HttpsFetcher, TrustStore, Verifier
from shakentrace.testing import CertServer, Route, StiCA, StiCert, build_invite, cert_server

pytestmark = pytest.mark.network

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed=61, now=NOW)


@pytest.fixture(scope="module")
def server(ca: StiCA) -> Iterator[CertServer]:
    with cert_server() as running:
        yield running


def _verifier(server: CertServer, ca: StiCA) -> tuple[Verifier, CachingFetcher]:
    https = HttpsFetcher(server.policy(), resolver=server.resolver, ssl_context=server.ssl_context)
    fetcher = CachingFetcher(https, clock=lambda: NOW)
    return Verifier(trust=TrustStore.from_pem(ca.trust_pem), fetcher=fetcher), fetcher


def _invites(cert: StiCert, count: int) -> list[bytes]:
    out = []
    for n in range(count):
        orig, dest = f"1215555{n:04d}", "12025550100"
        identity = cert.identity_header(orig=orig, dest=dest, iat=NOW)
        out.append(build_invite(identity=[identity], orig=orig, dest=dest, date=NOW))
    return out


def test_fifty_threads_verifying_calls_that_share_one_x5u(server: CertServer, ca: StiCA) -> None:
    cert = ca.issue_cert(spc="1234", x5u=server.url("/shared-1234.pem"))
    # A slow first answer keeps all 50 threads in flight together.
    server.add("/shared-1234.pem", Route(body=cert.chain_pem.data, delay=0.3))
    verifier, fetcher = _verifier(server, ca)
    invites = _invites(cert, 50)
    barrier = threading.Barrier(len(invites))
    statuses: list[str] = []
    lock = threading.Lock()

    def verify(invite: bytes) -> None:
        barrier.wait()
        outcome = verifier.verify(invite, now=NOW)
        with lock:
            statuses.append(outcome.status)

    threads = [threading.Thread(target=verify, args=(inv,)) for inv in invites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert statuses == ["valid"] * 50
    assert server.hits["/shared-1234.pem"] == 1
    assert fetcher.stats.fetches == 1


def test_x5u_refusals_reach_the_outcome(server: CertServer, ca: StiCA) -> None:
    verifier, _ = _verifier(server, ca)
    cases = {
        "/redirect-x.pem": ("x5u-forbidden", Route(status=302, headers=(("Location", "/"),))),
        "/absent-x.pem": ("cert-unavailable", Route(status=404, body=b"no")),
    }
    for path, (code, route) in cases.items():
        server.add(path, route)
        cert = ca.issue_cert(spc="1234", x5u=server.url(path))
        outcome = verifier.verify(_invites(cert, 1)[0], now=NOW)
        assert outcome.status == "invalid"
        assert code in [r.code for r in outcome.reasons]
        assert outcome.sip_code == 436
