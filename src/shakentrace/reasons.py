"""Reason codes: the stable vocabulary of every verification finding.

Each code names one finding, with the SIP status a verification service answers
with (RFC 8224 §6.2.2, RFC 9410) and its default severity. Codes are a public
contract: add new ones, never rename. The docs' reason-code table is generated
from :data:`REASON_CODES`, so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["REASON_CODES", "SIP_REASON_PHRASES", "Reason", "ReasonCode", "Severity"]

Severity = Literal["error", "warning", "info"]

#: SIP reason phrases for the STIR response codes (RFC 8224 §6.2.2, §13.2).
SIP_REASON_PHRASES: dict[int, str] = {
    400: "Bad Request",
    403: "Stale Date",
    428: "Use Identity Header",
    436: "Bad Identity Info",
    437: "Unsupported Credential",
    438: "Invalid Identity Header",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReasonCode:
    """One entry of the reason-code registry.

    Attributes:
        code: The stable identifier, e.g. ``"bad-signature"``.
        sip_code: The SIP status it maps to, or ``None`` for warnings.
        severity: The default severity.
        meaning: One line on what it means, for docs and reports.
    """

    code: str
    sip_code: int | None
    severity: Severity
    meaning: str


def _registry(*entries: tuple[str, int | None, Severity, str]) -> dict[str, ReasonCode]:
    return {c: ReasonCode(code=c, sip_code=s, severity=v, meaning=m) for c, s, v, m in entries}


#: Every reason code, in the order the docs list them.
REASON_CODES: dict[str, ReasonCode] = _registry(
    ("no-identity", 428, "error", "no Identity header"),
    (
        "identity-malformed",
        438,
        "error",
        "Identity header syntax: parameters, missing info, bad token characters",
    ),
    (
        "passport-malformed",
        438,
        "error",
        "base64url, JSON, JWS structure, required claim missing or mistyped",
    ),
    ("unsupported-alg", 437, "error", "alg other than ES256 (header parameter or JWS header)"),
    (
        "unsupported-ppt",
        438,
        "error",
        "ppt not understood (signature still checked where possible)",
    ),
    ("info-x5u-mismatch", 436, "error", "info parameter differs from the JWS x5u"),
    ("stale", 403, "error", "iat older than the policy's max age"),
    ("iat-in-future", 403, "error", "iat ahead of now beyond the allowed skew"),
    ("bad-signature", 438, "error", "ES256 signature does not verify over the received bytes"),
    (
        "x5u-forbidden",
        436,
        "error",
        "x5u refused by the fetch policy (scheme, port, userinfo, private address, redirect)",
    ),
    ("cert-unavailable", 436, "error", "x5u fetch failed (timeout, status, size cap, not PEM)"),
    ("cert-untrusted", 437, "error", "chain does not lead to a trusted STI-CA"),
    ("cert-expired", 437, "error", "certificate validity ended before iat/now"),
    ("cert-not-yet-valid", 437, "error", "certificate validity starts after iat/now"),
    ("cert-revoked", 437, "error", "certificate is on a CRL"),
    (
        "cert-invalid",
        437,
        "error",
        "not usable as an STI signing certificate (no TNAuthList, CA leaf, wrong key)",
    ),
    ("tn-not-authorized", 438, "error", "TN-based TNAuthList does not cover orig"),
    (
        "claims-not-permitted",
        438,
        "error",
        "a claim is outside the signer's JWT Claim Constraints (RFC 8226 §8, RFC 9118)",
    ),
    ("orig-mismatch", 438, "error", "orig TN differs from From / P-Asserted-Identity"),
    ("dest-mismatch", 438, "error", "dest TNs do not contain To / Request-URI"),
    ("noncanonical-json", None, "warning", "JSON not in RFC 8225 §9 deterministic form"),
    ("cert-nonconformant", None, "warning", "ATIS-1000080 / SHAKEN CP rule broken"),
    ("div-broken", 438, "error", "div PASSporT does not chain to the shaken one"),
    (
        "crl-unavailable",
        None,
        "warning",
        "a CRL could not be fetched or verified; revocation was not fully checked",
    ),
    ("sip-malformed", 400, "error", "the SIP message does not parse, so nothing was verified"),
    (
        "embedded-key",
        None,
        "warning",
        "jwk, jku or x5c in the JWS header: never used (RFC 8725 §3.10)",
    ),
    (
        "date-mismatch",
        None,
        "warning",
        "SIP Date header and iat differ by more than the policy's max age (RFC 8224 §6.2)",
    ),
    (
        "compact-form",
        None,
        "info",
        "compact-form PASSporT rebuilt from the SIP headers (RFC 8224 §5.2); says how",
    ),
    ("origid-not-uuid", None, "info", "origid is not a UUID (RFC 8588 §5 recommends one)"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reason:
    """One finding of a verification.

    Attributes:
        code: A code from :data:`REASON_CODES`.
        severity: ``"error"`` fails the verification; ``"warning"`` and
            ``"info"`` are reported only.
        message: What was found, for a human reader.
        sip_code: The SIP status this finding maps to, if any.
    """

    code: str
    severity: Severity
    message: str
    sip_code: int | None = None

    @classmethod
    def of(cls, code: str, message: str, *, severity: Severity | None = None) -> Reason:
        """Make a reason for a registered ``code``, with its registered SIP code.

        Args:
            code: A key of :data:`REASON_CODES`.
            message: What was found.
            severity: Overrides the registered default severity.

        Raises:
            KeyError: ``code`` is not registered (a programming error).
        """
        entry = REASON_CODES[code]
        sev = severity or entry.severity
        return cls(
            code=code,
            severity=sev,
            message=message,
            sip_code=entry.sip_code if sev == "error" else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the reason as JSON-safe data."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "sip_code": self.sip_code,
        }
