"""Typed SIP header values: Via, CSeq, Date, Diversion, History-Info, Reason…

Each ``parse_*`` function takes one header value (one list element for list
headers) and raises :class:`~shakentrace.errors.SipParseError` with a code that
names the header. :class:`~shakentrace.sip.SipMessage` calls them lazily.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from shakentrace import _grammar as g
from shakentrace.errors import SipParseError
from shakentrace.uri import NameAddr, Params, Uri, parse_name_addr, parse_params

__all__ = [
    "CSeq",
    "ChargingVector",
    "Diversion",
    "HistoryEntry",
    "ReasonHeader",
    "Via",
    "parse_charging_vector",
    "parse_cseq",
    "parse_date",
    "parse_diversion",
    "parse_history_entry",
    "parse_reason",
    "parse_via",
    "split_list",
]

# index-val = 1*DIGIT *( "." 1*DIGIT )  (RFC 7044 §9)
_INDEX = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9}){0,63}")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}


def split_list(value: str, *, line: int | None = None) -> tuple[str, ...]:
    """Split a comma-separated header value into its elements (RFC 3261 §7.3.1).

    Commas inside quoted strings and angle brackets do not separate elements;
    empty elements are dropped.

    Raises:
        SipParseError: ``sip-unterminated`` for an unterminated quote or ``<``.
    """
    if "," not in value and '"' not in value:  # one element: most values
        return (value.strip(),) if value.strip() else ()
    if '"' not in value and "<" not in value:
        return tuple(part.strip() for part in value.split(",") if part.strip())
    elements: list[str] = []
    start = 0
    for piece in g.LIST_TOKEN.finditer(value):
        if piece["open"]:
            raise SipParseError(
                f"unterminated quoted string or '<' in {value[:80]!r}",
                code="sip-unterminated",
                line=line,
            )
        if piece["comma"]:
            elements.append(value[start : piece.start()])
            start = piece.end()
    elements.append(value[start:])
    return tuple(e.strip() for e in elements if e.strip())


@dataclass(frozen=True, slots=True, kw_only=True)
class Via:
    """One Via hop (RFC 3261 §20.42, RFC 3581 for ``rport``).

    Attributes:
        protocol: ``name/version``, normally ``"SIP/2.0"``.
        transport: Upper-case transport, e.g. ``"UDP"``, ``"TLS"``.
        host: The sent-by host.
        port: The sent-by port, or ``None``.
        params: All Via parameters (``branch``, ``received``, ``rport`` and
            ``maddr`` also have properties).
        raw: The value as received.
    """

    protocol: str
    transport: str
    host: str
    port: int | None
    params: Params
    raw: str

    @property
    def branch(self) -> str | None:
        """The transaction ``branch`` parameter (RFC 3261 §8.1.1.7)."""
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """The source address the receiving hop saw (RFC 3261 §18.2.1)."""
        return self.params.get("received")

    @property
    def rport(self) -> int | None:
        """The source port the receiving hop saw (RFC 3581 §4).

        ``None`` when absent or empty; the bare flag is in :attr:`params`.
        """
        value = self.params.get("rport")
        return int(value) if value and g.DIGITS.fullmatch(value) else None

    @property
    def maddr(self) -> str | None:
        """The ``maddr`` parameter (RFC 3261 §20.42)."""
        return self.params.get("maddr")

    def to_dict(self) -> dict[str, Any]:
        """Return the hop's facts as JSON-safe data."""
        return {
            "protocol": self.protocol,
            "transport": self.transport,
            "host": self.host,
            "port": self.port,
            "branch": self.branch,
            "received": self.received,
            "rport": self.rport,
            "maddr": self.maddr,
            "params": self.params.to_dict(),
        }


