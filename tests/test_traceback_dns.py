"""infer_hop with DNS evidence from a real dnsmasq: PTR names the peer; DNS failure adds nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import ip_network

import pytest

from dnsserver import _free_udp_port, dnsmasq
from shakentrace.lookup import DnsResolver
from shakentrace.providers import Peer, Provider, ProviderDirectory
from shakentrace.sip import parse_sip
from shakentrace.testing import StiCA, build_invite
from shakentrace.traceback import infer_hop
from verified import Signers

pytestmark = [pytest.mark.network, pytest.mark.interop]

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
DIRECTORY = ProviderDirectory(
    providers=(
        Provider(name="Terminus Tel", ocns=("900T",)),
        Provider(name="Transit Co", ocns=("902T",)),
    ),
    # 198.51.100.7 is listed; 198.51.100.8 is a new SBC of Transit Co nobody entered yet.
    peers=(
        Peer(
            provider="902T", networks=(ip_network("198.51.100.7/32"),), domains=("transit.example",)
        ),
    ),
)
RECORDS = [
    "local=/in-addr.arpa/",
    "ptr-record=7.100.51.198.in-addr.arpa,edge7.transit.example",
    "ptr-record=8.100.51.198.in-addr.arpa,edge8.transit.example",
    "local=/e164.arpa/",
    r"naptr-record=1.1.1.0.5.5.5.5.1.2.1.e164.arpa,10,100,u,E2U+sip,!^.*$!sip:\1@transit.example!",
]


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with dnsmasq(tmp_path_factory.mktemp("dns"), RECORDS) as serving:
        yield serving


def _hop(resolver: DnsResolver, peer: str) -> tuple[str | None, tuple[str, ...]]:
    signers = Signers(StiCA(seed="dns", now=NOW))
    message = parse_sip(build_invite(orig="12155550111", dest="12025550143", via=(f"{peer}:5060",)))
    hop = infer_hop(
        message,
        signers.outcome_for(message, NOW),
        DIRECTORY,
        provider="900T",
        peer=peer,
        received_at=NOW,
        resolver=resolver,
    )
    return hop.upstream.name, tuple(e.source for e in hop.upstream.evidence if e.provider)


def test_ptr_of_the_peer_is_evidence(port: int) -> None:
    resolver = DnsResolver(port=port, timeout=1.0, lifetime=2.0)
    assert _hop(resolver, "198.51.100.7") == ("Transit Co", ("packet-source", "via-sent-by", "ptr"))


def test_ptr_cannot_outweigh_an_unlisted_address(port: int) -> None:
    # The address owner controls its PTR: kept as evidence, but it does not decide alone.
    resolver = DnsResolver(port=port, timeout=1.0, lifetime=2.0)
    assert _hop(resolver, "198.51.100.8") == (None, ("ptr",))


def test_sent_by_host_names_the_upstream_without_a_packet_source(port: int) -> None:
    resolver = DnsResolver(port=port, timeout=1.0, lifetime=2.0)
    message = parse_sip(build_invite(via=("edge7.transit.example:5060",)))
    signers = Signers(StiCA(seed="dns", now=NOW))
    hop = infer_hop(
        message, signers.outcome_for(message, NOW), DIRECTORY, provider="900T", resolver=resolver
    )
    assert hop.upstream.name == "Transit Co"  # via sent-by, no rival


def test_dns_failure_is_no_evidence(port: int) -> None:
    nxdomain = DnsResolver(port=port, timeout=1.0, lifetime=2.0)
    assert _hop(nxdomain, "198.51.100.99") == (None, ())
    silent = DnsResolver(port=_free_udp_port(), timeout=0.2, lifetime=0.4)
    assert _hop(silent, "198.51.100.8") == (None, ())
    assert _hop(silent, "198.51.100.7") == ("Transit Co", ("packet-source", "via-sent-by"))


def test_enum_names_the_carrier_of_record(port: int) -> None:
    resolver = DnsResolver(port=port, timeout=1.0, lifetime=2.0)
    signers = Signers(StiCA(seed="dns", now=NOW))
    cert = signers.issue("902T")
    identity = cert.identity_header(orig="12155550111", dest="12025550143", iat=NOW)
    message = parse_sip(build_invite(identity=identity, orig="12155550111", dest="12025550143"))
    outcome = signers.outcome_for(message, NOW)
    hop = infer_hop(message, outcome, DIRECTORY, provider="900T", resolver=resolver)
    assert hop.number_carrier is not None
    assert (hop.number_carrier.source, hop.number_carrier.provider) == ("enum", "Transit Co")
    assert hop.to_dict()["number_carrier"]["value"] == "transit.example"
    assert infer_hop(message, outcome, DIRECTORY, provider="900T").number_carrier is None
