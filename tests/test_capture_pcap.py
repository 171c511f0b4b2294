"""Captures written by Wireshark's text2pcap and read by both tshark and shakentrace.

Each test builds frames (UDP, TCP segments, IP fragments, VLAN tags, cooked
captures, HEP), lets text2pcap write the file, and checks that the SIP messages
and Identity values shakentrace extracts are the ones tshark extracts.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pcaptools import (
    Packet,
    hep2,
    hep3,
    ip_frames,
    link,
    need_tools,
    tcp,
    tshark_fields,
    udp,
    write_capture,
)
from shakentrace.capture import CapturedMessage, open_capture
from shakentrace.testing import StiCA, build_invite

pytestmark = pytest.mark.interop
T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
A, B = "192.0.2.10", "198.51.100.20"
A6, B6 = "2001:db8::10", "2001:db8:1::20"


@pytest.fixture(scope="module")
def invites() -> list[bytes]:
    """Five signed INVITEs with distinct Call-IDs (each ~1.5 kB with SDP)."""
    ca = StiCA(seed=7)
    cert = ca.issue_cert(spc="1234")
    return [
        build_invite(
            identity=cert.identity_header(
                orig=f"1215555{n:04d}", dest="12155551213", iat=T0, origid=f"id-{n}"
            ),
            orig=f"1215555{n:04d}",
            call_id=f"call-{n}@example",
        )
        for n in range(5)
    ]


def _read(path: Path) -> list[CapturedMessage]:
    with open_capture(path) as capture:
        return list(capture)


def _ours(messages: list[CapturedMessage]) -> list[tuple[str, str]]:
    pairs = []
    for item in messages:
        text = item.data.decode()
        call_id = re.search(r"(?im)^(?:call-id|i)\s*:\s*(.*?)\s*$", text)
        identities = re.findall(r"(?im)^(?:identity|y)\s*:\s*(.*?)\s*$", text)
        pairs.append((call_id.group(1) if call_id else "", "\x1f".join(identities)))
    return pairs


def _theirs(path: Path, *decode_as: str) -> list[tuple[str, str]]:
    """Per SIP message (a frame may carry several; each test message has one Identity)."""
    rows = tshark_fields(path, ("sip.Call-ID", "sip.Identity"), decode_as=decode_as)
    pairs: list[tuple[str, str]] = []
    for row in rows:
        call_ids, identities = row[0].split("\x1f"), (row[1] if len(row) > 1 else "").split("\x1f")
        if len(call_ids) == 1:
            pairs.append((call_ids[0], "\x1f".join(identities)))
        else:
            pairs += zip(call_ids, identities, strict=True)
    return pairs


def _udp_packets(
    messages: list[bytes], src: str, dst: str, *, mtu: int = 65535, **kw: object
) -> Iterator[Packet]:
    for n, message in enumerate(messages):
        for ip in ip_frames(src, dst, 17, udp(src, dst, 5060, 5062, message), mtu=mtu, ident=n + 1):
            yield Packet(data=link(ip, **kw), time=T0 + timedelta(milliseconds=n))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("src", "dst", "kind", "vlans", "pcapng"),
    [
        (A, B, "ether", (), False),
        (A6, B6, "ether", (), True),
        (A, B, "ether", (100,), True),
        (A6, B6, "ether", (200, 300), False),
        (A, B, "sll", (), False),
        (A6, B6, "sll2", (), True),
        (A, B, "raw", (), False),
    ],
)
def test_udp_matches_tshark(
    tmp_path: Path,
    invites: list[bytes],
    src: str,
    dst: str,
    kind: str,
    vlans: tuple[int, ...],
    pcapng: bool,
) -> None:
    need_tools()
    packets = list(_udp_packets(invites, src, dst, kind=kind, vlans=vlans))
    path = write_capture(tmp_path / "udp.pcap", packets, kind=kind, pcapng=pcapng)
    ours = _read(path)
    assert _ours(ours) == _theirs(path, "udp.port==5062,sip")
    assert [m.data for m in ours] == invites
    first = ours[0]
    assert (first.src and first.src.address, first.src and first.src.port) == (src, 5060)
    assert first.dst is not None
    assert first.dst.port == 5062
    assert first.time == T0
    assert first.transport == "udp"
    assert first.frame == 1


@pytest.mark.parametrize(("src", "dst"), [(A, B), (A6, B6)])
def test_ip_fragments_reassembled_like_tshark(
    tmp_path: Path, invites: list[bytes], src: str, dst: str
) -> None:
    need_tools()
    packets = list(_udp_packets(invites, src, dst, mtu=576))
    assert len(packets) > 2 * len(invites)
    path = write_capture(tmp_path / "frag.pcapng", packets, pcapng=True)
    ours = _read(path)
    assert [m.data for m in ours] == invites
    assert _ours(ours) == _theirs(path, "udp.port==5062,sip")


def _ipv6_fragments_with_options(message: bytes, ident: int) -> list[bytes]:
    """``message`` in UDP over IPv6 fragments of 512 octets, as RFC 8200 §4.5 lays them out.

    Each fragment: hop-by-hop options (unfragmentable), the fragment header, then a
    piece of destination options + UDP (fragmentable: in the first piece only).
    """
    addrs = ipaddress.ip_address(A6).packed + ipaddress.ip_address(B6).packed
    options = b"\x01\x04\0\0\0\0"  # a PadN option filling the 8 octets
    fragmentable = bytes([17, 0]) + options + udp(A6, B6, 5060, 5062, message)
    packets = []
    for offset in range(0, len(fragmentable), 512):
        more = offset + 512 < len(fragmentable)
        fragment = struct.pack("!BBHI", 60, 0, offset | more, ident)
        payload = bytes([44, 0]) + options + fragment + fragmentable[offset : offset + 512]
        packets.append(struct.pack("!IHBB", 6 << 28, len(payload), 0, 64) + addrs + payload)
    return packets


def test_ipv6_extension_headers_around_fragment_header_like_tshark(
    tmp_path: Path, invites: list[bytes]
) -> None:
    need_tools()
    frames = [
        link(packet, vlans=(100,))
        for n, message in enumerate(invites)
        for packet in _ipv6_fragments_with_options(message, ident=n + 1)
    ]
    packets = [Packet(data=f, time=T0 + timedelta(milliseconds=n)) for n, f in enumerate(frames)]
    path = write_capture(tmp_path / "frag6.pcapng", packets, pcapng=True)
    ours = _read(path)
    assert [m.data for m in ours] == invites
    assert _ours(ours) == _theirs(path, "udp.port==5062,sip")
    assert ours[0].src is not None
    assert str(ours[0].src) == f"[{A6}]:5060"


def _tcp_stream(messages: list[bytes], *, size: int, seq: int = 1000) -> list[tuple[int, bytes]]:
    stream = b"".join(messages)
    return [(seq + off, stream[off : off + size]) for off in range(0, len(stream), size)]


def _tcp_packets(chunks: list[tuple[int, bytes]], src: str = A, dst: str = B) -> list[Packet]:
    return [
        Packet(
            data=link(ip_frames(src, dst, 6, tcp(src, dst, 40000, 5060, data, seq=seq))[0]),
            time=T0 + timedelta(milliseconds=n),
        )
        for n, (seq, data) in enumerate(chunks)
    ]


@pytest.mark.parametrize("size", [300, 1000, 4000])
def test_tcp_segmented_and_coalesced_match_tshark(
    tmp_path: Path, invites: list[bytes], size: int
) -> None:
    """One message over several segments, and several messages in one segment."""
    need_tools()
    syn = Packet(
        data=link(ip_frames(A, B, 6, tcp(A, B, 40000, 5060, b"", seq=999, flags=0x02))[0]), time=T0
    )
    path = write_capture(
        tmp_path / "tcp.pcap", [syn, *_tcp_packets(_tcp_stream(invites, size=size))]
    )
    ours = _read(path)
    assert [m.data for m in ours] == invites
    assert _ours(ours) == _theirs(path)
    assert {m.transport for m in ours} == {"tcp"}


def test_tcp_out_of_order_and_retransmitted(tmp_path: Path, invites: list[bytes]) -> None:
    need_tools()
    chunks = _tcp_stream(invites, size=700)
    chunks[2], chunks[3] = chunks[3], chunks[2]
    chunks.insert(5, chunks[4])  # a retransmission
    chunks.insert(7, (chunks[6][0] - 100, chunks[5][1][-100:] + chunks[6][1]))  # overlap
    path = write_capture(tmp_path / "ooo.pcapng", _tcp_packets(chunks), pcapng=True)
    with open_capture(path) as capture:
        ours = list(capture)
    assert [m.data for m in ours] == invites
    assert capture.stats.malformed == 0


def test_tcp_mid_stream_start_resynchronises(tmp_path: Path, invites: list[bytes]) -> None:
    need_tools()
    chunks = _tcp_stream(invites, size=500)[1:]  # the capture missed the first segment
    path = write_capture(tmp_path / "mid.pcap", _tcp_packets(chunks))
    with open_capture(path) as capture:
        ours = list(capture)
    assert [m.data for m in ours] == invites[1:]
    assert capture.stats.problems.get("unframed", 0) >= 1


def test_hep_v2_and_v3_in_udp(tmp_path: Path, invites: list[bytes]) -> None:
    """The inner message with the agent's addresses and time; tshark sees the same SIP bytes."""
    need_tools()
    when = datetime(2026, 2, 1, 8, 30, 1, 250000, tzinfo=UTC)
    wrapped = [
        hep3(invites[0], src=A6, dst=B6, sport=5080, dport=5090, when=when),
        hep2(invites[1], src=A, dst=B, sport=5070, dport=5060, when=when),
        hep3(invites[2], src=A, dst=B, sport=5061, dport=5062, when=when, proto=6),
    ]
    agent = "203.0.113.9"
    packets = [
        Packet(data=link(ip_frames(agent, B, 17, udp(agent, B, 9000, 9060, w))[0]), time=T0)
        for w in wrapped
    ]
    path = write_capture(tmp_path / "hep.pcap", packets)
    ours = _read(path)
    assert [m.data for m in ours] == invites[:3]
    assert [m.hep for m in ours] == [3, 2, 3]
    assert [str(m.src) for m in ours] == [f"[{A6}]:5080", f"{A}:5070", f"{A}:5061"]
    assert [m.transport for m in ours] == ["udp", "udp", "tcp"]
    assert all(m.time == when for m in ours)
    # tshark 4.0 has no HEP dissector: it must still see the same SIP octets in the UDP payload.
    rows = tshark_fields(path, ("udp.payload",))
    for (payload,), message in zip(rows, invites, strict=False):
        assert message.hex() in payload.replace(":", "")


