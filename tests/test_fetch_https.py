"""fetch.HttpsFetcher against a real HTTPS server on 127.0.0.1 (shakentrace.testing.cert_server)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator, Sequence

import pytest

from shakentrace import FetchError, load_chain
from shakentrace.fetch import HttpsFetcher
from shakentrace.testing import CertServer, Route, StiCA, StiCert, cert_server

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def sti_cert() -> StiCert:
    return StiCA(seed=31).issue_cert(spc="1234")


@pytest.fixture(scope="module")
def server(sti_cert: StiCert) -> Iterator[CertServer]:
    with cert_server(sti_cert.chain_pem.data) as running:
        yield running


@pytest.fixture
def fetcher(server: CertServer) -> HttpsFetcher:
    return HttpsFetcher(server.policy(), resolver=server.resolver, ssl_context=server.ssl_context)


def _refused(fetcher: HttpsFetcher, url: str, code: str, match: str) -> FetchError:
    with pytest.raises(FetchError, match=match) as info:
        fetcher.fetch(url)
    assert info.value.code == code
    return info.value


def test_good_chain(fetcher: HttpsFetcher, server: CertServer, sti_cert: StiCert) -> None:
    got = fetcher.fetch_detailed(server.url("/chain.pem"))
    assert load_chain(got.body) == sti_cert.chain
    assert got.address == "127.0.0.1"
    assert got.warnings == ()
    assert got.content_type == "application/pem-certificate-chain"


def test_redirect_is_not_followed(fetcher: HttpsFetcher, server: CertServer) -> None:
    before = server.hits["/chain.pem"]
    _refused(fetcher, server.url("/redirect.pem"), "x5u-forbidden", "redirect")
    assert server.hits["/chain.pem"] == before


def test_slow_body_hits_the_total_timeout(server: CertServer) -> None:
    fetcher = HttpsFetcher(
        server.policy(total_timeout=0.8), resolver=server.resolver, ssl_context=server.ssl_context
    )
    started = time.monotonic()
    _refused(fetcher, server.url("/slow.pem"), "cert-unavailable", "timeout")
    assert time.monotonic() - started < 2.0


def test_slow_headers_hit_the_total_timeout(server: CertServer) -> None:
    server.add("/stall.pem", Route(body=b"x", delay=3.0))
    fetcher = HttpsFetcher(
        server.policy(total_timeout=0.5), resolver=server.resolver, ssl_context=server.ssl_context
    )
    started = time.monotonic()
    _refused(fetcher, server.url("/stall.pem"), "cert-unavailable", "timeout")
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("path", ["/big.pem", "/big-unsized.pem"])
def test_oversized_body(fetcher: HttpsFetcher, server: CertServer, path: str) -> None:
    _refused(fetcher, server.url(path), "cert-unavailable", "65536")


@pytest.mark.parametrize(("path", "status"), [("/missing.pem", "404"), ("/error.pem", "500")])
def test_http_errors(fetcher: HttpsFetcher, server: CertServer, path: str, status: str) -> None:
    error = _refused(fetcher, server.url(path), "cert-unavailable", status)
    assert error.sip_code == 436


def test_wrong_content_type_is_accepted_with_a_warning(
    fetcher: HttpsFetcher, server: CertServer
) -> None:
    got = fetcher.fetch_detailed(server.url("/text.pem"))
    assert got.warnings
    assert "text/plain" in got.warnings[0]


def test_non_pem_body(fetcher: HttpsFetcher, server: CertServer) -> None:
    _refused(fetcher, server.url("/garbage.pem"), "cert-unavailable", "not a PEM")


def test_private_address_refused_without_the_allowlist(server: CertServer) -> None:
    # The name resolves to 127.0.0.1: refused unless the policy allowlists loopback.
    strict = HttpsFetcher(
        server.policy(allow_networks=()), resolver=server.resolver, ssl_context=server.ssl_context
    )
    before = server.hits["/chain.pem"]
    _refused(strict, server.url("/chain.pem"), "x5u-forbidden", "special-purpose")
    assert server.hits["/chain.pem"] == before  # refused before connecting


def test_connects_to_the_checked_address_only(server: CertServer) -> None:
    # DNS rebinding: a second lookup could answer differently. The fetcher resolves
    # once and connects to that address ("x5u.test" is not in real DNS).
    calls: list[str] = []

    def once(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return ("127.0.0.1",) if len(calls) == 1 else ("10.0.0.1",)

    fetcher = HttpsFetcher(server.policy(), resolver=once, ssl_context=server.ssl_context)
    assert fetcher.fetch(server.url("/chain.pem"))
    assert calls == [server.hostname]


def test_tls_hostname_is_still_verified(server: CertServer) -> None:
    fetcher = HttpsFetcher(
        server.policy(), resolver=lambda host, port: ["127.0.0.1"], ssl_context=server.ssl_context
    )
    _refused(fetcher, f"https://evil.test:{server.port}/chain.pem", "cert-unavailable", "ostname")


def test_unknown_tls_ca_is_refused(server: CertServer) -> None:
    fetcher = HttpsFetcher(
        server.policy(), resolver=server.resolver, ssl_context=ssl.create_default_context()
    )
    _refused(fetcher, server.url("/chain.pem"), "cert-unavailable", "CERTIFICATE_VERIFY_FAILED")


def test_port_outside_the_policy(server: CertServer) -> None:
    fetcher = HttpsFetcher(resolver=server.resolver, ssl_context=server.ssl_context)
    _refused(fetcher, server.url("/chain.pem"), "x5u-forbidden", "port")


def test_connection_refused() -> None:
    with cert_server() as stopped:
        port = stopped.port
    fetcher = HttpsFetcher(
        stopped.policy(ports=(port,)), resolver=stopped.resolver, ssl_context=stopped.ssl_context
    )
    _refused(fetcher, f"https://{stopped.hostname}:{port}/x.pem", "cert-unavailable", "connect")


def test_tls_handshake_stall_hits_the_connect_timeout() -> None:
    # A listener that completes TCP (kernel backlog) but never speaks TLS.
    with socket.socket() as listener, cert_server() as ref:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        fetcher = HttpsFetcher(
            ref.policy(ports=(port,), connect_timeout=0.3),
            resolver=ref.resolver,
            ssl_context=ref.ssl_context,
        )
        started = time.monotonic()
        _refused(fetcher, f"https://{ref.hostname}:{port}/a.pem", "cert-unavailable", "connect")
        assert time.monotonic() - started < 1.5


def test_content_length_of_unicode_digits_is_refused(
    fetcher: HttpsFetcher, server: CertServer, sti_cert: StiCert
) -> None:
    # str.isdigit() is true of a superscript two (sent as latin-1), which int() refuses;
    # an invalid Content-Length is an unrecoverable framing error (RFC 9112 §6.3).
    route = Route(
        body=sti_cert.chain_pem.data, content_length=False, headers=(("Content-Length", "\u00b2"),)
    )
    server.add("/superscript-length.pem", route)
    _refused(fetcher, server.url("/superscript-length.pem"), "cert-unavailable", "Content-Length")
