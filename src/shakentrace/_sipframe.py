"""SIP message framing: start line, header lines, folding, body (RFC 3261 §7).

Private to :mod:`shakentrace.sip`; works on text only, returns plain tuples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shakentrace import _grammar as g
from shakentrace.errors import SipParseError

if TYPE_CHECKING:
    from shakentrace.sip import SipLimits

__all__ = ["Framed", "StartLine", "frame"]

_END_OF_HEAD = re.compile(rb"\r?\n\r?\n")
# CTL characters other than HTAB and the CRLF/LF line ends (RFC 3261 §25.1 TEXT-UTF8char).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")


@dataclass(frozen=True, slots=True)
class StartLine:
    """The request line or status line, split into its parts."""

    method: str | None
    uri: str | None
    status_code: int | None
    reason_phrase: str | None
    version: str
    line: int


@dataclass(frozen=True, slots=True)
class Framed:
    """A message split into start line, ``(name, value, line)`` fields and body."""

    start: StartLine
    fields: tuple[tuple[str, str, int], ...]
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
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + head.count(b"\n", 0, exc.start)
        raise _fail("header bytes are not UTF-8 (RFC 3261 §7.3.1)", "sip-encoding", line) from None
    bad = _CONTROL.search(text)
    if bad is not None:
        line = first_line + text.count("\n", 0, bad.start())
        raise _fail(
            f"control character {bad.group()[:1]!r} in the header", "sip-control-char", line
        )
    return text


def _start_line(text: str, line: int) -> StartLine:
    match = g.REQUEST_LINE.fullmatch(text)
    if match is not None:
        return StartLine(match["method"], match["uri"], None, None, match["version"], line)
    match = g.STATUS_LINE.fullmatch(text)
    if match is not None:
        reason = match["reason"] or ""
        return StartLine(None, None, int(match["code"]), reason, match["version"], line)
    raise _fail(f"not a SIP request or status line: {text[:80]!r}", "sip-start-line", line)


def _header_fields(lines: list[str], first: int) -> list[tuple[str, list[str], int]]:
    fields: list[tuple[str, list[str], int]] = []
    for number, text in enumerate(lines, start=first):
        if text[:1] in (" ", "\t"):  # folded continuation (RFC 3261 §7.3.1)
            if not fields:
                raise _fail("continuation line before any header", "sip-folding", number)
            fields[-1][1].append(text.strip())
            continue
        match = g.HEADER_LINE.fullmatch(text)
        if match is None:
            raise _fail(f"not a header line: {text[:80]!r}", "sip-header-syntax", number)
        fields.append((match["name"], [match["value"].rstrip()], number))
    return fields


def _check_lines(lines: list[str], first: int, limits: SipLimits) -> None:
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))
    if len(lines[longest]) > limits.max_line_length:
        raise _fail(
            f"line of {len(lines[longest])} characters, limit {limits.max_line_length}",
            "sip-line-too-long",
            first + longest,
        )


def _join(
    fields: list[tuple[str, list[str], int]], limits: SipLimits
) -> tuple[tuple[str, str, int], ...]:
    if len(fields) > limits.max_headers:
        raise _fail(
            f"{len(fields)} header fields, limit {limits.max_headers}",
            "sip-too-many-headers",
            fields[limits.max_headers][2],
        )
    out = []
    for name, parts, line in fields:
        value = " ".join(p for p in parts if p).strip()
        if len(value) > limits.max_value_length:
            raise _fail(
                f"{name} value of {len(value)} characters, limit {limits.max_value_length}",
                "sip-value-too-long",
                line,
            )
        out.append((name, value, line))
    return tuple(out)


def frame(data: bytes | str, limits: SipLimits) -> Framed:
    """Split a message into start line, header fields and body.

    Raises:
        SipParseError: for framing errors and exceeded bounds.
    """
    raw = _to_bytes(data, limits.max_message_bytes)
    message = raw.lstrip(b"\r\n")  # CRLFs before the start line are ignored (§7.5)
    first = 1 + raw.count(b"\n", 0, len(raw) - len(message))
    if not message.strip():
        raise _fail("empty message", "sip-empty", first)
    end = _END_OF_HEAD.search(message)
    head, body = (message[: end.start()], message[end.end() :]) if end else (message, b"")
    lines = _decode(head, first).split("\n")
    lines = [text[:-1] if text.endswith("\r") else text for text in lines]
    if lines and not lines[-1]:  # a head that ends in one line end and no blank line
        lines.pop()
    _check_lines(lines, first, limits)
    start = _start_line(lines[0], first)
    fields = _join(_header_fields(lines[1:], first + 1), limits)
    return Framed(start, fields, body, raw)
