"""Reading captures: text files, truncation, corruption, totality, bounds."""

from __future__ import annotations

import bz2
import io
import lzma
import struct
import subprocess
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcaptools import Packet, hep3, ip_frames, link, need_tools, udp, write_capture
from shakentrace._framing import StreamFramer, Tally
from shakentrace._hep import decode_hep
from shakentrace._pcap import Segment
from shakentrace._reassembly import TcpReassembler
from shakentrace.capture import CaptureLimits, Endpoint, open_capture
from shakentrace.errors import CaptureError, ConfigurationError
from shakentrace.testing import build_invite

INVITE = build_invite(call_id="text-1@example")
OPTIONS = b"OPTIONS sip:probe@example.com SIP/2.0\r\nCall-ID: opt-1\r\nContent-Length: 0\r\n\r\n"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _messages(data: bytes) -> list[bytes]:
    with open_capture(data) as capture:
        return [m.data for m in capture]


def test_text_single_message_with_lf_endings_gets_crlf_back() -> None:
    assert _messages(INVITE.replace(b"\r\n", b"\n")) == [INVITE]


def test_text_cr_only_and_mixed_endings() -> None:
    assert _messages(INVITE.replace(b"\r\n", b"\r")) == [INVITE]
    mixed = INVITE.replace(b"\r\n", b"\n", 3)
    assert _messages(mixed) == [INVITE]


def test_text_with_doubled_cr_line_ends_keeps_its_headers() -> None:
    # A CRLF file that went through a text-mode copy once more ends each line with
    # CR CR LF. Read as a line and a blank line, the message ended at its start
    # line and every header, Identity too, became body: verify said no-identity.
    assert _messages(INVITE.replace(b"\r\n", b"\r\r\n")) == [INVITE]


@pytest.mark.parametrize(
    ("pack", "named"),
    [
        (lambda b: zlib.compress(b, wbits=31), "gzip"),
        (lambda b: lzma.compress(b), "xz"),
        (lambda b: bz2.compress(b), "bzip2"),
    ],
)
def test_a_compressed_capture_says_to_decompress_it(pack: Any, named: str) -> None:
    # Captures travel as .pcap.gz; "neither a capture (pcap, pcapng) nor a SIP text
    # file" did not say what the file was, or what to do.
    with pytest.raises(CaptureError, match=rf"{named}-compressed: decompress it first"):
        _messages(pack(INVITE * 50))


def test_text_many_messages_with_prose_between() -> None:
    ticket = (
        b"Hi team, the call below was spoofed.\n\n"
        + INVITE.replace(b"\r\n", b"\n")
        + b"\nThanks,\nBob\n\n---\n"
        + OPTIONS
        + b"\n\n"
    )
    assert _messages(ticket) == [INVITE, OPTIONS]


def test_text_of_short_lines_is_read_without_a_regex_per_line() -> None:
    # Found by fuzz/scale.py: a text capture of blank or two-octet lines ran three
    # regexes per line, 3 s for 1 MiB of them; a line shorter than any start line skips them.
    # A hang guard, not a speed target (the fast path is about 0.3 s per MiB).
    filler = b"\n" * (1 << 19) + b" \n" * (1 << 18) + b"#\n" * (1 << 18)
    text = b"Hi,\n\n" + INVITE.replace(b"\r\n", b"\n") + filler + b"---\n" + OPTIONS
    began = time.perf_counter()
    with open_capture(text) as capture:
        # The lines after the INVITE's body (Content-Length) are prose, dropped.
        assert [m.data for m in capture] == [INVITE, OPTIONS]
    assert time.perf_counter() - began < 5.0
    assert _messages(INVITE + b"\r\n#\r\n" + OPTIONS) == [INVITE, OPTIONS]  # a short separator


