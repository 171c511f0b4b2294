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
        (b"\r\n\r\n", "sip-empty", 3),
        (b"HELLO\r\n\r\n", "sip-start-line", 1),
        (b"\r\nINVITE sip:a@b SIP/2.0\r\n bad\r\n\r\n", "sip-folding", 3),
        (b"INVITE sip:a@b SIP/2.0\r\nno colon\r\n\r\n", "sip-header-syntax", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nA: 1\r\n b\r\nno colon\r\n\r\n", "sip-header-syntax", 4),
        (b"INVITE sip:a@b SIP/2.0\r\nX: \x00\r\n\r\n", "sip-control-char", 2),
        (b"INVITE sip:a@b SIP/2.0\r\nX: a\rb\r\n\r\n", "sip-control-char", 2),
        (b"INVITE sip:a@b\x01 SIP/2.0\r\n\r\n", "sip-control-char", 1),
        (b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n", "sip-encoding", 2),
        (b"INVITE sip:a@ SIP/2.0\r\n\r\n", "sip-uri", 1),
    ],
)
def test_framing_errors_have_code_and_line(data: bytes, code: str, line: int) -> None:
    with pytest.raises(SipParseError) as info:
        parse_sip(data)
    assert (info.value.code, info.value.line) == (code, line)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("header", "accessor", "code"),
    [
        ("CSeq: x INVITE", "cseq", "sip-cseq"),
        ("Via: SIP/2.0 h", "via", "sip-via"),
        ('From: "x <sip:a@b>', "from_", "sip-name-addr"),
        ("To: <sip:a@b", "to", "sip-name-addr"),
        ('P-Asserted-Identity: "x <a>', "pai", "sip-unterminated"),
        ("Max-Forwards: -1", "max_forwards", "sip-max-forwards"),
        ("i: a b", "call_id", "sip-call-id"),
        ("Date: yesterday", "date", "sip-date"),
        ("Content-Length: ...", "content_length", "sip-content-length"),
        ("P-Charging-Vector: orig-ioi=x", "p_charging_vector", "sip-charging-vector"),
        ('Reason: "x"', "reason", "sip-reason"),
        ("History-Info: <sip:a@b>;index=1.x", "history_info", "sip-history-info"),
        ("Diversion: <sip:a@b>;x=y z", "diversion", "sip-param"),
        ("Route: <sip:a@b x>", "route", "sip-uri"),
    ],
)
def test_value_errors_are_raised_by_the_accessor(header: str, accessor: str, code: str) -> None:
    for eol in ("\r\n", "\n"):
        msg = parse_sip(f"INVITE sip:a@b SIP/2.0{eol}A: 1{eol}{header}{eol}{eol}")
        with pytest.raises(SipParseError) as info:
            getattr(msg, accessor)
        assert (info.value.code, info.value.line) == (code, 3)
        errors = msg.to_dict()["errors"]
        assert {"field": accessor.rstrip("_"), "code": code, "line": 3} in errors


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        (SipLimits(max_message_bytes=100), "sip-too-large"),
        (SipLimits(max_headers=3), "sip-too-many-headers"),
        (SipLimits(max_line_length=80), "sip-line-too-long"),
        (SipLimits(max_value_length=60), "sip-value-too-long"),
    ],
)
def test_limits(limits: SipLimits, code: str) -> None:
    with pytest.raises(SipParseError) as info:
        parse_sip(INVITE, limits=limits)
    assert info.value.code == code


def test_list_element_limit_is_checked_by_the_accessor() -> None:
    msg = parse_sip(INVITE, limits=SipLimits(max_list_elements=2))
    assert len(msg.via) == 2
    with pytest.raises(SipParseError) as info:
        _ = msg.identities
    assert (info.value.code, info.value.line) == ("sip-too-many-elements", 10)


def test_folded_and_plain_heads_give_the_same_headers() -> None:
    plain = parse_sip(INVITE).headers
    folded = parse_sip(INVITE.replace("\r\nCSeq: 7", "\r\nCSeq:\r\n 7")).headers
    assert list(plain) == list(folded)
    assert plain.get_list("via") == folded.get_list("via")


def test_many_lookups_switch_to_an_index() -> None:
    msg = parse_sip(INVITE)
    facts = msg.to_dict()
    assert facts["errors"] == []
    assert msg.headers.get("i") == "call-1@example"
    assert "Max-Forwards" in msg.headers
    assert len(msg.headers) == 11


def test_plain_head_value_class_is_the_negated_ctl_class() -> None:
    """PLAIN_HEAD lists the characters it allows; they are exactly the non-CTLs and HTAB."""
    import re

    from shakentrace import _grammar

    every = "".join(map(chr, range(0x110000)))
    negated = re.sub(r"[^\x00-\x08\x0a-\x1f\x7f]", "", every)
    listed = re.sub(r"[\t\x20-\x7e\x80-\U0010ffff]", "", every)
    assert negated == listed == "".join(map(chr, [*range(9), *range(10, 32), 127]))
    assert r"[\t\x20-\x7e\x80-\U0010ffff]*" in _grammar.PLAIN_HEAD.pattern


@pytest.mark.parametrize("end", ["\r\n", "\n"])
@pytest.mark.parametrize("value", ["", " ", "\t", "x", " x \t", "a b\tc\t ", "\t\t"])
def test_scanned_values_are_the_split_values(end: str, value: str) -> None:
    """One-header scans (which run to the line end) trim like the full split of the head."""
    head = f"INVITE sip:a@b SIP/2.0{end}Date:{value}{end}Foo: 1{end}Date:{value}{end}{end}"
    scanned, split = parse_sip(head).headers, parse_sip(head).headers
    assert split.fields  # the whole head split: the reference
    reference = [f.value for f in split.fields if f.key == "date"]
    assert reference == [value.strip(" \t")] * 2
    assert scanned.get("date") == reference[0]
    assert scanned._values("date") == reference
    assert scanned.get_all("Date") == tuple(reference)


@pytest.mark.parametrize(
    "data", [b"", b" ", b"\t\r\n", b"\x0b\x0c", b"\r\n \r\n", b"\x00", b"\xa0", b" x ", b"\x1c"]
)
def test_empty_message_is_what_strip_empties(data: bytes) -> None:
    """An empty message is one strip() would empty (ASCII whitespace only), nothing else."""
    with pytest.raises(SipParseError) as info:
        parse_sip(data)
    assert (info.value.code == "sip-empty") == (not data.strip())
