"""Captures found by mutation fuzzing: each read to the end, giving messages or counted problems.

The frames here are built with ``struct`` and written as raw-IP pcap records, so
that each test pins the one malformed layer the fuzzer met.
"""

from __future__ import annotations

import ipaddress
import struct

from shakentrace.capture import open_capture

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


def test_ipv6_fragment_header_then_options_is_a_bad_packet() -> None:
    """dpkt reads ``frag_off`` off the header after a fragment header (AttributeError)."""
    fragment = struct.pack("!BBHI", 60, 0, 8, 7)
    options = bytes([17, 0]) + b"\x01\x04\0\0\0\0"
    packet = _ip6(44, fragment + options + bytes(8))
    with open_capture(_pcap(packet)) as capture:
        assert list(capture) == []
    assert dict(capture.stats.problems) == {"bad-packet": 1}
