"""Hop records read back from their JSON (``Hop.from_dict``): exact, bounded, total."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenario_verify import real_verifier
from shakentrace.errors import HopRecordError, ParseError
from shakentrace.hop import Diverter, Evidence, Hop, Originator, Signer, TraceRequest, Upstream
from shakentrace.linking import link
from shakentrace.testing._network import SCENARIO_KINDS, NetworkGenerator
from traceback_accuracy import trace_scenario

VERIFY = real_verifier()
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def _sent(hop: Hop) -> Any:
    """The hop as another provider sends it: JSON text, decoded."""
    return json.loads(json.dumps(hop.to_dict()))


def _hop(**changes: Any) -> Hop:
    hop = Hop(
        provider="Prairie Wholesale Voice",
        provider_ocn="993W",
        provider_country="US",
        received_at=T0,
        upstream=Upstream(
            name="Midwest Transit Inc",
            evidence=(Evidence(source="packet-source", value="198.51.100.30", weight=0.9),),
            confidence=0.9,
        ),
        signer=Signer(
            spc="991G",
            organization="Harbor Gateway LLC",
            attestation="C",
            origid="globex-ingress-3",
            verified=True,
            iat=T0,
            certificate_fingerprint="ab" * 32,
            country="US",
        ),
        likely_originator=Originator(
            kind="beyond-gateway", provider="Harbor", origid="g", reason="C", rule="O4-gateway"
        ),
        next_request=TraceRequest(target="Harbor", ocn="991G", ask="ask", rule="N2"),
        passport_keys=("k1", "k2"),
        diversions=(Diverter(spc="1", organization=None, verified=False, div="1", dest="2"),),
        max_forwards=69,
    )
    return replace(hop, **changes)


@pytest.mark.parametrize("kind", SCENARIO_KINDS)
def test_every_hop_of_every_scenario_kind_reads_back_equal_and_links_alike(kind: str) -> None:
    for seed in range(3):
        scenario = NetworkGenerator(seed=seed).scenario(seed, kind)
        hops, trace = trace_scenario(scenario, VERIFY)
        received = [Hop.from_dict(_sent(hop)) for hop in hops]
        assert received == hops
        assert link(received, directory=scenario.directory) == trace


def test_a_hop_with_every_field_set_reads_back_equal() -> None:
    hop = _hop(number_carrier=Evidence(source="enum", value="carrier.example", weight=0.5))
    assert Hop.from_dict(_sent(hop)) == hop
    assert {"provider_country", "passport_keys"} <= hop.to_dict().keys()
    assert hop.to_dict()["signer"]["country"] == "US"


def test_time_zones_and_derived_keys() -> None:
    east = timezone(timedelta(hours=-5))
    hop = _hop(received_at=T0.astimezone(east))
    assert Hop.from_dict(_sent(hop)).received_at == T0  # the same instant, its zone kept
    data = _sent(hop)
    data["upstream"]["conflicting"] = True  # derived from the evidence: not read
    data["sent_by_a_newer_version"] = {"anything": 1}  # an unknown key: ignored
    assert Hop.from_dict(data) == hop


def test_missing_keys_take_their_defaults_and_required_ones_are_named() -> None:
    minimal = {
        "provider": "Lakeside",
        "likely_originator": {
            "kind": "unknown",
            "provider": None,
            "origid": None,
            "reason": "r",
            "rule": "O0",
        },
        "next_request": {"target": None, "ocn": None, "ask": "a", "rule": "N4"},
    }
    hop = Hop.from_dict(minimal)
    assert (hop.upstream, hop.findings, hop.signer) == (Upstream(), (), None)
    del minimal["next_request"]
    with pytest.raises(
        HopRecordError, match=r"^\[hop-record-malformed\] Hop.next_request: missing"
    ):
        Hop.from_dict(minimal)


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        (("provider",), 7, "Hop.provider: expected a string"),
        (("received_at",), "2026-03-02T14:00:00", "Hop.received_at: expected an ISO 8601 time"),
        (("received_at",), "yesterday", "Hop.received_at: expected an ISO 8601 time"),
        (("upstream", "confidence"), "high", "Hop.upstream.confidence: expected a number"),
        (("upstream", "confidence"), float("nan"), "Hop.upstream.confidence: expected a finite"),
        pytest.param(
            ("upstream", "confidence"), 10**400, "expected a finite number, got a large", id="1e400"
        ),
        pytest.param(("max_forwards",), 10**5000, "expected an integer of at most", id="huge-int"),
        (("max_forwards",), True, "Hop.max_forwards: expected an integer"),
        (("signer", "verified"), "yes", "Hop.signer.verified: expected true or false"),
        (("likely_originator", "kind"), "aliens", "Hop.likely_originator.kind: expected one of"),
        (("upstream", "evidence", 0), "x", r"Hop.upstream.evidence\[0\]: expected an object"),
        (("passport_keys",), "k1", "Hop.passport_keys: expected a list"),
        (("passport_keys",), ["k"] * 257, "Hop.passport_keys: expected a list of at most 256"),
        (("call_id",), "c" * 4097, "Hop.call_id: expected a string of at most 4096"),
    ],
)
def test_a_wrong_value_is_a_typed_error_naming_its_key(
    path: tuple[Any, ...], value: Any, said: str
) -> None:
    data = _sent(_hop(call_id="c1"))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(HopRecordError, match=said) as raised:
        Hop.from_dict(data)
    assert isinstance(raised.value, ParseError)
    assert raised.value.code == "hop-record-malformed"


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=30,
)
_KEYS = st.sampled_from(
    [*_hop().to_dict(), "kind", "reason", "rule", "ask", "target", "evidence", "value", "source"]
)


@st.composite
def _near_hops(draw: st.DrawFn) -> Any:
    """A real hop record with some values (or whole sub-records) replaced by any JSON."""
    data = _sent(_hop(findings=()))
    for _ in range(draw(st.integers(1, 4))):
        target = data
        while isinstance(target, dict) and target and draw(st.booleans()):
            nested = [v for v in target.values() if isinstance(v, dict)]
            if not nested:
                break
            target = draw(st.sampled_from(nested))
        if isinstance(target, dict):
            target[draw(_KEYS)] = draw(_JSON)
    return data


@given(st.one_of(_JSON, _near_hops()))
def test_from_dict_is_total(data: Any) -> None:
    try:
        hop = Hop.from_dict(data)
    except HopRecordError:
        return
    assert isinstance(hop, Hop)
    assert Hop.from_dict(_sent(hop)) == hop  # what was read is a hop like any other


def test_a_forwarded_traceback_is_linked_afresh_with_the_hop_it_lacked() -> None:
    """A provider forwards the traceback it linked from two captures that are not
    neighbours, which blames the gap between them for stripping the Identity; with
    the missing middle hop, the receiver's path is the one all three captures give,
    and the stale finding is gone."""
    scenario = next(
        s
        for s in (NetworkGenerator(seed=5).scenario(n, "tdm-strip") for n in range(40))
        if len(s.hops) >= 3
    )
    _, whole = trace_scenario(scenario, VERIFY)
    ordered = [replace(h, findings=()) for h in whole.hops]  # as each capture gives it
    first = link([ordered[0], ordered[2]], directory=scenario.directory)
    assert "identity-stripped" in first.hops[0].finding_codes
    forwarded = [Hop.from_dict(_sent(hop)) for hop in first.hops]
    again = link([*forwarded, ordered[1]], directory=scenario.directory)
    assert again == link(ordered[:3], directory=scenario.directory)
    assert link(again.hops, directory=scenario.directory) == again  # linking is idempotent
