"""Mutators: turn a good Identity value into a specific bad one, for negative tests.

Each :class:`Mutation` names the reason code a verifier must report for it
(:data:`shakentrace.reasons.REASON_CODES`). Token-level helpers are public too.
The JWT attacks are those of RFC 8725 §2 that apply to PASSporTs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace._jose import b64url_encode
from shakentrace.testing._cert import StiCert
from shakentrace.testing._jws import PrivateKey, encode_jws, split_identity, split_token

__all__ = [
    "MUTATIONS",
    "Mutation",
    "alg_hs256",
    "alg_none",
    "der_signature",
    "embedded_jwk",
    "noncanonical_json",
    "pad_base64",
    "resign",
    "sign_with_wrong_key",
    "tamper_claim",
]

#: A private key nobody trusts, for "signed by someone else" cases.
_STRANGER = ec.derive_private_key(0x5EC5E1D5 * 7919, ec.SECP256R1())


def _segments(token: str) -> tuple[str, str, str]:
    head, payload, signature = token.split(".")
    return head, payload, signature


def tamper_claim(token: str, claim: str, value: Any) -> str:
    """Change (or with ``value=None`` remove) a claim after signing; keep the signature."""
    head, _, signature = _segments(token)
    claims = split_token(token)[1]
    if value is None:
        claims.pop(claim, None)
    else:
        claims[claim] = value
    payload = b64url_encode(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{head}.{payload}.{signature}"


def resign(
    token: str,
    key: PrivateKey | StiCert,
    *,
    header: Mapping[str, Any] | None = None,
    claims: Mapping[str, Any] | None = None,
) -> str:
    """Re-sign ``token`` after overlaying ``header``/``claims`` (a ``None`` value removes).

    ``key`` is a private key or a :class:`~shakentrace.testing.StiCert` (whose
    deterministic setting is then kept).
    """
    old_header, old_claims, _ = split_token(token)
    for target, extra in ((old_header, header), (old_claims, claims)):
        for name, value in (extra or {}).items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = value
    if isinstance(key, StiCert):
        return key.sign(old_header, old_claims)
    return encode_jws(old_header, old_claims, key, deterministic=True)


def sign_with_wrong_key(token: str, key: PrivateKey | None = None) -> str:
    """Re-sign ``token`` unchanged with a key that is not the certificate's."""
    return resign(token, key or _STRANGER)


def noncanonical_json(token: str, key: PrivateKey) -> str:
    """Re-sign ``token`` with JSON in reverse key order and with whitespace (RFC 8225 §9)."""
    header, claims, _ = split_token(token)

    def loose(value: Mapping[str, Any]) -> bytes:
        return json.dumps(dict(reversed(list(value.items()))), indent=1).encode()

    return encode_jws(loose(header), loose(claims), key, deterministic=True)


def pad_base64(token: str) -> str:
    """Add ``=`` padding to every segment that would need it (RFC 7515 §2 forbids it)."""
    return ".".join(s + "=" * (-len(s) % 4) for s in _segments(token))


def der_signature(token: str, key: ec.EllipticCurvePrivateKey) -> str:
    """Re-sign with a DER-encoded ECDSA signature instead of raw R‖S (old Asterisk bug)."""
    head, payload, _ = _segments(token)
    algorithm = ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    der = key.sign(f"{head}.{payload}".encode(), algorithm)
    return f"{head}.{payload}.{b64url_encode(der)}"


def alg_none(token: str) -> str:
    """Set the JWS ``alg`` to ``none`` and drop the signature (RFC 8725 §2.1)."""
    header, claims, _ = split_token(token)
    header["alg"] = "none"
    dump = json.dumps
    head = b64url_encode(dump(header, sort_keys=True, separators=(",", ":")).encode())
    body = b64url_encode(dump(claims, sort_keys=True, separators=(",", ":")).encode())
    return f"{head}.{body}."


def alg_hs256(token: str, secret: bytes) -> str:
    """Algorithm confusion (RFC 8725 §2.1): ``alg`` HS256, MACed with public ``secret`` bytes.

    Pass the certificate PEM as ``secret``: a verifier that lets the token pick
    the algorithm would accept it.
    """
    header, claims, _ = split_token(token)
    header["alg"] = "HS256"
    dump = json.dumps
    head = b64url_encode(dump(header, sort_keys=True, separators=(",", ":")).encode())
    body = b64url_encode(dump(claims, sort_keys=True, separators=(",", ":")).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url_encode(mac)}"


def embedded_jwk(token: str) -> str:
    """Sign with an attacker key and put that key in a ``jwk`` header (RFC 8725 §3.10).

    A verifier must take the key from the x5u certificate, never from the token.
    """
    numbers = _STRANGER.public_key().public_numbers()
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(numbers.x.to_bytes(32)),
        "y": b64url_encode(numbers.y.to_bytes(32)),
    }
    return resign(token, _STRANGER, header={"jwk": jwk})


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutation:
    """One way to break a good Identity header value.

    Attributes:
        name: Stable identifier, e.g. ``"tamper-claim"``.
        reason: The reason code a verifier must report.
        description: What is broken and which rule it breaks.
        apply: ``apply(cert, identity)`` returns the broken Identity value; ``cert``
            is the certificate that signed ``identity``.
    """

    name: str
    reason: str
    description: str
    apply: Callable[[StiCert, str], str]


