"""Verify a batch of captured INVITEs on several processes with ``verify_many``.

A worker that drains a queue of captured INVITEs hands them over in batches;
``verify_many`` spreads a batch over processes and keeps its order. Each process
builds its own Verifier from files (the trust anchors and a folder of chains
collected earlier), so the factory must pickle: a module-level function, bound
to its arguments with ``functools.partial``. Run from the repository root:
``python examples/verify_batch.py``.
"""

from __future__ import annotations

import functools
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from shakentrace import DirectoryFetcher, TrustStore, Verifier, verify_many
from shakentrace.testing import MUTATIONS, StiCA, build_invite

CAPTURED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
SIGNERS = ("991G", "992T", "993W")


def build_verifier(roots: Path, certs: Path) -> Verifier:
    """Build the verifier of one worker process (offline: chains from ``certs``)."""
    return Verifier(trust=TrustStore.from_pem(roots.read_bytes()), fetcher=DirectoryFetcher(certs))


def captured_calls(work: Path) -> list[tuple[bytes, datetime]]:
    """Ten calls from each signer, the last one tampered with, and when each was captured.

    Their chains are kept in ``work``, as a folder of chains collected earlier.
    """
    ca = StiCA(seed="batch", now=CAPTURED)
    (work / "roots.pem").write_bytes(ca.trust_pem)
    (work / "certs").mkdir()
    calls = []
    for spc in SIGNERS:
        cert = ca.issue_cert(spc=spc)
        (work / "certs" / quote(cert.x5u, safe="")).write_bytes(bytes(cert.chain_pem))
        for n in range(10):
            signed = CAPTURED + timedelta(minutes=len(calls))  # one call a minute
            identity = cert.identity_header(orig=f"131255500{n:02d}", iat=signed)
            if n == 9:
                identity = MUTATIONS["tamper-attest"].apply(cert, identity)
            raw = build_invite(identity=identity, orig=f"131255500{n:02d}", date=signed)
            calls.append((raw, signed + timedelta(milliseconds=40)))
    return calls


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="shakentrace-batch-"))
    calls = captured_calls(work)
    factory = functools.partial(build_verifier, work / "roots.pem", work / "certs")
    # Each call judged when it was captured: one moment for all would find most stale.
    invites, captured = [raw for raw, _ in calls], [when for _, when in calls]
    outcomes = verify_many(invites, factory, times=captured, workers=2)
    tally = Counter(
        (o.signer.spc if o.signer else None, o.status, o.reasons[0].code if o.reasons else "-")
        for o in outcomes
    )
    for (spc, status, code), count in sorted(tally.items(), key=str):
        print(f"{spc}  {status:8} {code:14} {count}")


if __name__ == "__main__":  # worker processes may import this file again
    main()
