"""One Verifier shared by many threads (a service's thread pool, ``asyncio.to_thread``).

A real HTTPS x5u repository runs on 127.0.0.1; 8 threads verify a mix of calls
from three signers (valid, tampered, stale, an x5u that answers 404) through one
Verifier, all starting at once on cold caches. Every thread must get the verdicts
a single thread gets, and each x5u must be downloaded once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shakentrace import CachingFetcher, Fetcher, HttpsFetcher, Outcome, TrustStore, Verifier
from shakentrace.evidence import RecordingFetcher
from shakentrace.testing import (
    MUTATIONS,
    CertServer,
    Route,
    StiCA,
    StiCert,
    build_invite,
    cert_server,
    format_identity,
)

WHEN = datetime.now(UTC).replace(microsecond=0)
THREADS = 8
SIGNERS = ("991G", "992T", "993W")
DEST = "12025550100"
#: Each x5u answers after this long, so that every thread asks while it is cold.
DELAY = 0.3


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed="threads", now=WHEN)


@pytest.fixture(scope="module")
def certs(ca: StiCA) -> dict[str, StiCert]:
    return {spc: ca.issue_cert(spc=spc) for spc in SIGNERS}


@pytest.fixture(scope="module")
def server(certs: dict[str, StiCert]) -> Iterator[CertServer]:
    routes = {
        f"/{spc}.pem": Route(body=cert.chain_pem.data, delay=DELAY) for spc, cert in certs.items()
    }
    routes["/gone.pem"] = Route(status=404, body=b"gone", content_type="text/plain", delay=DELAY)
    with cert_server(routes=routes) as running:
        yield running


def _identity(cert: StiCert, url: str, orig: str, iat: datetime) -> str:
    token = cert.sign_passport(orig=orig, dest=DEST, x5u=url, iat=iat)
    return format_identity(token, info=url)


def _calls(certs: dict[str, StiCert], server: CertServer) -> list[bytes]:
    """Valid, tampered and stale calls from each signer, and one whose x5u is gone."""
    calls = []
    for n, (spc, cert) in enumerate(certs.items()):
        url, orig = server.url(f"/{spc}.pem"), f"1215555{n:04d}"
        good = _identity(cert, url, orig, WHEN)
        tampered = MUTATIONS["tamper-attest"].apply(cert, good)
        stale = _identity(cert, url, orig, WHEN - timedelta(minutes=5))
        for value in (good, tampered, stale):
            calls.append(build_invite(identity=value, orig=orig, dest=DEST, date=WHEN))
    gone = server.url("/gone.pem")
    token = certs[SIGNERS[0]].sign_passport(x5u=gone, iat=WHEN)
    calls.append(build_invite(identity=format_identity(token, info=gone), date=WHEN))
    return calls


def _https(server: CertServer) -> HttpsFetcher:
    # A generous deadline: a fetch that timed out on a loaded machine would differ
    # from the sequential verdict for a reason that is not the one under test.
    policy = server.policy(total_timeout=15.0)
    return HttpsFetcher(policy, resolver=server.resolver, ssl_context=server.ssl_context)


def _in_threads(verifier: Verifier, calls: list[bytes]) -> list[list[Outcome]]:
    """Each thread verifies every call, starting at a different one; in call order."""
    barrier = threading.Barrier(THREADS)
    results: list[list[Outcome]] = [[] for _ in range(THREADS)]
    failures: list[BaseException] = []

    def work(index: int) -> None:
        order = [(index + k) % len(calls) for k in range(len(calls))]
        barrier.wait()
        try:
            found = {i: verifier.verify(calls[i], now=WHEN) for i in order}
        except BaseException as exc:  # shown by the assertion below
            failures.append(exc)
            return
        results[index] = [found[i] for i in range(len(calls))]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    assert not any(thread.is_alive() for thread in threads)
    return results


STACKS: dict[str, Callable[[CertServer, Path], Fetcher]] = {
    "caching": lambda server, _: CachingFetcher(_https(server)),
    "caching-recording": lambda server, kept: CachingFetcher(
        RecordingFetcher(_https(server), kept)
    ),
}


@pytest.mark.parametrize("stack", STACKS)
def test_threads_get_the_sequential_verdicts_and_one_download_per_x5u(
    stack: str, ca: StiCA, certs: dict[str, StiCert], server: CertServer, tmp_path: Path
) -> None:
    calls = _calls(certs, server)
    trust = TrustStore([ca.root_cert])
    alone = Verifier(trust=trust, fetcher=STACKS[stack](server, tmp_path / "alone"))
    expected = [alone.verify(call, now=WHEN) for call in calls]
    assert [o.status for o in expected] == ["valid", "invalid", "invalid"] * 3 + ["invalid"]
    server.hits.clear()

    shared = Verifier(trust=TrustStore([ca.root_cert]), fetcher=STACKS[stack](server, tmp_path))
    for got in _in_threads(shared, calls):
        assert got == expected
    assert dict(server.hits) == {f"/{spc}.pem": 1 for spc in (*SIGNERS, "gone")}


def test_an_uncached_recording_fetcher_keeps_its_verdicts_under_threads(
    ca: StiCA, certs: dict[str, StiCert], server: CertServer, tmp_path: Path
) -> None:
    # examples/keep_evidence.py's stack, shared: every thread downloads and keeps the
    # chain (no cache), and none of them may take another's half-written file for a
    # failure.
    calls = _calls(certs, server)
    trust = TrustStore([ca.root_cert])
    alone = Verifier(trust=trust, fetcher=STACKS["caching"](server, tmp_path))
    expected = [alone.verify(call, now=WHEN) for call in calls]
    shared = Verifier(trust=trust, fetcher=RecordingFetcher(_https(server), tmp_path / "kept"))
    for got in _in_threads(shared, calls):
        assert got == expected
