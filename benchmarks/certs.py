"""The certificate path per verification: cold (fetch + validate + cache fill) and warm.

* cold: a fresh :class:`~shakentrace.fetch.CachingFetcher` and
  :class:`~shakentrace.trust.TrustStore` per call, so each call does an HTTPS
  fetch of the x5u from a real server on 127.0.0.1 (TCP + TLS handshake + GET,
  policy and address checks), loads the chain, validates the path with
  cryptography under the STI profile, lints the leaf and fills both caches;
* warm: one fetcher and one store for all calls — a cache hit, chain loading, and
  the time-dependent checks on the cached path (what a busy verifier pays).

Same-run references (floors): a bare ``http.client`` HTTPS GET of the same URL
(no policy, no checks), and cryptography's ``PolicyBuilder`` path validation
alone. Single process; run from the repository root::

    python benchmarks/certs.py               # 200 cold, 5000 warm, best of 3 rounds
    python benchmarks/certs.py -n 50 --rounds 1 --json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from cryptography.x509 import verification

from shakentrace import CachingFetcher, HttpsFetcher, TrustStore, load_chain
from shakentrace.testing import CertServer, StiCA, cert_server

NOW = datetime.now(UTC).replace(microsecond=0)


def _best(rounds: int, count: int, one: Callable[[], object]) -> float:
    """Best per-call time in microseconds over ``rounds`` runs of ``count`` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(count):
            one()
        best = min(best, (time.perf_counter() - started) / count)
    return best * 1e6


def _https(server: CertServer) -> HttpsFetcher:
    return HttpsFetcher(server.policy(), resolver=server.resolver, ssl_context=server.ssl_context)


def _bare_get(server: CertServer) -> bytes:
    conn = http.client.HTTPSConnection(server.hostname, server.port, context=server.ssl_context)
    # Same pinned address as shakentrace's fetcher, without any policy.
    conn.sock = server.ssl_context.wrap_socket(
        socket.create_connection(("127.0.0.1", server.port)), server_hostname=server.hostname
    )
    try:
        conn.request("GET", "/chain.pem")
        return conn.getresponse().read()
    finally:
        conn.close()


def measure(cold: int, warm: int, rounds: int) -> dict[str, Any]:
    """Run every case and return the figures (microseconds per call)."""
    ca = StiCA(seed="bench-certs", now=NOW)
    cert = ca.issue_cert(spc="1234")
    with cert_server(cert.chain_pem.data) as server:
        url = server.url("/chain.pem")

        def cold_call() -> object:
            fetcher = CachingFetcher(_https(server))
            store = TrustStore([ca.root_cert])
            return store.verify_chain(load_chain(fetcher.fetch(url)), at=NOW)

        warm_fetcher = CachingFetcher(_https(server))
        warm_store = TrustStore([ca.root_cert])

        def warm_call() -> object:
            chain = load_chain(warm_fetcher.fetch(url))
            return warm_store.verify_chain(chain, at=NOW)

        assert warm_call().trusted  # type: ignore[attr-defined]
        chain = load_chain(cert.chain_pem.data)
        builder = (
            verification.PolicyBuilder()
            .store(verification.Store([ca.root_cert]))
            .time(NOW)
            .extension_policies(
                ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(),
                ee_policy=verification.ExtensionPolicy.permit_all(),
            )
        )

        def floor_validate() -> object:
            return builder.build_client_verifier().verify(chain[0], list(chain[1:]))

        fetch = _https(server)
        figures = {
            "cold_us": _best(rounds, cold, cold_call),
            "cold_fetch_only_us": _best(rounds, cold, lambda: fetch.fetch(url)),
            "floor_bare_https_get_us": _best(rounds, cold, lambda: _bare_get(server)),
            "cold_validate_only_us": _best(
                rounds, cold, lambda: TrustStore([ca.root_cert]).verify_chain(chain, at=NOW)
            ),
            "floor_cryptography_validate_us": _best(rounds, cold, floor_validate),
            "warm_us": _best(rounds, warm, warm_call),
        }
    figures.update(
        cold_calls=cold,
        warm_calls=warm,
        rounds=rounds,
        python=platform.python_version(),
        machine=platform.machine(),
        cpus=os.cpu_count(),
    )
    return figures


def report(f: dict[str, Any]) -> str:
    """Format the figures for a terminal."""
    rows = [
        ("cold: HTTPS fetch + chain validation + cache fill", f["cold_us"]),
        ("  of which: shakentrace HTTPS fetch (policy checks)", f["cold_fetch_only_us"]),
        ("  floor: bare http.client HTTPS GET", f["floor_bare_https_get_us"]),
        ("  of which: TrustStore.verify_chain, uncached", f["cold_validate_only_us"]),
        ("  floor: cryptography path validation alone", f["floor_cryptography_validate_us"]),
        ("warm: cache hit + load_chain + cached verify_chain", f["warm_us"]),
    ]
    lines = [f"{label:<56} {value:10.1f} µs/call" for label, value in rows]
    lines.append(f"cold / warm = {f['cold_us'] / f['warm_us']:.0f}x")
    lines.append(
        f"python {f['python']} on {f['machine']} ({f['cpus']} CPUs); "
        f"{f['cold_calls']} cold, {f['warm_calls']} warm calls, best of {f['rounds']}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("-n", type=int, default=200, help="cold calls per round")
    parser.add_argument("--warm", type=int, default=5000, help="warm calls per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.n, args.warm, args.rounds)
    print(json.dumps(figures, indent=1) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