def _on_token(fn: Callable[[StiCert, str], str]) -> Callable[[StiCert, str], str]:
    def apply(cert: StiCert, identity: str) -> str:
        token, params = split_identity(identity)
        return fn(cert, token) + params

    return apply


def _resigned(**claims: Any) -> Callable[[StiCert, str], str]:
    return _on_token(lambda c, t: resign(t, c, claims=claims))


def _shifted_iat(seconds: int) -> Callable[[StiCert, str], str]:
    def fn(cert: StiCert, token: str) -> str:
        iat = split_token(token)[1]["iat"]
        return resign(token, cert, claims={"iat": iat + seconds})

    return _on_token(fn)


def _header(**values: Any) -> Callable[[StiCert, str], str]:
    return _on_token(lambda c, t: resign(t, c, header=values))


def _params(old: str, new: str) -> Callable[[StiCert, str], str]:
    return lambda cert, identity: identity.replace(old.format(x5u=cert.x5u), new, 1)


def _other_attest(token: str) -> str:
    return "B" if split_token(token)[1].get("attest") == "A" else "A"


def _der(cert: StiCert, token: str) -> str:
    assert isinstance(cert.private_key, ec.EllipticCurvePrivateKey)
    return der_signature(token, cert.private_key)


def _registry(*rows: tuple[str, str, str, Callable[[StiCert, str], str]]) -> dict[str, Mutation]:
    return {n: Mutation(name=n, reason=r, description=d, apply=f) for n, r, d, f in rows}


#: Every mutation, by name. Verify the result at the original token's ``iat``.
MUTATIONS: dict[str, Mutation] = _registry(
    ("tamper-attest", "bad-signature", "attest changed after signing",
     _on_token(lambda c, t: tamper_claim(t, "attest", _other_attest(t)))),
    ("tamper-orig", "bad-signature", "orig changed after signing",
     _on_token(lambda c, t: tamper_claim(t, "orig", {"tn": "12025550100"}))),
    ("wrong-key", "bad-signature", "signed with a key other than the certificate's",
     _on_token(lambda c, t: sign_with_wrong_key(t))),
    ("stale-iat", "stale", "iat one hour before verification", _shifted_iat(-3600)),
    ("future-iat", "iat-in-future", "iat one hour after verification", _shifted_iat(3600)),
    ("noncanonical-json", "noncanonical-json", "whitespace and unsorted keys (RFC 8225 §9)",
     _on_token(lambda c, t: noncanonical_json(t, c.private_key))),
    ("padded-base64", "passport-malformed", "base64url segments with = padding (RFC 7515 §2)",
     _on_token(lambda c, t: pad_base64(t))),
    ("der-signature", "bad-signature", "DER ECDSA signature, not raw R‖S (RFC 7518 §3.4)",
     _on_token(_der)),
    ("alg-none", "unsupported-alg", "JWS alg none, empty signature (RFC 8725 §2.1)",
     _on_token(lambda c, t: alg_none(t))),
    ("alg-hs256", "unsupported-alg", "HS256 keyed with the certificate PEM (RFC 8725 §2.1)",
     _on_token(lambda c, t: alg_hs256(t, bytes(c.cert_pem)))),
    ("embedded-jwk", "bad-signature", "attacker key in a jwk header (RFC 8725 §3.10)",
     _on_token(lambda c, t: embedded_jwk(t))),
    ("info-mismatch", "info-x5u-mismatch", "info parameter differs from the JWS x5u",
     _params("info=<{x5u}>", "info=<https://elsewhere.example/cert.pem>")),
    ("alg-param", "unsupported-alg", "Identity alg parameter is not ES256",
     _params("alg=ES256", "alg=ES384")),
    ("missing-info", "identity-malformed", "no info parameter (RFC 8224 §4)",
     _params("info=<{x5u}>;", "")),
    ("missing-attest", "passport-malformed", "no attest claim (RFC 8588)", _resigned(attest=None)),
    ("missing-origid", "passport-malformed", "no origid claim (RFC 8588)", _resigned(origid=None)),
    ("missing-orig", "passport-malformed", "no orig claim (RFC 8225 §5.2)", _resigned(orig=None)),
    ("missing-dest", "passport-malformed", "no dest claim (RFC 8225 §5.2)", _resigned(dest=None)),
    ("missing-iat", "passport-malformed", "no iat claim (RFC 8225 §5.1)", _resigned(iat=None)),
    ("missing-x5u", "passport-malformed", "no x5u in the JWS header (RFC 8225 §4)",
     _header(x5u=None)),
    ("bad-attest", "passport-malformed", "attest value W (RFC 8588: A, B or C)",
     _resigned(attest="W")),
    ("string-iat", "passport-malformed", "iat as a string (RFC 8225 §5.1: NumericDate)",
     _on_token(lambda c, t: resign(t, c, claims={"iat": str(split_token(t)[1]["iat"])}))),
    ("crit-header", "passport-malformed", "crit lists an unknown header (RFC 7515 §4.1.11)",
     _header(crit=["foo"], foo=1)),
)  # fmt: skip
