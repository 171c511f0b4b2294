"""The shortcuts that read a call's parties give the message accessors' answers.

``CallFacts.from_message`` reads From, To, each P-Asserted-Identity and the Date
without the accessors when the value has the usual shape; these properties
compare it with the accessor path (the code it replaced) on values around that
shape and across it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace import _parties, tn
from shakentrace.errors import ParseError
from shakentrace.reasons import Reason
from shakentrace.sip import SipLimits, SipMessage, parse_sip
from shakentrace.uri import parse_name_addr, parse_uri
from shakentrace.verify import CallFacts
from strategies import name_addrs, request_uris, sip_messages


def _accessor(text: str) -> Any:
    try:
        address = parse_name_addr(text)
    except ParseError:
        return None
    return address.uri.tn, address.uri.raw


@given(name_addrs())
def test_usual_address_reads_as_the_name_addr_parse(text: str) -> None:
    quick = _parties.usual_address(text)
    if quick is not None:
        assert quick == _accessor(text)


def test_usual_address_takes_the_shortcut() -> None:
    text = "<sip:+12155550000@sbc.example;user=phone>;tag=76629d4bd6"
    assert _parties.usual_address(text) == (
        "12155550000",
        "sip:+12155550000@sbc.example;user=phone",
    )


@given(name_addrs())
def test_usual_tn_is_the_general_tn(text: str) -> None:
    start, end = text.find("<"), text.find(">")
    try:
        uri = parse_uri(text[start + 1 : end] if 0 <= start < end else text)
    except ParseError:
        return
    assert tn.tn_from_uri(uri) == tn._general_tn(uri)


@given(request_uris())
def test_usual_uri_reads_as_the_uri_parse(text: str) -> None:
    quick = _parties.usual_uri(text)
    if quick is not None:
        uri = parse_uri(text)
        assert quick == (tn.tn_from_uri(uri), uri.raw)


def test_usual_uri_takes_the_shortcut() -> None:
    text = "sip:+12025550000@sbc.example;user=phone"
    assert _parties.usual_uri(text) == ("12025550000", text)
    assert _parties.usual_uri("sip:2025550000@sbc.example") == (
        "12025550000",
        "sip:2025550000@sbc.example",
    )
    assert _parties.usual_uri("sip:+12025550000@anonymous.invalid") is None


# --- whole messages ----------------------------------------------------------------------


def _general_facts(message: SipMessage) -> CallFacts:
    """CallFacts.from_message as it was before the shortcuts: every value via its accessor."""
    problems: list[Reason] = []
    fields = ((("From", "from_"), ("P-Asserted-Identity", "pai")),
              (("To", "to"), ("Request-URI", "request_uri")))  # fmt: skip
    callers, callees = (
        tuple(p for label, name in pair for p in _parties._general(message, problems, label, name))
        for pair in fields
    )
    identities = tuple(_parties.read(message, "identities", problems) or ())
    if not identities and "identity" in message.headers:
        identities = ("",)
    date = _parties.read(message, "date", problems)
    return CallFacts(
        identities=identities, callers=callers, callees=callees, date=date, problems=tuple(problems)
    )


_DATES = st.sampled_from(
    ["Sat, 28 Nov 2026 12:53:36 GMT", "Sat, 31 Feb 2026 12:53:36 GMT", "yesterday", ""]
)


@st.composite
def _invites(draw: st.DrawFn) -> bytes:
    lines = [
        f"INVITE {draw(request_uris())} SIP/2.0",
        "Via: SIP/2.0/UDP h;branch=z9hG4bKx",
    ]
    lines += [f"From: {draw(name_addrs())}", f"To: {draw(name_addrs())}"]
    lines += [f"P-Asserted-Identity: {draw(name_addrs())}" for _ in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        lines.append(f"P-Asserted-Identity: {draw(name_addrs())}, {draw(name_addrs())}")
    lines += [f"Date: {draw(_DATES)}" for _ in range(draw(st.integers(0, 2)))]
    lines += ["Identity: a.b.c;info=<https://x/y>", "Call-ID: c", "CSeq: 1 INVITE"]
    order = draw(st.permutations(lines[2:]))
    return ("\r\n".join([lines[0], lines[1], *order]) + "\r\n\r\n").encode()


@given(_invites() | sip_messages().map(lambda case: case[1]))
def test_call_facts_are_the_accessors_facts(data: bytes) -> None:
    try:
        parse_sip(data)
    except ParseError:
        return
    assert CallFacts.from_message(parse_sip(data)) == _general_facts(parse_sip(data))


@pytest.mark.parametrize("limit", [1, 2, 3])
@pytest.mark.parametrize(
    "pai", ["<tel:+12155550000>, <sip:+12155550001@h>", '"unterminated <tel:+1>', "<tel:+1>,"]
)
def test_pai_bounds_and_errors_are_the_accessors(pai: str, limit: int) -> None:
    data = f"INVITE sip:a@b SIP/2.0\r\nP-Asserted-Identity: {pai}\r\n\r\n".encode()
    limits = SipLimits(max_list_elements=limit)
    facts = CallFacts.from_message(parse_sip(data, limits=limits))
    assert facts == _general_facts(parse_sip(data, limits=limits))


@given(st.sampled_from(["Sat, 28 Nov 2026 12:53:36 GMT", "Sat, 31 Feb 2026 12:53:36 GMT", "x"]))
def test_kept_dates_are_parsed_dates(text: str) -> None:
    data = f"OPTIONS sip:a@b SIP/2.0\r\nDate: {text}\r\n\r\n".encode()
    for _ in range(2):
        facts = CallFacts.from_message(parse_sip(data))
        assert facts == _general_facts(parse_sip(data))


# --- pairings ----------------------------------------------------------------------------

_PARTY_TNS = st.sampled_from([None, "12155551212", "2155551212", "19995551212", "1215555121", "+1"])


def _reference_pairings(
    orig_tn: str | None,
    dest_tns: tuple[str, ...],
    callers: list[tuple[str, str | None, str | None]],
    callees: list[tuple[str, str | None, str | None]],
    accepted: frozenset[str],
) -> tuple[list[tuple[Any, ...]], list[tuple[str, str, str]]]:
    """The pairing rules as first written (every match ranked, lists of tuples)."""
    strength = {m: n for n, m in enumerate(tn.TnMatch)}
    pairs = []
    for label, value, _ in callers:
        match = "no-tn" if orig_tn is None or value is None else str(tn.compare_tns(orig_tn, value))
        pairs.append(("orig", label, orig_tn, value, match))
    for label, value, _ in callees:
        if value is None or not dest_tns:
            pairs.append(("dest", label, ",".join(dest_tns) or None, value, "no-tn"))
        else:
            best = min((tn.compare_tns(d, value) for d in dest_tns), key=strength.__getitem__)
            pairs.append(("dest", label, ",".join(dest_tns), value, str(best)))
    reasons = []
    for claim, present in (("orig", orig_tn is not None), ("dest", bool(dest_tns))):
        mine = [p for p in pairs if p[0] == claim]
        compared = [p for p in mine if p[4] != "no-tn"]
        if not present:
            continue
        if not compared:
            if mine:
                where = " or ".join(p[1] for p in mine)
                reasons.append(
                    (f"{claim}-mismatch", "error", f"no TN in {where} to compare {claim} with")
                )
            continue
        good = [p for p in compared if p[4] in accepted]
        for p in (p for p in compared if p[4] not in accepted):
            message = f"{claim} {p[2]} ≠ {p[1]} {p[3]} ({p[4]})"
            reasons.append((f"{claim}-mismatch", "warning" if good else "error", message))
    return pairs, reasons


@given(
    _PARTY_TNS,
    st.lists(st.sampled_from(["12155551212", "", "2155551212", "12025550000"]), max_size=3),
    st.lists(
        st.tuples(st.sampled_from(["From", "P-Asserted-Identity[1]"]), _PARTY_TNS), max_size=3
    ),
    st.lists(st.tuples(st.sampled_from(["To", "Request-URI"]), _PARTY_TNS), max_size=2),
    st.booleans(),
)
def test_pairings_follow_the_reference_rules(
    orig_tn: str | None,
    dests: list[str],
    callers: list[tuple[str, str | None]],
    callees: list[tuple[str, str | None]],
    last10: bool,
) -> None:
    from dataclasses import replace

    from shakentrace import _checks, decode_passport
    from shakentrace.verify import Policy

    accepted = Policy(accept_last10=last10).accepted_matches
    token = "eyJhbGciOiJFUzI1NiJ9.eyJpYXQiOjF9.c2ln"
    passport = replace(decode_passport(token), orig_tn=orig_tn, dest_tns=tuple(dests))
    ours: list[tuple[str, str | None, str | None]] = [(n, v, None) for n, v in callers]
    theirs: list[tuple[str, str | None, str | None]] = [(n, v, None) for n, v in callees]
    pairings, reasons = _checks.check_pairings(passport, ours, theirs, accepted)
    expected_pairs, expected_reasons = _reference_pairings(
        orig_tn, tuple(dests), ours, theirs, accepted
    )
    assert [
        (p.claim, p.header, p.claim_tn, p.header_tn, p.match) for p in pairings
    ] == expected_pairs
    assert [(r.code, r.severity, r.message) for r in reasons] == expected_reasons


@given(st.lists(st.sampled_from([";user=phone", ";lr", ";=x", ";a=b", ";", ";tag=1"]), max_size=4))
def test_kept_parameters_are_parsed_parameters(pieces: list[str]) -> None:
    from shakentrace import uri

    text = "".join(pieces) or ";"
    for _ in range(2):
        try:
            kept: Any = uri._simple_params(text, None)
        except ParseError as exc:
            kept = exc.message
        try:
            fresh: Any = uri._split_simple(text, None)
        except ParseError as exc:
            fresh = exc.message
        assert kept == fresh


def test_usual_shapes_have_their_groups_in_order() -> None:
    """_usual reads the groups by position: uri, user, host, tel."""
    order = {"uri": 1, "user": 2, "host": 3, "tel": 4}
    assert _parties._USUAL_ADDRESS.groupindex == order
    assert _parties._USUAL_BARE_URI.groupindex == order
    assert _parties._USUAL_ADDRESS.groups == _parties._USUAL_BARE_URI.groups == 4


@given(st.text(st.sampled_from("aZ09_.-;>@é "), max_size=8))
def test_usual_host_is_the_host_as_first_written(text: str) -> None:
    """The host as a run and a look-behind is the host as an optional group was."""
    first = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?"
    for tail in ("", ";", ">"):
        old = re.match(rf"({first}){re.escape(tail)}", text)
        new = re.match(rf"({_parties._HOST}){re.escape(tail)}", text)
        assert (old and old.span(1)) == (new and new.span(1))
        assert bool(re.fullmatch(first, text)) == bool(re.fullmatch(_parties._HOST, text))
