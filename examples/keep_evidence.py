"""Keep the x5u chain a call was verified with, as served, and verify again offline.

A real HTTPS certificate repository runs on 127.0.0.1 (``shakentrace.testing``);
the call is verified with the chain fetched from it, through a
``RecordingFetcher`` that keeps the chain and logs the fetch (URL, time,
SHA-256). Then the repository is gone, and the kept folder alone gives the same
verdict. Run from the repository root: ``python examples/keep_evidence.py``.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from shakentrace import (
    DirectoryFetcher,
    HttpsFetcher,
    RecordingFetcher,
    TrustStore,
    Verifier,
)
from shakentrace.evidence import LOG_NAME
from shakentrace.testing import StiCA, build_invite, cert_server, format_identity

when = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
ca = StiCA(seed="evidence", now=when)
cert = ca.issue_cert(spc="991G", organization="Harbor Gateway LLC")
trust = TrustStore.from_pem(ca.trust_pem)
kept = Path(tempfile.mkdtemp(prefix="shakentrace-evidence-"))

with cert_server(bytes(cert.chain_pem)) as repository:
    url = repository.url("/chain.pem")
    identity = format_identity(cert.sign_passport(x5u=url, iat=when), info=url)
    invite = build_invite(identity=identity, date=when)
    https = HttpsFetcher(
        repository.policy(), resolver=repository.resolver, ssl_context=repository.ssl_context
    )
    online = Verifier(trust=trust, fetcher=RecordingFetcher(https, kept))
    outcome = online.verify(invite, now=when)
    signer = outcome.signer
    assert signer is not None
    print("online: ", outcome.status, "signed by SPC", signer.spc, signer.organization)

for line in (kept / LOG_NAME).read_text().splitlines():
    record = json.loads(line)
    print("kept:   ", record["url"], record["fetched_at"], "sha256", record["sha256"][:16] + "…")

offline = Verifier(trust=trust, fetcher=DirectoryFetcher(kept))
print("offline:", offline.verify(invite, now=when).status, "(the repository is gone)")
