"""Walk one robocall back through five providers, from the terminating provider to the origin.

A dialer abroad (Globex Telecom Ltd) sends calls with a spoofed U.S. caller ID to
Harbor Gateway LLC, the U.S. gateway, which signs them with attestation C (it
cannot vouch for the caller). Midwest Transit and Prairie Wholesale carry the call
on; Lakeside Telephone terminates it and starts the traceback. Each U.S. provider
answers with the INVITE it received; Globex never answers.

Every INVITE is real SIP signed with a real (test) STI certificate, verified by
shakentrace at the moment it was received, turned into a hop record with the
provider directory in examples/directory.toml, and the hops are linked into one
traceback. The report is printed, and the HTML version written next to it.

    python examples/traceback_five_hops.py
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from shakentrace import ProviderDirectory, StaticFetcher, TrustStore, Verifier, parse_sip
from shakentrace.linking import link
from shakentrace.report import to_html, to_text
from shakentrace.testing import StiCA, build_invite, forward_invite
from shakentrace.traceback import infer_hop

HERE = Path(__file__).resolve().parent
START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
SPOOFED, CALLED = "12155550147", "16085550199"

# The STI-CA and Harbor Gateway's certificate (SPC = its OCN, 991G).
ca = StiCA(seed="five-hops", now=START)
harbor_cert = ca.issue_cert(spc="991G", organization="Harbor Gateway LLC")
verifier = Verifier(
    trust=TrustStore.from_pem(ca.trust_pem),
    fetcher=StaticFetcher({harbor_cert.x5u: bytes(harbor_cert.chain_pem)}),
)
directory = ProviderDirectory.load(HERE / "directory.toml")

# 1. Globex -> Harbor: no Identity, spoofed caller ID.
at_harbor = build_invite(
    orig=SPOOFED,
    dest=CALLED,
    from_host="globex.example",
    to_host="harbor-gw.example",
    via=("203.0.113.130:5060",),
    date=START,
)
# 2. Harbor (B2BUA) -> Midwest: Harbor signs with C, as a gateway provider must.
identity = harbor_cert.identity_header(orig=SPOOFED, dest=CALLED, attest="C", iat=START)
at_midwest = build_invite(
    identity=identity,
    orig=SPOOFED,
    dest=CALLED,
    from_host="globex.example",
    to_host="midwest-transit.example",
    via=("203.0.113.40:5060",),
    date=START,
)
# 3. Midwest -> Prairie, 4. Prairie -> Lakeside (on trunk group PRAIRIE-01).
at_prairie = forward_invite(at_midwest, by="198.51.100.30:5060")
at_lakeside = forward_invite(at_prairie, by="198.51.100.20:5060").replace(
    f"INVITE sip:+{CALLED}@".encode(),
    f"INVITE sip:+{CALLED};tgrp=PRAIRIE-01;trunk-context=lakeside.example@".encode(),
)

# What each provider captured: (provider OCN or name, packet source, INVITE, received at).
captures = [
    ("994L", "198.51.100.20", at_lakeside, START + timedelta(milliseconds=450)),
    ("993W", "198.51.100.30", at_prairie, START + timedelta(milliseconds=300)),
    ("992T", "203.0.113.40", at_midwest, START + timedelta(milliseconds=150)),
    ("991G", "203.0.113.130", at_harbor, START),
]

hops = []
for provider, peer, raw, received_at in captures:
    message = parse_sip(raw)
    outcome = verifier.verify(message, now=received_at)
    hop = infer_hop(
        message, outcome, directory, provider=provider, peer=peer, received_at=received_at
    )
    hops.append(hop)
    print(f"{hop.provider:26} got it from {hop.upstream.name or '?':22} {outcome.status}")

trace = link(hops)
print()
print(to_text(trace))

report = Path(tempfile.gettempdir()) / "shakentrace-five-hops.html"
report.write_text(to_html(trace, title="Traceback: spoofed call via Harbor Gateway"), "utf-8")
print(f"HTML report: {report}")

assert trace.entry_point == "Harbor Gateway LLC"
assert trace.providers == (
    "Lakeside Telephone Co",
    "Prairie Wholesale Voice",
    "Midwest Transit Inc",
    "Harbor Gateway LLC",
)
assert [g.provider for g in trace.gaps] == ["Globex Telecom Ltd"]
