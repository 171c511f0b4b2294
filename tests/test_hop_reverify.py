"""A reported hop's PASSporT verified again by its reader (``reverify_hop``)."""

from __future__ import annotations

import html
import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scenario_verify import ScenarioFetcher, real_verifier
from shakentrace.errors import HopRecordError
from shakentrace.hop import CARRIED_IDENTITIES, Finding, Hop
from shakentrace.linking import link
from shakentrace.report import to_html, to_text
from shakentrace.testing import StiCA
from shakentrace.testing._network import SCENARIO_KINDS, NetworkGenerator, Scenario
from shakentrace.traceback import reverify_hop
from shakentrace.trust import TrustStore
from shakentrace.verify import Policy, Verifier
from traceback_accuracy import trace_scenario

VERIFY = real_verifier()


def _verifier(scenario: Scenario, trust_pem: bytes | None = None) -> Verifier:
    """Our own verifier: the scenario's certificates, and its trust anchors or ``trust_pem``."""
    fetcher = ScenarioFetcher()
    fetcher.chains.update(scenario.chains)
    return Verifier(trust=TrustStore.from_pem(trust_pem or scenario.trust_pem), fetcher=fetcher)


def _received(hop: Hop) -> Hop:
    """The hop as another provider's record reads back here."""
    return Hop.from_dict(json.loads(json.dumps(hop.to_dict())))


def _signed_hop(kind: str = "signed-origin") -> tuple[Scenario, Hop]:
    """A scenario and the first of its hops that its sender verified."""
    for seed in range(10):
        scenario = NetworkGenerator(seed=seed).scenario(seed, kind)
        hops, _ = trace_scenario(scenario, VERIFY)
        for hop in hops:
            if hop.signer is not None and hop.signer.verified:
                return scenario, _received(hop)
    raise AssertionError(f"no verified hop in the {kind} scenarios")


def _differs(hop: Hop) -> list[str]:
    return [f.message for f in hop.findings if f.code == "verdict-differs"]


@pytest.mark.parametrize("kind", SCENARIO_KINDS)
def test_an_honest_record_is_confirmed_without_a_finding(kind: str) -> None:
    """Every hop of every scenario kind, re-verified by its reader: no ``verdict-differs``,
    and every PASSporT its sender verified verifies here too."""
    checked = 0
    for seed in range(3):
        scenario = NetworkGenerator(seed=seed).scenario(seed, kind)
        ours = _verifier(scenario)
        hops, _ = trace_scenario(scenario, VERIFY)
        for hop in map(_received, hops):
            again = reverify_hop(hop, ours)
            assert _differs(again) == []
            if hop.passport_key is None:
                assert again == hop  # nothing to verify
                continue
            assert hop.identities  # the record carries what it received
            checked += 1
            if hop.signer is not None and hop.signer.verified:
                assert again.reverified is True
            assert reverify_hop(again, ours) == again  # the same twice
    if kind not in ("tdm-strip", "unsigned-origin"):
        assert checked


def test_a_verdict_our_trust_does_not_share_is_the_senders_word() -> None:
    scenario, hop = _signed_hop()
    stranger = StiCA(seed=7).trust_pem  # trust anchors that did not issue the certificate
    again = reverify_hop(hop, _verifier(scenario, stranger))
    assert again.reverified is False
    (message,) = _differs(again)
    assert "reported verified, here not (" in message
    assert "cert-" in message.split("here not (", 1)[1]  # the reason codes we reached


def test_a_record_naming_another_signer_or_attestation_is_caught() -> None:
    scenario, hop = _signed_hop()
    assert hop.signer is not None
    assert hop.signer.spc
    other = "A" if hop.signer.attestation != "A" else "B"
    lied = replace(hop.signer, spc="000X", attestation=other)
    again = reverify_hop(replace(hop, signer=lied), _verifier(scenario))
    assert again.reverified is True  # the PASSporT itself is sound
    (message,) = _differs(again)
    assert f"reported signer SPC 000X, its certificate names {hop.signer.spc}" in message
    assert f"reported attestation {lied.attestation}, the PASSporT has " in message
    assert f"has {hop.signer.attestation}" in message
    reported = replace(again, reported_in="sent.jsonl:1")
    said = "reported in sent.jsonl:1, PASSporT verified here"
    assert said in to_text(link([reported]))
    assert f"\n    differs     {message}\n" in to_text(link([reported]))
    page = to_html(link([reported]))
    assert said in page
    assert f'<span class="finding" title="{html.escape(message)}">verdict-differs</span>' in page


