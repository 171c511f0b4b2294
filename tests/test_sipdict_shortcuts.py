"""The lean readings of ``SipMessage.to_dict`` give the accessors' answers.

``message_to_dict`` reads From, To, each P-Asserted-Identity, Contact, the
Request-URI and ``verstat`` straight from the usual shape of their values
(:mod:`shakentrace._usualdict`). These properties hold it to the general path it
stands in for: every typed accessor turned into JSON-safe data, a failing one
giving ``None`` and an entry in ``"errors"``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shakentrace import _sipdict
from shakentrace._usualdict import usual_name_addr, usual_uri, usual_via
from shakentrace.errors import ParseError, SipParseError
from shakentrace.sip import SipMessage, parse_sip
from shakentrace.sipheaders import parse_via
from shakentrace.uri import parse_name_addr, parse_uri
from strategies import mutated, name_addrs, sip_messages, sip_uris, vias


def _accessor_dict(parse: Any, text: str) -> Any:
    try:
        return parse(text).to_dict()
    except ParseError:
        return "fails"


@given(name_addrs())
def test_usual_name_addr_is_the_accessors_dict(text: str) -> None:
    lean = usual_name_addr(text)
    assert lean is None or lean == _accessor_dict(parse_name_addr, text)


@given(name_addrs().map(lambda text: text.partition("<")[2].partition(">")[0]) | sip_uris())
def test_usual_uri_is_the_accessors_dict(text: str) -> None:
    lean = usual_uri(text)
    assert lean is None or lean == _accessor_dict(parse_uri, text)


@given(vias())
def test_usual_via_is_the_accessors_dict(text: str) -> None:
    lean = usual_via(text)
    assert lean is None or lean == _accessor_dict(parse_via, text)


def test_the_usual_shapes_take_the_lean_reading() -> None:
    assert usual_name_addr('"Alice" <sip:+12155551212@host.example:5060;user=phone>;tag=a')
    assert usual_name_addr("Alice  Smith <tel:2155551212>")
    assert usual_uri("sip:+12155551212@192.0.2.1;user=phone")
    assert usual_via("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport=5062")


def _general(msg: SipMessage) -> dict[str, Any]:
    """What ``message_to_dict`` gave before the lean readings: every accessor, in turn."""
    out: dict[str, Any] = {key: get(msg) for key, get in _sipdict._LINE.items()}
    out["request_uri"] = _sipdict._one(msg.request_uri)
    out["headers"] = [[name, value] for name, value in msg.headers]
    errors = []
    for name, _, _, get in _sipdict._FACTS:
        try:
            out[name] = _sipdict._one(get(msg))
        except SipParseError as exc:
            out[name] = None
            errors.append({"field": name, "code": exc.code, "line": exc.line})
    return {**out, "body_length": len(msg.body), "errors": errors}


_TEMPLATE = (
    "INVITE {ruri} SIP/2.0\r\n{via}"
    "From: {from_}\r\nTo: {to}\r\n{pai}{contact}Call-ID: c1\r\nCSeq: 1 INVITE\r\n\r\n"
)


@st.composite
def _messages(draw: st.DrawFn) -> bytes:
    """An INVITE whose addresses are drawn around the usual shape."""
    pai = draw(st.lists(name_addrs(), max_size=3))
    joined = draw(st.booleans())
    pai_lines = [", ".join(pai)] if joined and pai else pai
    contact = draw(st.lists(name_addrs() | st.just("*"), max_size=2))
    uri = draw(name_addrs()).partition("<")[2].partition(">")[0]
    via = draw(st.lists(vias(), min_size=1, max_size=3))
    via_lines = [", ".join(via)] if draw(st.booleans()) else via
    text = _TEMPLATE.format(
        ruri=uri.replace(" ", "") or "sip:x@h",
        via="".join(f"Via: {line}\r\n" for line in via_lines),
        from_=draw(name_addrs()),
        to=draw(name_addrs()),
        pai="".join(f"P-Asserted-Identity: {line}\r\n" for line in pai_lines),
        contact="".join(f"Contact: {value}\r\n" for value in contact),
    )
    return text.encode()


_SEEDS = (
    _TEMPLATE.format(
        ruri="sip:+13105550000@b.example;user=phone",
        via="Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;rport\r\n",
        from_="<sip:+12155551212@a.example;user=phone>;tag=1",
        to="<sip:+13105550000@b.example;user=phone>",
        pai="P-Asserted-Identity: <sip:+12155551212@a.example;verstat=TN-Validation-Passed>\r\n",
        contact="Contact: <sip:+12155551212@192.0.2.1:5060;transport=udp>\r\n",
    ).encode(),
)


def _fields() -> st.SearchStrategy[frozenset[str] | None]:
    return st.none() | st.frozensets(st.sampled_from(_sipdict.FIELDS), min_size=1)


@given(_messages() | sip_messages().map(lambda drawn: drawn[1]) | mutated(_SEEDS), _fields())
def test_message_to_dict_is_the_general_path(data: bytes, fields: frozenset[str] | None) -> None:
    try:
        msg = parse_sip(data)
    except SipParseError:
        return
    general = _general(parse_sip(data))
    if fields is not None:
        general["errors"] = [e for e in general["errors"] if e["field"] in fields]
        general = {key: value for key, value in general.items() if key in fields}
    assert _sipdict.message_to_dict(msg, fields) == general
