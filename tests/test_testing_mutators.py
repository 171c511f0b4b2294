"""shakentrace.testing mutators: each breaks exactly what it claims."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace._jose import b64url_decode, verify_es256
from shakentrace.reasons import REASON_CODES
from shakentrace.testing import MUTATIONS, StiCA, StiCert, canonical_json, split_token

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cert() -> StiCert:
    return StiCA(seed="mutators", now=NOW).issue_cert(spc="1234")


@pytest.fixture(scope="module")
def good(cert: StiCert) -> str:
    return cert.identity_header(orig="12155551212", dest="12155551213", attest="A")


def _token(identity: str) -> str:
    return identity.split(";", 1)[0]


def _sig_ok(cert: StiCert, identity: str) -> bool:
    head, payload, sig = _token(identity).split(".")
    key = cert.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    try:
        signature = b64url_decode(sig)
    except ValueError:
        return False
    return verify_es256(key, f"{head}.{payload}".encode(), signature)


def _claims(identity: str) -> dict[str, object]:
    return split_token(_token(identity))[1]


def _header(identity: str) -> dict[str, object]:
    return split_token(_token(identity))[0]


def _missing(claim: str) -> Callable[[StiCert, str, str], bool]:
    return lambda c, g, b: claim not in _claims(b) and _sig_ok(c, b)


IAT = int(NOW.timestamp())
CHECKS: dict[str, Callable[[StiCert, str, str], bool]] = {
    "tamper-attest": lambda c, g, b: _claims(b)["attest"] == "B" and not _sig_ok(c, b),
    "tamper-orig": lambda c, g, b: _claims(b)["orig"] != _claims(g)["orig"] and not _sig_ok(c, b),
    "wrong-key": lambda c, g, b: _claims(b) == _claims(g) and not _sig_ok(c, b),
    "stale-iat": lambda c, g, b: _claims(b)["iat"] == IAT - 3600 and _sig_ok(c, b),
    "future-iat": lambda c, g, b: _claims(b)["iat"] == IAT + 3600 and _sig_ok(c, b),
    "noncanonical-json": lambda c, g, b: (
        b64url_decode(_token(b).split(".")[1]) != canonical_json(_claims(b)) and _sig_ok(c, b)
    ),
    "padded-base64": lambda c, g, b: _token(b).endswith("==") and "=" not in _token(g),
    "der-signature": lambda c, g, b: len(b64url_decode(_token(b).split(".")[2])) > 64,
    "alg-none": lambda c, g, b: _header(b)["alg"] == "none" and _token(b).endswith("."),
    "alg-hs256": lambda c, g, b: _header(b)["alg"] == "HS256",
    "embedded-jwk": lambda c, g, b: "jwk" in _header(b) and not _sig_ok(c, b),
    "info-mismatch": lambda c, g, b: c.x5u not in b.split(";", 1)[1] and _sig_ok(c, b),
    "alg-param": lambda c, g, b: ";alg=ES384" in b,
    "missing-info": lambda c, g, b: "info=" not in b,
    "missing-attest": _missing("attest"),
    "missing-origid": _missing("origid"),
    "missing-orig": _missing("orig"),
    "missing-dest": _missing("dest"),
    "missing-iat": _missing("iat"),
    "missing-x5u": lambda c, g, b: "x5u" not in _header(b) and _sig_ok(c, b),
    "bad-attest": lambda c, g, b: _claims(b)["attest"] == "W" and _sig_ok(c, b),
    "string-iat": lambda c, g, b: _claims(b)["iat"] == str(IAT) and _sig_ok(c, b),
    "crit-header": lambda c, g, b: _header(b)["crit"] == ["foo"] and _sig_ok(c, b),
}


def test_every_mutation_is_checked_and_names_a_registered_reason() -> None:
    assert set(CHECKS) == set(MUTATIONS)
    for mutation in MUTATIONS.values():
        assert mutation.reason in REASON_CODES, mutation.name


def test_the_good_value_is_good(cert: StiCert, good: str) -> None:
    assert _sig_ok(cert, good)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_breaks_what_it_claims(cert: StiCert, good: str, name: str) -> None:
    bad = MUTATIONS[name].apply(cert, good)
    assert bad != good
    assert CHECKS[name](cert, good, bad)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutations_are_deterministic_for_a_seeded_ca(cert: StiCert, good: str, name: str) -> None:
    assert MUTATIONS[name].apply(cert, good) == MUTATIONS[name].apply(cert, good)
