"""fetch.CachingFetcher: RFC 9111 + ATIS-1000074 24 h floor, notAfter cap, LRU, negative
caching and coalescing — over a real HTTPS server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace import FetchError, StaticFetcher, TrustStore, load_chain
from shakentrace._fetchcache import freshness
from shakentrace.fetch import CachingFetcher, Fetched, HttpsFetcher
from shakentrace.testing import CertServer, Route, StiCA, StiCert, cert_server

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(hours=24)


class Clock:
    """A settable aware UTC clock."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed=41, now=NOW)


@pytest.fixture(scope="module")
def sti_cert(ca: StiCA) -> StiCert:
    return ca.issue_cert(spc="1234", not_after=NOW + timedelta(days=60))


@pytest.fixture(scope="module")
def server(sti_cert: StiCert) -> Iterator[CertServer]:
    with cert_server(sti_cert.chain_pem.data) as running:
        yield running


def _caching(server: CertServer, clock: Clock, **options: object) -> CachingFetcher:
    inner = HttpsFetcher(server.policy(), resolver=server.resolver, ssl_context=server.ssl_context)
    return CachingFetcher(inner, clock=clock, **options)  # type: ignore[arg-type]


def _fetched(body: bytes, **headers: str) -> Fetched:
    return Fetched(url="https://cr.example/a.pem", body=body, **headers)  # type: ignore[arg-type]


class TestFreshness:
    @pytest.mark.parametrize(
        ("headers", "ttl"),
        [
            ({}, DAY),  # no directives: 24 h (ATIS-1000074)
            ({"cache_control": "max-age=60"}, DAY),  # short: raised to 24 h
            ({"cache_control": "no-store"}, DAY),
            ({"cache_control": "public, max-age=172800"}, 2 * DAY),
            ({"cache_control": "max-age=172800", "age": "3600"}, 2 * DAY - timedelta(hours=1)),
            ({"cache_control": "max-age=99999999"}, timedelta(days=30)),  # max_ttl
            (
                {
                    "date": "Sat, 28 Nov 2026 10:00:00 GMT",
                    "expires": "Mon, 30 Nov 2026 10:00:00 GMT",
                },
                2 * DAY,
            ),
            ({"expires": "garbage"}, DAY),
            # str.isdigit() is true of a superscript two, which int() refuses.
            ({"cache_control": "max-age=172800", "age": "\u00b2"}, 2 * DAY),
            # found by fuzzing: a huge Age overflowed timedelta (OverflowError)
            ({"cache_control": "max-age=172800", "age": "9" * 30}, DAY),
            ({"expires": "Mon, 30 Nov 2026 10:00:00 GMT", "age": "9" * 5000}, DAY),
        ],
    )
    def test_lifetimes(self, sti_cert: StiCert, headers: dict[str, str], ttl: timedelta) -> None:
        got = freshness(
            _fetched(sti_cert.chain_pem.data, **headers),
            now=NOW,
            min_ttl=DAY,
            max_ttl=timedelta(days=30),
        )
        assert got == ttl

    def test_capped_at_the_certificates_not_after(self, ca: StiCA) -> None:
        short = ca.issue_cert(not_after=NOW + timedelta(hours=2))
        got = freshness(
            _fetched(short.chain_pem.data, cache_control="max-age=604800"),
            now=NOW,
            min_ttl=DAY,
            max_ttl=timedelta(days=30),
        )
        assert got == timedelta(hours=2)

    def test_crl_capped_at_next_update(self, ca: StiCA) -> None:
        crl = ca.crl(this_update=NOW, next_update=NOW + timedelta(hours=6)).data
        got = freshness(
            _fetched(crl, cache_control="max-age=604800"),
            now=NOW,
            min_ttl=DAY,
            max_ttl=timedelta(days=30),
        )
        assert got == timedelta(hours=6)


