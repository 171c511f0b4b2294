"""HEP (Homer Encapsulation Protocol) v1/v2/v3 decoding: pure, no I/O.

A capture agent (Kamailio/OpenSIPS ``sipcapture``, heplify, captagent) wraps each
SIP message it sees in a HEP packet, usually sent over UDP to port 9060, with the
original addresses, ports and capture time. HEPv3 (HEP3_rev12) is a sequence of
chunks ``vendor(2) type(2) length(2) value``, all in network byte order, after a
``"HEP3" total-length(2)`` header. HEPv1/v2 is a fixed header (family, protocol,
ports, addresses) followed in v2 by a time header in the agent's byte order
(little-endian in practice).
"""

from __future__ import annotations

import socket
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["HepPacket", "HepProblem", "decode_hep", "looks_like_hep"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_AF_INET, _AF_INET6 = 2, 10
_TRANSPORTS = {17: "udp", 6: "tcp", 132: "sctp"}
_SIP = 1  # HEP3 protocol type 0x000b: 1 = SIP


class HepProblem(ValueError):
    """A HEP packet that cannot be decoded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HepPacket:
    """The message a HEP packet carried, with the agent's view of where and when."""

    version: int
    payload: bytes
    is_sip: bool
    transport: str
    src: tuple[str, int] | None
    dst: tuple[str, int] | None
    time: datetime | None


def looks_like_hep(data: bytes) -> bool:
    """Whether a UDP payload is a HEP packet (v3 magic, or a consistent v1/v2 header)."""
    if data[:4] in (b"HEP3", b"EEP3"):
        return True
    if len(data) < 16 or data[0] not in (1, 2):
        return False
    return (data[2], data[1]) in ((_AF_INET, 16), (_AF_INET6, 40)) and data[3] in _TRANSPORTS


def decode_hep(data: bytes, *, max_payload: int) -> HepPacket:
    """Decode one HEP packet; raises :class:`HepProblem` if it is malformed."""
    try:
        if data[:4] in (b"HEP3", b"EEP3"):
            return _decode_v3(data, max_payload)
        return _decode_v2(data)
    except (struct.error, IndexError, OSError, ValueError, zlib.error) as exc:
        raise HepProblem(str(exc) or type(exc).__name__) from exc


def _decode_v2(data: bytes) -> HepPacket:
    version, length, family, proto, sport, dport = struct.unpack_from("!BBBBHH", data)
    size = 4 if family == _AF_INET else 16
    af = socket.AF_INET if family == _AF_INET else socket.AF_INET6
    src = socket.inet_ntop(af, data[8 : 8 + size])
    dst = socket.inet_ntop(af, data[8 + size : 8 + 2 * size])
    offset, stamp = length, None
    if version == 2:  # struct hep_timehdr {u32 sec; u32 usec; u16 captid} padded to 12
        sec, usec = struct.unpack_from("<II", data, offset)
        stamp, offset = _EPOCH + timedelta(seconds=sec, microseconds=usec), offset + 12
    if offset > len(data):
        raise HepProblem("HEPv2 header longer than the packet")
    return HepPacket(
        version=version,
        payload=data[offset:],
        is_sip=True,
        transport=_TRANSPORTS.get(proto, "udp"),
        src=(src, sport),
        dst=(dst, dport),
        time=stamp,
    )


def _chunks(data: bytes) -> dict[int, bytes]:
    (total,) = struct.unpack_from("!H", data, 4)
    if total > len(data) or total < 6:
        raise HepProblem(f"HEP3 length {total} but {len(data)} octets")
    chunks: dict[int, bytes] = {}
    pos = 6
    while pos + 6 <= total:
        vendor, kind, length = struct.unpack_from("!HHH", data, pos)
        if length < 6 or pos + length > total:
            raise HepProblem(f"HEP3 chunk {kind} has bad length {length}")
        if vendor == 0:  # generic chunks; vendor chunks are not ours to read
            chunks.setdefault(kind, data[pos + 6 : pos + length])
        pos += length
    return chunks


def _address(chunks: dict[int, bytes], v4: int, v6: int, port: int) -> tuple[str, int] | None:
    if v4 in chunks:
        host = socket.inet_ntop(socket.AF_INET, chunks[v4])
    elif v6 in chunks:
        host = socket.inet_ntop(socket.AF_INET6, chunks[v6])
    else:
        return None
    return host, struct.unpack("!H", chunks[port])[0] if port in chunks else 0


def _payload(chunks: dict[int, bytes], max_payload: int) -> bytes:
    if 0x000F in chunks:
        return chunks[0x000F]
    if 0x0010 in chunks:  # zlib-compressed payload, bounded (a max_length of 0 is none)
        payload = zlib.decompressobj().decompress(chunks[0x0010], max_payload + 1)
        if len(payload) > max_payload:
            raise HepProblem("HEP3 compressed payload too large")
        return payload
    raise HepProblem("HEP3 packet without payload")


def _decode_v3(data: bytes, max_payload: int) -> HepPacket:
    chunks = _chunks(data)
    stamp = None
    if 0x0009 in chunks:
        (sec,) = struct.unpack("!I", chunks[0x0009])
        usec = struct.unpack("!I", chunks[0x000A])[0] if 0x000A in chunks else 0
        stamp = _EPOCH + timedelta(seconds=sec, microseconds=usec)
    proto = chunks.get(0x0002, b"\x11")
    return HepPacket(
        version=3,
        payload=_payload(chunks, max_payload),
        is_sip=chunks.get(0x000B, b"\x01") == bytes([_SIP]),
        transport=_TRANSPORTS.get(proto[0] if proto else 17, "udp"),
        src=_address(chunks, 0x0003, 0x0005, 0x0007),
        dst=_address(chunks, 0x0004, 0x0006, 0x0008),
        time=stamp,
    )
