"""shakentrace.testing.build_invite / forward_invite: realistic INVITEs and later hops."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shakentrace import parse_sip
from shakentrace.testing import StiCA, build_invite, forward_invite

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def identity() -> str:
    return StiCA(seed="invite", now=NOW).issue_cert().identity_header()


def _headers(raw: bytes) -> list[tuple[str, str]]:
    head = raw.split(b"\r\n\r\n", 1)[0].decode()
    return [tuple(line.split(": ", 1)) for line in head.split("\r\n")[1:]]  # type: ignore[misc]


def _get(raw: bytes, name: str) -> list[str]:
    return [v for n, v in _headers(raw) if n.lower() == name.lower()]


def test_invite_is_complete_and_consistent(identity: str) -> None:
    raw = build_invite(identity=[identity], via=("10.0.0.2:5060", "192.0.2.10"))
    assert raw.startswith(b"INVITE sip:+12155551213@sbc.terminating.example;user=phone SIP/2.0\r\n")
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert _get(raw, "Content-Length") == [str(len(body))]
    assert body.startswith(b"v=0\r\n")
    assert len(_get(raw, "Via")) == 2
    assert _get(raw, "Identity") == [identity]
    assert _get(raw, "Date") == ["Sun, 01 Mar 2026 12:00:00 GMT"]  # the PASSporT's iat
    assert _get(raw, "P-Asserted-Identity") == [
        "<sip:+12155551212@sbc.originating.example;user=phone>"
    ]
    for name in ("Max-Forwards", "From", "To", "Call-ID", "CSeq", "Contact"):
        assert len(_get(raw, name)) == 1, name


def test_invite_is_reproducible(identity: str) -> None:
    assert build_invite(identity=identity) == build_invite(identity=identity)
    assert build_invite(identity=identity, orig="12025550100") != build_invite(identity=identity)


def test_many_and_compact_identity_headers(identity: str) -> None:
    raw = build_invite(identity=[identity, identity], compact_identity=True, pai=False, body=False)
    assert _get(raw, "y") == [identity, identity]
    assert _get(raw, "P-Asserted-Identity") == []
    assert _get(raw, "Content-Length") == ["0"]
    assert raw.endswith(b"\r\n\r\n")


def test_no_identity_and_extra_headers() -> None:
    raw = build_invite(date=NOW, extra_headers=[("Diversion", "<sip:+12155550000@x>")])
    assert _get(raw, "Identity") == []
    assert _get(raw, "Diversion") == ["<sip:+12155550000@x>"]


def test_later_hop_through_a_b2bua_keeps_identity(identity: str) -> None:
    first = build_invite(identity=identity)
    later = forward_invite(first, by="198.51.100.7:5060")
    assert _get(later, "Identity") == _get(first, "Identity")
    assert _get(later, "Call-ID") != _get(first, "Call-ID")
    assert _get(later, "Via")[0].startswith("SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK")
    assert len(_get(later, "Via")) == 1
    assert _get(later, "Max-Forwards") == ["69"]
    for name in ("From", "To", "P-Asserted-Identity", "Date"):
        assert _get(later, name) == _get(first, name)
    assert later.split(b"\r\n\r\n", 1)[1] == first.split(b"\r\n\r\n", 1)[1]


def test_later_hop_through_a_proxy_adds_a_via(identity: str) -> None:
    first = build_invite(identity=identity)
    later = forward_invite(first, by="proxy.example", b2bua=False)
    assert _get(later, "Call-ID") == _get(first, "Call-ID")
    assert _get(later, "Via")[1:] == _get(first, "Via")


# --- round trip through shakentrace's own SIP parser ----------------------------------

TNS = st.text(alphabet="0123456789", min_size=11, max_size=15)
HOSTS = st.sampled_from(["192.0.2.10:5060", "10.1.2.3", "edge.carrier.example", "[2001:db8::1]"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    orig=TNS,
    dest=TNS,
    count=st.integers(min_value=0, max_value=3),
    compact=st.booleans(),
    via=st.lists(HOSTS, min_size=1, max_size=4),
    b2bua=st.booleans(),
)
def test_build_invite_round_trips_through_parse_sip(
    identity: str, orig: str, dest: str, count: int, compact: bool, via: list[str], b2bua: bool
) -> None:
    raw = build_invite(
        identity=[identity] * count, orig=orig, dest=dest, compact_identity=compact, via=via
    )
    message = parse_sip(raw)
    assert message.method == "INVITE"
    assert message.from_ is not None
    assert message.to is not None
    assert message.from_.uri.tn == orig
    assert message.to.uri.tn == dest
    assert [p.uri.tn for p in message.pai] == [orig]
    assert message.identities == (identity,) * count
    assert len(message.via) == len(via)
    later = parse_sip(forward_invite(raw, by="198.51.100.7:5060", b2bua=b2bua))
    assert later.identities == message.identities
    assert (later.call_id == message.call_id) is not b2bua
    assert len(later.via) == (1 if b2bua else len(via) + 1)
    assert later.max_forwards == 69


def test_a_token_of_deeply_nested_json_still_builds_an_invite() -> None:
    """Found by fuzzing: reading ``iat`` for the Date raised RecursionError."""
    from shakentrace._jose import b64url_encode

    token = f"e30.{b64url_encode(b'[' * 5000 + b']' * 5000)}.AA"
    raw = build_invite(identity=[token])
    assert f"Identity: {token}\r\n".encode() in raw
