"""SIP messages out of captures: text files, pcap, pcapng, HEP.

Analysts hold captures, not Python objects. :func:`open_capture` reads a file (or
bytes, or a binary stream) and yields each SIP message in it as a
:class:`CapturedMessage`, with its capture time and source and destination
address, which traceback uses as evidence of the upstream peer::

    with open_capture("sbc.pcapng") as capture:
        for item in capture:
            message = parse_sip(item.data)  # item.time, item.src, item.dst
            ...
        print(capture.stats.malformed)

Reading streams: memory stays bounded (see :class:`CaptureLimits`) whatever the
file's size. A malformed packet is counted in :class:`CaptureStats`, never
raised; a truncated file ends cleanly with :attr:`CaptureStats.truncated` set and
a warning. Only a file that cannot be read at all raises
:class:`~shakentrace.errors.CaptureError`.

Formats are recognised by content: pcap (either byte order, micro- or nanosecond),
pcapng (several sections and interfaces), else text. Link layers: Ethernet (with
802.1Q/802.1ad VLAN tags), Linux cooked capture v1 and v2, raw IP, BSD loopback.
Network: IPv4 and IPv6 with fragment reassembly. Transport: UDP (one message per
datagram, RFC 3261 §18.3), TCP (stream reassembly and ``Content-Length``
framing), and HEP v1/v2/v3 in UDP and HEPv3 over TCP, as capture agents send it
to Homer (the inner message, with the agent's addresses and time). Text: SIP
messages as logged or pasted into a ticket, each from its Request-Line or
Status-Line (which may be indented, or quoted with ``>`` as in a mail reply: the
indent is taken off its lines), with sngrep/ngrep time and address lines. A head
copied out of a web page, ``<`` and ``>`` shown as ``&lt;`` and ``&gt;`` (and no
``<`` at all), has its HTML escapes undone.
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType, TracebackType
from typing import IO, TYPE_CHECKING, BinaryIO, Literal, Self

from shakentrace._capture_pipeline import pcap_messages, text_messages
from shakentrace._framing import Tally
from shakentrace._pcap import is_pcap_magic
from shakentrace.errors import CaptureError, ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Capture",
    "CaptureFormat",
    "CaptureLimits",
    "CaptureStats",
    "CapturedMessage",
    "Endpoint",
    "open_capture",
]

logger = logging.getLogger("shakentrace.capture")
# A library's log lines go where its user's logging sends them: without a handler
# of theirs, logging's last resort would write them to stderr, under the CLI's own.
logging.getLogger("shakentrace").addHandler(logging.NullHandler())

_MAX_ENDPOINTS = 4096

#: What :func:`open_capture` reads; ``"auto"`` sniffs the first octets.
CaptureFormat = Literal["auto", "text", "pcap", "pcapng"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureLimits:
    """Bounds that keep reading any capture in constant memory.

    Attributes:
        max_message: Largest SIP message kept, in octets (bigger ones are counted).
        max_packet: Largest packet record accepted; a larger ``caplen`` means the
            file is corrupt and reading stops with a warning.
        max_tcp_streams: TCP directions tracked at once (least recent dropped).
        max_tcp_pending: Out-of-order octets held per direction before a gap is skipped.
        max_tcp_segments: Out-of-order segments held per direction before a gap is
            skipped (a bound on memory: held segments are kept in a heap, so a
            large bound does not slow reading).
        max_fragmented: IP datagrams awaiting fragments at once.
        max_warnings: Warning lines kept in :attr:`CaptureStats.warnings`.

    Raises:
        ConfigurationError: A bound that is not a whole number of at least 1 (a
            zero would not bound: zlib, for one, reads it as "no limit").
    """

    max_message: int = 256 * 1024
    max_packet: int = 256 * 1024
    max_tcp_streams: int = 4096
    max_tcp_pending: int = 1024 * 1024
    max_tcp_segments: int = 128
    max_fragmented: int = 256
    max_warnings: int = 100

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ConfigurationError(f"CaptureLimits.{name} must be a whole number >= 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """A transport address: IP address (or host name, from text) and port.

    Attributes:
        address: The IPv4 or IPv6 address as text.
        port: The UDP/TCP port.
    """

    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def __reduce__(self) -> tuple[object, ...]:
        # Plain arguments pickle several times faster than the slots state
        # (``--jobs`` sends every message to a worker process).
        return _endpoint, (self.address, self.port)


def _endpoint(address: str, port: int) -> Endpoint:
    return Endpoint(address=address, port=port)


@dataclass(frozen=True, slots=True, kw_only=True)
class CapturedMessage:
    """One SIP message as captured, with where and when it was seen.

    Attributes:
        data: The message octets as carried (text files: lines re-joined with CRLF).
        time: When it was captured (aware UTC), or ``None`` if the source has no time.
        src: Where it came from, if known: the upstream peer for an inbound INVITE.
        dst: Where it went, if known.
        transport: ``"udp"``, ``"tcp"``, ``"sctp"`` or ``"text"`` (no transport known).
        source: The file (or stream) name it was read from.
        index: 0-based position among the messages of that source.
        frame: 1-based packet number (as Wireshark numbers frames) of the packet
            that completed the message, for pcap/pcapng.
        line: 1-based line number where the message starts, for text files.
        hep: The HEP version when the message came HEP-encapsulated (addresses and
            time are then the capture agent's), else ``None``.
    """

    data: bytes
    time: datetime | None = None
    src: Endpoint | None = None
    dst: Endpoint | None = None
    transport: str = "text"
    source: str = "<bytes>"
    index: int = 0
    frame: int | None = None
    line: int | None = None
    hep: int | None = None

    def __reduce__(self) -> tuple[object, ...]:
        fields = (self.data, self.time, self.src, self.dst, self.transport, self.source)
        return _captured, (*fields, self.index, self.frame, self.line, self.hep)

    def to_dict(self) -> dict[str, object]:
        """Capture metadata as JSON-safe data (without the message octets)."""
        return {
            "source": self.source,
            "index": self.index,
            "frame": self.frame,
            "line": self.line,
            "time": self.time.isoformat() if self.time else None,
            "src": str(self.src) if self.src else None,
            "dst": str(self.dst) if self.dst else None,
            "transport": self.transport,
            "hep": self.hep,
        }


def _captured(*fields: object) -> CapturedMessage:
    names = ("data", "time", "src", "dst", "transport", "source", "index", "frame", "line", "hep")
    return CapturedMessage(**dict(zip(names, fields, strict=True)))  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaptureStats:
    """What reading a capture met: counts, problems and warnings.

    Attributes:
        format: ``"text"``, ``"pcap"`` or ``"pcapng"``.
        packets: Packet records read (0 for text).
        messages: SIP messages yielded.
        skipped: Packets that carry no SIP (ARP, DNS, RTP, TLS...): not errors.
        problems: Malformed input met, by code (``bad-packet``, ``bad-hep``,
            ``unframed``, ``oversized``, ``tcp-gap``, ``tcp-incomplete``,
            ``fragment-lost``, ...), each counted, none fatal.
        truncated: The file ended inside a record (or a record was corrupt).
        warnings: Human-readable lines about the problems (bounded).
    """

    format: str
    packets: int = 0
    messages: int = 0
    skipped: int = 0
    problems: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    truncated: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def malformed(self) -> int:
        """How many malformed inputs were met in all (the sum of :attr:`problems`)."""
        return sum(self.problems.values())

    def to_dict(self) -> dict[str, object]:
        """The stats as JSON-safe data."""
        return {
            "format": self.format,
            "packets": self.packets,
            "messages": self.messages,
            "skipped": self.skipped,
            "malformed": self.malformed,
            "problems": dict(self.problems),
            "truncated": self.truncated,
            "warnings": list(self.warnings),
        }


class Capture(Iterator[CapturedMessage]):
    """An open capture: iterate it for messages; :attr:`stats` at any time.

    Made by :func:`open_capture`. Use it as a context manager to close the file.
    """

    def __init__(
        self, stream: BinaryIO, *, name: str, format: str, limits: CaptureLimits, owned: bool
    ):
        self.name = name
        self.format = format
        self._stream = stream
        self._owned = owned
        self._tally = Tally(max_warnings=limits.max_warnings)
        if format == "text":
            self._found = text_messages(stream, self._tally, limits)
        else:
            self._found = pcap_messages(stream, format, self._tally, limits)
        self._index = 0
        self._endpoints: dict[tuple[str, int], Endpoint] = {}

    @property
    def stats(self) -> CaptureStats:
        """A snapshot of the counts so far (final once iteration has ended)."""
        tally = self._tally
        return CaptureStats(
            format=self.format,
            packets=tally.packets,
            messages=tally.messages,
            skipped=tally.skipped,
            problems=MappingProxyType(dict(tally.problems)),
            truncated=tally.truncated,
            warnings=tuple(tally.warnings),
        )

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> CapturedMessage:
        try:
            found = next(self._found)
        except StopIteration:
            self._log_end()
            raise
        self._index += 1
        return CapturedMessage(
            data=found.data,
            time=found.time,
            src=self._endpoint(found.src) if found.src else None,
            dst=self._endpoint(found.dst) if found.dst else None,
            transport=found.transport,
            source=self.name,
            index=self._index - 1,
            frame=found.frame,
            line=found.line,
            hep=found.hep,
        )

    def _endpoint(self, address: tuple[str, int]) -> Endpoint:
        # A capture holds few peers: one (frozen) Endpoint each, in a bounded table.
        endpoint = self._endpoints.get(address)
        if endpoint is None:
            if len(self._endpoints) >= _MAX_ENDPOINTS:
                self._endpoints.clear()
            endpoint = Endpoint(address=address[0], port=address[1])
            self._endpoints[address] = endpoint
        return endpoint

    def _log_end(self) -> None:
        if self._tally.truncated:
            logger.warning(
                "%s: capture truncated; read %d messages", self.name, self._tally.messages
            )

    def close(self) -> None:
        """Close the underlying file if :func:`open_capture` opened it."""
        if self._owned:
            self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _sniff(stream: BinaryIO) -> str:
    head = stream.peek(4)[:4] if isinstance(stream, io.BufferedReader) else b""
    if not head and stream.seekable():
        position = stream.tell()
        head = stream.read(4)
        stream.seek(position)
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        return "pcapng"
    return "pcap" if is_pcap_magic(head) else "text"


def open_capture(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    format: CaptureFormat = "auto",
    limits: CaptureLimits = CaptureLimits(),
    name: str | None = None,
) -> Capture:
    """Open a capture file, bytes, or binary stream for reading SIP messages.

    Args:
        source: A path, the capture's bytes, or a binary file object (read from its
            current position; not closed by :meth:`Capture.close`).
        format: ``"auto"`` (by content), ``"text"``, ``"pcap"`` or ``"pcapng"``.
        limits: Memory bounds.
        name: The name messages carry as :attr:`CapturedMessage.source`.

    Returns:
        A :class:`Capture`, iterable once.

    Raises:
        shakentrace.errors.CaptureError: The file cannot be opened or read at all.
    """
    owned = False
    if isinstance(source, bytes):
        stream: BinaryIO = io.BytesIO(source)
        label = name or "<bytes>"
    elif isinstance(source, (str, os.PathLike)):
        label = name or os.fspath(source)
        try:
            stream = open(source, "rb")  # noqa: SIM115 (closed by Capture.close)
        except OSError as exc:
            raise CaptureError(
                f"{label}: {exc.strerror or exc}", code="capture-unreadable"
            ) from exc
        owned = True
    else:
        stream = source  # type: ignore[assignment]
        label = name or str(getattr(source, "name", "<stream>"))
    kind = _sniff(stream) if format == "auto" else format
    return Capture(stream, name=label, format=kind, limits=limits, owned=owned)
