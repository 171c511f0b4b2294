"""The dpkt adapter: pcap/pcapng records, link layers, IPv4/IPv6, UDP and TCP.

The only module that imports dpkt. dpkt's header classes decode each structure
but IPv6, whose extension headers are walked here (RFC 8200 §4); the record
loops are ours so that every read is bounded (a corrupt ``caplen`` must not
allocate gigabytes), a truncated file ends cleanly, and pcapng files with
several interfaces of different link types read correctly. Every dpkt or
struct exception is mapped here onto a counted problem or a :class:`CaptureError`.
"""

from __future__ import annotations

import functools
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import dpkt

from shakentrace._framing import Tally
from shakentrace.errors import CaptureError

__all__ = ["Fragment", "Frame", "Segment", "decode_frame", "decode_transport", "read_frames"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# AttributeError: dpkt 1.9.8's IPv6 decoder (still reached for IPv6 inside IPv4 or
# MPLS pseudowires) reads ``frag_off`` off whatever extension header follows a
# fragment header.
_DECODE_ERRORS = (
    dpkt.UnpackError,
    struct.error,
    ValueError,
    IndexError,
    TypeError,
    KeyError,
    AttributeError,
)
_PCAP_MAGICS = {
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
    b"\xa1\xb2\xcd\x34": (">", 1_000_000),  # Kuznetzov's modified pcap
    b"\x34\xcd\xb2\xa1": ("<", 1_000_000),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
# LINKTYPE_* values (tcpdump.org/linktypes.html) and the platform DLT_RAW aliases.
_NULL, _ETHERNET, _RAW, _LOOP, _SLL, _SLL2, _IPV4, _IPV6 = 0, 1, 101, 108, 113, 276, 228, 229
_RAW_ALIASES = frozenset({_RAW, 12, 14, _IPV4, _IPV6})
# Interfaces kept per pcapng section: a file of nothing but interface blocks
# must not grow memory with its size.
_MAX_INTERFACES = 4096


def is_pcap_magic(head: bytes) -> bool:
    """Whether ``head`` starts a pcap (any byte order or precision) or pcapng file."""
    return head[:4] in _PCAP_MAGICS or head[:4] == PCAPNG_MAGIC


@dataclass(frozen=True, slots=True)
class Frame:
    """One captured packet: its 1-based number, time, link type and bytes."""

    number: int
    time: datetime | None
    linktype: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Segment:
    """A transport-layer unit: UDP datagram or TCP segment with its addresses."""

    proto: str
    src: tuple[str, int]
    dst: tuple[str, int]
    payload: bytes
    seq: int = 0
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Fragment:
    """One IPv4 or IPv6 fragment, to be put back together before decoding."""

    key: tuple[object, ...]
    proto: int
    src: str
    dst: str
    offset: int
    more: bool
    data: bytes


def _read(f: BinaryIO, size: int, tally: Tally, what: str) -> bytes | None:
    data = f.read(size)
    if len(data) < size:
        if data or what != "record header":
            tally.truncated = True
            tally.warn(f"capture truncated in a {what}; stopped reading")
        return None
    return data


def _time(seconds: int, fraction: int, per_second: int) -> datetime | None:
    try:
        micros = fraction * 1_000_000 // per_second
        return _EPOCH + timedelta(seconds=seconds, microseconds=micros)
    except OverflowError:
        return None


class _Clock:
    """:func:`_time` for a run of records, most of them in the same second as the last."""

    __slots__ = ("base", "per_second", "seconds")

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self.seconds: int | None = None
        self.base: datetime | None = None

    def time(self, seconds: int, fraction: int) -> datetime | None:
        if fraction >= self.per_second:
            return _time(seconds, fraction, self.per_second)
        if seconds != self.seconds:
            self.seconds, self.base = seconds, _time(seconds, 0, self.per_second)
        base = self.base
        micros = fraction * 1_000_000 // self.per_second
        return None if base is None else base.replace(microsecond=micros)


def _pcap_frames(f: BinaryIO, tally: Tally, max_packet: int) -> Iterator[Frame]:
    head = f.read(24)
    if len(head) < 24 or head[:4] not in _PCAP_MAGICS:
        raise CaptureError("not a pcap file (bad or short file header)")
    order, per_second = _PCAP_MAGICS[head[:4]]
    header = dpkt.pcap.LEFileHdr(head) if order == "<" else dpkt.pcap.FileHdr(head)
    size = dpkt.pcap.MAGIC_TO_PKT_HDR[int.from_bytes(head[:4], "big")].__hdr_len__
    record = struct.Struct(order + "III")  # tv_sec, tv_usec (or nsec), caplen
    clock, linktype, number = _Clock(per_second), header.linktype, 0
    while (raw := _read(f, size, tally, "record header")) is not None:
        seconds, fraction, caplen = record.unpack_from(raw)
        if caplen > max_packet:
            tally.truncated = True
            tally.warn(f"record {number + 1} claims {caplen} octets; stopped reading")
            return
        data = _read(f, caplen, tally, "packet")
        if data is None:
            return
        number += 1
        yield Frame(number, clock.time(seconds, fraction), linktype, data)


@dataclass(slots=True)
class _Interface:
    linktype: int
    per_second: int = 1_000_000
    offset: int = 0


def _interface(block: Any, le: bool) -> _Interface:
    iface = _Interface(block.linktype)
    for opt in block.opts:
        if opt.code == dpkt.pcapng.PCAPNG_OPT_IF_TSRESOL and opt.data:
            value = opt.data[0]  # MSB set: negative power of two, else of ten
            iface.per_second = 2 ** (value & 0x7F) if value & 0x80 else 10 ** (value & 0x7F)
        elif opt.code == dpkt.pcapng.PCAPNG_OPT_IF_TSOFFSET and len(opt.data) == 8:
            iface.offset = int.from_bytes(opt.data, "little" if le else "big", signed=True)
    return iface


def _pcapng_blocks(f: BinaryIO, tally: Tally, max_packet: int) -> Iterator[tuple[str, bytes]]:
    order = "<"
    first = True
    while (raw := _read(f, 8, tally, "record header")) is not None:
        if raw[:4] == PCAPNG_MAGIC:  # a new section: its byte-order magic follows
            bom = f.read(4)
            order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            raw += bom
        elif first:
            raise CaptureError("not a pcapng file (no section header block)")
        first = False
        (length,) = struct.unpack(order + "I", raw[4:8])
        if length < len(raw) + 4 or length % 4 or length > max_packet + 1024:
            tally.truncated = True
            tally.warn(f"pcapng block of length {length} is corrupt; stopped reading")
            return
        rest = _read(f, length - len(raw), tally, "block")
        if rest is None:
            return
        yield order, raw + rest
    if first:
        raise CaptureError("not a pcapng file (empty)")


def _pcapng_frames(f: BinaryIO, tally: Tally, max_packet: int) -> Iterator[Frame]:
    interfaces: list[_Interface] = []
    number = 0
    for order, block in _pcapng_blocks(f, tally, max_packet):
        (kind,) = struct.unpack(order + "I", block[:4])
        le = order == "<"
        try:
            if kind == dpkt.pcapng.PCAPNG_BT_SHB:
                interfaces = []
            elif kind == dpkt.pcapng.PCAPNG_BT_IDB and len(interfaces) >= _MAX_INTERFACES:
                tally.problem("bad-block", f"more than {_MAX_INTERFACES} interfaces in a section")
            elif kind == dpkt.pcapng.PCAPNG_BT_IDB:
                idb = dpkt.pcapng.InterfaceDescriptionBlockLE if le else _IDB
                interfaces.append(_interface(idb(block), le))
            elif kind == dpkt.pcapng.PCAPNG_BT_EPB:
                number += 1
                yield _epb_frame(number, block, le, interfaces)
            elif kind == dpkt.pcapng.PCAPNG_BT_SPB and interfaces:
                number += 1
                yield Frame(number, None, interfaces[0].linktype, block[12:-4])
        except _DECODE_ERRORS as exc:
            tally.problem("bad-block", f"pcapng block type {kind}: {type(exc).__name__}")


_IDB = dpkt.pcapng.InterfaceDescriptionBlock


def _epb_frame(number: int, block: bytes, le: bool, interfaces: list[_Interface]) -> Frame:
    epb = (dpkt.pcapng.EnhancedPacketBlockLE if le else dpkt.pcapng.EnhancedPacketBlock)(block)
    iface = interfaces[epb.iface_id]
    seconds, fraction = divmod((epb.ts_high << 32) | epb.ts_low, iface.per_second)
    stamp = _time(seconds + iface.offset, fraction, iface.per_second)
    return Frame(number, stamp, iface.linktype, bytes(epb.pkt_data))


def read_frames(f: BinaryIO, kind: str, tally: Tally, *, max_packet: int) -> Iterator[Frame]:
    """Packets of a pcap (``kind="pcap"``) or pcapng file, bounded and truncation-safe."""
    if kind == "pcapng":
        return _pcapng_frames(f, tally, max_packet)
    return _pcap_frames(f, tally, max_packet)


class _IPv6Packet(bytes):
    """An IPv6 packet left undecoded by the link layer: :func:`_ipv6` walks it, not dpkt.

    dpkt 1.9.8's IPv6 decoder reads ``frag_off`` off whatever extension header
    follows a fragment header, and decodes a later fragment as UDP or TCP when a
    hop-by-hop header comes first.
    """


def _without_ipv6_decoder(link: Any) -> Any:
    """A subclass of one of dpkt's link layers that keeps an IPv6 payload as bytes."""
    return type(link.__name__, (link,), {"_typesw": {**link._typesw, 0x86DD: _IPv6Packet}})


_LINKS = {
    _ETHERNET: _without_ipv6_decoder(dpkt.ethernet.Ethernet),  # VLAN tags, QinQ, MPLS
    _SLL: _without_ipv6_decoder(dpkt.sll.SLL),
    _SLL2: _without_ipv6_decoder(dpkt.sll2.SLL2),
}


def _ip(data: bytes) -> Any:
    """An IP packet by its version: dpkt's IPv4, our IPv6, ``None`` for neither."""
    version = data[0] >> 4 if data else 0
    return dpkt.ip.IP(data) if version == 4 else _IPv6Packet(data) if version == 6 else None


def _network(linktype: int, data: bytes) -> Any:
    """The IP layer of a frame (dpkt's IPv4 or an :class:`_IPv6Packet`); ``None`` if not IP."""
    if linktype in _RAW_ALIASES:
        return _ip(data)
    if linktype in (_NULL, _LOOP):  # a 4-octet address family in the host's byte order
        return _ip(data[4:]) if len(data) > 4 else None
    if linktype not in _LINKS:
        raise ValueError(f"link type {linktype} not supported")
    link = _LINKS[linktype](data)
    layer = link.data
    if isinstance(layer, (dpkt.ip.IP, _IPv6Packet)):
        return layer
    if getattr(link, "type", None) == 0x0800 or getattr(link, "ethtype", None) == 0x0800:
        raise ValueError("IP header does not decode")
    return None


def _addr(ip: Any) -> tuple[str, str]:
    return socket.inet_ntop(socket.AF_INET, ip.src), socket.inet_ntop(socket.AF_INET, ip.dst)


def _payload(layer: Any) -> bytes:
    return layer if isinstance(layer, bytes) else bytes(layer)


def _ipv4_fragment(ip: Any, src: str, dst: str) -> Fragment | None:
    if not (ip.mf or ip.offset):
        return None
    offset = ip.offset * 8  # RFC 791: in units of 8 octets
    return Fragment(
        (4, src, dst, ip.id, ip.p), ip.p, src, dst, offset, bool(ip.mf), _payload(ip.data)
    )


# IPv6 fixed header: payload length, next header, source, destination (RFC 8200 §3).
_IPV6_HEADER = struct.Struct("!4xHBx16s16s")
_IPV6_FRAGMENT = struct.Struct("!BxHI")  # next header, offset and M flag, identification
# Extension headers before a transport header: (length + a) x b octets, by type:
# hop-by-hop options, routing, destination options; authentication (RFC 4302).
_EXTENSION_SIZES = {0: (1, 8), 43: (1, 8), 60: (1, 8), 51: (2, 4)}
_FRAGMENT_HEADER = 44
# More extension headers than any packet needs: a chain of them ends here.
_MAX_EXTENSION_HEADERS = 16


def _skip_extension_headers(proto: int, payload: bytes) -> tuple[int, bytes]:
    """The protocol after the options and AH headers that open ``payload``, and its data."""
    for _ in range(_MAX_EXTENSION_HEADERS):
        sizing = _EXTENSION_SIZES.get(proto)
        if sizing is None:
            return proto, payload
        extra, unit = sizing
        if len(payload) < 8 or len(payload) < (size := (payload[1] + extra) * unit):
            raise ValueError(f"IPv6 extension header {proto} truncated")
        proto, payload = payload[0], payload[size:]
    raise ValueError(f"more than {_MAX_EXTENSION_HEADERS} IPv6 extension headers")


def _ipv6(packet: bytes) -> Segment | Fragment | None:
    """An IPv6 packet's UDP/TCP segment or fragment, its extension headers walked (RFC 8200)."""
    if len(packet) < _IPV6_HEADER.size:
        raise ValueError("IPv6 header truncated")
    length, proto, source, destination = _IPV6_HEADER.unpack_from(packet)
    src = socket.inet_ntop(socket.AF_INET6, source)
    dst = socket.inet_ntop(socket.AF_INET6, destination)
    body = packet[40 : 40 + length] if length else packet[40:]  # 0: a jumbogram, or TSO
    proto, body = _skip_extension_headers(proto, body)
    if proto != _FRAGMENT_HEADER:
        return decode_transport(proto, src, dst, body)
    if len(body) < _IPV6_FRAGMENT.size:
        raise ValueError("IPv6 fragment header truncated")
    inner, offset_more, ident = _IPV6_FRAGMENT.unpack_from(body)
    # The offset is in units of 8 octets, above two reserved bits and the M flag.
    data = body[_IPV6_FRAGMENT.size :]
    return Fragment(
        (6, src, dst, ident), inner, src, dst, offset_more & 0xFFF8, bool(offset_more & 1), data
    )


def _segment(proto: int, layer: Any, src: str, dst: str) -> Segment | None:
    if isinstance(layer, dpkt.udp.UDP):
        return Segment("udp", (src, layer.sport), (dst, layer.dport), _payload(layer.data))
    if isinstance(layer, dpkt.tcp.TCP):
        data = _payload(layer.data)
        return Segment("tcp", (src, layer.sport), (dst, layer.dport), data, layer.seq, layer.flags)
    if proto in (6, 17):
        raise ValueError("UDP/TCP header does not decode")
    return None


# Ethernet type; IPv4 version/IHL, total length, flags/fragment offset, TTL,
# protocol (then checksum and addresses, sliced apart); UDP ports.
_ETHER_IPV4_UDP = struct.Struct("!12xHBxH2xHBB10xHH4x")


@functools.lru_cache(maxsize=4096)  # bounded: a scan must not grow it
def _ipv4(packed: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET, packed)


def _udp4(data: bytes) -> Segment | None:
    """The common frame without dpkt: Ethernet II, IPv4 without options, whole UDP.

    ``None`` for anything else (dpkt then decodes it); the result is what the
    general path gives for the same frame.
    """
    if len(data) < 42:
        return None
    ethertype, ver_ihl, total, flags, _, proto, sport, dport = _ETHER_IPV4_UDP.unpack_from(data)
    if ethertype != 0x0800 or ver_ihl != 0x45 or proto != 17 or flags & 0x3FFF or total < 28:
        return None
    src, dst = _ipv4(data[26:30]), _ipv4(data[30:34])
    return Segment("udp", (src, sport), (dst, dport), data[42 : 14 + total])


def decode_frame(frame: Frame) -> Segment | Fragment | None:
    """The UDP/TCP segment or IP fragment in a frame; ``None`` if it carries neither.

    Raises:
        ValueError: The frame is malformed or of an unsupported link type.
    """
    if frame.linktype == _ETHERNET and (segment := _udp4(frame.data)) is not None:
        return segment
    return decode_with_dpkt(frame)


def decode_with_dpkt(frame: Frame) -> Segment | Fragment | None:
    """:func:`decode_frame` without its shortcut: every frame the general way."""
    try:
        ip = _network(frame.linktype, frame.data)
        if ip is None:
            return None
        if isinstance(ip, _IPv6Packet):
            return _ipv6(ip)
        src, dst = _addr(ip)
        return _ipv4_fragment(ip, src, dst) or _segment(ip.p, ip.data, src, dst)
    except _DECODE_ERRORS as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc


def decode_transport(proto: int, src: str, dst: str, payload: bytes) -> Segment | None:
    """Decode a (reassembled) IP payload as UDP or TCP (``ValueError`` if malformed).

    IPv6 extension headers before the transport header (options, routing, AH)
    are skipped; ``None`` for any other protocol (ESP: no SIP in the clear).
    """
    try:
        proto, payload = _skip_extension_headers(proto, payload)
        if proto == 17:
            return _segment(proto, dpkt.udp.UDP(payload), src, dst)
        if proto == 6:
            return _segment(proto, dpkt.tcp.TCP(payload), src, dst)
    except _DECODE_ERRORS as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc
    return None
