"""The JOSE adapter: the only module that imports pyjwt.

PASSporTs are JWS compact serialisations signed with ES256 (RFC 8225 §8, RFC 8588).
The signature is the raw 64-byte R‖S of RFC 7518 §3.4, never DER. Only the
algorithms in :data:`ALGORITHMS` are ever used; keys come from the caller (the
verified STI certificate), never from the token (``jwk``/``jku``/``x5c``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from shakentrace.errors import PassportParseError

__all__ = [
    "ALGORITHMS",
    "UNDERSTOOD_CRITICAL",
    "b64url_decode",
    "b64url_encode",
    "critical_problems",
    "raw_to_der",
    "sign_es256",
    "verify_es256",
]

#: The signing algorithms shakentrace accepts (ATIS-1000074 §5.3.1: ES256 only).
ALGORITHMS: tuple[str, ...] = ("ES256",)

#: Raw R‖S length for P-256 (RFC 7518 §3.4).
ES256_SIGNATURE_LENGTH = 64

_ES256 = ECAlgorithm(ECAlgorithm.SHA256)
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_URLSAFE = bytes.maketrans(b"-_", b"+/")


def b64url_encode(data: bytes) -> str:
    """Encode ``data`` as unpadded base64url (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(segment: str, *, what: str = "segment") -> bytes:
    """Decode unpadded base64url strictly.

    Python's decoder silently drops characters outside the alphabet (a comma, a
    space) and accepts padding; a verifier must not, or a tampered token would
    decode to the signed bytes (cgrates' comma-injection vectors).

    Raises:
        PassportParseError: ``segment`` holds a character outside the base64url
            alphabet, padding, or an impossible length.
    """
    quick = _strict_decode(segment)
    if quick is not None:
        return quick
    if not _B64URL.fullmatch(segment):
        bad = next(c for c in segment if not (c.isascii() and (c.isalnum() or c in "-_")))
        raise PassportParseError(f"{what} is not base64url: character {bad!r}")
    if len(segment) % 4 == 1:
        raise PassportParseError(f"{what} has an impossible base64url length {len(segment)}")
    try:
        # base64.urlsafe_b64decode, without its four Python-level calls.
        data = segment.encode("ascii").translate(_URLSAFE) + b"=" * (-len(segment) % 4)
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - excluded by the regex
        raise PassportParseError(f"{what} is not base64url: {exc}") from exc


def _strict_decode(segment: str) -> bytes | None:
    """The bytes of a well-formed segment, by binascii's strict mode alone; else ``None``.

    Strict mode refuses anything outside the standard alphabet, into which
    translate() maps "-" and "_"; a "+", "/" or "=" (standard alphabet, padding)
    is refused first. ``None`` leaves the verdict and its message to the regex.
    """
    if "+" in segment or "/" in segment or "=" in segment or len(segment) % 4 == 1:
        return None
    try:
        data = segment.encode("ascii").translate(_URLSAFE) + b"=" * (-len(segment) % 4)
        return binascii.a2b_base64(data, strict_mode=True)
    except (UnicodeEncodeError, binascii.Error):
        return None


def sign_es256(key: ec.EllipticCurvePrivateKey, signing_input: bytes) -> bytes:
    """Sign ``signing_input`` with ES256 and return the raw 64-byte R‖S signature."""
    return _ES256.sign(signing_input, key)


def _der_integer(value: bytes) -> bytes:
    # X.690 §8.3: minimal big-endian two's complement; a set top bit needs a 0x00.
    value = value.lstrip(b"\0") or b"\0"
    if value[0] & 0x80:
        value = b"\0" + value
    return b"\x02" + bytes((len(value),)) + value


def raw_to_der(signature: bytes) -> bytes:
    """The DER ``ECDSA-Sig-Value`` of a 64-byte raw R‖S signature (RFC 7518 §3.4).

    Byte for byte what ``encode_dss_signature`` gives (the tests hold it to
    that), without converting R and S to integers and back.
    """
    body = _der_integer(signature[:32]) + _der_integer(signature[32:])
    return b"\x30" + bytes((len(body),)) + body


def verify_es256(key: ec.EllipticCurvePublicKey, signing_input: bytes, signature: bytes) -> bool:
    """Return whether ``signature`` (raw R‖S) is a valid ES256 signature of ``signing_input``.

    A DER-encoded or wrong-length signature is not valid; neither is a key on
    another curve.
    """
    if len(signature) != ES256_SIGNATURE_LENGTH or not isinstance(key.curve, ec.SECP256R1):
        return False
    # RFC 7518 §3.4: R and S, 32 bytes each, big-endian; OpenSSL wants DER. Done
    # here rather than through pyjwt's ECAlgorithm.verify: same check, a third faster.
    try:
        key.verify(raw_to_der(signature), signing_input, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


#: Header parameters this verifier understands when listed in ``crit``: none.
#: RFC 7515 §4.1.11: a recipient that does not understand a critical extension
#: must reject the JWS; PASSporT defines none (RFC 8225 §4), so any ``crit`` fails.
UNDERSTOOD_CRITICAL: frozenset[str] = frozenset()


def critical_problems(header: Mapping[str, Any]) -> tuple[str, ...]:
    """Return why the ``crit`` header parameter makes ``header`` unacceptable, if it does.

    pyjwt rejects unknown ``crit`` values inside ``decode``; shakentrace decodes
    itself so that the signature is still checked and every problem reported.
    """
    if "crit" not in header:
        return ()
    crit = header["crit"]
    if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
        return ("crit is not a non-empty array of names (RFC 7515 §4.1.11)",)
    unknown = [c for c in crit if c not in UNDERSTOOD_CRITICAL]
    missing = [c for c in crit if c not in header]
    problems = []
    if unknown:
        problems.append(f"crit lists {', '.join(unknown)}, not understood (RFC 7515 §4.1.11)")
    if missing:
        problems.append(f"crit names {', '.join(missing)}, absent from the header")
    return tuple(problems)
