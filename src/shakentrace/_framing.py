"""SIP message framing: where one message ends and the next begins.

Pure byte handling, no I/O. Over a stream transport a message is its headers up
to the first empty line plus ``Content-Length`` octets of body (RFC 3261 §18.3,
§7.5; the compact name is ``l``, §7.3.3); a datagram holds one message. Text files
pasted into tickets or exported by sngrep/ngrep hold many messages with loose line
endings; :func:`split_text` cuts them apart and restores CRLF.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = [
    "StreamFramer",
    "Tally",
    "TextChunk",
    "frame_datagram",
    "is_start_line",
    "split_text",
]

# RFC 3261 §7.1 Request-Line (method token, Request-URI, SIP-Version) and §7.2
# Status-Line. Anchored at the start of a line, matched on the line alone.
_START_LINE = re.compile(
    rb"(?:[A-Za-z0-9!%*_+`'~.\-]+ [^ \r\n]+ SIP/2\.0|SIP/2\.0 [1-6][0-9][0-9](?: [^\r\n]*)?)[ \t]*"
)
# RFC 3261 §20.14 Content-Length, compact form "l" (§7.3.3); case-insensitive names.
# Searched for as "\n" + line (a literal first character keeps the search fast;
# the first line is tried on its own), ending at a line end or the end.
_CL_LINE = rb"(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*\r?(?=\n|\Z)"
_CONTENT_LENGTH_FIRST = re.compile(rb"(?i)" + _CL_LINE)
_CONTENT_LENGTH = re.compile(rb"(?i)\n" + _CL_LINE)
# sngrep "save as txt" and ngrep -W byline headers: time, src -> dst.
_META_LINE = re.compile(
    rb"(?:[UT] )?(\d{4}[/-]\d\d[/-]\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d{1,9})?)[ \t]+"
    rb"(\S+):(\d{1,5})[ \t]+->[ \t]+(\S+):(\d{1,5})\b.*"
)
_SEPARATOR = re.compile(rb"#+|-{3,}|={3,}")
# "A b SIP/2.0" and "SIP/2.0 200": lines shorter are neither start nor meta lines
# (a file of short lines costs no regex per line: 1 MiB of them took 3 s).
_SHORTEST_START = 11
_MAX_LINE = 8192


class Tally:
    """Mutable counters a reader keeps while it runs; snapshotted as ``CaptureStats``."""

    __slots__ = (
        "max_warnings",
        "messages",
        "packets",
        "problems",
        "skipped",
        "truncated",
        "warnings",
    )

    def __init__(self, *, max_warnings: int = 100) -> None:
        self.packets = 0
        self.messages = 0
        self.skipped = 0
        self.truncated = False
        self.problems: Counter[str] = Counter()
        self.warnings: list[str] = []
        self.max_warnings = max_warnings

    def problem(self, code: str, detail: str | None = None) -> None:
        """Count a malformed input ``code``; keep ``detail`` as a warning (bounded)."""
        self.problems[code] += 1
        if detail is not None:
            self.warn(f"{code}: {detail}")

    def warn(self, text: str) -> None:
        """Keep a warning line, up to ``max_warnings`` of them."""
        if len(self.warnings) < self.max_warnings:
            self.warnings.append(text)


def is_start_line(line: bytes) -> bool:
    """Whether ``line`` (no line ending) is a SIP Request-Line or Status-Line."""
    return _START_LINE.fullmatch(line.rstrip(b"\r")) is not None


def _header_end(buf: bytes | bytearray, start: int = 0) -> int:
    """Offset where the body starts (just past the empty line), or -1 if not yet seen.

    ``start``: where to look from (no empty line ends before ``start + 3``).
    """
    crlf = buf.find(b"\r\n\r\n", start)
    lf = buf.find(b"\n\n", start)
    if lf >= 0 and (crlf < 0 or lf + 1 < crlf + 3):
        return lf + 2
    return crlf + 4 if crlf >= 0 else -1


def _content_length(head: bytes | bytearray) -> int | None:
    match = _CONTENT_LENGTH_FIRST.match(head) or _CONTENT_LENGTH.search(head)
    return int(match.group(1)) if match else None


def frame_datagram(payload: bytes) -> bytes | None:
    """The SIP message in a UDP payload, or ``None`` if it holds none.

    Leading CRLF keep-alives (RFC 5626 §3.5.1) are skipped; octets beyond the
    declared ``Content-Length`` are discarded (RFC 3261 §18.3).
    """
    data = payload.lstrip(b"\r\n")
    newline = data.find(b"\n")
    first = data if newline < 0 else data[:newline]
    if not data or not is_start_line(first):
        return None
    end = _header_end(data)
    length = _content_length(data[:end]) if end >= 0 else None
    if end >= 0 and length is not None and len(data) > end + length:
        return data[: end + length]
    return data


# Room for a HEPv3 packet's chunks around the message it carries.
_HEP_CHUNKS = 4096


class StreamFramer:
    """Cuts SIP messages out of one direction of a TCP stream (RFC 3261 §18.3).

    A stream of HEPv3 packets (a capture agent sending to Homer over TCP) is cut
    by the length each packet header gives.

    Args:
        tally: Where unframeable bytes are counted.
        max_message: Largest message kept; a bigger one is dropped and counted.
    """

    __slots__ = ("_buf", "_max", "_need", "_searched", "_tally")

    def __init__(self, tally: Tally, *, max_message: int) -> None:
        self._buf = bytearray()
        self._tally = tally
        self._max = max_message
        # What is known of the message at the front of the buffer, so that a
        # message arriving a few octets at a time is not read again from its
        # start at each segment: its whole length once its head is in, else how
        # far its head was searched for the empty line.
        self._need: int | None = None
        self._searched = 0

    @property
    def pending(self) -> int:
        """How many octets are buffered waiting for the rest of a message."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget the buffered bytes (after a gap in the stream)."""
        self._buf.clear()
        self._need, self._searched = None, 0

    def feed(self, data: bytes) -> list[bytes]:
        """Append stream bytes; return the messages they complete, in order."""
        self._buf += data
        out: list[bytes] = []
        while self._buf:
            before = len(self._buf)
            message = self._next()
            if message is not None:
                out.append(message)
            elif len(self._buf) == before:  # waiting for more; else bytes were skipped
                break
        return out

    def _next(self) -> bytes | None:
        buf = self._buf
        if self._need is None:
            total = self._head()
            if total is None:
                return None
            self._need = total
        if len(buf) < self._need:
            return None
        message = bytes(buf[: self._need])
        del buf[: self._need]
        self._need, self._searched = None, 0
        return message

    def _head(self) -> int | None:
        """The whole length of the message at the front, once its head is in."""
        buf = self._buf
        while buf and buf[0] in (0x0D, 0x0A):  # CRLF keep-alives between messages
            del buf[:1]
        if buf[:4] == b"HEP3":
            return self._hep3()
        newline = buf.find(b"\n")
        if newline < 0:
            self._wait_or_drop(_MAX_LINE, "no line end in stream")
            return None
        if not is_start_line(bytes(buf[:newline])):
            self._resync()
            return None
        end = _header_end(buf, self._searched)
        if end < 0:
            self._searched = max(len(buf) - 3, 0)
            self._wait_or_drop(self._max, "message headers too long")
            return None
        total = end + (_content_length(buf[:end]) or 0)
        if total > self._max:
            del buf[:end]
            self._tally.problem("oversized", f"message of {total} octets dropped")
            self._resync()
            return None
        return total

    def _hep3(self) -> int | None:
        """One HEPv3 packet: its header gives its whole length (HEP3_rev12 §2)."""
        buf = self._buf
        if len(buf) < 6:
            return None
        total = int.from_bytes(buf[4:6], "big")
        if not 6 <= total <= self._max + _HEP_CHUNKS:
            del buf[:4]
            self._tally.problem("unframed", f"HEP3 packet length {total} out of bounds")
            self._resync()
            return None
        return total

    def _wait_or_drop(self, limit: int, why: str) -> None:
        if len(self._buf) > limit:
            self._tally.problem("unframed", why)
            self.reset()

    def _resync(self) -> None:
        """Drop bytes up to the next message: a start line, or a HEPv3 packet (mid-stream)."""
        buf = self._buf
        start = buf.find(b"HEP3", 1)
        pos = 0
        while (pos := buf.find(b"\n", pos) + 1) > 0 and (start < 0 or pos < start):
            end = buf.find(b"\n", pos)
            if end < 0:
                break
            if is_start_line(bytes(buf[pos:end])):
                start = pos
                break
        if start > 0:
            del buf[:start]
            self._tally.problem("unframed")
        elif pos == 0 or len(buf) > self._max:
            self._tally.problem("unframed")
            buf.clear()
        else:  # whole lines, none a start line: only the partial last one may begin one
            del buf[:pos]
            self._tally.problem("unframed")
        self._searched = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class TextChunk:
    """One message cut from a text file, with what a meta line said about it."""

    data: bytes
    line: int
    time: datetime | None = None
    src: tuple[str, int] | None = None
    dst: tuple[str, int] | None = None
    oversized: bool = False


