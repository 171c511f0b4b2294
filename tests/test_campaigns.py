"""Grouping calls into campaigns and choosing the next traceback request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace.campaigns import CallRecord, find_campaigns, orig_pattern
from shakentrace.errors import ConfigurationError

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
    return [
        CallRecord(
            orig_tn=f"1215555{i:04d}",
            dest_tns=(f"1310555{i:04d}",),
            time=T0 + timedelta(seconds=i),
            call_id=f"c{i}",
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
    assert top.key.orig_pattern == "1215555XXXX"
    assert (top.first_seen, top.last_seen) == (T0, T0 + timedelta(seconds=4))
    assert top.call_ids == ("c0", "c1", "c2", "c3", "c4")
    assert top.dest_count == 5
    assert top.statuses == (("valid", 5),)


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
    assert len(find_campaigns(_calls(3), mask_digits=0)) == 3
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
