"""PASSporT encoding for tests: RFC 8225 §9 canonical JSON, JWS compact form, Identity values."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from shakentrace._jose import b64url_decode, b64url_encode, sign_es256

__all__ = [
    "canonical_json",
    "encode_jws",
    "format_identity",
    "sign_raw",
    "split_identity",
    "split_token",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def canonical_json(value: Mapping[str, Any]) -> bytes:
    """Serialize ``value`` the RFC 8225 §9 way: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign_raw(key: PrivateKey, data: bytes, *, deterministic: bool = False) -> bytes:
    """Sign ``data``: raw R‖S ES256 for an EC key (RFC 7518 §3.4), RS256 for an RSA key.

    Args:
        key: The signing key.
        data: The JWS signing input.
        deterministic: Use RFC 6979 deterministic ECDSA (same bytes every run).
    """
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if not deterministic:
        return sign_es256(key, data)
    der = key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size) + s.to_bytes(size)


def encode_jws(
    header: Mapping[str, Any] | bytes,
    claims: Mapping[str, Any] | bytes,
    key: PrivateKey,
    *,
    deterministic: bool = False,
) -> str:
    """Return the JWS compact serialisation of ``header`` and ``claims`` signed by ``key``.

    Mappings are serialized canonically; bytes are used as given (to sign
    non-canonical JSON on purpose).
    """
    raw_header = header if isinstance(header, bytes) else canonical_json(header)
    raw_claims = claims if isinstance(claims, bytes) else canonical_json(claims)
    signing_input = f"{b64url_encode(raw_header)}.{b64url_encode(raw_claims)}"
    signature = sign_raw(key, signing_input.encode("ascii"), deterministic=deterministic)
    return f"{signing_input}.{b64url_encode(signature)}"


def split_token(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Decode a JWS compact token into header, claims and signature, without verifying.

    For re-signing in mutators; the real decoder is ``shakentrace.passport``.
    """
    head, payload, signature = token.split(".")
    header = json.loads(b64url_decode(head))
    claims = json.loads(b64url_decode(payload))
    return header, claims, b64url_decode(signature)


def format_identity(
    token: str,
    *,
    info: str,
    alg: str | None = "ES256",
    ppt: str | None = "shaken",
    quote_ppt: bool = False,
    extra_params: Sequence[str] = (),
) -> str:
    """Return an RFC 8224 §4 Identity header value: ``token;info=<x5u>;alg=…;ppt=…``.

    Args:
        token: The PASSporT (or ``..signature`` for the compact form).
        info: The certificate URL for the ``info`` parameter.
        alg: The ``alg`` parameter, omitted when ``None``.
        ppt: The ``ppt`` parameter, omitted when ``None``.
        quote_ppt: Write ``ppt="shaken"`` (allowed by the ABNF, seen in the wild).
        extra_params: More parameters, e.g. ``("toto=titi",)``.
    """
    params = [f"info=<{info}>"]
    if alg is not None:
        params.append(f"alg={alg}")
    if ppt is not None:
        params.append(f'ppt="{ppt}"' if quote_ppt else f"ppt={ppt}")
    params.extend(extra_params)
    return ";".join([token, *params])


def split_identity(value: str) -> tuple[str, str]:
    """Split an Identity value into its token and its parameters (with the leading ``;``)."""
    token, sep, params = value.partition(";")
    return token, sep + params