def parse_via(value: str, *, line: int | None = None) -> Via:
    """Parse one ``via-parm`` (RFC 3261 §20.42).

    Raises:
        SipParseError: ``sip-via`` if malformed.
    """
    match = g.SENT_PROTOCOL.fullmatch(value.strip())
    if match is None:
        raise SipParseError(f"malformed Via {value!r}", code="sip-via", line=line)
    sent_by, semi, params = match["rest"].partition(";")
    host = g.HOST.fullmatch(sent_by.strip())
    if host is None:
        raise SipParseError(f"malformed Via sent-by {sent_by!r}", code="sip-via", line=line)
    return Via(
        protocol=f"{match['name']}/{match['version']}".upper(),
        transport=match["transport"].upper(),
        host=host["host"],
        port=int(host["port"]) if host["port"] else None,
        params=parse_params(semi + params, line=line),
        raw=value.strip(),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CSeq:
    """The CSeq header (RFC 3261 §20.16).

    Attributes:
        seq: The sequence number.
        method: The method it numbers.
    """

    seq: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"seq": …, "method": …}``."""
        return {"seq": self.seq, "method": self.method}


def parse_cseq(value: str, *, line: int | None = None) -> CSeq:
    """Parse a CSeq value such as ``314159 INVITE``.

    Raises:
        SipParseError: ``sip-cseq`` if malformed or above 2**31 - 1 (§8.1.1.5).
    """
    match = g.CSEQ.fullmatch(value.strip())
    if match is None or int(match["seq"]) > 2**31 - 1:
        raise SipParseError(f"malformed CSeq {value!r}", code="sip-cseq", line=line)
    return CSeq(seq=int(match["seq"]), method=match["method"])


def parse_date(value: str, *, line: int | None = None) -> datetime:
    """Parse an RFC 1123 SIP Date (RFC 3261 §20.17) into an aware UTC datetime.

    Raises:
        SipParseError: ``sip-date`` if malformed or not a real date.
    """
    match = g.RFC1123_DATE.fullmatch(value.strip())
    month = _MONTHS.get(match["month"].lower(), 0) if match else 0
    try:
        if match is None:
            raise ValueError("not an RFC 1123 date")
        fields = (int(match[name]) for name in ("year", "day", "hour", "minute", "second"))
        year, day, hour, minute, second = fields
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise SipParseError(
            f"malformed Date {value!r}: {exc}", code="sip-date", line=line
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChargingVector:
    """P-Charging-Vector (RFC 8787, formerly RFC 3455 §4.6).

    Attributes:
        icid_value: The IMS charging identifier.
        icid_generated_at: The host that generated it.
        orig_ioi: Originating inter-operator identifier (often the upstream carrier).
        term_ioi: Terminating inter-operator identifier.
        params: All parameters.
    """

    icid_value: str | None
    icid_generated_at: str | None
    orig_ioi: str | None
    term_ioi: str | None
    params: Params

    def to_dict(self) -> dict[str, Any]:
        """Return the charging vector as JSON-safe data."""
        return {
            "icid_value": self.icid_value,
            "icid_generated_at": self.icid_generated_at,
            "orig_ioi": self.orig_ioi,
            "term_ioi": self.term_ioi,
            "params": self.params.to_dict(),
        }


def parse_charging_vector(value: str, *, line: int | None = None) -> ChargingVector:
    """Parse ``icid-value=…;icid-generated-at=…;orig-ioi=…;term-ioi=…``.

    Raises:
        SipParseError: ``sip-charging-vector`` if ``icid-value`` is missing.
    """
    params = parse_params(";" + value.strip(), line=line)
    if not params.get("icid-value"):
        raise SipParseError(
            f"P-Charging-Vector without icid-value: {value!r}",
            code="sip-charging-vector",
            line=line,
        )
    return ChargingVector(
        icid_value=params.get("icid-value"),
        icid_generated_at=params.get("icid-generated-at"),
        orig_ioi=params.get("orig-ioi"),
        term_ioi=params.get("term-ioi"),
        params=params,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasonHeader:
    """One Reason value (RFC 3326; ``STIR`` protocol from RFC 8224 §13.1, RFC 9410).

    Attributes:
        protocol: ``"SIP"``, ``"Q.850"``, ``"STIR"``… as received.
        cause: The ``cause`` parameter as an integer, if numeric.
        text: The ``text`` parameter, unquoted.
        ppi: The ``ppi`` parameter (RFC 9410 §3), unquoted: the PASSporT, in full
            or compact form (``..signature``), of the Identity header that failed.
        params: All parameters.
    """

    protocol: str
    cause: int | None
    text: str | None
    ppi: str | None = None
    params: Params

    def to_dict(self) -> dict[str, Any]:
        """Return the reason as JSON-safe data."""
        return {
            "protocol": self.protocol,
            "cause": self.cause,
            "text": self.text,
            "ppi": self.ppi,
            "params": self.params.to_dict(),
        }


def parse_reason(value: str, *, line: int | None = None) -> ReasonHeader:
    """Parse one ``reason-value`` such as ``STIR ;cause=438 ;text="Invalid Identity Header"``.

    Raises:
        SipParseError: ``sip-reason`` if the protocol is not a token.
    """
    protocol, semi, rest = value.strip().partition(";")
    if not g.TOKEN.fullmatch(protocol.strip()):
        raise SipParseError(f"malformed Reason {value!r}", code="sip-reason", line=line)
    params = parse_params(semi + rest, line=line)
    cause = params.get("cause") or ""
    return ReasonHeader(
        protocol=protocol.strip(),
        cause=int(cause) if g.DIGITS.fullmatch(cause) else None,
        text=params.get("text"),
        ppi=params.get("ppi"),
        params=params,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Diversion:
    """One Diversion entry (RFC 5806 §4): who redirected the call and why.

    Attributes:
        address: The diverting party.
        reason: ``reason`` (``unconditional``, ``user-busy``…).
        counter: ``counter``, if numeric.
        privacy: ``privacy``.
        screen: ``screen``.
    """

    address: NameAddr
    reason: str | None
    counter: int | None
    privacy: str | None
    screen: str | None

    @property
    def uri(self) -> Uri:
        """The diverting party's URI."""
        return self.address.uri

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-safe data."""
        return {
            "address": self.address.to_dict(),
            "reason": self.reason,
            "counter": self.counter,
            "privacy": self.privacy,
            "screen": self.screen,
        }


def parse_diversion(value: str, *, line: int | None = None) -> Diversion:
    """Parse one Diversion element.

    Raises:
        SipParseError: for a malformed address.
    """
    address = parse_name_addr(value, line=line)
    counter = address.params.get("counter") or ""
    return Diversion(
        address=address,
        reason=address.params.get("reason"),
        counter=int(counter) if g.DIGITS.fullmatch(counter) else None,
        privacy=address.params.get("privacy"),
        screen=address.params.get("screen"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryEntry:
    """One History-Info entry (RFC 7044 §4).

    Attributes:
        address: The targeted-to URI with its parameters.
        index: ``index`` (e.g. ``"1.1.2"``), the entry's place in the history tree.
        rc: ``rc``: index of the entry this one was retargeted from (RFC 7044 §4.2).
        mp: ``mp``: index of the entry this one was mapped from.
        np: ``np``: index for a target that was not changed.
        reason: The ``Reason`` escaped into the URI headers, decoded.
    """

    address: NameAddr
    index: str | None
    rc: str | None
    mp: str | None
    np: str | None
    reason: str | None = field(default=None)

    @property
    def uri(self) -> Uri:
        """The targeted-to URI."""
        return self.address.uri

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as JSON-safe data."""
        return {
            "address": self.address.to_dict(),
            "index": self.index,
            "rc": self.rc,
            "mp": self.mp,
            "np": self.np,
            "reason": self.reason,
        }


def parse_history_entry(value: str, *, line: int | None = None) -> HistoryEntry:
    """Parse one History-Info element.

    Raises:
        SipParseError: ``sip-history-info`` for a bad index, or a malformed address.
    """
    address = parse_name_addr(value, line=line)
    index = address.params.get("index")
    if index is not None and not _INDEX.fullmatch(index):
        raise SipParseError(f"bad History-Info index {index!r}", code="sip-history-info", line=line)
    reason = address.uri.headers.get("Reason")
    return HistoryEntry(
        address=address,
        index=index,
        rc=address.params.get("rc"),
        mp=address.params.get("mp"),
        np=address.params.get("np"),
        reason=unquote(reason) if reason else None,
    )
