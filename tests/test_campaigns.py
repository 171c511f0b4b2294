"""Grouping calls (captured INVITEs or traced calls) into campaigns; the next traceback request."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace._recent import RecentKeys
from shakentrace.campaigns import CallRecord, CampaignKey, find_campaigns, orig_pattern
from shakentrace.errors import ConfigurationError
from shakentrace.hop import Evidence, Hop, Originator, Signer, TraceRequest, Upstream
from shakentrace.linking import Traceback
from shakentrace.providers import Peer, Provider, ProviderDirectory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _calls(n: int, **kw: object) -> list[CallRecord]:
    base: dict[str, object] = {
        "signer_spc": "1234",
        "signer_name": "Acme Telecom",
        "origid": "origid-a",
        "attestation": "A",
        "status": "valid",
        "upstream": "192.0.2.10:5060",
    }
    base.update(kw)
    tag = "".join(f"-{value}" for value in kw.values())  # each call its own Call-ID
    return [
        CallRecord(
            orig_tn=f"1215555{i:04d}",
            dest_tns=(f"1310555{i:04d}",),
            time=T0 + timedelta(seconds=i),
            call_id=f"c{i}{tag}",
            **base,  # type: ignore[arg-type]
        )
        for i in range(n)
    ]


def test_groups_by_signer_origid_attestation_and_pattern_ranked_by_volume() -> None:
    records = (
        _calls(3) + _calls(5, origid="origid-b", attestation="C") + _calls(2, signer_spc="999")
    )
    campaigns = find_campaigns(records)
    assert [(c.rank, c.calls, c.key.origid, c.key.signer) for c in campaigns] == [
        (1, 5, "origid-b", "SPC 1234"),
        (2, 3, "origid-a", "SPC 1234"),
        (3, 2, "origid-a", "SPC 999"),
    ]
    top = campaigns[0]
    assert top.key.orig_pattern == "*"  # an origid names the sender, whatever its numbers
    assert top.orig_patterns == (("1215555XXXX", 5),)
    assert (top.first_seen, top.last_seen) == (T0, T0 + timedelta(seconds=4))
    assert top.call_ids == tuple(f"c{i}-origid-b-C" for i in range(5))
    assert top.dest_count == 5
    assert top.statuses == (("valid", 5),)


DIRECTORY = ProviderDirectory(
    providers=(
        Provider(name="Acme Telecom Inc", ocns=("1234",), contact="tb@acme.example", rmd="RMD01"),
        Provider(name="Transit Co", ocns=("902T",), contact="noc@transit.example"),
    ),
    peers=(Peer(provider="902T", networks=(ip_network("192.0.2.0/24"),)),),
)


def test_a_directory_names_whom_to_ask_and_how_to_reach_them() -> None:
    unsigned = {"signer_spc": None, "origid": None, "attestation": None}
    signed = _calls(2)
    unsigned_calls = _calls(3, **unsigned)
    elsewhere = _calls(1, **{**unsigned, "attestation": "C"}, upstream="[2001:db8::1]:5060")
    plain = find_campaigns(signed + unsigned_calls + elsewhere)
    found = find_campaigns(signed + unsigned_calls + elsewhere, directory=DIRECTORY)
    requests = [(c.next_request.party, c.next_request.contact, c.next_request.rmd) for c in found]
    assert requests == [
        ("Transit Co", "noc@transit.example", None),  # by its peering address
        ("Acme Telecom Inc", "tb@acme.example", "RMD01"),  # the signer, by its SPC
        ("[2001:db8::1]:5060", None, None),  # a peer the directory does not know
    ]
    assert [c.next_request.party for c in plain] == [
        "192.0.2.10:5060",
        "Acme Telecom",
        "[2001:db8::1]:5060",
    ]
    assert [c.next_request.contact for c in plain] == [None, None, None]
    assert [c.next_request.ask for c in plain] == [c.next_request.ask for c in found]
    assert found[1].to_dict()["next_request"]["rmd"] == "RMD01"


def test_a_retransmitted_invite_is_one_call() -> None:
    # UDP sends an INVITE again until it is answered: the capture holds it twice.
    calls = _calls(3)
    (campaign,) = find_campaigns([calls[0], calls[0], calls[1], calls[2], calls[1]])
    assert (campaign.calls, campaign.call_ids) == (3, ("c0", "c1", "c2"))
    unnamed = [CallRecord(signer_spc="1234"), CallRecord(signer_spc="1234")]
    assert find_campaigns(unnamed)[0].calls == 2  # no Call-ID: nothing to compare


def test_next_request_asks_the_signer_about_origid() -> None:
    (campaign,) = find_campaigns(_calls(4))
    request = campaign.next_request
    assert (request.kind, request.party, request.rule) == (
        "signer",
        "Acme Telecom",
        "N1-ask-signer-customer",
    )
    assert "origid origid-a" in request.ask
    assert "4 calls" in request.ask


def test_gateway_attestation_asks_for_the_upstream_trunk() -> None:
    (campaign,) = find_campaigns(_calls(2, attestation="C"))
    assert campaign.next_request.rule == "N2-ask-gateway-upstream"


def test_unsigned_or_invalid_calls_go_to_the_upstream_peer() -> None:
    unsigned = _calls(
        3, signer_spc=None, signer_name=None, origid=None, attestation=None, status="no-identity"
    )
    (campaign,) = find_campaigns(unsigned)
    assert campaign.key.signer == "unsigned"
    assert (campaign.next_request.kind, campaign.next_request.party) == (
        "upstream",
        "192.0.2.10:5060",
    )
    forged = _calls(2, status="invalid")
    assert find_campaigns(forged)[0].next_request.kind == "upstream"
    nowhere = _calls(1, signer_spc=None, origid=None, status="no-identity", upstream=None)
    assert find_campaigns(nowhere)[0].next_request.kind == "own-records"


def test_x5u_stands_in_for_an_unknown_spc() -> None:
    (campaign,) = find_campaigns(_calls(1, signer_spc=None, x5u="https://cr.example/a.pem"))
    assert campaign.key.signer == "https://cr.example/a.pem"


def test_bounds_and_options() -> None:
    records = _calls(3) + _calls(1, origid="x") + _calls(1, origid="y")
    assert len(find_campaigns(records, min_calls=2)) == 1
    capped = find_campaigns(records, max_groups=1)
    assert [c.key.signer for c in capped] == ["SPC 1234", "(other)"]
    assert len(find_campaigns(_calls(3, origid=None), mask_digits=0)) == 3
    with pytest.raises(ConfigurationError):
        find_campaigns(records, min_calls=0)


def test_to_dict_is_json_shaped() -> None:
    data = find_campaigns(_calls(2))[0].to_dict()
    assert data["calls"] == 2
    assert data["next_request"]["kind"] == "signer"
    assert data["first_seen"] == T0.isoformat()
    assert data["upstreams"] == {"192.0.2.10:5060": 2}


def test_orig_pattern() -> None:
    assert orig_pattern("12155551212") == "1215555XXXX"
    assert orig_pattern("12155551212", mask_digits=0) == "12155551212"
    assert orig_pattern("12155551212", mask_digits=11) == "X" * 11
    assert orig_pattern("12155551212", mask_digits=20) == "X" * 11  # never the number itself
    assert orig_pattern("1234") == "XXXX"
    assert orig_pattern("sip:anonymous") == "sip:anonymous"
    assert orig_pattern(None) == "-"


@given(
    st.lists(
        st.tuples(st.sampled_from(["1", "2", None]), st.sampled_from(["a", "b", None])), max_size=40
    )
)
def test_every_call_lands_in_exactly_one_campaign(
    keys: list[tuple[str | None, str | None]],
) -> None:
    records = [CallRecord(signer_spc=s, origid=o) for s, o in keys]
    campaigns = find_campaigns(records)
    assert sum(c.calls for c in campaigns) == len(records)
    assert [c.calls for c in campaigns] == sorted((c.calls for c in campaigns), reverse=True)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["1", None]), st.sampled_from(["a", None]), st.sampled_from(["A", "C"])
        ),
        max_size=20,
    )
)
def test_campaign_key_of_names_the_campaign_of_each_call(
    keys: list[tuple[str | None, str | None, str]],
) -> None:
    records = [CallRecord(signer_spc=s, origid=o, attestation=a) for s, o, a in keys]
    sizes = {c.key: c.calls for c in find_campaigns(records)}
    assert sizes == dict(Counter(CampaignKey.of(r) for r in records))


# one record per traced call (the traceback side of the same grouping)

_UNKNOWN = Originator(kind="unknown", provider=None, origid=None, reason="-", rule="O9")
_ASK = TraceRequest(target=None, ocn=None, ask="-", rule="N4-ask-own-records")


def _signer(spc: str | None, attest: str, *, verified: bool = True) -> Signer:
    return Signer(
        spc=spc,
        organization=f"Org {spc}" if spc else None,
        attestation=attest,
        origid=f"id-{spc}",
        verified=verified,
        iat=T0,
        certificate_fingerprint=None,
        x5u="https://cr.example/signer.pem",
    )


def _hop(provider: str, signer: Signer | None = None, **kw: Any) -> Hop:
    return Hop(
        provider=provider, signer=signer, likely_originator=_UNKNOWN, next_request=_ASK, **kw
    )


def test_a_traced_call_counts_with_the_signer_nearest_its_origin() -> None:
    trace = Traceback(
        hops=(
            _hop("Term", _signer("902T", "A"), orig_tn="12155550100", call_id="t-1"),
            _hop(
                "Transit",
                _signer("903G", "C"),
                orig_tn="12155550100",
                call_id="g-1",
                received_at=T0,
                dest_tns=("13105550000",),
            ),
            _hop("Edge", upstream=Upstream(name="Abroad Ltd")),
        )
    )
    record = CallRecord.from_traceback(trace)
    assert (record.signer, record.attestation, record.origid) == ("SPC 903G", "C", "id-903G")
    assert (record.call_id, record.time, record.dest_tns) == ("g-1", T0, ("13105550000",))
    assert (record.status, record.upstream) == ("valid", "Abroad Ltd")


def test_a_traced_call_without_a_usable_signer() -> None:
    forged = CallRecord.from_traceback(
        Traceback(hops=(_hop("T", _signer(None, "A", verified=False)),))
    )
    assert (forged.signer, forged.status) == ("https://cr.example/signer.pem", "invalid")
    reported = _hop("T", _signer("902T", "A"), reported_in="sent.jsonl:1")
    for reverified, status in ((None, "valid"), (True, "valid"), (False, "invalid")):
        traced = Traceback(hops=(replace(reported, reverified=reverified),))
        assert CallRecord.from_traceback(traced).status == status  # our verdict, where we have one
    evidence = (Evidence(source="packet-source", value="192.0.2.7"),)
    unsigned = CallRecord.from_traceback(
        Traceback(hops=(_hop("T", upstream=Upstream(evidence=evidence), identity_count=1),))
    )
    assert (unsigned.signer, unsigned.status, unsigned.upstream) == (
        "unsigned",
        "invalid",
        "192.0.2.7",
    )
    nothing = CallRecord.from_traceback(Traceback(hops=(_hop("T"),)))
    assert (nothing.status, nothing.upstream) == ("no-identity", None)
    assert CallRecord.from_traceback(Traceback(hops=())) == CallRecord()


def test_recent_call_ids_are_bounded_forgetting_the_oldest() -> None:
    recent = RecentKeys(size=2)
    keys = ("a", "b", "a", "c", "a", None, None)
    assert [recent.first_time(k) for k in keys] == [True, True, False, True, True, True, True]