def test_text_sngrep_and_ngrep_headers_give_time_and_addresses() -> None:
    text = (
        b"2026/03/01 12:00:00.250000 192.0.2.10:5060 -> 198.51.100.20:5062\n"
        + INVITE
        + b"\nU 2026/03/01 12:00:01.5 [2001:db8::1]:5070 -> [2001:db8::2]:5080\n"
        + OPTIONS
    )
    with open_capture(text) as capture:
        first, second = list(capture)
    assert first.data == INVITE
    assert second.data == OPTIONS
    assert first.time == datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
    assert first.src == Endpoint(address="192.0.2.10", port=5060)
    assert str(second.dst) == "[2001:db8::2]:5080"
    assert (first.line, first.index, second.index, first.transport) == (2, 0, 1, "text")


def test_text_meta_line_with_an_impossible_port_gives_no_address() -> None:
    """A port above 65535 is no address: the line still separates the messages."""
    text = (
        b"2026/03/01 12:00:00.250000 192.0.2.10:99999 -> 198.51.100.20:65535\n"
        + INVITE
        + b"\n2026/03/01 12:00:01 192.0.2.10:5060 -> 198.51.100.20:70000\n"
        + OPTIONS
    )
    with open_capture(text) as capture:
        first, second = list(capture)
    assert (first.data, second.data) == (INVITE, OPTIONS)
    assert (first.src, first.dst) == (None, Endpoint(address="198.51.100.20", port=65535))
    assert (second.src, second.dst) == (Endpoint(address="192.0.2.10", port=5060), None)
    assert first.time == datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


def test_text_status_lines_and_files(tmp_path: Path) -> None:
    response = b"SIP/2.0 180 Ringing\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"
    path = tmp_path / "call.sip"
    path.write_bytes(response + INVITE)
    with open_capture(path) as capture:
        items = list(capture)
    assert [i.data for i in items] == [response, INVITE]
    assert items[0].source == str(path)
    assert capture.stats.format == "text"
    assert capture.stats.messages == 2


def test_text_without_sip_is_empty_but_binary_junk_is_an_error() -> None:
    assert _messages(b"no SIP here\n") == []
    assert _messages(b"") == []
    with pytest.raises(CaptureError), open_capture(b"\x7fELF\x00\x01\x02garbage") as capture:
        list(capture)


def test_missing_file_is_a_capture_error(tmp_path: Path) -> None:
    with pytest.raises(CaptureError, match="No such file"):
        open_capture(tmp_path / "absent.pcap")


def test_stream_source_is_not_closed() -> None:
    stream = io.BytesIO(INVITE)
    with open_capture(stream, name="ticket") as capture:
        assert [m.source for m in capture] == ["ticket"]
    assert not stream.closed


def _pcap(tmp_path: Path, count: int = 3, *, pcapng: bool = False) -> bytes:
    need_tools()
    packets = [
        Packet(
            data=link(
                ip_frames(
                    "192.0.2.1", "192.0.2.2", 17, udp("192.0.2.1", "192.0.2.2", 5060, 5060, INVITE)
                )[0]
            ),
            time=T0,
        )
        for _ in range(count)
    ]
    return write_capture(tmp_path / "x.pcap", packets, pcapng=pcapng).read_bytes()


@pytest.mark.parametrize("pcapng", [False, True])
def test_truncated_capture_ends_cleanly_with_a_warning(
    tmp_path: Path, pcapng: bool, caplog: pytest.LogCaptureFixture
) -> None:
    data = _pcap(tmp_path, pcapng=pcapng)
    with open_capture(data[:-200]) as capture:
        items = list(capture)
    assert len(items) == 2
    assert capture.stats.truncated
    assert "truncated" in capture.stats.warnings[0]
    assert "capture truncated" in caplog.text


def test_corrupt_caplen_stops_without_allocating(tmp_path: Path) -> None:
    data = bytearray(_pcap(tmp_path))
    struct.pack_into("<I", data, 24 + 8, 0xFFFFFFF0)  # first record's caplen
    with open_capture(bytes(data)) as capture:
        assert list(capture) == []
    assert capture.stats.truncated


