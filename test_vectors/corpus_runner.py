"""Run conformance corpus cases through shakentrace.Verifier and compare with expectations.

Used by tests/test_corpus_verifier.py and test_vectors/run_corpus.py. The runner
plays the network: each x5u URL is first checked against the x5u URL policy
(shakentrace's ``FetchPolicy``, ATIS-1000074 §5.3.1), then answered from the
case's ``certificates`` map.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509

from shakentrace.errors import FetchError

CORPUS = Path(__file__).resolve().parent / "corpus"


def load_cases(root: Path = CORPUS) -> list[dict[str, Any]]:
    """Return the cases of ``root/manifest.json``."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = manifest["cases"]
    return cases


def _policy_check(url: str) -> None:
    """Refuse ``url`` as shakentrace's HTTPS fetcher would, before any fetch."""
    import importlib

    names: dict[str, Any] = {}
    for module_name in ("shakentrace._https", "shakentrace.fetch"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in ("FetchPolicy", "check_url", "check_address"):
            names.setdefault(name, getattr(module, name, None))
    policy_type, check_url = names.get("FetchPolicy"), names.get("check_url")
    check_address = names.get("check_address")
    if policy_type is None or check_url is None:
        return
    policy = policy_type()
    check_url(url, policy)
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    if check_address is not None:
        check_address(host, policy)


class CorpusFetcher:
    """A Fetcher answering from a case's ``certificates`` map, after the URL policy."""

    def __init__(self, case: dict[str, Any], root: Path = CORPUS) -> None:
        self.case = case
        self.root = root

    def fetch(self, url: str) -> bytes:
        """Return the body the case says ``url`` serves, or raise its fetch error."""
        _policy_check(url)
        entry = self.case["certificates"].get(url)
        if entry is None:
            raise FetchError(f"{url}: not served in this case", code="cert-unavailable")
        if isinstance(entry, dict):
            raise FetchError(f"{url}: {entry.get('detail', '')}", code=entry["error"])
        body = (self.root / entry).read_bytes()
        if b"-----BEGIN CERTIFICATE-----" not in body:
            raise FetchError(f"{url}: the body is not a PEM certificate", code="cert-unavailable")
        return body


def make_verifier(case: dict[str, Any], root: Path = CORPUS) -> Any:
    """Build a shakentrace.Verifier for ``case`` (trust anchors, CRLs, fetcher, policy)."""
    from shakentrace.verify import Verifier

    from shakentrace.trust import TrustStore

    roots = [x509.load_pem_x509_certificate((root / f).read_bytes()) for f in case["trust_anchors"]]
    crls = [x509.load_pem_x509_crl((root / f).read_bytes()) for f in case.get("crls", [])]
    trust = TrustStore(roots, crls=crls) if roots else None
    return Verifier(trust=trust, fetcher=CorpusFetcher(case, root))


def run_case(case: dict[str, Any], root: Path = CORPUS) -> dict[str, Any]:
    """Verify ``case`` with shakentrace and return the outcome as JSON-safe data."""
    verifier = make_verifier(case, root)
    now = datetime.fromisoformat(case["now"].replace("Z", "+00:00"))
    if case["input"]["type"] == "sip":
        outcome = verifier.verify((root / case["input"]["file"]).read_bytes(), now=now)
    else:
        outcome = verifier.verify_identity(case["input"]["value"], now=now)
    result: dict[str, Any] = outcome.to_dict()
    return result


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expected field the outcome does not meet."""

    field: str
    expected: Any
    actual: Any

    def __str__(self) -> str:
        return f"{self.field}: expected {self.expected!r}, got {self.actual!r}"


def _codes(result: dict[str, Any], severity: str) -> set[str]:
    return {r["code"] for r in result.get("reasons", []) if r.get("severity") == severity}


def compare(expected: dict[str, Any], result: dict[str, Any]) -> Iterator[Mismatch]:
    """Yield every way ``result`` (an ``Outcome.to_dict()``) misses ``expected``."""
    for key in ("status", "verstat", "sip_code", "attestation", "origid"):
        if key in expected and expected[key] != result.get(key):
            yield Mismatch(key, expected[key], result.get(key))
    errors, warnings = _codes(result, "error"), _codes(result, "warning")
    if "errors" in expected and set(expected["errors"]) != errors:
        yield Mismatch("errors", sorted(expected["errors"]), sorted(errors))
    missing = set(expected.get("errors_include", ())) - errors
    if missing:
        yield Mismatch("errors_include", sorted(missing), sorted(errors))
    missing = set(expected.get("warnings_include", ())) - warnings
    if missing:
        yield Mismatch("warnings_include", sorted(missing), sorted(warnings))
