"""Raw INVITE to Outcome, with a cached certificate, against two references, same run.

* floor: cryptography's ECDSA P-256 verify of the same signatures (DER prepared in
  advance), the cost no ES256 verifier can go below;
* libsecsipid: Debian's ``libsecsipid1`` (Go, asipto/secsipidx),
  ``SecSIPIDCheckFullPubKey(identity, len, expire, pubkey, len)`` through ctypes
  on the same Identity values: header parameters, JWT decode, ``iat`` age, ES256;
* bare minimum: the least work any CPython verifier of a raw INVITE does on top of
  the floor (:func:`_bare_minimum`). It is not a verifier and checks far less than
  shakentrace; it shows which part of the gap to the floor is CPython's own.

shakentrace does more per call: it parses the SIP message, reads From, To,
each P-Asserted-Identity, the Request-URI and the Date header, judges the
certificate chain at ``iat`` (the TrustStore keeps a chain's verdict for the
interval it holds), compares orig/dest with each of those headers and builds a
full Outcome. Every call carries its own numbers, and every round gets a fresh
verifier (warmed on one other call), so no per-call result is reused, not even
across rounds; what repeats across calls in real traffic is reused as it would
be there (the signer's JWS header, the Date text, the chain verdict). Single
process, single core. Run from the repository root::

    python benchmarks/verify.py            # 2000 calls, best of 5 rounds
    python benchmarks/verify.py -n 200 --rounds 1 --json
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import re
import sys
import time
from base64 import urlsafe_b64decode
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from shakentrace import StaticFetcher, TrustStore, Verifier, decode_passport
from shakentrace._jose import b64url_decode
from shakentrace.sip import parse_sip
from shakentrace.testing import StiCA, build_invite


def _calls(count: int, now: datetime) -> tuple[Any, list[bytes], list[str]]:
    ca = StiCA(seed="bench", now=now)
    cert = ca.issue_cert(spc="1234")
    invites, identities = [], []
    for n in range(count):
        orig, dest = f"1215555{n % 10000:04d}", f"1202555{(n * 7) % 10000:04d}"
        identity = cert.identity_header(orig=orig, dest=dest, iat=now)
        identities.append(identity)
        invites.append(build_invite(identity=[identity], orig=orig, dest=dest, date=now))
    return (ca, cert), invites, identities


def _floor_inputs(identities: Sequence[str]) -> list[tuple[bytes, bytes]]:
    out = []
    for value in identities:
        head, payload, signature = value.split(";", 1)[0].split(".")
        raw = b64url_decode(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
        out.append((der, f"{head}.{payload}".encode()))
    return out


_TN = re.compile(rb"[:<]\+?(\d+)@")


def _header(raw: bytes, name: bytes) -> bytes:
    """The value of the first ``\r\nName:`` line (exact case, no folding, no compact form)."""
    start = raw.index(b"\r\n" + name + b":") + len(name) + 3
    return raw[start : raw.index(b"\r\n", start)].strip()


@dataclass(frozen=True, slots=True)
class _Bare:
    ok: bool
    attest: str
    origid: str
    orig: str
    dest: tuple[str, ...]
    iat: int
    x5u: str


@lru_cache
def _jws_header(segment: str) -> Any:
    return orjson.loads(urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _bare_minimum(raw: bytes, public: ec.EllipticCurvePublicKey, now: int) -> _Bare:
    """The least a CPython verifier of a raw INVITE does beyond the ECDSA verify.

    ``bytes.index`` for From, To and Identity (full names in the usual case only,
    no folding: a regular expression over the head cost 15 µs more), the token
    split, lenient base64url, orjson, the JWS header decoded once per signer, R‖S
    to DER, the verify, orig/dest against From/To, the ``iat`` age, one frozen
    record. No P-Asserted-Identity, Request-URI or Date, no chain, no strict
    decoding, no reasons: not a verifier, a lower bound for one in Python.
    """
    head, payload, signature = _header(raw, b"Identity").split(b";", 1)[0].decode().split(".")
    raw_signature = urlsafe_b64decode(signature + "==")
    r, s = int.from_bytes(raw_signature[:32]), int.from_bytes(raw_signature[32:])
    public.verify(encode_dss_signature(r, s), f"{head}.{payload}".encode(), _ALGORITHM)
    claims = orjson.loads(urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    orig, dest = claims["orig"]["tn"], tuple(claims["dest"]["tn"])
    from_tn, to_tn = (_TN.search(_header(raw, name))[1].decode() for name in (b"From", b"To"))
    ok = from_tn == orig and to_tn in dest and abs(now - claims["iat"]) <= 60
    x5u = _jws_header(head)["x5u"]
    return _Bare(
        ok=ok,
        attest=claims["attest"],
        origid=claims["origid"],
        orig=orig,
        dest=dest,
        iat=claims["iat"],
        x5u=x5u,
    )


_ALGORITHM = ec.ECDSA(hashes.SHA256())


def _interleaved(
    rounds: int, count: int, phases: dict[str, Callable[[], Callable[[], None]]]
) -> dict[str, float]:
    """Best calls per second of each phase; the phases take turns in every round.

    Each phase is a factory: it is called outside the timing, and the function it
    returns is timed. Taking turns keeps a shared machine's load swings from
    favouring one phase.
    """
    best = dict.fromkeys(phases, float("inf"))
    for _ in range(rounds):
        for name, prepare in phases.items():
            phase = prepare()
            start = time.perf_counter()
            phase()
            best[name] = min(best[name], time.perf_counter() - start)
    return {f"{name}_per_s": count / seconds for name, seconds in best.items()}


def _libsecsipid() -> Any | None:
    name = ctypes.util.find_library("secsipid") or "libsecsipid.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    fn = lib.SecSIPIDCheckFullPubKey
    fn.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def run(count: int, rounds: int) -> dict[str, Any]:
    """Measure the three paths on the same ``count`` calls; return the figures."""
    now = datetime.now(UTC).replace(microsecond=0)
    (ca, cert), invites, identities = _calls(count + 1, now)
    warm, invites, identities = invites[-1], invites[:-1], identities[:-1]

    def fresh() -> Verifier:
        """A verifier with the certificate and chain verdict cached, and none of the calls.

        Every round gets its own, so no round reuses what an earlier one decoded.
        """
        verifier = Verifier(
            trust=TrustStore.from_pem(ca.trust_pem),
            fetcher=StaticFetcher({cert.x5u: bytes(cert.chain_pem)}),
        )
        assert verifier.verify(warm, now=now).ok, "setup: the warm-up call must verify"
        return verifier

    assert all(fresh().verify(raw, now=now).ok for raw in invites[:50]), "setup: calls verify"
    public = cert.private_key.public_key()
    floor_inputs = _floor_inputs(identities)
    algorithm = ec.ECDSA(hashes.SHA256())

    def floor() -> None:
        for der, data in floor_inputs:
            public.verify(der, data, algorithm)

    def shakentrace() -> Callable[[], None]:
        verifier = fresh()
        return lambda: [verifier.verify(raw, now=now) for raw in invites] and None

    def identity_only() -> Callable[[], None]:
        verifier = fresh()
        return lambda: [verifier.verify_identity(v, now=now) for v in identities] and None

    stamp = int(now.timestamp())
    assert all(_bare_minimum(raw, public, stamp).ok for raw in invites[:50]), "setup: bare"

    def bare() -> Callable[[], None]:
        _jws_header.cache_clear()
        return lambda: [_bare_minimum(raw, public, stamp) for raw in invites] and None

    tokens = [v.split(";", 1)[0] for v in identities]
    phases: dict[str, Callable[[], Callable[[], None]]] = {
        "floor": lambda: floor,
        "shakentrace": shakentrace,
        "bare": bare,
        # Where the time goes: the SIP parse alone, the Identity value alone, decoding.
        "parse_sip": lambda: lambda: [parse_sip(raw) for raw in invites] and None,
        "identity_only": identity_only,
        "decode_only": lambda: lambda: [decode_passport(t) for t in tokens] and None,
    }
    check = _libsecsipid()
    if check is not None:
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        values = [v.encode() for v in identities]
        assert all(check(v, len(v), 3600, pem, len(pem)) == 0 for v in values[:50]), "libsecsipid"

        def secsipid() -> None:
            for value in values:
                check(value, len(value), 3600, pem, len(pem))

        phases["libsecsipid"] = lambda: secsipid
    return {
        "calls": count,
        "rounds": rounds,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        **_interleaved(rounds, count, phases),
    }


def report(figures: dict[str, Any]) -> str:
    """Render the figures and ratios as text."""
    floor, ours = figures["floor_per_s"], figures["shakentrace_per_s"]
    bare = figures["bare_per_s"]
    lines = [
        f"{figures['calls']} calls, best of {figures['rounds']} interleaved rounds, Python"
        f" {figures['python']}, {figures['cpus']} CPUs, load average {figures['load_average']:.1f}",
        f"  cryptography ECDSA verify (floor): {floor:9.0f}/s  {1e6 / floor:7.1f} µs",
        f"  shakentrace raw INVITE -> Outcome: {ours:9.0f}/s  {1e6 / ours:7.1f} µs",
        f"  bare minimum in CPython:           {bare:9.0f}/s  {1e6 / bare:7.1f} µs"
        f"  ({floor / bare:.2f}x the floor)",
        f"  shakentrace time / floor time: {floor / ours:.2f}x (target ≤ 1.25x)",
        "  where the time goes (per call):",
        f"    parse_sip alone                 {1e6 / figures['parse_sip_per_s']:7.1f} µs",
        f"    Identity value alone -> Outcome {1e6 / figures['identity_only_per_s']:7.1f} µs",
        f"    decode_passport alone           {1e6 / figures['decode_only_per_s']:7.1f} µs",
    ]
    secsipid = figures.get("libsecsipid_per_s")
    if secsipid:
        lines.insert(
            3,
            f"  libsecsipid CheckFullPubKey:       {secsipid:9.0f}/s  {1e6 / secsipid:7.1f} µs",
        )
        lines.append(
            f"  shakentrace throughput / libsecsipid: {ours / secsipid:.2f}x (target ≥ 1x)"
        )
    else:
        lines.append("  libsecsipid not found (apt-get install libsecsipid1)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-n", "--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.calls, args.rounds)
    print(json.dumps(figures, indent=1) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