def test_loopback_capture_by_dumpcap(tmp_path: Path, invites: list[bytes]) -> None:
    """dumpcap captures real UDP and TCP traffic this test sends over 127.0.0.1."""
    from loopback import capture_loopback

    path = tmp_path / "lo.pcapng"
    ports = capture_loopback(path, invites)
    ours = _read(path)
    assert sorted(m.data for m in ours) == sorted(invites + invites)
    theirs = _theirs(path, f"udp.port=={ports.udp},sip", f"tcp.port=={ports.tcp},sip")
    assert sorted(_ours(ours)) == sorted(theirs)
    assert {m.transport for m in ours} == {"udp", "tcp"}


@pytest.mark.parametrize("size", [100, 700, 5000])
def test_hep3_over_tcp(tmp_path: Path, invites: list[bytes], size: int) -> None:
    """A capture agent's TCP stream to Homer: HEPv3 packets cut by their own length."""
    need_tools()
    when = datetime(2026, 2, 1, 8, 30, 1, 250000, tzinfo=UTC)
    wrapped = [
        hep3(m, src=A, dst=B, sport=5060 + n, dport=5060, when=when)
        for n, m in enumerate(invites[:3])
    ]
    agent = "203.0.113.9"
    path = write_capture(
        tmp_path / "hep-tcp.pcap", _tcp_packets(_tcp_stream(wrapped, size=size), src=agent)
    )
    with open_capture(path) as capture:
        ours = list(capture)
    assert [m.data for m in ours] == invites[:3]
    assert [(m.hep, m.transport, str(m.src)) for m in ours] == [
        (3, "udp", f"{A}:{5060 + n}") for n in range(3)
    ]
    assert all(m.time == when for m in ours)
    assert not capture.stats.problems


def test_hep3_over_tcp_mid_stream_resynchronises(tmp_path: Path, invites: list[bytes]) -> None:
    need_tools()
    when = datetime(2026, 2, 1, 8, 30, 1, tzinfo=UTC)
    wrapped = [hep3(m, src=A, dst=B, sport=5060, dport=5060, when=when) for m in invites[:3]]
    chunks = _tcp_stream(wrapped, size=300)[1:]  # the capture missed the first segment
    path = write_capture(tmp_path / "hep-mid.pcap", _tcp_packets(chunks))
    with open_capture(path) as capture:
        ours = list(capture)
    assert [m.data for m in ours] == invites[1:3]
    assert capture.stats.problems.get("unframed", 0) >= 1
