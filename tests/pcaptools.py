"""Build capture files with Wireshark's own tools, and read them back with tshark.

Frames are assembled here with ``struct`` (independently of dpkt, which the code
under test uses), hex-dumped, and written by ``text2pcap``; ``tshark`` is the
reference reader the tests compare shakentrace with.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import struct
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

__all__ = [
    "Packet",
    "hep2",
    "hep3",
    "ip_frames",
    "link",
    "need_tools",
    "tcp",
    "tshark_fields",
    "udp",
    "write_capture",
]

_TOOLS = ("text2pcap", "tshark")


def need_tools() -> None:
    """Skip the test unless text2pcap and tshark exist (fail in CI, where they must)."""
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing and os.environ.get("SHAKENTRACE_REQUIRE_INTEROP"):
        pytest.fail(f"missing {missing} (installed by .ci/run)")
    if missing:
        pytest.skip(f"missing {missing}")


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, proto, length)
    return a.packed + b.packed + struct.pack("!IxxxB", length, proto)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """A UDP header and payload, checksummed."""
    head = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    total = _checksum(_pseudo(src, dst, 17, 8 + len(payload)) + head + payload) or 0xFFFF
    return head[:6] + struct.pack("!H", total) + payload


def tcp(
    src: str, dst: str, sport: int, dport: int, payload: bytes, *, seq: int, flags: int = 0x18
) -> bytes:
    """A TCP header (PSH|ACK by default) and payload, checksummed."""
    head = struct.pack("!HHIIBBHHH", sport, dport, seq % 2**32, 1, 5 << 4, flags, 65535, 0, 0)
    total = _checksum(_pseudo(src, dst, 6, len(head) + len(payload)) + head + payload)
    return head[:16] + struct.pack("!H", total) + head[18:] + payload


def ip_frames(
    src: str, dst: str, proto: int, segment: bytes, *, mtu: int = 65535, ident: int = 7
) -> list[bytes]:
    """IP packet(s) carrying ``segment``: one, or fragments when it exceeds ``mtu``."""
    if ipaddress.ip_address(src).version == 6:
        return _ip6_frames(src, dst, proto, segment, mtu, ident)
    step = (mtu - 20) // 8 * 8
    out = []
    for offset in range(0, len(segment), step):
        piece = segment[offset : offset + step]
        more = offset + step < len(segment)
        head = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(piece), ident, (0x2000 if more else 0) | offset // 8,
            64, proto, 0, ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed,
        )  # fmt: skip
        out.append(head[:10] + struct.pack("!H", _checksum(head)) + head[12:] + piece)
    return out


def _ip6_frames(
    src: str, dst: str, proto: int, segment: bytes, mtu: int, ident: int
) -> list[bytes]:
    addrs = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
    if len(segment) + 40 <= mtu:
        return [struct.pack("!IHBB", 6 << 28, len(segment), proto, 64) + addrs + segment]
    step = (mtu - 48) // 8 * 8
    out = []
    for offset in range(0, len(segment), step):
        piece = segment[offset : offset + step]
        more = offset + step < len(segment)
        frag = struct.pack("!BBHI", proto, 0, offset | int(more), ident)
        out.append(struct.pack("!IHBB", 6 << 28, 8 + len(piece), 44, 64) + addrs + frag + piece)
    return out


def link(packet: bytes, *, kind: str = "ether", vlans: Sequence[int] = ()) -> bytes:
    """Wrap an IP packet in Ethernet (optionally VLAN-tagged), SLL or SLL2, or leave it raw."""
    ethertype = 0x0800 if packet[0] >> 4 == 4 else 0x86DD
    if kind == "ether":
        tags = b"".join(
            struct.pack("!HH", 0x88A8 if i == 0 and len(vlans) > 1 else 0x8100, vid)
            for i, vid in enumerate(vlans)
        )
        return (
            b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + tags + struct.pack("!H", ethertype) + packet
        )
    if kind == "sll":
        return struct.pack("!HHH8sH", 0, 1, 6, b"\x02\0\0\0\0\x01\0\0", ethertype) + packet
    if kind == "sll2":
        return struct.pack("!HHiHBB8s", ethertype, 0, 1, 1, 0, 6, b"\x02\0\0\0\0\x01\0\0") + packet
    return packet


_LINKTYPES = {"ether": 1, "sll": 113, "sll2": 276, "raw": 101}


@dataclass(frozen=True, slots=True, kw_only=True)
class Packet:
    """One frame to write, with its capture time."""

    data: bytes
    time: datetime


def hep3(
    payload: bytes, *, src: str, dst: str, sport: int, dport: int, when: datetime, proto: int = 17
) -> bytes:
    """A HEPv3 packet (HEP3_rev12 generic chunks) carrying ``payload``."""
    v6 = ipaddress.ip_address(src).version == 6

    def chunk(kind: int, value: bytes) -> bytes:
        return struct.pack("!HHH", 0, kind, 6 + len(value)) + value

    sec = int(when.timestamp())
    body = b"".join(
        [
            chunk(1, bytes([10 if v6 else 2])),
            chunk(2, bytes([proto])),
            chunk(5 if v6 else 3, ipaddress.ip_address(src).packed),
            chunk(6 if v6 else 4, ipaddress.ip_address(dst).packed),
            chunk(7, struct.pack("!H", sport)),
            chunk(8, struct.pack("!H", dport)),
            chunk(9, struct.pack("!I", sec)),
            chunk(10, struct.pack("!I", when.microsecond)),
            chunk(11, b"\x01"),
            chunk(12, struct.pack("!I", 2001)),
            chunk(15, payload),
        ]
    )
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def hep2(payload: bytes, *, src: str, dst: str, sport: int, dport: int, when: datetime) -> bytes:
    """A HEPv2 packet (Kamailio ``sipcapture`` layout, little-endian time header)."""
    addrs = ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed
    head = struct.pack("!BBBBHH", 2, 16, 2, 17, sport, dport) + addrs
    return head + struct.pack("<IIHxx", int(when.timestamp()), when.microsecond, 2001) + payload


def write_capture(
    path: Path, packets: Sequence[Packet], *, kind: str = "ether", pcapng: bool = False
) -> Path:
    """Write ``packets`` (link-layer frames) to ``path`` with text2pcap."""
    lines = []
    for packet in packets:
        lines.append(packet.time.strftime("%Y-%m-%dT%H:%M:%S.%f"))
        data = packet.data
        for offset in range(0, len(data), 16):
            hexes = " ".join(f"{b:02x}" for b in data[offset : offset + 16])
            lines.append(f"{offset:06x} {hexes}")
        lines.append("")
    dump = path.with_suffix(".hex")
    dump.write_text("\n".join(lines) + "\n")
    command = ["text2pcap", "-q", "-t", "%Y-%m-%dT%H:%M:%S.%f", "-l", str(_LINKTYPES[kind])]
    command += ["-F", "pcapng" if pcapng else "pcap", str(dump), str(path)]
    subprocess.run(command, check=True, env={**os.environ, "TZ": "UTC"}, capture_output=True)
    return path


def tshark_fields(
    path: Path, fields: Sequence[str], *, decode_as: Sequence[str] = ()
) -> list[tuple[str, ...]]:
    """Run ``tshark -T fields`` over ``path``; one tuple per frame that has the first field."""
    command = [
        "tshark",
        "-n",
        "-r",
        str(path),
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "separator=\t",
    ]
    command += ["-E", "aggregator=\x1f", "-Y", fields[0]]
    for rule in decode_as:
        command += ["-d", rule]
    for field in fields:
        command += ["-e", field]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return [tuple(line.split("\t")) for line in result.stdout.splitlines() if line]
