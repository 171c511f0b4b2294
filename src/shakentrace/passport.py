"""PASSporTs: decode and encode (no signature checks here).

* :func:`shakentrace.identity.parse_identity` (re-exported here) reads the
  Identity header value that carries the token.
* :func:`decode_passport` reads a JWS compact token (RFC 8225 §6) into a
  :class:`Passport`, keeping the received segments and the exact signing input.
  Base64url is decoded strictly; claim shapes are checked and reported.
* :func:`encode_passport` signs the RFC 8225 §9 canonical form (for tests,
  reconstruction and tools).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace import _jose
from shakentrace._frozen import builder
from shakentrace._joseheader import EMBEDDED_KEY_PARAMS as EMBEDDED_KEY_PARAMS
from shakentrace._joseheader import Jose, jose_header, repeat_findings
from shakentrace._jsonseg import canonical_json, json_object, segment_bytes
from shakentrace._usual import usual_payload
from shakentrace.claims import (
    DEFAULT_LIMITS,
    DivClaim,
    FrozenMap,
    RcdClaims,
    RphClaim,
    read_claims,
)
from shakentrace.claims import PassportLimits as PassportLimits
from shakentrace.errors import PassportParseError
from shakentrace.identity import IdentityHeader as IdentityHeader
from shakentrace.identity import parse_identity as parse_identity
from shakentrace.reasons import Reason

# IdentityHeader and parse_identity live in shakentrace.identity (re-exported here).
__all__ = [
    "Passport",
    "canonical_json",
    "decode_passport",
    "encode_passport",
    "expand_compact",
]


@functools.lru_cache(maxsize=64)  # calls signed in the same second share their iat
def _issued(iat: int) -> datetime:
    return datetime.fromtimestamp(iat, UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Passport:
    """A decoded PASSporT (RFC 8225), not yet verified.

    Attributes:
        header: The JOSE header.
        claims: The payload claims.
        raw_header: The header segment as received (empty in compact form).
        raw_payload: The payload segment as received (empty in compact form).
        raw_signature: The signature segment as received.
        signature: The decoded signature bytes.
        signing_input: ``raw_header.raw_payload`` as ASCII bytes (RFC 7515 §5.2).
        compact: Whether header and payload were left out (RFC 8225 §7).
        alg: JWS ``alg``.
        typ: JWS ``typ`` (``passport``).
        ppt: JWS ``ppt``; ``None`` for a base PASSporT.
        x5u: JWS ``x5u``: where the signing certificate is.
        iat: Issued-at in seconds (also when sent as a string).
        orig_tn: ``orig.tn``.
        orig_uri: ``orig.uri``.
        dest_tns: ``dest.tn`` entries.
        dest_uris: ``dest.uri`` entries.
        attest: SHAKEN attestation (RFC 8588).
        origid: SHAKEN origination identifier (RFC 8588).
        div: ``div`` claim (RFC 8946).
        rcd: Rich Call Data (RFC 9795).
        rph: Resource priority (RFC 8443).
        findings: Shape and encoding problems found while decoding.
    """

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    raw_header: str
    raw_payload: str
    raw_signature: str
    signature: bytes
    signing_input: bytes
    compact: bool = False
    alg: str | None = None
    typ: str | None = None
    ppt: str | None = None
    x5u: str | None = None
    iat: int | None = None
    orig_tn: str | None = None
    orig_uri: str | None = None
    dest_tns: tuple[str, ...] = ()
    dest_uris: tuple[str, ...] = ()
    attest: str | None = None
    origid: str | None = None
    div: DivClaim | None = None
    rcd: RcdClaims | None = None
    rph: RphClaim | None = None
    findings: tuple[Reason, ...] = field(default=())

    @property
    def warnings(self) -> tuple[Reason, ...]:
        """The findings that do not fail a verification on their own."""
        return tuple(r for r in self.findings if r.severity != "error")

    @property
    def issued_at(self) -> datetime | None:
        """``iat`` as an aware UTC datetime, if it is usable."""
        iat = self.iat
        if iat is None or not -62135596800 < iat < 253402300800:
            return None
        return _issued(iat)

    @property
    def fingerprint(self) -> str:
        """The SHA-256 hex digest of the signature segment, the same at every hop."""
        return hashlib.sha256(self.raw_signature.encode("ascii")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Return the PASSporT as JSON-safe data (decoded JSON, segments, findings)."""
        issued = self.issued_at
        return {
            "header": dict(self.header),
            "claims": dict(self.claims),
            "compact": self.compact,
            "ppt": self.ppt,
            "x5u": self.x5u,
            "iat": self.iat,
            "issued_at": issued.isoformat() if issued else None,
            "attest": self.attest,
            "origid": self.origid,
            "orig_tn": self.orig_tn,
            "dest_tns": list(self.dest_tns),
            "fingerprint": self.fingerprint,
            "token": f"{self.raw_header}.{self.raw_payload}.{self.raw_signature}",
            "findings": [r.to_dict() for r in self.findings],
        }


def _split(token: str, limits: PassportLimits) -> tuple[str, str, str]:
    if not isinstance(token, str):
        raise TypeError(f"decode_passport() takes a str, not {type(token).__name__}")
    token = token.strip()
    if len(token) > limits.max_token_length:
        raise PassportParseError(f"token longer than {limits.max_token_length} characters")
    parts = token.split(".")
    if len(parts) != 3:
        # Not even header.payload.signature: the Identity value's token syntax
        # (RFC 8224 §4 signed-identity-digest) is what is wrong.
        raise PassportParseError(
            f"a JWS has 3 dot-separated parts, this token has {len(parts)}",
            code="identity-malformed",
        )
    return parts[0], parts[1], parts[2]


