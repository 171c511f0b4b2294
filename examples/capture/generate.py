"""Regenerate the bundled multi-hop capture set (needs text2pcap from Wireshark).

A fictitious robocall campaign, with the providers of ``examples/directory.toml``:
a foreign carrier (Globex, GB) hands calls with spoofed Chicago numbers to the
gateway Harbor Gateway LLC (OCN 991G), which signs them with attestation C and
origid ``globex-ingress-3``; they travel through Midwest Transit (992T) and
Prairie Wholesale (993W) to Lakeside Telephone (994L), which captured the calls
its subscribers complained about. Prairie also signs two ordinary calls of its own
customers (attestation A). Each of the three downstream providers captured its
ingress, as its own file:

* ``lakeside.pcap``: Lakeside's SBC, UDP from Prairie (every call);
* ``prairie.pcapng``: Prairie's ingress from Midwest, UDP (the campaign calls);
* ``midwest.pcap``: Midwest's ingress from Harbor, UDP (the campaign calls).

Calls cross B2BUAs, so Call-IDs and Vias change at every hop; the signed
PASSporT travels unchanged and links the hops. ``trust.pem`` is the STI-CA root,
``certs/`` holds the x5u chains by URL file name (offline verification).

Run from the repository root: ``python examples/capture/generate.py``.
Deterministic: the same packets every time.
"""

from __future__ import annotations

import os
import struct
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shakentrace.testing import StiCA, build_invite, forward_invite

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
LAKESIDE_SBC, PRAIRIE_IN, MIDWEST_IN = "192.0.2.1", "198.51.100.21", "198.51.100.31"
PRAIRIE, MIDWEST, HARBOR = "198.51.100.20", "198.51.100.30", "203.0.113.40"
SUBSCRIBERS = ["13125550143", "13125550178", "13125550122", "13125550199", "13125550111"]


def _checksum(data: bytes) -> int:
    data += b"\0" * (len(data) % 2)
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(src: str, dst: str, payload: bytes, ident: int) -> bytes:
    """Ethernet / IPv4 / UDP 5060 -> 5060 carrying one SIP message."""
    a, b = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload
    pseudo = a + b + struct.pack("!BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack("!H", _checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64, 17, 0, a, b)
    head = head[:10] + struct.pack("!H", _checksum(head)) + head[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + head + udp


def _write(name: str, packets: list[tuple[datetime, bytes]], *, pcapng: bool = False) -> None:
    """Hex-dump the frames and let text2pcap write the capture."""
    lines = []
    for when, frame in packets:
        lines.append(when.strftime("%Y-%m-%dT%H:%M:%S.%f"))
        lines += [f"{o:06x} {frame[o : o + 16].hex(' ')}" for o in range(0, len(frame), 16)]
        lines.append("")
    with tempfile.NamedTemporaryFile("w", suffix=".hex", delete=False) as dump:
        dump.write("\n".join(lines) + "\n")
    command = [
        "text2pcap",
        "-q",
        "-t",
        "%Y-%m-%dT%H:%M:%S.%f",
        "-F",
        "pcapng" if pcapng else "pcap",
    ]
    subprocess.run(
        [*command, dump.name, str(HERE / name)], check=True, env={**os.environ, "TZ": "UTC"}
    )
    os.unlink(dump.name)


def main() -> None:
    """Write the captures, the trust anchor and the certificate folder."""
    ca = StiCA(seed=994, now=T0)
    harbor = ca.issue_cert(
        spc="991G", organization="Harbor Gateway LLC", x5u="https://sti.harbor-gw.example/991G.pem"
    )
    prairie = ca.issue_cert(
        spc="993W",
        organization="Prairie Wholesale Voice",
        x5u="https://certs.prairie.example/993W.pem",
    )
    lakeside, prairie_cap, midwest_cap = [], [], []
    for n in range(8):
        iat = T0 + timedelta(minutes=3 * n)
        dest = SUBSCRIBERS[n % len(SUBSCRIBERS)]
        if n in (2, 5):  # ordinary calls from Prairie's own customers
            orig = f"1402555{n:04d}"
            identity = prairie.identity_header(
                orig=orig, dest=dest, attest="A", origid=f"prairie-cust-{n}", iat=iat
            )
            invite = build_invite(
                identity=identity,
                orig=orig,
                dest=dest,
                via=(f"{PRAIRIE}:5060",),
                call_id=f"pw-{n}@prairie.example",
            )
        else:  # the campaign: neighbour-spoofed 312-555 numbers from Globex, gatewayed by Harbor
            orig = f"1312555{(n * 37) % 10000:04d}"
            identity = harbor.identity_header(
                orig=orig, dest=dest, attest="C", origid="globex-ingress-3", iat=iat
            )
            first = build_invite(
                identity=identity,
                orig=orig,
                dest=dest,
                via=(f"{HARBOR}:5060",),
                call_id=f"hg-{n}@harbor-gw.example",
            )
            midwest_cap.append(
                (iat + timedelta(milliseconds=40), _frame(HARBOR, MIDWEST_IN, first, n))
            )
            second = forward_invite(first, by=f"{MIDWEST}:5060")
            prairie_cap.append(
                (iat + timedelta(milliseconds=90), _frame(MIDWEST, PRAIRIE_IN, second, n))
            )
            invite = forward_invite(second, by=f"{PRAIRIE}:5060")
        lakeside.append(
            (iat + timedelta(milliseconds=150), _frame(PRAIRIE, LAKESIDE_SBC, invite, n))
        )
    _write("lakeside.pcap", lakeside)
    _write("prairie.pcapng", prairie_cap, pcapng=True)
    _write("midwest.pcap", midwest_cap)
    (HERE / "trust.pem").write_bytes(ca.trust_pem)
    (HERE / "certs").mkdir(exist_ok=True)
    for cert in (harbor, prairie):
        (HERE / "certs" / cert.x5u.rsplit("/", 1)[1]).write_bytes(bytes(cert.chain_pem))
    print(f"wrote {len(lakeside)} + {len(prairie_cap)} + {len(midwest_cap)} INVITEs to {HERE}")


if __name__ == "__main__":
    main()
