"""Parse SIP messages as carriers send them: :func:`parse_sip` → :class:`SipMessage`.

The parser reads requests and responses (RFC 3261 §7), with CRLF or bare LF
line ends, header line folding (§7.3.1), compact header names (§7.3.3, the
extensions' ``o u r b x j a d`` and ``y`` for Identity, RFC 8224 §4) and
comma-joined list headers. It does no I/O.

:func:`parse_sip` checks the framing: the start line and Request-URI, that
every header line is ``name: value`` (or a fold), that no control character or
invalid UTF-8 is in the head, and the bounds of :class:`SipLimits`. Header
*values* are parsed by the typed accessors (``msg.from_``, ``msg.via``…) on
first use and cached, so that one malformed header never hides the others
(``to_dict()`` lists each one under ``"errors"``) and parsing stays cheap. Both
raise :class:`~shakentrace.errors.SipParseError` (a :class:`ValueError`) with a
stable ``code`` and the ``line`` it is on; nothing else escapes for any input.
Code that must not raise (a verifier, a report) catches it per accessor.

Error codes: ``sip-too-large``, ``sip-too-many-headers``, ``sip-line-too-long``,
``sip-value-too-long``, ``sip-too-many-elements`` (bounds); ``sip-empty``,
``sip-encoding``, ``sip-control-char``, ``sip-start-line``, ``sip-header-syntax``,
``sip-folding`` (framing); ``sip-uri``, ``sip-name-addr``, ``sip-param``,
``sip-unterminated``, ``sip-via``, ``sip-cseq``, ``sip-call-id``, ``sip-date``,
``sip-max-forwards``, ``sip-content-length``, ``sip-charging-vector``,
``sip-reason``, ``sip-history-info`` (values).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from shakentrace import _grammar as g
from shakentrace._frozen import builder
from shakentrace._sipframe import frame
from shakentrace.errors import SipParseError
from shakentrace.headers import COMPACT_NAMES as COMPACT_NAMES
from shakentrace.headers import HeaderField as HeaderField
from shakentrace.headers import Headers
from shakentrace.sipheaders import (
    ChargingVector,
    CSeq,
    Diversion,
    HistoryEntry,
    ReasonHeader,
    Via,
    parse_charging_vector,
    parse_cseq,
    parse_date,
    parse_diversion,
    parse_history_entry,
    parse_reason,
    parse_via,
    split_list,
)
from shakentrace.uri import NameAddr, Uri, parse_name_addr, parse_uri

__all__ = ["SipLimits", "SipMessage", "parse_sip"]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, kw_only=True)
class SipLimits:
    """Bounds :func:`parse_sip` enforces; exceeding one raises its own error code.

    Attributes:
        max_message_bytes: Whole message, head and body (``sip-too-large``); 64 KiB.
        max_headers: Header fields (``sip-too-many-headers``); 256.
        max_line_length: One physical line (``sip-line-too-long``); 8 KiB.
        max_value_length: One unfolded header value (``sip-value-too-long``); 16 KiB.
        max_list_elements: Elements of one list header, e.g. Vias
            (``sip-too-many-elements``); 64.
    """

    max_message_bytes: int = 64 * 1024
    max_headers: int = 256
    max_line_length: int = 8 * 1024
    max_value_length: int = 16 * 1024
    max_list_elements: int = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class SipMessage:
    """A parsed SIP request or response.

    Attributes:
        method: The request method, ``None`` for a response.
        status_code: The response status, ``None`` for a request.
        reason_phrase: The response reason phrase, ``None`` for a request.
        version: The SIP version, normally ``"SIP/2.0"``.
        headers: All header fields.
        raw: The message as received.
    """

    method: str | None
    status_code: int | None
    reason_phrase: str | None
    version: str
    headers: Headers
    raw: bytes
    # The Request-URI: parsed, or its text when it has a shape that parses
    # without fail (parsed on first use); None for a response.
    _uri: Uri | str | None = field(repr=False)
    _after_head: bytes = field(repr=False)  # the bytes after the head, before any cut
    _cache: dict[tuple[object, ...], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def request_uri(self) -> Uri | None:
        """The Request-URI (RFC 3261 §19.1), ``None`` for a response."""
        uri = self._uri
        if not isinstance(uri, str):
            return uri
        return self._cached(("request-uri",), lambda: parse_uri(uri))

    @property
    def body(self) -> bytes:
        """The body bytes, cut to Content-Length when that is shorter."""
        return self._cached(("body",), lambda: _cut_body(self._after_head, self.headers))

    def _cached(self, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]  # type: ignore[no-any-return]

    def _first(self, name: str, parse: Callable[..., _T]) -> _T | None:
        def first() -> _T | None:
            found = self.headers._named(name)
            return parse(found[0][1], line=found[0][2]) if found else None

        return self._cached((name, parse), first)

    def _each(self, name: str, parse: Callable[..., _T]) -> tuple[_T, ...]:
        return self._cached(
            (name, parse, ()),
            lambda: tuple(parse(v, line=n) for v, n in self.headers.get_list(name)),
        )

    @property
    def is_request(self) -> bool:
        """``True`` for a request, ``False`` for a response."""
        return self.method is not None

    @property
    def from_(self) -> NameAddr | None:
        """The From header (RFC 3261 §20.20)."""
        return self._first("from", parse_name_addr)

    @property
    def to(self) -> NameAddr | None:
        """The To header (RFC 3261 §20.39)."""
        return self._first("to", parse_name_addr)

    @property
    def pai(self) -> tuple[NameAddr, ...]:
        """P-Asserted-Identity entries, sip and tel (RFC 3325 §9.1)."""
        return self._each("p-asserted-identity", parse_name_addr)

    @property
    def ppi(self) -> tuple[NameAddr, ...]:
        """P-Preferred-Identity entries (RFC 3325 §9.2)."""
        return self._each("p-preferred-identity", parse_name_addr)

    @property
    def remote_party_id(self) -> tuple[NameAddr, ...]:
        """Remote-Party-ID entries (draft-ietf-sip-privacy-04, still common in US trunks)."""
        return self._each("remote-party-id", parse_name_addr)

    @property
    def identities(self) -> tuple[str, ...]:
        """Raw Identity values (RFC 8224 §4), one per header or comma-joined element."""
        found = self._cache.get(_IDENTITIES)
        if found is None:
            found = self._cache[_IDENTITIES] = _identities(self.headers)
        return found

    @property
    def via(self) -> tuple[Via, ...]:
        """Via hops, topmost (most recent) first (RFC 3261 §20.42)."""
        return self._each("via", parse_via)

    @property
    def record_route(self) -> tuple[NameAddr, ...]:
        """Record-Route entries (RFC 3261 §20.30)."""
        return self._each("record-route", parse_name_addr)

    @property
    def route(self) -> tuple[NameAddr, ...]:
        """Route entries (RFC 3261 §20.34)."""
        return self._each("route", parse_name_addr)

    @property
    def contact(self) -> tuple[NameAddr, ...]:
        """Contact entries (RFC 3261 §20.10); the ``*`` of REGISTER is left out."""
        return tuple(c for c in self._each("contact", _contact) if c is not None)

    @property
    def call_id(self) -> str | None:
        """The Call-ID (RFC 3261 §20.8)."""
        return self._first("call-id", _call_id)

    @property
    def cseq(self) -> CSeq | None:
        """The CSeq (RFC 3261 §20.16)."""
        return self._first("cseq", parse_cseq)

    @property
    def date(self) -> datetime | None:
        """The Date header as an aware UTC datetime (RFC 3261 §20.17, RFC 8224 §4.1)."""
        return self._first("date", parse_date)

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards (RFC 3261 §20.22)."""
        return self._first("max-forwards", _max_forwards)

    @property
    def content_length(self) -> int | None:
        """Content-Length (RFC 3261 §20.14)."""
        return self._first("content-length", _content_length)

    @property
    def user_agent(self) -> str | None:
        """The User-Agent header, as received."""
        return self.headers.get("user-agent")

    @property
    def server(self) -> str | None:
        """The Server header, as received."""
        return self.headers.get("server")

    @property
    def diversion(self) -> tuple[Diversion, ...]:
        """Diversion entries, most recent first (RFC 5806)."""
        return self._each("diversion", parse_diversion)

    @property
    def history_info(self) -> tuple[HistoryEntry, ...]:
        """History-Info entries in order (RFC 7044)."""
        return self._each("history-info", parse_history_entry)

    @property
    def p_charging_vector(self) -> ChargingVector | None:
        """P-Charging-Vector (RFC 8787)."""
        return self._first("p-charging-vector", parse_charging_vector)

    @property
    def reason(self) -> tuple[ReasonHeader, ...]:
        """Reason values, including ``STIR`` ones (RFC 3326, RFC 8224 §13.1, RFC 9410)."""
        return self._each("reason", parse_reason)

    @property
    def privacy(self) -> tuple[str, ...]:
        """Privacy values, e.g. ``("id",)`` (RFC 3323 §4.2, RFC 3325 §9.3)."""
        return tuple(
            p.strip() for v in self.headers.get_all("privacy") for p in v.split(";") if p.strip()
        )

    @property
    def p_attestation_indicator(self) -> str | None:
        """The P-Attestation-Indicator header, the attestation a verifier saw (ATIS-1000082)."""
        return self.headers.get("p-attestation-indicator")

    @property
    def attestation_info(self) -> str | None:
        """The Attestation-Info header, the attestation some carriers pass on after verifying."""
        return self.headers.get("attestation-info")

    @property
    def origination_id(self) -> str | None:
        """The Origination-Id header, the ``origid`` some carriers pass on after verifying."""
        return self.headers.get("origination-id")

    @property
    def verstat(self) -> str | None:
        """The ``verstat`` a verifier put on P-Asserted-Identity or From (3GPP TS 24.229)."""
        addresses: tuple[NameAddr | None, ...] = (*self.pai, self.from_)
        found = (a.uri.get_param("verstat") for a in addresses if a is not None)
        return next((v for v in found if v), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the message's facts as JSON-safe data (every typed accessor)."""
        from shakentrace._sipdict import message_to_dict

        return message_to_dict(self)


_IDENTITIES = ("identity",)


def _identities(headers: Headers) -> tuple[str, ...]:
    # The hot path of every caller: values without line numbers, which only an
    # error needs (then get_list says where).
    try:
        values = [e for v in headers._values("identity") for e in split_list(v)]
    except SipParseError:
        values = []
    if not values or len(values) > headers._max_elements:
        return tuple(v for v, _ in headers.get_list("identity"))
    return tuple(values)


def _contact(value: str, *, line: int | None = None) -> NameAddr | None:
    return None if value.strip() == "*" else parse_name_addr(value, line=line)


def _call_id(value: str, *, line: int | None = None) -> str:
    if not g.CALL_ID.fullmatch(value):
        raise SipParseError(f"malformed Call-ID {value!r}", code="sip-call-id", line=line)
    return value


def _digits(value: str, line: int | None, code: str, what: str) -> int:
    if not g.DIGITS.fullmatch(value):
        raise SipParseError(f"malformed {what} {value!r}", code=code, line=line)
    return int(value)


def _max_forwards(value: str, *, line: int | None = None) -> int:
    return _digits(value, line, "sip-max-forwards", "Max-Forwards")


def _content_length(value: str, *, line: int | None = None) -> int:
    return _digits(value, line, "sip-content-length", "Content-Length")


def parse_sip(data: bytes | str, *, limits: SipLimits = SipLimits()) -> SipMessage:
    """Parse one SIP request or response.

    Args:
        data: The message; ``str`` is encoded as UTF-8. Leading blank lines are
            skipped (RFC 3261 §7.5); a missing blank line after the headers is
            tolerated (a message without a body).
        limits: The bounds to enforce.

    Raises:
        SipParseError: for a malformed start line or header line, bad bytes,
            or an exceeded bound, with ``code`` and ``line``. Malformed header
            values are raised later, by the accessor that parses them.

    >>> from shakentrace.sip import parse_sip
    >>> msg = parse_sip("OPTIONS sip:+12155551212@example.com;user=phone SIP/2.0\\r\\n"
    ...                 "f: <tel:+1-215-555-1213>;tag=a\\r\\nv: SIP/2.0/UDP 192.0.2.1\\r\\n\\r\\n")
    >>> msg.method, msg.request_uri.tn, msg.from_.tn, msg.via[0].transport
    ('OPTIONS', '12155551212', '12155551213', 'UDP')
    """
    framed = frame(data, limits)
    start = framed.start
    elements = limits.max_list_elements
    if framed.fields is None:
        headers = Headers._deferred(framed.text, framed.first, elements)
    else:
        headers = Headers(framed.fields, max_elements=elements)
    return _SIP_MESSAGE(
        method=start.method,
        status_code=start.status_code,
        reason_phrase=start.reason_phrase,
        version=start.version,
        headers=headers,
        raw=framed.raw,
        _uri=_request_uri(start.uri, start.line) if start.uri is not None else None,
        _after_head=framed.body,
    )


_SIP_MESSAGE = builder(SipMessage)  # every parse builds one: half the __init__ cost


def _request_uri(text: str, line: int) -> Uri | str:
    """The Request-URI parsed now, or its text when parsing it later cannot fail.

    The usual ``sip:user@host`` shape is checked here and parsed on first use,
    so a malformed Request-URI still fails :func:`parse_sip`.
    """
    simple = g.SIMPLE_SIP_URI.fullmatch(text)
    if simple is None or ";=" in simple["params"] or int(simple["port"] or 0) > 65535:
        return parse_uri(text, line=line)
    return text


def _cut_body(body: bytes, headers: Headers) -> bytes:
    # A shorter Content-Length ends the message; a malformed one is reported by
    # SipMessage.content_length, not here (text captures often carry "...").
    if not body:
        return body
    values = headers._values("content-length")
    length = values[0] if values else ""
    return body[: int(length)] if g.DIGITS.fullmatch(length) else body
