"""lookup: PTR, ENUM NAPTR and SRV/NAPTR from a real dnsmasq on 127.0.0.1; failures are data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dns.exception
import dns.name
import dns.resolver
import pytest

from dnsserver import _free_udp_port, dnsmasq
from shakentrace.lookup import (
    DnsAnswer,
    DnsResolver,
    Resolver,
    StaticResolver,
    _error_code,
    enum_domain_name,
)

pytestmark = [pytest.mark.network, pytest.mark.interop]

RECORDS = [
    # Answer NXDOMAIN (not REFUSED) for other names in these trees.
    *(f"local=/{zone}/" for zone in ("example", "test", "in-addr.arpa", "ip6.arpa", "e164.arpa")),
    "ptr-record=10.2.0.192.in-addr.arpa,sbc1.upstream.example",
    "ptr-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,v6.upstream.example",
    r"naptr-record=2.1.2.1.5.5.5.5.1.2.1.e164.arpa,10,100,u,E2U+sip,!^.*$!sip:+12155551212@carrier.example!",
    r"naptr-record=2.1.2.1.5.5.5.5.1.2.1.enum.carrier.test,10,100,u,E2U+sip,!^.*$!sip:\1@private.example!",
    "naptr-record=upstream.example,10,50,s,SIP+D2U,,_sip._udp.upstream.example",
    "srv-host=_sip._udp.upstream.example,sbc2.upstream.example,5060,20,5",
    "srv-host=_sip._udp.upstream.example,sbc1.upstream.example,5060,10,5",
]


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with dnsmasq(tmp_path_factory.mktemp("dns"), RECORDS) as serving:
        yield serving


@pytest.fixture
def resolver(port: int) -> DnsResolver:
    return DnsResolver(nameservers=("127.0.0.1",), port=port, timeout=1.0, lifetime=2.0)


def test_ptr_names_the_peer(resolver: DnsResolver) -> None:
    answer = resolver.ptr("192.0.2.10")
    assert answer.ok
    assert answer.names == ("sbc1.upstream.example",)
    assert answer.qname == "10.2.0.192.in-addr.arpa."
    assert answer.to_dict()["error"] is None


def test_ptr_of_ipv6(resolver: DnsResolver) -> None:
    assert resolver.ptr("[2001:db8::1]").names == ("v6.upstream.example",)


def test_enum_naptr_names_the_carrier_of_record(resolver: DnsResolver) -> None:
    assert resolver.enum("+1 (215) 555-1212").names == ("carrier.example",)
    assert resolver.enum("2155551212").names == ("carrier.example",)


def test_enum_domain_is_configurable(port: int) -> None:
    private = DnsResolver(port=port, enum_domain="enum.carrier.test", lifetime=2.0)
    assert private.enum("12155551212").names == ("private.example",)


def test_srv_sorted_by_priority_and_naptr_of_a_domain(resolver: DnsResolver) -> None:
    srv = resolver.srv("upstream.example")
    assert srv.names == ("sbc1.upstream.example", "sbc2.upstream.example")
    assert resolver.naptr("upstream.example").names == ("_sip._udp.upstream.example",)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda r: r.ptr("192.0.2.99"), "nxdomain"),
        (lambda r: r.ptr("not an address"), "bad-query"),
        (lambda r: r.enum("no digits"), "bad-query"),
        (lambda r: r.srv("nowhere.example"), "nxdomain"),
        (lambda r: r.naptr("sbc1.upstream.example"), "nxdomain"),
    ],
)
def test_failures_are_answers_not_exceptions(resolver: DnsResolver, call, error) -> None:  # type: ignore[no-untyped-def]
    answer: DnsAnswer = call(resolver)
    assert not answer.ok
    assert answer.error == error
    assert answer.names == ()


def test_a_silent_server_times_out_within_the_lifetime() -> None:
    silent = DnsResolver(port=_free_udp_port(), timeout=0.2, lifetime=0.4)
    answer = silent.ptr("192.0.2.10")
    assert answer.error in ("timeout", "servfail")


def test_cache_is_bounded_and_expires(port: int) -> None:
    now = [0.0]
    resolver = DnsResolver(port=port, cache_size=2, cache_seconds=10, clock=lambda: now[0])
    first = resolver.ptr("192.0.2.10")
    assert resolver.ptr("192.0.2.10") is first
    resolver.ptr("192.0.2.11")
    resolver.ptr("192.0.2.12")
    assert len(resolver._cache) == 2
    assert resolver.ptr("192.0.2.10") is not first  # evicted (least recently used)
    again = resolver.ptr("192.0.2.12")
    now[0] = 11.0
    assert resolver.ptr("192.0.2.12") is not again  # expired


def test_every_dnspython_exception_met_is_mapped() -> None:
    kinds: tuple[type[BaseException], ...] = (
        dns.resolver.NXDOMAIN,
        dns.resolver.NoAnswer,
        dns.resolver.NoNameservers,
        dns.resolver.NoResolverConfiguration,
        dns.exception.Timeout,
        dns.resolver.YXDOMAIN,
        dns.name.NameTooLong,
        dns.name.EmptyLabel,
        dns.name.LabelTooLong,
        dns.exception.SyntaxError,
        dns.exception.FormError,
        ValueError,
    )
    lifetime: Any = dns.resolver.LifetimeTimeout
    met = [kind() for kind in kinds] + [lifetime(timeout=1.0, errors=[])]
    codes = {type(e).__name__: _error_code(e) for e in met}
    assert codes["NXDOMAIN"] == "nxdomain"
    assert codes["LifetimeTimeout"] == "timeout"
    assert codes["FormError"] == "dns-error"
    assert all(codes.values())


def test_enum_domain_name() -> None:
    assert enum_domain_name("+44 20 7946 0000", "e164.example.") == (
        "0.0.0.0.6.4.9.7.0.2.4.4.e164.example"
    )
    # Only ASCII digits: the Arabic-Indic ones of a forged number ask nothing.
    with pytest.raises(ValueError, match="no digits"):
        enum_domain_name("\u0661\u0662\u0661\u0665\u0665\u0665\u0665\u0661\u0662\u0661\u0662")


def test_static_resolver_is_a_resolver() -> None:
    static = StaticResolver(
        ptrs={"192.0.2.10": "sbc.example"}, enums={"12155551212": ("c.example",)}
    )
    assert isinstance(static, Resolver)
    assert isinstance(DnsResolver(), Resolver)
    assert static.ptr("192.0.2.10").names == ("sbc.example",)
    assert static.ptr("192.0.2.11").error == "nxdomain"
    assert static.enum("+1 215 555 1212").names == ("c.example",)
    assert static.srv("x.example").error == "nxdomain"
    assert static.naptr("x.example").error == "nxdomain"