_Address = tuple[str, int] | None


def _address(host: str, port: str) -> _Address:
    """A meta line's ``host:port``; ``None`` for a port no transport has (above 65535)."""
    number = int(port)
    return (host.strip("[]"), number) if number <= 0xFFFF else None


def _meta(line: bytes) -> tuple[datetime | None, _Address, _Address] | None:
    match = _META_LINE.fullmatch(line)
    if match is None:
        return None
    day, clock, src, sport, dst, dport = (g.decode("ascii", "replace") for g in match.groups())
    try:
        stamp = datetime.fromisoformat(f"{day.replace('/', '-')}T{clock[:15]}").replace(tzinfo=UTC)
    except ValueError:
        stamp = None
    return stamp, _address(src, sport), _address(dst, dport)


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines without their endings; CRLF, LF and lone CR all end a line.

    CRs right before an LF are one line end with it: CR CR LF is what a CRLF
    file becomes after one more text-mode copy, not a line and a blank line.
    """
    for chunk in chunks:
        if chunk.endswith(b"\n"):
            body = chunk[:-1].rstrip(b"\r")
        else:
            body = chunk[:-1] if chunk.endswith(b"\r") else chunk
        yield from body.split(b"\r") if b"\r" in body else (body,)


class _TextMessage:
    """A message being collected line by line (``indent``: the paste's, taken off each line).

    At most ``limit`` octets are held: lines past it are dropped, not collected,
    so that a huge file holding one start line cannot fill memory.
    """

    __slots__ = ("body", "dropped", "head", "in_body", "indent", "limit", "line", "meta", "size")

    def __init__(
        self, line: int, start: bytes, meta: object, indent: bytes = b"", limit: int = 2**62
    ) -> None:
        self.line, self.in_body, self.meta, self.indent = line, False, meta, indent
        self.head: list[bytes] = [start]
        self.body: list[bytes] = []
        self.size, self.limit, self.dropped = len(start), limit, ""

    def add(self, text: bytes) -> None:
        if self.indent and text.startswith(self.indent):
            text = text[len(self.indent) :]
        elif self.indent and not text.strip(b" \t>"):
            text = b""  # a blank line of the paste, with a shorter indent
        if self.in_body:
            self._keep(self.body, text, "body")
        elif text.strip():
            self._keep(self.head, text, "head")
        else:
            self.in_body = True

    def _keep(self, lines: list[bytes], text: bytes, part: str) -> None:
        if self.size > self.limit:
            self.dropped = self.dropped or part
        else:
            self.size += len(text) + 2
            lines.append(text)

    def finish(self) -> TextChunk:
        head = _html_unescaped(b"\r\n".join(self.head)) + b"\r\n\r\n"
        while self.body and not self.body[-1].strip():
            self.body.pop()
        body = b"".join(line + b"\r\n" for line in self.body)
        length = _content_length(head)
        if length is not None and len(body) > length:
            body = body[:length]  # prose after the body in a ticket
        # Dropped lines matter unless they lay past a body already complete.
        oversized = self.dropped == "head" or (
            self.dropped == "body" and (length is None or len(body) < length)
        )
        stamp, src, dst = self.meta if isinstance(self.meta, tuple) else (None, None, None)
        return TextChunk(
            data=head + body, line=self.line, time=stamp, src=src, dst=dst, oversized=oversized
        )


def _html_unescaped(head: bytes) -> bytes:
    """A head copied out of a web ticket, its ``<`` and ``>`` shown as ``&lt;`` ``&gt;``, undone.

    Only when it holds ``&lt;`` and not a single ``<``: a real head with an
    escaped-looking display name is left as received.
    """
    if b"&lt;" not in head or b"<" in head:
        return head
    return html.unescape(head.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")


def _indented_start(line: bytes) -> bytes:
    """The indent (blanks, ``>`` quote marks) before a start line pasted into a ticket or mail.

    Empty when ``line`` is not an indented start line.
    """
    if line[:1] not in (b" ", b"\t", b">"):
        return b""
    indent = _INDENT.match(line)
    return indent.group() if indent and is_start_line(line[indent.end() :]) else b""


# Leading blanks and e-mail quote marks ("> > "), as a paste indents a message.
_INDENT = re.compile(rb"(?:[ \t]|>[ \t]?)+")


def split_text(chunks: Iterable[bytes], *, max_message: int = 2**62) -> Iterator[TextChunk]:
    """Cut SIP messages out of text lines (each chunk one line as read from a file).

    A message starts at a Request-Line or Status-Line and runs to the next one, a
    sngrep/ngrep meta line or a separator; text between messages is ignored. A
    message pasted with an indent (blanks, ``>`` quote marks) before its start
    line has that indent taken off each of its lines. Of a message longer than
    ``max_message`` octets, only so much is held (the chunk is ``oversized``).
    """
    current: _TextMessage | None = None
    meta: object = None
    for number, line in enumerate(_lines(chunks), start=1):
        long = len(line) >= _SHORTEST_START  # shorter: no start or meta line, no regex
        found = _meta(line) if long else None
        if found is not None or (
            current is not None and current.in_body and _SEPARATOR.fullmatch(line)
        ):
            if current is not None:
                yield current.finish()
            current, meta = None, found
        elif long and (is_start_line(line) or _indented_start(line)):
            if current is not None:
                yield current.finish()
            indent = _indented_start(line)
            start = line[len(indent) :].rstrip(b" \t")
            current, meta = _TextMessage(number, start, meta, indent, max_message), None
        elif current is not None:
            current.add(line)
    if current is not None:
        yield current.finish()
