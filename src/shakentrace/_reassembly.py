"""IP fragment and TCP stream reassembly, bounded: pure, no I/O.

SIP INVITEs carrying Identity headers and SDP often exceed one MTU: over UDP they
arrive as IP fragments (RFC 791 §3.2, RFC 8200 §4.5), over TCP as several
segments, and one segment may also carry several messages. Both tables here are
bounded in entries and octets; what falls out of a bound is counted, never fatal.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field

from shakentrace._framing import StreamFramer, Tally
from shakentrace._pcap import Fragment, Segment

__all__ = ["Defragmenter", "TcpReassembler"]

_SYN, _FIN, _RST = 0x02, 0x01, 0x04
_MAX_IP = 65_535


@dataclass(slots=True)
class _Datagram:
    pieces: dict[int, bytes] = field(default_factory=dict)
    total: int | None = None
    covered: int = 0  # octets [0, covered) are all in
    scanned: int = 0  # offsets below it were looked at (fragment offsets step by 8)

    def add(self, offset: int, data: bytes) -> None:
        """Keep the first piece at ``offset``; extend the covered prefix in amortised O(1).

        Checking the whole datagram on every arrival made a datagram of many
        tiny fragments quadratic to read.
        """
        if offset in self.pieces:
            return
        self.pieces[offset] = data
        if offset <= self.covered:
            self.covered = max(self.covered, offset + len(data))
        while self.scanned <= self.covered:
            piece = self.pieces.get(self.scanned)
            if piece is not None:
                self.covered = max(self.covered, self.scanned + len(piece))
            self.scanned += 8

    def complete(self) -> bytes | None:
        if self.total is None or self.covered < self.total:
            return None
        out, end = bytearray(), 0
        for offset in sorted(self.pieces):
            if offset > end:
                return None
            out += self.pieces[offset][end - offset :]
            end = max(end, offset + len(self.pieces[offset]))
        return bytes(out[: self.total]) if end >= self.total else None


class Defragmenter:
    """Puts IPv4/IPv6 fragments back together (at most ``max_datagrams`` in flight)."""

    __slots__ = ("_max", "_pending", "_tally")

    def __init__(self, tally: Tally, *, max_datagrams: int = 256) -> None:
        self._pending: OrderedDict[tuple[object, ...], _Datagram] = OrderedDict()
        self._tally = tally
        self._max = max_datagrams

    def add(self, fragment: Fragment) -> bytes | None:
        """Add a fragment; return the whole IP payload once every piece is in."""
        datagram = self._pending.get(fragment.key)
        if datagram is None:
            datagram = self._pending[fragment.key] = _Datagram()
            if len(self._pending) > self._max:
                self._pending.popitem(last=False)
                self._tally.problem("fragment-lost", "fragment table full; oldest dropped")
        end = fragment.offset + len(fragment.data)
        if end > _MAX_IP:
            del self._pending[fragment.key]
            self._tally.problem("bad-fragment", "fragment beyond 65535 octets")
            return None
        datagram.add(fragment.offset, fragment.data)
        if not fragment.more:
            datagram.total = end
        whole = datagram.complete()
        if whole is not None:
            del self._pending[fragment.key]
        return whole

    def close(self) -> None:
        """Count datagrams still missing fragments at the end of the capture."""
        for _ in self._pending:
            self._tally.problem("fragment-lost")
        self._pending.clear()


@dataclass(slots=True)
class _Stream:
    framer: StreamFramer
    next_seq: int | None = None
    # Out-of-order segments by sequence number, and a heap of their places in the
    # stream (sequence numbers unwrapped: ``position`` is next_seq's), so that the
    # earliest is found in O(log n), not by a scan of all held at each arrival.
    pending: dict[int, bytes] = field(default_factory=dict)
    order: list[tuple[int, int]] = field(default_factory=list)
    position: int = 0
    pending_size: int = 0

    def hold(self, seq: int, payload: bytes) -> None:
        """Keep a segment (the first one seen at ``seq``) until the stream reaches it."""
        if seq in self.pending or self.next_seq is None:
            return
        self.pending[seq] = payload
        self.pending_size += len(payload)
        heapq.heappush(self.order, (self.position + _delta(seq, self.next_seq), seq))

    def restart(self, seq: int) -> None:
        """Continue the stream at ``seq`` (a SYN): held segments are placed anew."""
        self.next_seq = seq
        self.order = [(self.position + _delta(s, seq), s) for s in self.pending]
        heapq.heapify(self.order)

    def earliest(self) -> tuple[int, int]:
        """The held segment first in stream order: its place relative to next_seq, and seq."""
        position, seq = self.order[0]
        return position - self.position, seq

    def take(self) -> bytes:
        """Remove the earliest held segment and return it."""
        _, seq = heapq.heappop(self.order)
        held = self.pending.pop(seq)
        self.pending_size -= len(held)
        return held

    def advance(self, octets: int) -> None:
        """Move next_seq on by ``octets`` (may be negative: a resync to an earlier hole)."""
        assert self.next_seq is not None
        self.next_seq = (self.next_seq + octets) % 2**32
        self.position += octets


def _delta(seq: int, base: int) -> int:
    """``seq - base`` in 32-bit sequence space (RFC 9293 §3.4), in [-2**31, 2**31)."""
    return (seq - base + 2**31) % 2**32 - 2**31


class TcpReassembler:
    """Orders each TCP direction's bytes and frames SIP messages in them.

    Args:
        tally: Where gaps, evictions and incomplete messages are counted.
        max_streams: Directions tracked at once; the least recently used is dropped.
        max_message: Largest SIP message framed.
        max_pending: Out-of-order octets held per direction before the gap is skipped.
        max_segments: Out-of-order segments held per direction before the gap is
            skipped.
    """

    __slots__ = (
        "_max_message",
        "_max_pending",
        "_max_segments",
        "_max_streams",
        "_streams",
        "_tally",
    )

    def __init__(
        self,
        tally: Tally,
        *,
        max_streams: int,
        max_message: int,
        max_pending: int,
        max_segments: int,
    ) -> None:
        self._streams: OrderedDict[tuple[object, ...], _Stream] = OrderedDict()
        self._tally = tally
        self._max_streams = max_streams
        self._max_message = max_message
        self._max_pending = max_pending
        self._max_segments = max_segments

    def add(self, segment: Segment) -> list[bytes]:
        """Add one segment; return the SIP messages it completes, in stream order."""
        key = (segment.src, segment.dst)
        if segment.flags & _RST or not (segment.payload or segment.flags & (_SYN | _FIN)):
            if segment.flags & _RST and key in self._streams:
                self._drop(key)
            return []
        stream = self._stream(key)
        if segment.flags & _SYN:
            stream.restart((segment.seq + 1) % 2**32)
            stream.framer.reset()
        messages = self._data(stream, segment.seq, segment.payload) if segment.payload else []
        if segment.flags & _FIN:
            self._drop(key)
        return messages

    def close(self) -> None:
        """Count partial messages left in every stream at the end of the capture."""
        for key in list(self._streams):
            self._drop(key)

    def _stream(self, key: tuple[object, ...]) -> _Stream:
        stream = self._streams.get(key)
        if stream is None:
            framer = StreamFramer(self._tally, max_message=self._max_message)
            stream = self._streams[key] = _Stream(framer)
            if len(self._streams) > self._max_streams:
                self._drop(next(iter(self._streams)), evicted=True)
        else:
            self._streams.move_to_end(key)
        return stream

    def _drop(self, key: tuple[object, ...], *, evicted: bool = False) -> None:
        stream = self._streams.pop(key)
        if evicted:
            self._tally.problem("tcp-evicted", "too many TCP streams; least recent dropped")
        if stream.framer.pending or stream.pending:
            self._tally.problem("tcp-incomplete", "TCP stream ended inside a SIP message")

    def _data(self, stream: _Stream, seq: int, payload: bytes) -> list[bytes]:
        if stream.next_seq is None:  # capture began mid-stream
            stream.restart(seq)
        stream.hold(seq, payload)
        messages = self._drain(stream)
        if stream.pending_size > self._max_pending or len(stream.pending) > self._max_segments:
            # The gap will not fill: skip it and resume at the earliest held segment.
            stream.advance(stream.earliest()[0])
            stream.framer.reset()
            self._tally.problem("tcp-gap", "missing TCP segment; stream resynchronised")
            messages += self._drain(stream)
        return messages

    def _drain(self, stream: _Stream) -> list[bytes]:
        """Deliver held segments that now continue the stream (trimming overlaps)."""
        messages: list[bytes] = []
        while stream.pending:
            delta, _ = stream.earliest()
            if delta > 0:
                break
            held = stream.take()
            if len(held) > -delta:  # retransmissions add nothing new
                stream.advance(len(held) + delta)
                messages += stream.framer.feed(held[-delta:])
        return messages
