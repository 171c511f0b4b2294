"""SIP message framing: start line, header lines, folding, body (RFC 3261 §7).

Private to :mod:`shakentrace.sip`; works on text only, returns plain tuples.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, NamedTuple

from shakentrace import _grammar as g
from shakentrace.errors import SipParseError

if TYPE_CHECKING:
    from shakentrace.sip import SipLimits

__all__ = ["Framed", "StartLine", "frame"]

# CTL characters other than HTAB and the CRLF/LF line ends (RFC 3261 §25.1 TEXT-UTF8char).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BARE_CR = re.compile(r"\r(?!\n)")


class StartLine(NamedTuple):
    """The request line or status line, split into its parts."""

    method: str | None
    uri: str | None
    status_code: int | None
    reason_phrase: str | None
    version: str
    line: int


class Framed(NamedTuple):
    """A message split into start line, ``(name, value, line)`` fields and body."""

    start: StartLine
    fields: tuple[tuple[str, str, int], ...] | None  # None: unfolded ``text``, split on demand
    text: str
    first: int
    body: bytes
    raw: bytes


def _fail(message: str, code: str, line: int | None = None) -> SipParseError:
    return SipParseError(message, code=code, line=line)


def _to_bytes(data: bytes | str, limit: int) -> bytes:
    if len(data) > limit:
        raise _fail(f"message of {len(data)} bytes exceeds the {limit}-byte limit", "sip-too-large")
    if isinstance(data, bytes):
        return data
    try:
        raw = data.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _fail(
            f"message text cannot be encoded as UTF-8: {exc.reason}", "sip-encoding"
        ) from None
    if len(raw) > limit:
        raise _fail(f"message of {len(raw)} bytes exceeds the {limit}-byte limit", "sip-too-large")
    return raw


def _decode(head: bytes, first_line: int) -> str:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + head.count(b"\n", 0, exc.start)
        raise _fail("header bytes are not UTF-8 (RFC 3261 §7.3.1)", "sip-encoding", line) from None


def _check_controls(text: str, first_line: int) -> None:
    bad = _CONTROL.search(text)
    if bad is None and text.count("\r") != text.count("\r\n"):
        bad = _BARE_CR.search(text)
    if bad is not None:
        line = first_line + text.count("\n", 0, bad.start())
        raise _fail(
            f"control character {bad.group()[:1]!r} in the header", "sip-control-char", line
        )


def _start_line(text: str, line: int) -> StartLine:
    match = g.REQUEST_LINE.fullmatch(text)
    if match is not None:
        return StartLine(match["method"], match["uri"], None, None, match["version"], line)
    match = g.STATUS_LINE.fullmatch(text)
    if match is not None:
        reason = match["reason"] or ""
        return StartLine(None, None, int(match["code"]), reason, match["version"], line)
    raise _fail(f"not a SIP request or status line: {text[:80]!r}", "sip-start-line", line)


def _header_fields(lines: list[str], first: int) -> list[list[Any]]:
    """``[name, value or list of folded parts, line]`` per field (RFC 3261 §7.3.1)."""
    fields: list[list[Any]] = []
    token = g.TOKEN.fullmatch
    for number, text in enumerate(lines, start=first):
        if text[:1] in (" ", "\t"):  # a folded continuation line
            if not fields:
                raise _fail("continuation line before any header", "sip-folding", number)
            last = fields[-1]
            if isinstance(last[1], str):
                last[1] = [last[1]]
            last[1].append(text.strip(" \t"))
            continue
        name, colon, value = text.partition(":")
        name = name.rstrip(" \t")
        if not colon or token(name) is None:
            raise _fail(f"not a header line: {text[:80]!r}", "sip-header-syntax", number)
        fields.append([name, value.strip(" \t"), number])
    return fields


def _check_lines(lines: list[str], first: int, limits: SipLimits) -> None:
    if max(map(len, lines)) <= limits.max_line_length:
        return
    number = next(i for i, text in enumerate(lines) if len(text) > limits.max_line_length)
    raise _fail(
        f"line of {len(lines[number])} characters, limit {limits.max_line_length}",
        "sip-line-too-long",
        first + number,
    )


def _join(fields: list[list[Any]]) -> tuple[tuple[str, str, int], ...]:
    for entry in fields:
        if not isinstance(entry[1], str):
            entry[1] = " ".join(p for p in entry[1] if p)
    return tuple((name, value, line) for name, value, line in fields)


def _check_fields(fields: tuple[tuple[str, str, int], ...], limits: SipLimits) -> None:
    if len(fields) > limits.max_headers:
        why = f"{len(fields)} header fields, limit {limits.max_headers}"
        raise _fail(why, "sip-too-many-headers", fields[limits.max_headers][2])
    if fields and max(len(f[1]) for f in fields) > limits.max_value_length:
        name, value, line = next(f for f in fields if len(f[1]) > limits.max_value_length)
        why = f"{name} value of {len(value)} characters, limit {limits.max_value_length}"
        raise _fail(why, "sip-value-too-long", line)


def _is_plain(text: str, limits: SipLimits) -> bool:
    """Whether a head is unfolded, clean and small enough to leave unsplit (fast path)."""
    small = len(text) <= min(limits.max_line_length, limits.max_value_length)
    return small and text.count("\n") <= limits.max_headers and bool(g.PLAIN_HEAD.fullmatch(text))


def unfolded_fields(text: str, first: int) -> tuple[tuple[str, str, int], ...]:
    """Split a head that passed :func:`_is_plain` into ``(name, value, line)``."""
    return tuple((n, v, i) for i, (n, v) in enumerate(g.UNFOLDED_FIELD.findall(text), first))


def _slow_fields(text: str, first: int, limits: SipLimits) -> tuple[tuple[str, str, int], ...]:
    _check_controls(text, first)
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    _check_lines(lines, first, limits)
    return _join(_header_fields(lines, first))


def _split_head(message: bytes) -> tuple[bytes, bytes]:
    """Split at the first empty line (CRLF or bare LF ends, even mixed)."""
    ends = [(at, at + len(sep)) for sep in (b"\n\r\n", b"\n\n") if (at := message.find(sep)) >= 0]
    if not ends:
        return message, b""
    at, body = min(ends)
    return message[:at], message[body:]


def _head(head: bytes, body: bytes, first: int, limits: SipLimits, raw: bytes) -> Framed:
    text = _decode(head.rstrip(b"\r\n"), first)
    start_text, newline, rest = text.partition("\n")
    start_text = start_text.removesuffix("\r")
    _check_lines([start_text], first, limits)
    _check_controls(start_text, first)
    start = _start_line(start_text, first)
    if not newline:
        return Framed(start, (), "", first + 1, body, raw)
    rest += "\n"
    if _is_plain(rest, limits):
        return Framed(start, None, rest, first + 1, body, raw)
    fields = _slow_fields(rest[:-1], first + 1, limits)
    _check_fields(fields, limits)
    return Framed(start, fields, "", first + 1, body, raw)


def _optimistic(message: bytes, first: int, limits: SipLimits, raw: bytes) -> Framed | None:
    """The usual case: CRLF line ends, no folding, a clean head. ``None`` if not."""
    end = message.find(b"\r\n\r\n")
    if end < 0:
        return None
    try:
        framed = _head(message[:end], message[end + 4 :], first, limits, raw)
    except SipParseError:
        return None  # decided again on the careful path, with the right line
    # An earlier empty line (bare LF) would have left a line that is no header.
    return framed if framed.fields is None else None


def frame(data: bytes | str, limits: SipLimits) -> Framed:
    """Split a message into start line, header fields and body.

    Raises:
        SipParseError: for framing errors and exceeded bounds.
    """
    raw = _to_bytes(data, limits.max_message_bytes)
    message = raw.lstrip(b"\r\n")  # CRLFs before the start line are ignored (§7.5)
    first = 1 + raw.count(b"\n", 0, len(raw) - len(message))
    if not message or message.isspace():  # what strip() would empty, without the copy
        raise _fail("empty message", "sip-empty", first)
    framed = _optimistic(message, first, limits, raw)
    if framed is None:
        head, body = _split_head(message)
        framed = _head(head, body, first, limits, raw)
    return framed