class TestCachingOverHttps:
    def test_floor_then_refetch(self, server: CertServer) -> None:
        clock = Clock()
        fetcher = _caching(server, clock)
        url = server.url("/cc/max-age-60.pem")
        before = server.hits["/cc/max-age-60.pem"]
        fetcher.fetch(url)
        clock.now += DAY - timedelta(seconds=1)
        fetcher.fetch(url)
        assert server.hits["/cc/max-age-60.pem"] == before + 1
        clock.now += timedelta(seconds=2)
        fetcher.fetch(url)
        assert server.hits["/cc/max-age-60.pem"] == before + 2

    @pytest.mark.parametrize("path", ["/cc/max-age-172800.pem", "/cc/expires-48h.pem"])
    def test_longer_directives_are_honoured(self, server: CertServer, path: str) -> None:
        clock = Clock()
        fetcher = _caching(server, clock)
        before = server.hits[path]
        fetcher.fetch(server.url(path))
        clock.now += 2 * DAY - timedelta(minutes=5)
        fetcher.fetch(server.url(path))
        assert server.hits[path] == before + 1
        clock.now += timedelta(minutes=10)
        fetcher.fetch(server.url(path))
        assert server.hits[path] == before + 2

    def test_failures_are_cached_briefly(self, server: CertServer) -> None:
        clock = Clock()
        fetcher = _caching(server, clock, negative_ttl=timedelta(seconds=60))
        for _ in range(3):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(server.url("/gone.pem"))
            assert info.value.code == "cert-unavailable"
        assert server.hits["/gone.pem"] == 1
        clock.now += timedelta(seconds=61)
        with pytest.raises(FetchError):
            fetcher.fetch(server.url("/gone.pem"))
        assert server.hits["/gone.pem"] == 2

    def test_policy_refusals_keep_their_code(self, server: CertServer) -> None:
        fetcher = _caching(server, Clock())
        for _ in range(2):
            with pytest.raises(FetchError) as info:
                fetcher.fetch(server.url("/redirect.pem"))
            assert info.value.code == "x5u-forbidden"

    def test_lru_is_bounded(self) -> None:
        bodies = {f"https://cr.example/{n}.pem": b"x" for n in range(5)}
        inner = StaticFetcher(bodies)
        fetcher = CachingFetcher(inner, clock=Clock(), max_entries=2)
        for url in bodies:
            fetcher.fetch(url)
        fetcher.fetch("https://cr.example/4.pem")
        fetcher.fetch("https://cr.example/0.pem")
        assert fetcher.stats.entries == 2
        assert inner.calls.count("https://cr.example/0.pem") == 2
        assert inner.calls.count("https://cr.example/4.pem") == 1

    def test_fifty_threads_one_fetch(
        self, server: CertServer, ca: StiCA, sti_cert: StiCert
    ) -> None:
        # 50 calls signed with one certificate arrive at once: one x5u fetch, one path
        # validation, 50 trusted verdicts.
        server.add("/shared.pem", Route(body=sti_cert.chain_pem.data, delay=0.3))
        fetcher = _caching(server, Clock())
        store = TrustStore([ca.root_cert])
        url = server.url("/shared.pem")
        barrier = threading.Barrier(50)
        verdicts: list[bool] = []
        lock = threading.Lock()

        def call() -> None:
            barrier.wait()
            chain = load_chain(fetcher.fetch(url))
            trusted = store.verify_chain(chain, at=NOW).trusted
            with lock:
                verdicts.append(trusted)

        threads = [threading.Thread(target=call) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert verdicts == [True] * 50
        assert server.hits["/shared.pem"] == 1
        stats = fetcher.stats
        assert (stats.fetches, stats.hits + stats.coalesced) == (1, 49)

    def test_coalesced_waiters_share_the_failure(self, server: CertServer) -> None:
        server.add("/slow-404.pem", Route(status=404, body=b"no", delay=0.3))
        fetcher = _caching(server, Clock())
        codes: list[str] = []
        lock = threading.Lock()

        def call() -> None:
            try:
                fetcher.fetch(server.url("/slow-404.pem"))
            except FetchError as exc:
                with lock:
                    codes.append(exc.code)

        threads = [threading.Thread(target=call) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert codes == ["cert-unavailable"] * 10
        assert server.hits["/slow-404.pem"] == 1

    def test_fetcher_without_headers_gets_the_floor(self) -> None:
        clock = Clock()
        inner = StaticFetcher({"https://cr.example/a.pem": b"x"})
        fetcher = CachingFetcher(inner, clock=clock)
        fetcher.fetch("https://cr.example/a.pem")
        clock.now += DAY - timedelta(seconds=1)
        fetcher.fetch("https://cr.example/a.pem")
        assert len(inner.calls) == 1
        fetcher.clear()
        fetcher.fetch("https://cr.example/a.pem")
        assert len(inner.calls) == 2


_HEADER = (
    st.none()
    | st.text(max_size=40)
    | st.sampled_from(["max-age=60", "0", "Sat, 28 Nov 2026 10:00:00 GMT"])
    | st.from_regex(r"[0-9]{1,40}", fullmatch=True)
)
_BODY = StiCA(seed=41, now=NOW).issue_cert().chain_pem.data


@given(cache_control=_HEADER, expires=_HEADER, date=_HEADER, age=_HEADER)
def test_any_cache_headers_give_a_lifetime(
    cache_control: str | None, expires: str | None, date: str | None, age: str | None
) -> None:
    """A server's Cache-Control, Expires, Date and Age, whatever they hold, never raise."""
    fetched = Fetched(
        url="https://cr.example/a.pem",
        body=_BODY,
        cache_control=cache_control,
        expires=expires,
        date=date,
        age=age,
    )
    got = freshness(fetched, now=NOW, min_ttl=DAY, max_ttl=timedelta(days=30))
    assert timedelta(0) <= got <= timedelta(days=30)
