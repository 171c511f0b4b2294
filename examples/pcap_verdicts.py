"""Verify every INVITE of a bundled pcap as of its capture time, offline.

Run from the repository root: ``python examples/pcap_verdicts.py``.
"""

from __future__ import annotations

from pathlib import Path

from shakentrace import TrustStore, Verifier, open_capture, parse_sip
from shakentrace.fetch import DirectoryFetcher

HERE = Path(__file__).resolve().parent / "capture"

trust = TrustStore.from_pem((HERE / "trust.pem").read_bytes())
verifier = Verifier(trust=trust, fetcher=DirectoryFetcher(HERE / "certs"))
with open_capture(HERE / "lakeside.pcap") as capture:
    for item in capture:
        outcome = verifier.verify(parse_sip(item.data), now=item.time)
        print(item.frame, item.src, outcome.status, outcome.attestation, outcome.origid)
    print(capture.stats.to_dict())