def test_malformed_packets_are_counted(tmp_path: Path) -> None:
    need_tools()
    good = link(
        ip_frames("192.0.2.1", "192.0.2.2", 17, udp("192.0.2.1", "192.0.2.2", 5060, 5060, INVITE))[
            0
        ]
    )
    bad_ip = good[:14] + b"\x45\x00\x00"  # IPv4 header cut short
    bad_hep = link(
        ip_frames(
            "192.0.2.1", "192.0.2.2", 17, udp("192.0.2.1", "192.0.2.2", 9, 9060, b"HEP3\xff\xff")
        )[0]
    )
    rtp = link(
        ip_frames(
            "192.0.2.1", "192.0.2.2", 17, udp("192.0.2.1", "192.0.2.2", 4000, 4002, b"\x80" * 172)
        )[0]
    )
    packets = [Packet(data=d, time=T0) for d in (bad_ip, good, bad_hep, rtp, good)]
    path = write_capture(tmp_path / "mixed.pcap", packets)
    with open_capture(path) as capture:
        assert len(list(capture)) == 2
    stats = capture.stats
    assert (stats.packets, stats.messages, stats.skipped) == (5, 2, 1)
    assert dict(stats.problems) == {"bad-packet": 1, "bad-hep": 1}
    assert stats.to_dict()["malformed"] == 2


def test_oversized_messages_are_dropped_and_counted() -> None:
    with open_capture(INVITE + OPTIONS, limits=CaptureLimits(max_message=200)) as capture:
        assert [m.data for m in capture] == [OPTIONS]
    assert capture.stats.problems["oversized"] == 1


def test_nanosecond_pcap(tmp_path: Path) -> None:
    need_tools()
    path = tmp_path / "x.pcap"
    write_capture(
        path,
        [
            Packet(
                data=link(
                    ip_frames(
                        "192.0.2.1",
                        "192.0.2.2",
                        17,
                        udp("192.0.2.1", "192.0.2.2", 5060, 5060, INVITE),
                    )[0]
                ),
                time=T0,
            )
        ],
    )
    nano = tmp_path / "nano.pcap"
    subprocess.run(
        ["editcap", "-F", "nsecpcap", str(path), str(nano)], check=True, capture_output=True
    )
    with open_capture(nano) as capture:
        (item,) = list(capture)
    assert item.time == T0


# Totality: arbitrary bytes give messages or CaptureError, never another exception.
_HEADS = st.sampled_from(
    [
        b"",
        b"\xd4\xc3\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\x0a\x0d\x0d\x0a",
        b"INVITE sip:a SIP/2.0\r\n",
    ]
)


def _total(data: bytes) -> None:
    try:
        with open_capture(data, limits=CaptureLimits(max_packet=4096, max_message=4096)) as capture:
            for item in capture:
                assert isinstance(item.data, bytes)
            capture.stats.to_dict()
    except CaptureError:
        pass


@given(head=_HEADS, body=st.binary(max_size=600))
def test_any_bytes_read_or_raise_capture_error(head: bytes, body: bytes) -> None:
    _total(head + body)


_SAMPLE: dict[str, bytes] = {}


@given(
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 10_000),
)
def test_damaged_real_captures_never_crash(flips: list[tuple[int, int]], cut: int) -> None:
    for sample in _SAMPLE.values():
        data = bytearray(sample)
        for where, value in flips:
            data[where % len(data)] = value
        _total(bytes(data[: max(cut, 24)]))


