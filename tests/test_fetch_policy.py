"""fetch: the x5u URL and address policy (pure checks, no network)."""

from __future__ import annotations

import math
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace import ConfigurationError, FetchError
from shakentrace._https import check_address, check_url
from shakentrace.fetch import FetchPolicy, HttpsFetcher

POLICY = FetchPolicy()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://cr.example.com/sp.pem", ("https", "cr.example.com", 443, "/sp.pem")),
        ("https://cr.example.com:8443/a/b.pem", ("https", "cr.example.com", 8443, "/a/b.pem")),
        ("HTTPS://CR.example.com", ("https", "cr.example.com", 443, "/")),
    ],
)
def test_allowed_urls(url: str, expected: tuple[str, str, int, str]) -> None:
    assert check_url(url, POLICY) == expected


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://cr.example.com/sp.pem", "scheme 'http'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("cr.example.com/sp.pem", r"scheme '\(none\)'"),
        ("https://cr.example.com:80/sp.pem", "port 80"),
        ("https://cr.example.com:22/sp.pem", "port 22"),
        ("https://user:pw@cr.example.com/sp.pem", "userinfo"),
        ("https://user@cr.example.com/sp.pem", "userinfo"),
        ("https://cr.example.com/sp.pem?x=1", "query"),
        ("https://cr.example.com/sp.pem?", "query"),
        ("https://cr.example.com/sp.pem#frag", "fragment"),
        ("https://cr.example.com/s p.pem", "space"),
        ("https://cr.éxample.com/sp.pem", "non-ASCII"),
        ("https://cr.example.com/\r\nX: y", "control"),
        ("https:///sp.pem", "no host"),
        ("https://cr.example.com:99999/", "not a valid URL"),
        ("https://cr.example.com/" + "a" * 3000, "characters long"),
    ],
)
def test_refused_urls(url: str, why: str) -> None:
    with pytest.raises(FetchError, match=why) as info:
        check_url(url, POLICY)
    assert info.value.code == "x5u-forbidden"
    assert info.value.sip_code == 436


def test_http_only_when_the_policy_says_so() -> None:
    lab = replace(POLICY, schemes=("https", "http"), ports=(80, 443))
    assert check_url("http://lab.example/sp.pem", lab)[2] == 80


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # CGNAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",  # v4-mapped loopback
        "::ffff:8.8.8.8",  # v4-mapped anything
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
    ],
)
def test_special_purpose_addresses_are_refused(address: str) -> None:
    with pytest.raises(FetchError, match="special-purpose") as info:
        check_address(address, POLICY)
    assert info.value.code == "x5u-forbidden"


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert str(check_address(address, POLICY)) == address


def test_allowlist_opens_only_its_networks() -> None:
    policy = replace(POLICY, allow_networks=("127.0.0.0/8",))
    assert str(check_address("127.0.0.2", policy)) == "127.0.0.2"
    with pytest.raises(FetchError):
        check_address("10.0.0.1", policy)


def test_resolver_garbage_is_refused() -> None:
    with pytest.raises(FetchError, match="non-address"):
        check_address("example.com", POLICY)


@given(st.ip_addresses())
def test_whatever_python_deems_non_global_is_refused(address: IPv4Address | IPv6Address) -> None:
    # Our table covers the IANA special-purpose registries as Python knows them.
    if not address.is_global:
        assert not POLICY.address_allowed(address)


def test_every_resolved_address_is_checked() -> None:
    # A name resolving to one public and one private address is refused outright.
    fetcher = HttpsFetcher(resolver=lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(FetchError, match=r"10\.0\.0\.7") as info:
        fetcher.fetch("https://cr.example.com/sp.pem")
    assert info.value.code == "x5u-forbidden"


def test_a_name_resolving_to_loopback_is_refused_by_default() -> None:
    fetcher = HttpsFetcher(resolver=lambda host, port: ["127.0.0.1"])
    with pytest.raises(FetchError, match="special-purpose"):
        fetcher.fetch("https://innocent.example.com/sp.pem")


def test_no_address_at_all() -> None:
    with pytest.raises(FetchError, match="no address") as info:
        HttpsFetcher(resolver=lambda host, port: []).fetch("https://cr.example.com/a.pem")
    assert info.value.code == "cert-unavailable"


@pytest.mark.parametrize(
    "changes",
    [{"allow_networks": ("not-a-net",)}, {"total_timeout": 0}, {"max_bytes": -1}],
)
def test_bad_policies(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        FetchPolicy(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"ports": 443}, "ports must be a tuple of int, not int"),
        ({"ports": ("443",)}, "ports must be a tuple of int"),
        ({"schemes": "https"}, "schemes must be a tuple of str, not str"),
        ({"allow_networks": "127.0.0.0/8"}, "allow_networks must be a tuple of str"),
        ({"total_timeout": "5"}, "total_timeout must be a number, not str"),
        ({"max_bytes": 1.5}, "max_bytes must be an int, not float"),
    ],
)
def test_a_policy_of_the_wrong_types_is_refused_in_words(
    changes: dict[str, object], says: str
) -> None:
    # ports=443 was accepted, and every fetch then raised TypeError ("argument of
    # type 'int' is not iterable") through Verifier.verify.
    with pytest.raises(ConfigurationError, match=says):
        FetchPolicy(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["connect_timeout", "total_timeout"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_timeout_that_never_ends_is_refused(name: str, value: float) -> None:
    # connect_timeout=nan made every fetch raise ValueError out of Verifier.verify
    # (socket.settimeout); total_timeout=nan or inf set a deadline never reached.
    with pytest.raises(ConfigurationError, match=f"{name} must be a finite number"):
        FetchPolicy(**{name: value})  # type: ignore[arg-type]


def _split(url: str) -> tuple[str, str, int, str] | str:
    try:
        return check_url(url, POLICY)
    except FetchError as exc:
        return exc.code


@given(st.text(max_size=200))
def test_any_url_is_split_or_refused_with_our_error(url: str) -> None:
    got = _split(url)
    if isinstance(got, str):
        assert got == "x5u-forbidden"
        return
    scheme, host, port, _path = got
    assert (scheme, port in POLICY.ports, bool(host)) == ("https", True, True)
    assert "?" not in url
    assert "#" not in url
    assert "@" not in url.split("/")[2]


@given(st.sampled_from(["https://", "https://a.example:", "https://u@", "http://"]), st.text())
def test_prefixed_garbage_never_escapes(prefix: str, tail: str) -> None:
    got = _split(prefix + tail)
    assert got == "x5u-forbidden" or not isinstance(got, str)
