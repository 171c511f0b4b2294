"""Captures found by mutation fuzzing: each read to the end, giving messages or counted problems.

The frames here are built with ``struct`` and written as raw-IP pcap records, so
that each test pins the one malformed layer the fuzzer met.
"""

from __future__ import annotations

import contextlib
import ipaddress
import struct
import time
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace._framing import StreamFramer, Tally
from shakentrace._hep import HepProblem, decode_hep
from shakentrace._pcap import Fragment, Frame, Segment, decode_frame
from shakentrace._reassembly import Defragmenter, TcpReassembler
from shakentrace.capture import CaptureLimits, open_capture

A6, B6 = "2001:db8::10", "2001:db8:1::20"
_ADDRS = ipaddress.ip_address(A6).packed + ipaddress.ip_address(B6).packed


def _pcap(*packets: bytes, linktype: int = 101) -> bytes:
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    records = (struct.pack("<IIII", 1772366400, 0, len(p), len(p)) + p for p in packets)
    return head + b"".join(records)


def _ip6(nxt: int, payload: bytes) -> bytes:
    return struct.pack("!IHBB", 6 << 28, len(payload), nxt, 64) + _ADDRS + payload


def test_ipv6_esp_packet_is_skipped() -> None:
    """dpkt leaves the IPv6 payload protocol unset after an ESP header (AttributeError)."""
    esp = _ip6(50, struct.pack("!II", 0x100, 1) + bytes(16))
    with open_capture(_pcap(esp)) as capture:
        assert list(capture) == []
    assert (capture.stats.skipped, capture.stats.malformed) == (1, 0)


def test_ipv6_later_fragment_is_held_as_data_whatever_it_looks_like() -> None:
    """After a fragment header with an offset, the octets are the datagram's, not headers.

    dpkt 1.9.8 read them as a destination options header and failed (AttributeError);
    without its first fragment, this one is lost at the end of the capture.
    """
    fragment = struct.pack("!BBHI", 60, 0, 8, 7)
    options = bytes([17, 0]) + b"\x01\x04\0\0\0\0"
    packet = _ip6(44, fragment + options + bytes(8))
    with open_capture(_pcap(packet)) as capture:
        assert list(capture) == []
    assert dict(capture.stats.problems) == {"fragment-lost": 1}


def test_ipv6_extension_header_chain_is_bounded() -> None:
    options = b"".join(bytes([60, 0]) + bytes(6) for _ in range(40))
    with open_capture(_pcap(_ip6(60, options + bytes(8)))) as capture:
        assert list(capture) == []
    assert dict(capture.stats.problems) == {"bad-packet": 1}


# Totality of each decoding layer on its own: a result or its own error, nothing else.

_IP6_NEXT = st.sampled_from([0, 6, 17, 43, 44, 50, 51, 59, 60])
_LINKTYPES = st.sampled_from([0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999])


@given(nxt=_IP6_NEXT, body=st.binary(max_size=120))
def test_any_ipv6_extension_header_chain_decodes_or_is_a_value_error(nxt: int, body: bytes) -> None:
    frame = Frame(1, None, 101, _ip6(nxt, body))
    with contextlib.suppress(ValueError):
        assert isinstance(decode_frame(frame), Segment | Fragment | None)


@given(linktype=_LINKTYPES, data=st.binary(max_size=200))
def test_any_frame_decodes_or_is_a_value_error(linktype: int, data: bytes) -> None:
    with contextlib.suppress(ValueError):
        assert isinstance(decode_frame(Frame(1, None, linktype, data)), Segment | Fragment | None)


_HEP_HEADS = st.sampled_from([b"", b"HEP3", b"EEP3", b"\x02\x10\x02\x11", b"\x01\x28\x0a\x06"])


@given(head=_HEP_HEADS, body=st.binary(max_size=200), limit=st.integers(0, 4096))
def test_any_hep_packet_decodes_or_is_a_hep_problem(head: bytes, body: bytes, limit: int) -> None:
    with contextlib.suppress(HepProblem):
        packet = decode_hep(head + body, max_payload=limit)
        assert isinstance(packet.payload, bytes)


def _pcapng(option: bytes, timestamp: int) -> bytes:
    def block(kind: int, body: bytes) -> bytes:
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    section = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    interface = block(1, struct.pack("<HHI", 101, 0, 65535) + option)
    packet = _ip6(59, b"")
    record = struct.pack("<IIIII", 0, timestamp >> 32, timestamp & 0xFFFFFFFF, 40, 40)
    return section + interface + block(6, record + packet)


@given(
    code=st.sampled_from([9, 14]), value=st.binary(max_size=8), timestamp=st.integers(0, 2**64 - 1)
)
def test_any_interface_time_options_read(code: int, value: bytes, timestamp: int) -> None:
    """if_tsresol / if_tsoffset of any value: the packet is read, with a time or none."""
    padded = value + bytes(-len(value) % 4)
    option = struct.pack("<HH", code, len(value)) + padded + bytes(4)
    with open_capture(_pcapng(option, timestamp)) as capture:
        assert list(capture) == []
    assert (capture.stats.packets, capture.stats.malformed) == (1, 0)


