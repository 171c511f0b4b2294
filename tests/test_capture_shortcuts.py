"""The capture layer's shortcuts give what the general paths give, for any input."""

from __future__ import annotations

import pickle
import re
import struct
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from shakentrace._framing import _content_length
from shakentrace._pcap import Frame, decode_frame, decode_with_dpkt
from shakentrace.capture import CapturedMessage, Endpoint

# The Content-Length search as first written: one multi-line regex.
_GENERAL = re.compile(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*\r?$")
_PIECES = [b"\n", b"\r", b"\r\n", b"l", b"L", b":", b" ", b"\t", b"5", b"12", b"x"]
_PIECES += [b"Content-Length", b"content-LENGTH", b"l:3\n", b"\nl: 4"]


def _frame(ihl: int, total: int, flags: int, proto: int, payload: bytes) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", ihl, 0, total, 7, flags, 64, proto, 0,
                     b"\xc0\x00\x02\x0a", b"\xc6\x33\x64\x14")  # fmt: skip
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + payload


@given(
    ihl=st.sampled_from([0x45, 0x46, 0x44, 0x65, 0x00]),
    total=st.integers(0, 200),
    flags=st.sampled_from([0, 0x4000, 0x2000, 0x0001, 0x8000]),
    proto=st.sampled_from([17, 6, 1]),
    payload=st.binary(max_size=120),
    cut=st.integers(0, 200),
)
def test_udp_shortcut_decodes_like_dpkt(
    ihl: int, total: int, flags: int, proto: int, payload: bytes, cut: int
) -> None:
    frame = Frame(1, None, 1, _frame(ihl, total, flags, proto, payload)[: 14 + cut])
    try:
        expected: object = decode_with_dpkt(frame)
    except ValueError:
        expected = ValueError
    try:
        got: object = decode_frame(frame)
    except ValueError:
        got = ValueError
    assert got == expected


@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_content_length_search_matches_the_general_regex(pieces: list[bytes]) -> None:
    head = b"".join(pieces)
    match = _GENERAL.search(head)
    assert _content_length(head) == (int(match.group(1)) if match else None)


def test_captured_messages_pickle_to_equal_messages() -> None:
    when = datetime(2026, 3, 1, 12, 0, 0, 150000, tzinfo=UTC)
    message = CapturedMessage(
        data=b"x", time=when, src=Endpoint(address="192.0.2.10", port=5060), frame=3, index=2
    )
    assert pickle.loads(pickle.dumps(message)) == message
    assert pickle.loads(pickle.dumps(message.src)) == message.src
