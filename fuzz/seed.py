"""Write the seed corpora to fuzz/corpus/<target>/ (not kept in git) from the repository's data.

Run from the repository root: ``python fuzz/seed.py``.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "fuzz")]

from pcaptools import hep3, ip_frames, link, tcp, udp  # noqa: E402
from shakentrace.testing import StiCA, build_invite  # noqa: E402

CORPUS = ROOT / "fuzz" / "corpus"
VECTORS = ROOT / "test_vectors"


def _write(target: str, seeds: Iterable[bytes]) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        (folder / hashlib.sha1(seed).hexdigest()).write_bytes(seed)


def _files(*patterns: str) -> list[bytes]:
    return [p.read_bytes() for pattern in patterns for p in sorted(VECTORS.glob(pattern))]


def _pcap(frames: Iterable[bytes], linktype: int = 1) -> bytes:
    head = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    records = (
        struct.pack("<IIII", 1772366400, i, len(f), len(f)) + f for i, f in enumerate(frames)
    )
    return head + b"".join(records)


def _pcapng(frames: Iterable[bytes]) -> bytes:
    def block(kind: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        return struct.pack("<II", kind, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", 1, 0, 65535))
    for frame in frames:
        out += block(6, struct.pack("<IIIII", 0, 0, 0, len(frame), len(frame)) + frame)
    return out


def captures(invite: bytes) -> list[bytes]:
    a, b = "192.0.2.1", "192.0.2.2"
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    over_udp = [link(p) for p in ip_frames(a, b, 17, udp(a, b, 5060, 5060, invite))]
    fragmented = [link(p) for p in ip_frames(a, b, 17, udp(a, b, 5060, 5060, invite), mtu=576)]
    half = len(invite) // 2
    over_tcp = [
        link(p)
        for seq, piece in ((1, invite[:half]), (1 + half, invite[half:]))
        for p in ip_frames(a, b, 6, tcp(a, b, 5060, 5060, piece, seq=seq))
    ]
    heps = [
        link(p)
        for p in ip_frames(
            a,
            b,
            17,
            udp(a, b, 9060, 9060, hep3(invite, src=a, dst=b, sport=5060, dport=5060, when=when)),
        )
    ]
    six = [
        link(p)
        for p in ip_frames(
            "2001:db8::1", "2001:db8::2", 17, udp("2001:db8::1", "2001:db8::2", 5060, 5060, invite)
        )
    ]
    return [
        b"\0" + _pcap(over_udp),
        b"\0" + _pcap(fragmented),
        b"\0" + _pcap(over_tcp),
        b"\0" + _pcap(heps),
        b"\0" + _pcap(six),
        b"\0" + _pcapng(over_udp + over_tcp),
        b"\1" + invite + b"\n\n" + invite,
    ]


def main() -> None:
    import fuzz_verify

    ca = StiCA(seed=1)
    invite = build_invite(identity=ca.issue_cert().identity_header())
    sips = _files("sip/*.sip", "corpus/sip/*.sip", "rfc8224/*.sip")
    _write("sip", [*sips, invite])
    identities = _files("**/*identity*.txt", "**/*token*.txt", "rfc8225/*.txt")
    _write("identity", identities)
    _write(
        "uri_tn",
        [
            b"sip:+12155551212@example.com;user=phone",
            b"tel:+1-215-555-1212;phone-context=+1",
            b'"Alice" <sip:alice@[2001:db8::1]:5060;transport=tcp>;tag=x',
            b"+1 (215) 555-1212",
        ],
    )
    _write("verify", fuzz_verify.seeds().values())
    _write("capture", captures(invite))
    pems = _files("corpus/certs/*.pem", "corpus/trust/*.pem", "corpus/crl/*.pem", "bandwidth/*.pem")
    directory = (ROOT / "examples" / "directory.toml").read_bytes()
    _write(
        "loaders",
        [
            *(b"\0" + p for p in pems[:8]),
            *(b"\2" + p for p in pems),
            b"\3" + directory,
            b'\4{"providers": [{"name": "A", "ocns": ["1234"]}],'
            b' "peers": [{"provider": "A", "addresses": ["192.0.2.0/24"]}]}',
            b"\5OCN,Org Name,CN,Cert\r\n1234,Acme,SHAKEN 1234,x\r\n",
        ],
    )


if __name__ == "__main__":
    main()