@pytest.fixture(autouse=True, scope="module")
def _samples(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Real pcap and pcapng files (UDP and TCP) for the damage property above."""
    try:
        need_tools()
    except pytest.skip.Exception:
        return
    from test_capture_pcap import _tcp_packets, _tcp_stream

    base = tmp_path_factory.mktemp("samples")
    _SAMPLE["pcap"] = write_capture(
        base / "a.pcap", _tcp_packets(_tcp_stream([INVITE, OPTIONS], size=400))
    ).read_bytes()
    _SAMPLE["pcapng"] = write_capture(
        base / "b.pcapng", _tcp_packets(_tcp_stream([INVITE], size=900)), pcapng=True
    ).read_bytes()


def test_hep3_compressed_payload_and_bounds(tmp_path: Path) -> None:
    """HEP3 chunk 0x0010 (zlib payload) is inflated, within max_message."""
    need_tools()

    def chunk(kind: int, value: bytes) -> bytes:
        return struct.pack("!HHH", 0, kind, 6 + len(value)) + value

    body = chunk(1, b"\x02") + chunk(3, bytes([192, 0, 2, 7])) + chunk(7, struct.pack("!H", 5070))
    body += chunk(0x10, zlib.compress(INVITE))
    packet = b"HEP3" + struct.pack("!H", 6 + len(body)) + body
    assert decode_hep(packet, max_payload=1 << 16).payload == INVITE
    frame = link(
        ip_frames("203.0.113.9", "192.0.2.2", 17, udp("203.0.113.9", "192.0.2.2", 9, 9060, packet))[
            0
        ]
    )
    path = write_capture(tmp_path / "hepz.pcap", [Packet(data=frame, time=T0)])
    with open_capture(path) as capture:
        (item,) = list(capture)
    assert item.data == INVITE
    assert str(item.src) == "192.0.2.7:5070"
    assert item.time == T0  # no HEP time chunk: the packet's time
    with open_capture(path, limits=CaptureLimits(max_message=100)) as capture:
        assert list(capture) == []
    assert capture.stats.problems == {"bad-hep": 1}


@given(
    cuts=st.lists(st.integers(1, 4000), max_size=12),
    keepalives=st.booleans(),
)
def test_stream_framing_is_independent_of_segment_boundaries(
    cuts: list[int], keepalives: bool
) -> None:
    """Whatever the TCP segmentation, the framer yields the same messages (RFC 3261 §18.3)."""
    separator = b"\r\n\r\n" if keepalives else b""
    assert _framed(INVITE + separator + OPTIONS + INVITE, cuts) == [INVITE, OPTIONS, INVITE]


@given(cuts=st.lists(st.integers(1, 4000), max_size=12))
def test_stream_framing_past_garbage_is_independent_of_segment_boundaries(
    cuts: list[int],
) -> None:
    """Lines that start no message, before and between messages, are skipped however cut."""
    stream = b"noise\nmore noise\n" + INVITE + b"junk line\r\n" + OPTIONS + INVITE
    assert _framed(stream, cuts) == [INVITE, OPTIONS, INVITE]


def test_stream_framing_reads_a_trickle_in_linear_time() -> None:
    # A hang guard, not a speed target: each octet re-read the message (or the
    # skipped lines) from its start; a 100 KiB head fed an octet at a time
    # took over ten seconds.
    head = b"INVITE sip:a@b SIP/2.0\r\nX-Long: " + b"a" * 100_000 + b"\r\nContent-Length: 5\r\n\r\n"
    stream = b"garbage\n" * 10_000 + head + b"hello"
    framer = StreamFramer(Tally(), max_message=1 << 18)
    began = time.perf_counter()
    out = [m for i in range(len(stream)) for m in framer.feed(stream[i : i + 1])]
    assert time.perf_counter() - began < 10.0
    assert out == [head + b"hello"]


def _framed(stream: bytes, cuts: list[int]) -> list[bytes]:
    """What one StreamFramer yields for ``stream`` fed in pieces cut at ``cuts``; all of it."""
    framer = StreamFramer(Tally(), max_message=1 << 16)
    out: list[bytes] = []
    position = 0
    for cut in sorted(set(cuts)):
        out += framer.feed(stream[position:cut])
        position = max(position, cut)
    out += framer.feed(stream[position:])
    assert framer.pending == 0
    return out


@given(cuts=st.lists(st.integers(1, 4000), max_size=12))
def test_hep3_stream_framing_is_independent_of_segment_boundaries(cuts: list[int]) -> None:
    """A capture agent's TCP stream of HEPv3 packets frames the same however it is cut."""
    when = datetime(2026, 1, 1, tzinfo=UTC)
    packets = [hep3(m, src="192.0.2.1", dst="192.0.2.2", sport=5060, dport=5060, when=when)
               for m in (INVITE, OPTIONS, INVITE)]  # fmt: skip
    assert _framed(b"".join(packets), cuts) == packets


@given(st.lists(st.binary(max_size=400), max_size=12), st.booleans())
def test_stream_framing_is_total_and_bounded(chunks: list[bytes], hep: bool) -> None:
    """Any bytes (HEP3-looking or not): messages or dropped bytes, never an error or growth."""
    framer = StreamFramer(Tally(), max_message=1024)
    for chunk in chunks:
        framer.feed((b"HEP3" if hep else b"") + chunk)
        # At most one line (8 KiB) or one HEPv3 packet (message + chunks) waits.
        assert framer.pending <= max(8192, 1024 + 4096) + len(chunk) + 4


def _reassembler(tally: Tally) -> TcpReassembler:
    limits = CaptureLimits()
    return TcpReassembler(
        tally,
        max_streams=limits.max_tcp_streams,
        max_message=limits.max_message,
        max_pending=limits.max_tcp_pending,
        max_segments=limits.max_tcp_segments,
    )


def _segment(seq: int, payload: bytes, flags: int = 0) -> Segment:
    return Segment("tcp", ("192.0.2.1", 5060), ("192.0.2.2", 5060), payload, seq, flags)


def test_tcp_segments_far_out_of_order_still_reassemble() -> None:
    invite = build_invite(identity=[], call_id="reordered@example")
    pieces = [invite[i : i + 10] for i in range(0, len(invite), 10)]
    assert len(pieces) < CaptureLimits().max_tcp_segments
    reassembler = _reassembler(Tally())
    reassembler.add(_segment(999, b"", flags=0x02))  # SYN: the stream starts at 1000
    got = []
    for n in reversed(range(len(pieces))):
        got += reassembler.add(_segment(1000 + 10 * n, pieces[n]))
    assert got == [invite]


def test_a_flood_of_tiny_out_of_order_segments_is_read_in_linear_time() -> None:
    # A hang guard, not a speed target: each segment was ordered against every
    # one held, up to 1 MiB of them; 20,000 one-octet segments took 47 s.
    tally = Tally()
    reassembler = _reassembler(tally)
    reassembler.add(_segment(0, b"", flags=0x02))
    began = time.perf_counter()
    for n in range(20_000):
        reassembler.add(_segment(10 + 2 * n, b"x"))  # a gap before every one
    assert time.perf_counter() - began < 10.0
    assert tally.problems["tcp-gap"] > 0


def test_out_of_order_segments_are_ordered_in_log_time_whatever_the_bound() -> None:
    # Found by fuzzing (fuzz/fuzz_capture.py, grown by fuzz/scale.py): each arrival
    # scanned every held segment for the earliest, so reading cost grew with
    # max_tcp_segments: 1 MiB of pcap took 1.9 s at the default 128, and with a
    # bound of 20,000 these 20,000 segments took minutes. A heap makes it n log n.
    tally = Tally()
    reassembler = TcpReassembler(
        tally, max_streams=4, max_message=4096, max_pending=1 << 20, max_segments=1 << 20
    )
    reassembler.add(_segment(0, b"", flags=0x02))
    invite = build_invite(identity=[], call_id="late-first-octet@example")
    began = time.perf_counter()
    for n in range(1, 20_000):  # all after a one-octet hole at 1, none deliverable
        reassembler.add(_segment(1 + 2 * n, b"x"))
    assert time.perf_counter() - began < 5.0
    assert reassembler.add(_segment(1, invite)) == [invite]  # fills the hole (and more)
    assert tally.problems["tcp-gap"] == 0


@pytest.mark.parametrize("field", ["max_message", "max_tcp_segments", "max_warnings"])
@pytest.mark.parametrize("value", [0, -1, 2.5, True])
def test_capture_limits_are_whole_numbers_of_at_least_one(field: str, value: object) -> None:
    # A zero would not bound anything: zlib reads a max_length of 0 as "no limit".
    with pytest.raises(ConfigurationError, match=field):
        CaptureLimits(**{field: value})  # type: ignore[arg-type]
    assert getattr(CaptureLimits(**{field: 1}), field) == 1