def test_a_verified_record_naming_other_numbers_is_caught() -> None:
    """The numbers pick the call a traceback asks about: a record reporting a verified
    PASSporT must carry its numbers."""
    scenario, hop = _signed_hop()
    moved = replace(hop, orig_tn="19995550100", dest_tns=("19995550199",))
    again = reverify_hop(moved, _verifier(scenario))
    assert again.reverified is True
    (message,) = _differs(again)
    assert message == (
        f"reported calling number 19995550100, the PASSporT has {hop.orig_tn}; "
        f"reported called number 19995550199, the PASSporT has {', '.join(hop.dest_tns)}"
    )
    assert hop.signer is not None
    unverified = replace(moved, signer=replace(hop.signer, verified=False))
    assert _differs(reverify_hop(unverified, _verifier(scenario))) == []  # its numbers are claims


def test_identities_that_do_not_hold_the_named_passport_are_caught() -> None:
    scenario, hop = _signed_hop()
    _, other = _signed_hop("foreign-gateway")
    swapped = replace(hop, identities=other.identities)
    again = reverify_hop(swapped, _verifier(scenario))
    assert again.reverified is False
    assert _differs(again) == ["the Identity values it carries do not hold its PASSporT"]


def test_what_cannot_be_verified_again_is_left_as_the_sender_said() -> None:
    scenario, hop = _signed_hop()
    ours = _verifier(scenario)
    older = replace(hop, identities=())  # a record of a version that did not carry them
    assert reverify_hop(older, ours) == older
    compact = tuple(".." + v.split(".", 2)[2] for v in hop.identities)  # the signature only
    assert reverify_hop(replace(hop, identities=compact), ours).reverified is None


def test_an_earlier_readers_finding_is_replaced_not_repeated() -> None:
    scenario, hop = _signed_hop()
    stale = Finding(code="verdict-differs", message="an earlier reader's", source="x")
    forwarded = replace(hop, findings=(*hop.findings, stale), reverified=False)
    assert reverify_hop(forwarded, _verifier(scenario)) == replace(hop, reverified=True)


def test_identity_values_are_bounded_in_a_record() -> None:
    _, hop = _signed_hop()
    data: dict[str, Any] = hop.to_dict()
    data["identities"] = ["x" * 16384]
    assert Hop.from_dict(data).identities == ("x" * 16384,)
    data["identities"] = ["x" * 16385]
    with pytest.raises(HopRecordError, match=r"Hop\.identities\[0\]: expected a string of at most"):
        Hop.from_dict(data)


def test_a_record_carries_no_more_identity_values_than_a_verifier_examines() -> None:
    # Past the 16th, a named PASSporT would not be examined and would read as missing.
    _, hop = _signed_hop()
    data: dict[str, Any] = hop.to_dict()
    assert Policy().max_identities == CARRIED_IDENTITIES
    data["identities"] = ["x"] * CARRIED_IDENTITIES
    assert len(Hop.from_dict(data).identities) == CARRIED_IDENTITIES
    data["identities"] = ["x"] * CARRIED_IDENTITIES + list(hop.identities)
    with pytest.raises(HopRecordError, match=r"Hop\.identities: expected a list of at most 16"):
        Hop.from_dict(data)


_SCENARIO, _HOP = _signed_hop()
_OURS = _verifier(_SCENARIO)


@given(
    identities=st.lists(
        st.one_of(
            st.text(max_size=300),
            st.sampled_from(_HOP.identities).map(lambda v: v[: len(v) // 2]),
            st.sampled_from(_HOP.identities).map(lambda v: v.replace(".", "..", 1)),
        ),
        max_size=4,
    ),
    key=st.one_of(st.none(), st.just(_HOP.passport_key), st.text(max_size=8)),
)
def test_reverify_hop_is_total(identities: list[str], key: str | None) -> None:
    """Whatever Identity values and key a record carries: a hop, never an exception."""
    hop = replace(_HOP, identities=tuple(identities), passport_key=key)
    again = reverify_hop(hop, _OURS)
    assert again.reverified in (None, False) or key == _HOP.passport_key
    assert reverify_hop(again, _OURS) == again
