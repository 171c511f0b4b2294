"""The conformance corpus in test_vectors/corpus/: well-formed, reproducible, self-consistent.

When ``shakentrace.Verifier`` exists, every case also runs through it (see
test_corpus_verifier.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import VECTORS
from shakentrace import parse_sip
from shakentrace._jose import b64url_decode, verify_es256
from shakentrace.reasons import REASON_CODES

CORPUS = VECTORS / "corpus"
MANIFEST: dict[str, Any] = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
STATUSES = {"valid", "invalid", "no-identity"}
VERSTATS = {"TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"}


def identities(case: dict[str, Any]) -> list[str]:
    """The Identity values of a case's input (unfolding continuation lines)."""
    if case["input"]["type"] == "identity":
        return [case["input"]["value"]]
    raw = (CORPUS / case["input"]["file"]).read_bytes().split(b"\r\n\r\n", 1)[0].decode()
    raw = raw.replace("\r\n ", " ").replace("\r\n\t", " ")
    out = []
    for line in raw.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() in ("identity", "y"):
            out.append(value.strip())
    return out


def test_manifest_has_enough_unique_cases() -> None:
    assert MANIFEST["format"] == 1
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 150


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_is_well_formed(case: dict[str, Any]) -> None:
    assert {"id", "title", "source", "input", "certificates", "trust_anchors", "now", "expected",
            "normative"} <= case.keys()  # fmt: skip
    files = [case["input"].get("file"), *case["trust_anchors"], *case.get("crls", [])]
    files += [v for v in case["certificates"].values() if isinstance(v, str)]
    for name in filter(None, files):
        assert (CORPUS / name).is_file(), name
    for entry in case["certificates"].values():
        if isinstance(entry, dict):
            assert entry["error"] in ("cert-unavailable", "x5u-forbidden")
    expected = case["expected"]
    assert expected["status"] in STATUSES
    assert expected.get("verstat", "TN-Validation-Passed") in VERSTATS
    codes = [*expected.get("errors", []), *expected.get("errors_include", [])]
    codes += [*expected.get("warnings_include", [])]
    assert all(code in REASON_CODES for code in codes), codes
    if expected["status"] == "valid":
        assert expected.get("errors", []) == []
    else:
        assert expected.get("errors") or "errors_include" in expected


def _leaf(case: dict[str, Any], identity: str) -> x509.Certificate:
    header = json.loads(b64url_decode(identity.split(";")[0].strip().split(".")[0]))
    served = CORPUS / case["certificates"][header["x5u"]]
    chain = x509.load_pem_x509_certificates(served.read_bytes())
    root = x509.load_pem_x509_certificate((CORPUS / case["trust_anchors"][0]).read_bytes())
    for child, parent in zip(chain, [*chain[1:], root], strict=True):
        child.verify_directly_issued_by(parent)
    return chain[0]


VALID = [c for c in CASES if c["expected"]["status"] == "valid"]


@pytest.mark.parametrize("case", VALID, ids=[c["id"] for c in VALID])
def test_valid_cases_verify_with_plain_es256(case: dict[str, Any]) -> None:
    # The independent check: the first (SHAKEN) Identity verifies with the leaf key
    # served at its x5u, and the chain leads to the case's trust anchor.
    identity = identities(case)[0]
    head, payload, signature = identity.split(";")[0].strip().split(".")
    key = _leaf(case, identity).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert verify_es256(key, f"{head}.{payload}".encode(), b64url_decode(signature))


def test_corpus_is_reproducible() -> None:
    generator = VECTORS / "generate.py"
    out = subprocess.run(
        [sys.executable, str(generator), "--check"], capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr


SIP_CASES = [c for c in CASES if c["input"]["type"] == "sip"]


@pytest.mark.parametrize("case", SIP_CASES, ids=[c["id"] for c in SIP_CASES])
def test_every_corpus_invite_parses(case: dict[str, Any]) -> None:
    message = parse_sip((CORPUS / case["input"]["file"]).read_bytes())
    assert message.method == "INVITE"
    values = identities(case)
    if all(values) and not any("," in v for v in values):  # empty and comma-split values aside
        assert len(message.identities) == len(values)
