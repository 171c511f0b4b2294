"""infer_hop and link are total: any message that parses, any verification, any peer -> a record.

A capture may carry anything; a traceback must still produce a hop record and
never raise on the message, the outcome or the peer address (STYLE 14).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from scenario_verify import ScenarioFetcher
from shakentrace.campaigns import CallRecord, find_campaigns
from shakentrace.errors import SipParseError
from shakentrace.linking import link
from shakentrace.lookup import StaticResolver
from shakentrace.providers import ProviderDirectory
from shakentrace.report import to_html, to_text
from shakentrace.sip import parse_sip
from shakentrace.testing import NetworkGenerator
from shakentrace.traceback import infer_hop
from shakentrace.trust import TrustStore
from shakentrace.verify import Verifier
from strategies import mutated, sip_messages

DIRECTORY = ProviderDirectory.load(ROOT / "examples" / "directory.toml")
GENERATOR = NetworkGenerator(seed=5)
SEEDS = tuple(h.invite for n in range(7) for h in GENERATOR.scenario(n).hops)
FETCHER = ScenarioFetcher()
for number in range(7):
    FETCHER.chains.update(GENERATOR.scenario(number).chains)
VERIFIER = Verifier(trust=TrustStore.from_pem(GENERATOR.ca.trust_pem), fetcher=FETCHER)
RESOLVER = StaticResolver(ptrs={"198.51.100.20": "sbc.prairie.example"})
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

peers = st.one_of(
    st.none(),
    st.sampled_from(["198.51.100.20", "203.0.113.130", "2001:db8::1", "[2001:db8::1]"]),
    st.text(max_size=20),
)


def _check(raw: bytes, peer: str | None) -> None:
    try:
        message = parse_sip(raw)
    except SipParseError:
        return
    outcome = VERIFIER.verify(message, now=NOW)
    hop = infer_hop(
        message, outcome, DIRECTORY, provider="994L", peer=peer, received_at=NOW, resolver=RESOLVER
    )
    json.dumps(hop.to_dict())
    trace = link([hop, replace(hop, received_at=None)])  # one hop timed, one not
    json.dumps(trace.to_dict())
    assert to_text(trace)
    assert to_html(trace).endswith("</html>\n")
    (campaign,) = find_campaigns([CallRecord.from_traceback(trace)])
    json.dumps(campaign.to_dict())


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(message=sip_messages(), peer=peers)
def test_any_generated_message(message: tuple[object, bytes], peer: str | None) -> None:
    _check(message[1], peer)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(raw=mutated(SEEDS), peer=peers)
def test_any_mutated_capture(raw: bytes, peer: str | None) -> None:
    _check(raw, peer)


def test_malformed_lazily_parsed_headers_count_as_absent() -> None:
    # Found by the property above: SipMessage parses Contact/PAI lazily, so a broken
    # Contact raised SipParseError out of infer_hop.
    raw = SEEDS[0]
    for header in (b"Contact: <", b"P-Asserted-Identity: <", b"Via: SIP/2.0/UDP "):
        broken = raw.replace(header, header + b",", 1)
        _check(broken, "198.51.100.20")
