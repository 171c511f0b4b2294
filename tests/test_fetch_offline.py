"""fetch.DirectoryFetcher, StaticFetcher and LayeredFetcher: certificates without a network."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shakentrace import (
    ConfigurationError,
    FetchError,
    StaticFetcher,
    TrustStore,
    Verifier,
    load_chain,
)
from shakentrace.fetch import DirectoryFetcher, Fetcher, LayeredFetcher, parse_bundle
from shakentrace.testing import StiCA, build_invite, encode_jws, format_identity

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


def test_an_x5u_too_long_for_a_file_name_is_a_miss_through_the_verifier(
    tmp_path: Path, chain_pem: bytes
) -> None:
    # The x5u is the signer's (or forger's) choice: a 300-character one made the
    # folder look-up raise OSError (ENAMETOOLONG) out of Verifier.verify.
    ca = StiCA(seed=51)
    cert = ca.issue_cert()
    long = "https://cr.example.com/" + "a" * 300 + ".pem"
    identity = format_identity(cert.sign_passport(x5u=long), info=long)
    verifier = Verifier(trust=TrustStore.from_pem(ca.trust_pem), fetcher=DirectoryFetcher(tmp_path))
    outcome = verifier.verify(build_invite(identity=identity))
    assert [r.code for r in outcome.reasons][:1] == ["cert-unavailable"]


def _miss(folder: str, url: str) -> str:
    try:
        DirectoryFetcher(folder).fetch(url)
    except FetchError as exc:
        return exc.code
    return "found"


_URLS = st.text(max_size=100) | st.integers(200, 600).map(lambda n: "https://x/" + "a" * n)


def test_an_x5u_that_is_no_utf_8_text_is_a_miss_through_the_verifier(tmp_path: Path) -> None:
    # A JSON escape gives the x5u a lone surrogate, which no encoding takes:
    # quoting it for the file name raised UnicodeEncodeError out of Verifier.verify.
    ca = StiCA(seed=51)
    cert = ca.issue_cert()
    header = b'{"alg":"ES256","ppt":"shaken","typ":"passport","x5u":"https://x/\\udcff.pem"}'
    claims = {"attest": "A", "dest": {"tn": ["12155551213"]}, "iat": 1, "orig": {"tn": "1"}}
    token = encode_jws(header, {**claims, "origid": "x"}, cert.private_key)
    verifier = Verifier(trust=TrustStore.from_pem(ca.trust_pem), fetcher=DirectoryFetcher(tmp_path))
    outcome = verifier.verify_identity(token, now=ca.now())
    assert "cert-unavailable" in [r.code for r in outcome.reasons]


@example("https://x/\udcff.pem")
@given(_URLS)
def test_an_empty_folder_answers_any_url_with_our_error(url: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        assert _miss(folder, url) == "cert-unavailable"