def test_many_tiny_segments_out_of_order_are_not_held_without_bound() -> None:
    """One-octet segments, each after a gap, were all held (1 MiB is a million of
    them) and each arrival scanned them all: 20 000 took 40 s, quadratically.
    """
    tally = Tally()
    tcp = TcpReassembler(
        tally, max_streams=4, max_message=4096, max_pending=1024 * 1024, max_segments=128
    )
    a, b = ("192.0.2.1", 5060), ("192.0.2.2", 5060)
    tcp.add(Segment("tcp", a, b, b"", seq=99, flags=0x02))
    for n in range(1000):
        tcp.add(Segment("tcp", a, b, b"X", seq=1000 + 2 * n))
    held = tcp._streams[(a, b)].pending  # the bound under test
    assert 0 < len(held) <= 129
    assert tally.problems["tcp-gap"] > 0


def test_a_datagram_of_many_tiny_fragments_reassembles_in_linear_time() -> None:
    """Found by fuzzing: each fragment re-walked the whole datagram; 8000 eight-octet
    fragments took 12 s (a 464 KB capture). The one before the last completes it.
    """
    defrag = Defragmenter(Tally())
    count = 8000
    payload = bytes(range(256)) * (count * 8 // 256)

    def piece(n: int, more: bool = True) -> Fragment:
        data = payload[8 * n : 8 * n + 8]
        return Fragment((4, "a", "b", 7, 17), 17, "a", "b", 8 * n, more, data)

    started = time.perf_counter()
    assert defrag.add(piece(count - 1, more=False)) is None
    assert all(defrag.add(piece(n)) is None for n in range(count - 2))
    assert defrag.add(piece(count - 2)) == payload
    assert time.perf_counter() - started < 2.0


def test_a_text_file_of_one_endless_message_is_read_in_bounded_memory() -> None:
    """Found by fuzzing: every line after a start line was held; 45 MiB took 560 MiB."""
    import tracemalloc

    text = b"INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n" + b"v=0 an SDP line\r\n" * 200_000
    text += OPTIONS
    tracemalloc.start()
    try:
        with open_capture(text, limits=CaptureLimits(max_message=4096)) as capture:
            assert [m.data for m in capture] == [OPTIONS]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert capture.stats.problems == {"oversized": 1}
    assert peak < len(text) // 4


def test_prose_after_a_complete_body_is_not_oversized() -> None:
    body = b"v=0\r\n"
    head = b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\n"
    with open_capture(head + body + b"a ticket's words\r\n" * 50, limits=_SMALL) as capture:
        assert [m.data for m in capture] == [head + body]
    assert not capture.stats.problems


OPTIONS = b"OPTIONS sip:b@c SIP/2.0\r\nCall-ID: 2\r\n\r\n"
_SMALL = CaptureLimits(max_message=200)


def test_a_tcp_stream_of_lines_that_start_no_message_is_not_rescanned() -> None:
    """Such lines were kept until the stream held max_message octets and each
    segment rescanned them all; 20 000 two-octet segments took 240 s.
    """
    tally = Tally()
    framer = StreamFramer(tally, max_message=256 * 1024)
    for _ in range(2000):
        assert framer.feed(b"a\n") == []
    assert framer.pending == 0
    assert framer.feed(b"junk, then a messa") == []
    assert framer.feed(b"ge\n" + OPTIONS) == [OPTIONS]
    assert set(tally.problems) == {"unframed"}


def test_pcapng_interfaces_are_bounded_per_section() -> None:
    """Found by fuzzing: every interface block was kept; a file of them grew memory."""

    def block(kind: int, body: bytes) -> bytes:
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    section = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    interface = block(1, struct.pack("<HHI", 101, 0, 65535))
    packet = _ip6(59, b"")

    def enhanced(iface: int) -> bytes:
        return block(6, struct.pack("<IIIII", iface, 0, 0, 40, 40) + packet)

    data = section + interface * 5000 + enhanced(0) + enhanced(4095) + enhanced(4096)
    with open_capture(data) as capture:
        assert list(capture) == []
    assert (capture.stats.packets, capture.stats.skipped) == (2, 2)
    assert capture.stats.problems == {"bad-block": 5000 - 4096 + 1}


def test_hep3_compressed_payload_is_bounded_even_by_a_zero_limit() -> None:
    """zlib takes a max_length of 0 as none: 10 kB inflated to 10 MB at max_message=0."""

    def chunk(kind: int, value: bytes) -> bytes:
        return struct.pack("!HHH", 0, kind, 6 + len(value)) + value

    body = chunk(0x10, zlib.compress(b"A" * 10_000_000))
    packet = b"HEP3" + struct.pack("!H", 6 + len(body)) + body
    for limit in (0, 1, 9_999_999):
        with pytest.raises(HepProblem, match="too large"):
            decode_hep(packet, max_payload=limit)
    assert len(decode_hep(packet, max_payload=10_000_000).payload) == 10_000_000
