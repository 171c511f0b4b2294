"""parse_sip: framing, headers, typed accessors, bounds and error codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shakentrace import SipLimits, SipParseError, parse_sip

INVITE = (
    "INVITE sip:+12155551213@sbc.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1;received=198.51.100.7;rport=5062,"
    " SIP/2.0/TCP [2001:db8::1]:5070;branch=z9hG4bK2\r\n"
    'f: "Bob \\"B\\" Smith" <sip:+1-215-555-1212;verstat=TN-Validation-Passed@a.example;'
    "user=phone>;tag=abc\r\n"
    "t: <tel:+12155551213>\r\n"
    "i: call-1@example\r\n"
    "CSeq: 7 INVITE\r\n"
    "Max-Forwards: 69\r\n"
    "Date: Fri, 25 Sep 2015 19:12:25 GMT\r\n"
    "P-Asserted-Identity: <sip:+12155551212@a.example;user=phone>, <tel:+12155551212>\r\n"
    "y: aaa.bbb.ccc;info=<https://cert.example/a,b.pem>;alg=ES256;ppt=shaken,"
    " ddd.eee.fff;info=<https://cert.example/c.pem>\r\n"
    "Identity: ggg.hhh.iii;info=<https://cert.example/d.pem>\r\n"
    "Content-Length: 4\r\n"
    "\r\n"
    "v=0\r\nextra"
)


def test_request_line_and_core_headers() -> None:
    msg = parse_sip(INVITE)
    assert msg.method == "INVITE"
    assert msg.is_request
    assert msg.request_uri is not None
    assert msg.request_uri.tn == "12155551213"
    assert msg.from_ is not None
    assert msg.from_.display_name == 'Bob "B" Smith'
    assert msg.from_.tag == "abc"
    assert msg.from_.tn == "12155551212"
    assert msg.from_.uri.user_params["verstat"] == "TN-Validation-Passed"
    assert msg.verstat == "TN-Validation-Passed"
    assert msg.to is not None
    assert msg.to.tn == "12155551213"
    assert msg.call_id == "call-1@example"
    assert msg.cseq is not None
    assert (msg.cseq.seq, msg.cseq.method) == (7, "INVITE")
    assert msg.max_forwards == 69
    assert msg.date == datetime(2015, 9, 25, 19, 12, 25, tzinfo=UTC)
    assert [p.tn for p in msg.pai] == ["12155551212", "12155551212"]
    assert msg.body == b"v=0\r"  # cut to Content-Length


def test_identity_headers_compact_and_comma_joined() -> None:
    msg = parse_sip(INVITE)
    assert msg.identities == (
        "aaa.bbb.ccc;info=<https://cert.example/a,b.pem>;alg=ES256;ppt=shaken",
        "ddd.eee.fff;info=<https://cert.example/c.pem>",
        "ggg.hhh.iii;info=<https://cert.example/d.pem>",
    )


def test_via_list() -> None:
    top, second = parse_sip(INVITE).via
    assert (top.transport, top.host, top.port, top.branch) == (
        "UDP",
        "192.0.2.10",
        5060,
        "z9hG4bK1",
    )
    assert (top.received, top.rport) == ("198.51.100.7", 5062)
    assert (second.transport, second.host, second.port) == ("TCP", "[2001:db8::1]", 5070)


def test_headers_multimap() -> None:
    headers = parse_sip(INVITE).headers
    assert headers.get("FROM") == headers.get("f")
    assert "identity" in headers
    assert "y" in headers
    assert "Diversion" not in headers
    assert len(headers.get_all("Identity")) == 2
    assert next(iter(headers))[0] == "Via"


def test_bare_lf_folding_and_response() -> None:
    msg = parse_sip(b"SIP/2.0 180 Ringing\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nSubject: a\n  b\n\n")
    assert (msg.status_code, msg.reason_phrase, msg.method) == (180, "Ringing", None)
    assert msg.headers.get("subject") == "a b"


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b"", "sip-empty", 1),
        (b"HELLO\r\n\r\n", "sip-start-line", 1),
        (b"INVITE sip:a@b SIP/2.0\r\n bad\r\n\r\n", "sip-folding", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nno colon\r\n\r\n", "sip-header-syntax", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nX: \x00\r\n\r\n", "sip-control-char", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n", "sip-encoding", 2),
        (b"INVITE sip:a@ SIP/2.0\r\n\r\n", "sip-uri", 1),
        (b"INVITE sip:a@b SIP/2.0\r\nCSeq: x INVITE\r\n\r\n", "sip-cseq", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nA: 1\r\nVia: SIP/2.0 h\r\n\r\n", "sip-via", 3),
        (b'INVITE sip:a@b SIP/2.0\r\nFrom: "x <sip:a@b>\r\n\r\n', "sip-name-addr", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nTo: <sip:a@b\r\n\r\n", "sip-name-addr", 2),
        (b'INVITE sip:a@b SIP/2.0\r\nP-Asserted-Identity: "x <a>\r\n\r\n', "sip-unterminated", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nMax-Forwards: -1\r\n\r\n", "sip-max-forwards", 2),
        (b"INVITE sip:a@b SIP/2.0\r\ni: a b\r\n\r\n", "sip-call-id", 2),
    ],
)
def test_errors_have_code_and_line(data: bytes, code: str, line: int) -> None:
    with pytest.raises(SipParseError) as info:
        parse_sip(data)
    assert (info.value.code, info.value.line) == (code, line)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (SipLimits(max_message_bytes=100), "sip-too-large"),
        (SipLimits(max_headers=3), "sip-too-many-headers"),
        (SipLimits(max_line_length=80), "sip-line-too-long"),
        (SipLimits(max_value_length=60), "sip-value-too-long"),
        (SipLimits(max_list_elements=1), "sip-too-many-elements"),
    ],
)
def test_limits(limits: SipLimits, code: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_sip(INVITE, limits=limits)
    assert info.value.code == code


def test_lazy_accessor_errors_carry_the_line() -> None:
    msg = parse_sip(b"INVITE sip:a@b SIP/2.0\r\nDate: yesterday\r\n\r\n")
    with pytest.raises(SipParseError) as info:
        _ = msg.date
    assert (info.value.code, info.value.line) == ("sip-date", 2)
    assert msg.to_dict()["errors"] == [{"field": "date", "code": "sip-date", "line": 2}]
