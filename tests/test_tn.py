"""Telephone numbers: canonical form (RFC 8224 §8.3), URIs, matching, anonymity."""

from __future__ import annotations

import pytest

from shakentrace import (
    ParseError,
    TnMatch,
    canonical_tn,
    compare_tns,
    is_anonymous,
    parse_name_addr,
    parse_uri,
    tn_from_uri,
)


@pytest.mark.parametrize(
    ("text", "tn"),
    [
        ("+1 (215) 555-1212", "12155551212"),
        ("215-555-1212", "12155551212"),
        ("12155551212", "12155551212"),
        ("+44 20 7946 0000", "442079460000"),
        ("%2B12155551212", "12155551212"),
        ("+12155551212;npdi;rn=+12155550000", "12155551212"),
        ("*67#", "*67#"),
        ("1001", "1001"),
        ("1155551212", "1155551212"),  # not NANP (area code cannot start with 1)
    ],
)
def test_canonical_tn(text: str, tn: str) -> None:
    assert canonical_tn(text) == tn


def test_national_rule_is_overridable() -> None:
    assert canonical_tn("2155551212", national=None) == "2155551212"
    assert canonical_tn("0612345678", national=lambda d: "33" + d[1:]) == "33612345678"


@pytest.mark.parametrize("text", ["", "+", "alice", "12a4", "anonymous"])
def test_not_a_number(text: str) -> None:
    with pytest.raises(ParseError) as info:
        canonical_tn(text)
    assert info.value.code == "tn-invalid"


@pytest.mark.parametrize(
    ("uri", "tn"),
    [
        ("tel:+1-215-555-1212", "12155551212"),
        ("tel:5551212;phone-context=+1215", "12155551212"),
        ("sip:+12155551212@example.com;user=phone", "12155551212"),
        ("sip:2155551212@example.com", "12155551212"),
        ("sip:+12155551212;npdi;rn=+12155550000@example.com;user=phone", "12155551212"),
        ("sip:alice@example.com", None),
        ("sip:anonymous@anonymous.invalid", None),
        ("sip:example.com", None),
        ("urn:service:sos", None),
        ("not a uri", None),
    ],
)
def test_tn_from_uri(uri: str, tn: str | None) -> None:
    assert tn_from_uri(uri) == tn


def test_tn_from_name_addr() -> None:
    assert tn_from_uri(parse_name_addr('"x" <tel:+12155551212>;tag=1')) == "12155551212"


@pytest.mark.parametrize(
    ("a", "b", "match"),
    [
        ("12155551212", "12155551212", TnMatch.EQUAL),
        ("+1 215 555 1212", "2155551212", TnMatch.CANONICAL_EQUAL),
        ("442155551212", "12155551212", TnMatch.LAST10),
        ("12155551212", "12155551213", TnMatch.DIFFERENT),
        ("alice", "12155551212", TnMatch.DIFFERENT),
    ],
)
def test_compare_tns(a: str, b: str, match: TnMatch) -> None:
    assert compare_tns(a, b) is match
    assert compare_tns(a, b) == match.value


@pytest.mark.parametrize(
    ("value", "anonymous"),
    [
        ("sip:anonymous@anonymous.invalid", True),
        ("<sip:anonymous@anonymous.invalid>", True),
        ("Anonymous", True),
        ("restricted", True),
        ("sip:Restricted@carrier.example", True),
        ("sip:+12155551212@carrier.example", False),
        ("12155551212", False),
    ],
)
def test_is_anonymous(value: str, anonymous: bool) -> None:
    assert is_anonymous(value) is anonymous


def test_is_anonymous_display_name_and_uri() -> None:
    assert is_anonymous(parse_name_addr('"Anonymous" <sip:0000@x.example>'))
    assert is_anonymous(parse_uri("sip:x@anonymous.invalid"))
    assert not is_anonymous(parse_name_addr("<tel:+12155551212>"))
