"""Security regressions named after the advisories they guard against (STYLE #16).

Asterisk AST-2022-001 (x5u download without a size limit) and AST-2022-002
(SSRF through the x5u URL of an Identity header) — replayed against shakentrace's
default fetch policy with a real HTTPS server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

from shakentrace import FetchError, HttpsFetcher
from shakentrace.testing import CertServer, Route, StiCA, cert_server

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def server() -> Iterator[CertServer]:
    with cert_server(StiCA(seed=71).issue_cert().chain_pem.data) as running:
        running.add(
            "/huge.pem",
            Route(body=b"-----BEGIN CERTIFICATE-----\n" + b"A" * 8_000_000, content_length=False),
        )
        yield running


def _code(fetcher: HttpsFetcher, url: str) -> str:
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url)
    return info.value.code


def test_ast_2022_001_x5u_body_is_capped_while_reading(server: CertServer) -> None:
    fetcher = HttpsFetcher(
        server.policy(), resolver=server.resolver, ssl_context=server.ssl_context
    )
    with pytest.raises(FetchError, match="exceeds 65536 bytes") as info:
        fetcher.fetch(server.url("/huge.pem"))
    assert info.value.code == "cert-unavailable"


def test_ast_2022_002_x5u_naming_an_internal_host_is_refused(server: CertServer) -> None:
    # Default policy: the loopback answer of the resolver is refused before connecting.
    fetcher = HttpsFetcher(
        server.policy(allow_networks=()), resolver=server.resolver, ssl_context=server.ssl_context
    )
    before = sum(server.hits.values())
    assert _code(fetcher, server.url("/chain.pem")) == "x5u-forbidden"
    assert sum(server.hits.values()) == before


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata, IP literal
        "https://[::ffff:127.0.0.1]/x.pem",  # v4-mapped loopback literal
        "https://127.1/x.pem",  # shorthand loopback
        "http://127.0.0.1:6379/",  # Redis
        "https://localhost:8443/admin",
    ],
)
def test_ast_2022_002_internal_targets(url: str) -> None:
    def resolver(host: str, port: int) -> Sequence[str]:
        return {"localhost": ("127.0.0.1",), "127.1": ("127.0.0.1",)}.get(host, ("8.8.8.8",))

    assert _code(HttpsFetcher(resolver=resolver), url) == "x5u-forbidden"


def test_ast_2022_002_redirect_to_internal_host_is_not_followed(server: CertServer) -> None:
    server.add("/bounce.pem", Route(status=307, headers=(("Location", "http://10.0.0.1/"),)))
    fetcher = HttpsFetcher(
        server.policy(), resolver=server.resolver, ssl_context=server.ssl_context
    )
    assert _code(fetcher, server.url("/bounce.pem")) == "x5u-forbidden"