def decode_passport(token: str, *, limits: PassportLimits = DEFAULT_LIMITS) -> Passport:
    """Decode a PASSporT without checking its signature.

    A compact-form token (``..signature``, RFC 8225 §7) decodes to a
    :class:`Passport` with empty ``header`` and ``claims`` and ``compact=True``.

    Args:
        token: The JWS compact serialisation.
        limits: Size and depth bounds.

    Raises:
        PassportParseError: Not three segments, a segment that is not strict
            base64url or not a JSON object, or a bound exceeded.
    """
    raw_header, raw_payload, raw_signature = _split(token, limits)
    signature = _jose.b64url_decode(raw_signature, what="signature")
    if not raw_header and not raw_payload:
        return Passport(
            header=FrozenMap({}),
            claims=FrozenMap({}),
            raw_header="",
            raw_payload="",
            raw_signature=raw_signature,
            signature=signature,
            signing_input=b".",
            compact=True,
        )
    jose = jose_header(raw_header, limits)
    data = segment_bytes(raw_payload, "payload", limits)
    segments = (raw_header, raw_payload, raw_signature)
    if jose.ppt == "shaken" and not jose.repeats and not jose.findings:
        usual = usual_payload(data, limits)
        if usual is not None:
            return _usual(jose, usual[0], segments, signature, usual[1], compact=False)
    claims, _, repeats, canonical = json_object(data, "payload", limits)
    return _assemble(jose, claims, segments, signature, repeats=repeats, canonical=canonical)


def _assemble(
    jose: Jose,
    claims: dict[str, Any],
    segments: tuple[str, str, str],
    signature: bytes,
    *,
    repeats: tuple[str, ...] = (),
    canonical: bool = True,
    compact: bool = False,
) -> Passport:
    fields = read_claims(claims, jose.ppt)
    findings = jose.repeats + repeat_findings("payload", repeats) + jose.findings + fields.findings
    if not canonical:
        findings += (Reason.of("noncanonical-json", "payload is not in RFC 8225 §9 form"),)
    return Passport(
        header=jose.header,
        claims=FrozenMap(claims),
        raw_header=segments[0],
        raw_payload=segments[1],
        raw_signature=segments[2],
        signature=signature,
        signing_input=f"{segments[0]}.{segments[1]}".encode("ascii"),
        compact=compact,
        alg=jose.alg,
        typ=jose.typ,
        ppt=jose.ppt,
        x5u=jose.x5u,
        iat=fields.iat,
        orig_tn=fields.orig_tn,
        orig_uri=fields.orig_uri,
        dest_tns=fields.dest_tns,
        dest_uris=fields.dest_uris,
        attest=fields.attest,
        origid=fields.origid,
        div=fields.div,
        rcd=fields.rcd,
        rph=fields.rph,
        findings=findings,
    )


_PASSPORT = builder(Passport)


def _usual(
    jose: Jose,
    claims: dict[str, Any],
    segments: tuple[str, str, str],
    signature: bytes,
    usual: tuple[int, str, tuple[str, ...], str, str],
    *,
    compact: bool,
) -> Passport:
    """:func:`_assemble` for a SHAKEN PASSporT with nothing to report (same fields)."""
    iat, orig_tn, dest_tns, attest, origid = usual
    return _PASSPORT(
        header=jose.header,
        claims=FrozenMap._owning(claims),  # usual_payload's fresh dict
        raw_header=segments[0],
        raw_payload=segments[1],
        raw_signature=segments[2],
        signature=signature,
        signing_input=f"{segments[0]}.{segments[1]}".encode("ascii"),
        compact=compact,
        alg=jose.alg,
        typ=jose.typ,
        ppt="shaken",
        x5u=jose.x5u,
        iat=iat,
        orig_tn=orig_tn,
        dest_tns=dest_tns,
        attest=attest,
        origid=origid,
        orig_uri=None,
        dest_uris=(),
        div=None,
        rcd=None,
        rph=None,
        findings=(),
    )


def expand_compact(
    passport: Passport, header: Mapping[str, Any], claims: Mapping[str, Any]
) -> Passport:
    """Return the full-form PASSporT a compact one stands for, given rebuilt JSON.

    The header and claims are serialized canonically (RFC 8225 §9), which is what
    a compact-form signer must have signed (RFC 8225 §7). ``compact`` stays true.
    """
    header_bytes, payload_bytes = canonical_json(header), canonical_json(claims)
    segments = (
        _jose.b64url_encode(header_bytes),
        _jose.b64url_encode(payload_bytes),
        passport.raw_signature,
    )
    jose = Jose.of(dict(header), len(header_bytes), (), True)
    signature = _jose.b64url_decode(segments[2], what="signature")
    return _assemble(jose, dict(claims), segments, signature, compact=True)


def encode_passport(
    header: Mapping[str, Any], claims: Mapping[str, Any], key: ec.EllipticCurvePrivateKey
) -> str:
    """Sign a PASSporT in RFC 8225 §9 canonical form with ES256 (raw R‖S).

    Args:
        header: The JOSE header (``alg`` must be ES256).
        claims: The payload claims.
        key: A P-256 private key.

    Returns:
        The JWS compact serialisation.

    Raises:
        ValueError: ``header["alg"]`` is not ES256.
    """
    if header.get("alg") != "ES256":
        raise ValueError("encode_passport signs ES256 only (ATIS-1000074)")
    signing_input = (
        f"{_jose.b64url_encode(canonical_json(header))}."
        f"{_jose.b64url_encode(canonical_json(claims))}"
    )
    signature = _jose.sign_es256(key, signing_input.encode("ascii"))
    return f"{signing_input}.{_jose.b64url_encode(signature)}"
