"""The reading pipelines behind :func:`shakentrace.capture.open_capture`.

Text: lines -> :func:`~shakentrace._framing.split_text`. Packets: records ->
link/IP decode (dpkt adapter) -> IP defragmentation -> UDP datagrams (HEP
unwrapped) or TCP reassembly and framing (SIP messages, or HEPv3 packets, which
are unwrapped too). Each yields :class:`Found` records; ``Capture`` numbers them
and turns them into ``CapturedMessage`` objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from shakentrace._framing import Tally, frame_datagram, split_text
from shakentrace._hep import HepProblem, decode_hep, looks_like_hep
from shakentrace._pcap import Fragment, Frame, Segment, decode_frame, decode_transport, read_frames
from shakentrace._reassembly import Defragmenter, TcpReassembler
from shakentrace.errors import CaptureError

if TYPE_CHECKING:
    from shakentrace.capture import CaptureLimits

__all__ = ["Found", "pcap_messages", "text_messages"]

_SNIFF = 4096


@dataclass(frozen=True, slots=True)
class Found:
    """A message found by a pipeline, before ``Capture`` numbers it."""

    data: bytes
    time: datetime | None
    src: tuple[str, int] | None
    dst: tuple[str, int] | None
    transport: str
    frame: int | None = None
    line: int | None = None
    hep: int | None = None


class _Lines:
    """Lines of a binary file, each at most ``limit`` octets; notes NULs near the start."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        self.stream, self.limit, self.binary, self.seen = stream, limit, False, 0
        self.start = b""

    def __iter__(self) -> Iterator[bytes]:
        while line := self.stream.readline(self.limit):
            if not self.seen:
                self.start = line[:10]
            if self.seen < _SNIFF:
                self.seen += len(line)
                self.binary = self.binary or b"\x00" in line
            yield line


def text_messages(stream: BinaryIO, tally: Tally, limits: CaptureLimits) -> Iterator[Found]:
    """Messages of a text file (one or many, loose line endings, sngrep/ngrep headers)."""
    lines = _Lines(stream, limits.max_message)
    for chunk in split_text(lines, max_message=limits.max_message):
        if chunk.oversized or len(chunk.data) > limits.max_message:
            tally.problem("oversized", f"message at line {chunk.line} dropped")
            continue
        tally.messages += 1
        yield Found(chunk.data, chunk.time, chunk.src, chunk.dst, "text", line=chunk.line)
    packed = next((found for magic, *found in _COMPRESSED if magic.match(lines.start)), None)
    if tally.messages == 0 and packed:
        name, tool = packed
        raise CaptureError(
            f"{name}-compressed: decompress it first ({tool} FILE | shakentrace ... -)"
        )
    if tally.messages == 0 and lines.binary:
        raise CaptureError("neither a capture (pcap, pcapng) nor a SIP text file")


# The magic numbers of the compressed files a capture travels as.
_COMPRESSED = tuple(
    (re.compile(magic), name, tool)
    for magic, name, tool in (
        (rb"\x1f\x8b", "gzip", "zcat"),
        (rb"\xfd7zXZ\x00", "xz", "xzcat"),
        (rb"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
        (rb"BZh[1-9]1AY&SY", "bzip2", "bzcat"),
        (rb"PK\x03\x04", "zip", "unzip -p"),
    )
)


class _PacketPipeline:
    """Frames in, SIP messages out; owns the bounded reassembly tables."""

    def __init__(self, tally: Tally, limits: CaptureLimits) -> None:
        self.tally = tally
        self.limits = limits
        self.defrag = Defragmenter(tally, max_datagrams=limits.max_fragmented)
        self.tcp = TcpReassembler(
            tally,
            max_streams=limits.max_tcp_streams,
            max_message=limits.max_message,
            max_pending=limits.max_tcp_pending,
            max_segments=limits.max_tcp_segments,
        )

    def frame(self, frame: Frame) -> list[Found]:
        self.tally.packets += 1
        try:
            unit = decode_frame(frame)
            if isinstance(unit, Fragment):
                unit = self._defragment(unit)
        except ValueError as exc:
            self.tally.problem("bad-packet", f"frame {frame.number}: {exc}")
            return []
        if unit is None:
            self.tally.skipped += 1
            return []
        if unit.proto == "tcp":
            return [found for m in self.tcp.add(unit) for found in self._streamed(m, unit, frame)]
        return self._datagram(unit, frame)

    def _defragment(self, fragment: Fragment) -> Segment | None:
        whole = self.defrag.add(fragment)
        if whole is None:
            return None
        return decode_transport(fragment.proto, fragment.src, fragment.dst, whole)

    def _datagram(self, segment: Segment, frame: Frame) -> list[Found]:
        payload = segment.payload
        if looks_like_hep(payload):
            return self._hep(payload, frame)
        message = frame_datagram(payload)
        if message is None:
            self.tally.skipped += 1
            return []
        return [self._found(message, segment, frame)]

    def _streamed(self, message: bytes, segment: Segment, frame: Frame) -> list[Found]:
        if looks_like_hep(message):  # HEPv3 over TCP, cut by its length
            return self._hep(message, frame)
        return [self._found(message, segment, frame)]

    def _hep(self, payload: bytes, frame: Frame) -> list[Found]:
        try:
            packet = decode_hep(payload, max_payload=self.limits.max_message)
        except HepProblem as exc:
            self.tally.problem("bad-hep", f"frame {frame.number}: {exc}")
            return []
        message = frame_datagram(packet.payload) if packet.is_sip else None
        if message is None:
            self.tally.skipped += 1
            return []
        time = packet.time or frame.time
        return [
            Found(
                message,
                time,
                packet.src,
                packet.dst,
                packet.transport,
                frame.number,
                hep=packet.version,
            )
        ]

    def _found(self, message: bytes, segment: Segment, frame: Frame) -> Found:
        return Found(message, frame.time, segment.src, segment.dst, segment.proto, frame.number)

    def close(self) -> None:
        self.tcp.close()
        self.defrag.close()


def pcap_messages(
    stream: BinaryIO, kind: str, tally: Tally, limits: CaptureLimits
) -> Iterator[Found]:
    """Messages of a pcap or pcapng file, in capture order."""
    pipeline = _PacketPipeline(tally, limits)
    for frame in read_frames(stream, kind, tally, max_packet=limits.max_packet):
        for found in pipeline.frame(frame):
            if len(found.data) > limits.max_message:
                tally.problem("oversized", f"frame {found.frame}: message dropped")
                continue
            tally.messages += 1
            yield found
    pipeline.close()
