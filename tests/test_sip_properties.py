"""Properties of parse_sip: totality over any input, and render → parse round-trip."""

from __future__ import annotations

import contextlib

from hypothesis import given
from hypothesis import strategies as st

from conftest import VECTORS
from shakentrace import SipMessage, SipParseError, Uri, parse_sip, parse_uri
from shakentrace import uri as uri_module
from strategies import MessageModel, mutated, sip_messages, sip_uris

SEEDS = tuple(p.read_bytes() for p in sorted((VECTORS / "sip").glob("*.sip")))

_ACCESSORS = (
    "from_", "to", "pai", "ppi", "remote_party_id", "identities", "via", "record_route",
    "route", "contact", "call_id", "cseq", "date", "max_forwards", "content_length",
    "user_agent", "server", "diversion", "history_info", "p_charging_vector", "reason",
    "privacy", "p_attestation_indicator", "attestation_info", "origination_id", "verstat",
)  # fmt: skip


def _total(data: bytes | str) -> None:
    """parse_sip gives a SipMessage or a SipParseError, and so does every accessor."""
    try:
        msg = parse_sip(data)
    except SipParseError as exc:
        error: SipParseError | None = exc
    else:
        error = None
        assert isinstance(msg, SipMessage)
        for name in _ACCESSORS:
            with contextlib.suppress(SipParseError):
                getattr(msg, name)
        msg.request_uri, msg.body  # noqa: B018 (checked by parse_sip: these never raise)
        msg.to_dict()
    assert error is None or error.code.startswith("sip-")


@given(st.binary(max_size=600))
def test_any_bytes(data: bytes) -> None:
    _total(data)


@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    _total(text)


@given(mutated(SEEDS))
def test_mutated_real_messages(data: bytes) -> None:
    _total(data)


@given(sip_messages())
def test_round_trip(case: tuple[MessageModel, bytes]) -> None:
    model, data = case
    msg = parse_sip(data)
    assert msg.method == model.method
    assert msg.request_uri is not None
    assert (msg.request_uri.user, msg.request_uri.host) == (model.ruri_user, model.ruri_host)
    assert msg.from_ is not None
    assert msg.from_.display_name == model.from_display
    assert (msg.from_.uri.user, msg.from_.uri.host) == (model.from_user, model.from_host)
    assert msg.from_.tag == model.from_tag
    assert msg.to is not None
    assert msg.to.tn == model.to_user[1:]
    assert [(v.transport, v.host, v.port, v.branch) for v in msg.via] == [
        (t, h, p, "z9hG4bK" + b) for t, h, p, b in model.via
    ]
    assert msg.call_id == model.call_id
    assert msg.cseq is not None
    assert (msg.cseq.seq, msg.cseq.method) == (model.cseq, model.method)
    assert msg.max_forwards == model.max_forwards
    assert [p.tn for p in msg.pai] == [n[1:] for n in model.pai]
    assert msg.identities == model.identities


@given(sip_messages())
def test_header_lookups_agree_with_the_full_split(case: tuple[MessageModel, bytes]) -> None:
    """Looking one header up (a scan) and splitting the whole head give the same fields."""
    _, data = case
    split = parse_sip(data).headers
    entries = [(f.name, f.value, f.line) for f in split.fields]
    for field in split.fields:
        looked_up = parse_sip(data).headers.fields_named(field.name)
        assert [(f.name, f.value, f.line) for f in looked_up] == [
            e for e in entries if split.fields_named(e[0])[0].key == field.key
        ]


@given(sip_uris())
def test_uri_shortcut_agrees_with_the_general_parse(text: str) -> None:
    try:
        general: Uri | str = uri_module._parse_uri(text.strip(), None)
    except SipParseError as exc:
        general = exc.code
    try:
        quick: Uri | str = parse_uri(text)
    except SipParseError as exc:
        quick = exc.code
    assert quick == general


@given(sip_uris())
def test_request_uri_is_checked_by_parse_sip(text: str) -> None:
    """A Request-URI parse_sip accepts (maybe parsing it later) is the URI parse_uri gives."""
    try:
        msg: SipMessage | str = parse_sip(f"INVITE {text} SIP/2.0\r\n\r\n")
    except SipParseError as exc:
        msg = exc.code
    if isinstance(msg, str):
        assert msg in ("sip-uri", "sip-start-line", "sip-control-char", "sip-param")
    else:
        assert msg.request_uri == parse_uri(text)
