"""fetch.DirectoryFetcher, StaticFetcher and LayeredFetcher: certificates without a network."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from shakentrace import ConfigurationError, FetchError, StaticFetcher, load_chain
from shakentrace.fetch import DirectoryFetcher, Fetcher, LayeredFetcher, parse_bundle
from shakentrace.testing import StiCA

URL = "https://cr.example.com/certs/sp-1234.pem"


@pytest.fixture(scope="module")
def chain_pem() -> bytes:
    return StiCA(seed=51).issue_cert().chain_pem.data


def test_folder_by_last_path_segment(tmp_path: Path, chain_pem: bytes) -> None:
    (tmp_path / "sp-1234.pem").write_bytes(chain_pem)
    assert DirectoryFetcher(tmp_path).fetch(URL) == chain_pem


def test_folder_by_quoted_url_wins(tmp_path: Path, chain_pem: bytes) -> None:
    (tmp_path / "sp-1234.pem").write_bytes(b"other")
    (tmp_path / quote(URL, safe="")).write_bytes(chain_pem)
    assert DirectoryFetcher(tmp_path).fetch(URL) == chain_pem


@pytest.mark.parametrize(
    "url", [URL, "https://cr.example.com/", "https://cr.example.com/..", "https://x/%2e%2e"]
)
def test_folder_misses(tmp_path: Path, url: str) -> None:
    with pytest.raises(FetchError) as info:
        DirectoryFetcher(tmp_path).fetch(url)
    assert info.value.code == "cert-unavailable"


def test_bundle_keyed_by_x5u_lines(tmp_path: Path, chain_pem: bytes) -> None:
    other = StiCA(seed=52).issue_cert().chain_pem.data
    bundle = tmp_path / "certs.pem"
    bundle.write_bytes(
        b"X5U: " + URL.encode() + b"\n" + chain_pem + b"# x5u: https://b.example/2.pem\n" + other
    )
    fetcher = DirectoryFetcher(bundle)
    assert load_chain(fetcher.fetch(URL)) == load_chain(chain_pem)
    assert load_chain(fetcher.fetch("https://b.example/2.pem")) == load_chain(other)
    with pytest.raises(FetchError):
        fetcher.fetch("https://c.example/3.pem")


def test_bundle_needs_x5u_lines(chain_pem: bytes) -> None:
    with pytest.raises(ConfigurationError):
        parse_bundle(chain_pem)


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        DirectoryFetcher(tmp_path / "nope")


def test_oversized_file(tmp_path: Path) -> None:
    (tmp_path / "sp-1234.pem").write_bytes(b"x" * 100)
    with pytest.raises(FetchError, match="larger"):
        DirectoryFetcher(tmp_path, max_bytes=10).fetch(URL)


def test_fetchers_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(DirectoryFetcher(tmp_path), Fetcher)
    assert isinstance(StaticFetcher({}), Fetcher)


def test_layered_fetcher_takes_the_first_body_and_raises_the_last_error() -> None:
    local = StaticFetcher({"https://cr.example/a.pem": b"local"})
    network = StaticFetcher(
        {"https://cr.example/a.pem": b"network", "https://cr.example/b.pem": b"b"}
    )
    layered = LayeredFetcher(local, network)
    assert layered.fetch("https://cr.example/a.pem") == b"local"
    assert network.calls == []
    assert layered.fetch("https://cr.example/b.pem") == b"b"
    with pytest.raises(
        FetchError, match=r"no certificate registered for https://cr\.example/c\.pem"
    ):
        layered.fetch("https://cr.example/c.pem")
    assert network.calls == ["https://cr.example/b.pem", "https://cr.example/c.pem"]
    with pytest.raises(ConfigurationError):
        LayeredFetcher()
