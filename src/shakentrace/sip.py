"""Parse SIP messages as carriers send them: :func:`parse_sip` → :class:`SipMessage`.

The parser reads requests and responses (RFC 3261 §7), with CRLF or bare LF
line ends, header line folding (§7.3.1), compact header names (§7.3.3, the
extensions' ``o u r b x j a d`` and ``y`` for Identity, RFC 8224 §4) and
comma-joined list headers. It does no I/O.

:func:`parse_sip` checks the framing, the bounds of :class:`SipLimits` and the
headers every hop relies on (From, To, Call-ID, CSeq, Via, Max-Forwards,
P-Asserted-Identity, Identity). The other typed accessors parse their header on
first use. Either way, a malformed value raises
:class:`~shakentrace.errors.SipParseError` (a :class:`ValueError`) with a
stable ``code`` and the ``line`` it is on; nothing else escapes for any input.

Error codes: ``sip-too-large``, ``sip-too-many-headers``, ``sip-line-too-long``,
``sip-value-too-long``, ``sip-too-many-elements`` (bounds); ``sip-empty``,
``sip-encoding``, ``sip-control-char``, ``sip-start-line``, ``sip-header-syntax``,
``sip-folding`` (framing); ``sip-uri``, ``sip-name-addr``, ``sip-param``,
``sip-unterminated``, ``sip-via``, ``sip-cseq``, ``sip-call-id``, ``sip-date``,
``sip-max-forwards``, ``sip-content-length``, ``sip-charging-vector``,
``sip-reason``, ``sip-history-info`` (values).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from shakentrace import _grammar as g
from shakentrace._sipframe import frame
from shakentrace.errors import SipParseError
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

__all__ = ["COMPACT_NAMES", "HeaderField", "Headers", "SipLimits", "SipMessage", "parse_sip"]

_T = TypeVar("_T")

#: The compact header names of RFC 3261 §7.3.3 (``i m e l c f s k t v``), RFC 6665
#: (``o u``), RFC 3515 (``r``), RFC 3892 (``b``), RFC 4028 (``x``), RFC 3841
#: (``j a d``), RFC 4474 (``n``) and RFC 8224 §4 (``y`` = Identity).
COMPACT_NAMES: dict[str, str] = {
    "a": "accept-contact", "b": "referred-by", "c": "content-type",
    "d": "request-disposition", "e": "content-encoding", "f": "from", "i": "call-id",
    "j": "reject-contact", "k": "supported", "l": "content-length", "m": "contact",
    "n": "identity-info", "o": "event", "r": "refer-to", "s": "subject", "t": "to",
    "u": "allow-events", "v": "via", "x": "session-expires", "y": "identity",
}  # fmt: skip

_SPELLING = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate",
             "mime-version": "MIME-Version", "rack": "RAck", "rseq": "RSeq"}  # fmt: skip


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
class HeaderField:
    """One header field as received.

    Attributes:
        name: The name as received (compact names kept).
        key: The lower-case full name (compact names resolved), used for lookup.
        value: The value, unfolded (each fold becomes one space) and trimmed.
        line: The 1-based line it starts on.
    """

    name: str
    key: str
    value: str
    line: int

    @property
    def canonical_name(self) -> str:
        """The full name in its usual spelling, e.g. ``"Call-ID"`` for ``i``."""
        return _SPELLING.get(self.key) or "-".join(p.capitalize() for p in self.key.split("-"))


def _key(name: str) -> str:
    lower = name.lower()
    return COMPACT_NAMES.get(lower, lower)


class Headers:
    """Case-insensitive, order-keeping, read-only multi-map of header fields.

    Lookup accepts full or compact names (``headers.get("f")`` is From).
    Iteration yields ``(name, value)`` pairs in message order.
    """

    __slots__ = ("_by_key", "_fields", "_max_elements")

    def __init__(self, fields: tuple[HeaderField, ...], *, max_elements: int = 64) -> None:
        self._fields = fields
        self._max_elements = max_elements
        by_key: dict[str, list[HeaderField]] = {}
        for item in fields:
            by_key.setdefault(item.key, []).append(item)
        self._by_key = {k: tuple(v) for k, v in by_key.items()}

    @property
    def fields(self) -> tuple[HeaderField, ...]:
        """Every field, in order."""
        return self._fields

    def fields_named(self, name: str) -> tuple[HeaderField, ...]:
        """The fields with this name, in order."""
        return self._by_key.get(_key(name), ())

    def get(self, name: str) -> str | None:
        """The first value of a header, or ``None``."""
        found = self._by_key.get(_key(name))
        return found[0].value if found else None

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header, one per header field, in order."""
        return tuple(f.value for f in self.fields_named(name))

    def get_list(self, name: str) -> tuple[tuple[str, int], ...]:
        """The elements of a list header with their line numbers.

        Each field is split at commas outside quotes and angle brackets.

        Raises:
            SipParseError: ``sip-unterminated``, or ``sip-too-many-elements``.
        """
        out = [
            (e, f.line) for f in self.fields_named(name) for e in split_list(f.value, line=f.line)
        ]
        if len(out) > self._max_elements:
            raise SipParseError(
                f"{name} has {len(out)} elements, limit {self._max_elements}",
                code="sip-too-many-elements",
                line=self.fields_named(name)[0].line,
            )
        return tuple(out)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._by_key

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((f.name, f.value) for f in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class SipMessage:
    """A parsed SIP request or response.

    Attributes:
        method: The request method, ``None`` for a response.
        request_uri: The Request-URI, ``None`` for a response.
        status_code: The response status, ``None`` for a request.
        reason_phrase: The response reason phrase, ``None`` for a request.
        version: The SIP version, normally ``"SIP/2.0"``.
        headers: All header fields.
        body: The body bytes (cut to Content-Length when that is shorter).
        raw: The message as received.
    """

    method: str | None
    request_uri: Uri | None
    status_code: int | None
    reason_phrase: str | None
    version: str
    headers: Headers
    body: bytes
    raw: bytes
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _first(self, name: str, parse: Callable[..., _T]) -> _T | None:
        key = f"{name}/{parse.__name__}"
        if key not in self._cache:
            found = self.headers.fields_named(name)
            self._cache[key] = parse(found[0].value, line=found[0].line) if found else None
        return self._cache[key]  # type: ignore[no-any-return]

    def _each(self, name: str, parse: Callable[..., _T]) -> tuple[_T, ...]:
        key = f"{name}*{parse.__name__}"
        if key not in self._cache:
            self._cache[key] = tuple(parse(v, line=n) for v, n in self.headers.get_list(name))
        return self._cache[key]  # type: ignore[no-any-return]

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
        return tuple(v for v, _ in self.headers.get_list("identity"))

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
        SipParseError: for malformed input or an exceeded bound, with ``code``
            and ``line``.

    >>> from shakentrace.sip import parse_sip
    >>> msg = parse_sip("OPTIONS sip:+12155551212@example.com;user=phone SIP/2.0\\r\\n"
    ...                 "f: <tel:+1-215-555-1213>;tag=a\\r\\nv: SIP/2.0/UDP 192.0.2.1\\r\\n\\r\\n")
    >>> msg.method, msg.request_uri.tn, msg.from_.tn, msg.via[0].transport
    ('OPTIONS', '12155551212', '12155551213', 'UDP')
    """
    framed = frame(data, limits)
    start = framed.start
    fields = tuple(
        HeaderField(name=name, key=_key(name), value=value, line=line)
        for name, value, line in framed.fields
    )
    msg = SipMessage(
        method=start.method,
        request_uri=parse_uri(start.uri, line=start.line) if start.uri is not None else None,
        status_code=start.status_code,
        reason_phrase=start.reason_phrase,
        version=start.version,
        headers=Headers(fields, max_elements=limits.max_list_elements),
        body=_cut_body(framed.body, fields),
        raw=framed.raw,
    )
    _check_core(msg)
    return msg


def _cut_body(body: bytes, fields: tuple[HeaderField, ...]) -> bytes:
    # A shorter Content-Length ends the message; a malformed one is reported by
    # SipMessage.content_length, not here (text captures often carry "...").
    length = next((f.value for f in fields if f.key == "content-length"), "")
    return body[: int(length)] if g.DIGITS.fullmatch(length) else body


def _check_core(msg: SipMessage) -> None:
    """Parse the headers every hop relies on, so that errors surface at parse time."""
    _ = (msg.from_, msg.to, msg.call_id, msg.cseq, msg.via, msg.max_forwards, msg.pai)
    _ = msg.identities
