"""What a verification found (documented as part of :mod:`shakentrace.verify`).

An :class:`Outcome` carries every finding at once (never only the first), the
verdict a terminating verification service would give (status, ``verstat``, SIP
response code and the RFC 9410 ``Reason`` header text), and the evidence a
traceback analyst needs (attestation, origid, orig/dest, signer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shakentrace.errors import VerificationError
from shakentrace.identity import IdentityHeader
from shakentrace.passport import Passport
from shakentrace.reasons import SIP_REASON_PHRASES, Reason

__all__ = [
    "IdentityResult",
    "Outcome",
    "SignerInfo",
    "Status",
    "TnPairing",
    "Verstat",
    "compact_ppi",
    "reason_value",
]

Status = Literal["valid", "invalid", "no-identity"]
Verstat = Literal["TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"]
SignatureState = Literal["valid", "invalid", "unchecked"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


_SIGNATURE = re.compile(r"[A-Za-z0-9_-]+")


def compact_ppi(token: str) -> str | None:
    """The RFC 9410 ``ppi`` naming a PASSporT: its compact form ``..signature``.

    RFC 9410 §3 recommends the compact form (RFC 8225 §7) over the full token,
    which may carry private call details. ``None`` when ``token`` has no
    well-formed signature segment to name it by.
    """
    if token.count(".") != 2:
        return None
    signature = token.rpartition(".")[2]
    return ".." + signature if _SIGNATURE.fullmatch(signature) else None


def reason_value(code: int | None, ppi: str | None = None) -> str | None:
    """The RFC 9410 ``Reason`` value for a STIR response code, naming ``ppi`` if given.

    ``None`` for a code that is not a STIR response code (RFC 8224 §6.2.2).
    """
    phrase = SIP_REASON_PHRASES.get(code) if code is not None else None
    if phrase is None:
        return None
    value = f'STIR;cause={code};text="{phrase}"'
    return f'{value};ppi="{ppi}"' if ppi else value


@dataclass(frozen=True, slots=True, kw_only=True)
class SignerInfo:
    """Who signed a PASSporT, from its STI certificate (ATIS-1000080 §6.4.1).

    Attributes:
        spc: The TNAuthList SPC (the signer's OCN), if any.
        organization: Subject O, the STI participant's legal name.
        common_name: Subject CN (``SHAKEN <SPC>``).
        x5u: Where the certificate was fetched from.
        issuer: Issuer DN.
        not_before: Start of validity.
        not_after: End of validity.
        fingerprint: SHA-256 of the certificate, hex.
        verified: Whether the chain leads to a trusted STI-CA, with no error.
    """

    spc: str | None
    organization: str | None
    common_name: str | None
    x5u: str | None
    issuer: str | None
    not_before: datetime | None
    not_after: datetime | None
    fingerprint: str | None
    verified: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the signer as JSON-safe data."""
        return {
            "spc": self.spc,
            "organization": self.organization,
            "common_name": self.common_name,
            "x5u": self.x5u,
            "issuer": self.issuer,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
            "fingerprint": self.fingerprint,
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TnPairing:
    """One comparison of a PASSporT claim with a SIP header (e.g. ``orig`` vs From).

    OpenSIPS, FreeSWITCH and Asterisk each compare a different pair; an analyst
    needs all of them, so each is reported.

    Attributes:
        claim: ``"orig"`` or ``"dest"``.
        header: ``"From"``, ``"P-Asserted-Identity[1]"``, ``"To"``, ``"Request-URI"``…
        claim_tn: The TN in the PASSporT (dest TNs comma-joined).
        header_tn: The canonical TN of the header, or ``None`` if it names none.
        match: A :class:`~shakentrace.tn.TnMatch` value, or ``"no-tn"``.
    """

    claim: str
    header: str
    claim_tn: str | None
    header_tn: str | None
    match: str

    def to_dict(self) -> dict[str, Any]:
        """Return the pairing as JSON-safe data."""
        return {
            "claim": self.claim,
            "header": self.header,
            "claim_tn": self.claim_tn,
            "header_tn": self.header_tn,
            "match": self.match,
        }


def _has_error(reasons: tuple[Reason, ...]) -> bool:
    return any(r.severity == "error" for r in reasons)


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityResult:
    """The verification of one Identity header value.

    Attributes:
        index: Position among the message's Identity values (0-based).
        raw: The value as received.
        header: The parsed header, or ``None`` if it did not parse.
        passport: The decoded (for compact form: rebuilt) PASSporT, if any.
        ppt: The PASSporT type (JWS ``ppt``, else the parameter, else ``shaken``).
        signature: ``"valid"``, ``"invalid"`` or ``"unchecked"`` (no key).
        signer: The signing certificate's facts, when one was obtained.
        pairings: orig/dest against each SIP header.
        reconstruction: For compact form, the rebuild that verified (or was used).
        reasons: Every finding about this header.
    """

    index: int
    raw: str
    header: IdentityHeader | None
    passport: Passport | None
    ppt: str | None
    signature: Literal["valid", "invalid", "unchecked"]
    signer: SignerInfo | None
    pairings: tuple[TnPairing, ...]
    reconstruction: str | None
    reasons: tuple[Reason, ...]

    @property
    def status(self) -> Literal["valid", "invalid"]:
        """``"valid"`` exactly when no reason has error severity."""
        return "invalid" if _has_error(self.reasons) else "valid"

    @property
    def reason_header(self) -> str | None:
        """The RFC 9410 ``Reason`` value for this header's first error, or ``None``.

        It names the header by ``ppi`` (compact form), as RFC 9410 §3 asks when a
        message carries several Identity headers: e.g.
        ``STIR;cause=438;text="Invalid Identity Header";ppi="..c2ln"``.
        """
        first = next((r for r in self.reasons if r.severity == "error"), None)
        if first is None:
            return None
        ppi = compact_ppi(self.header.token) if self.header else None
        return reason_value(first.sip_code, ppi)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe data."""
        return {
            "index": self.index,
            "raw": self.raw,
            "status": self.status,
            "ppt": self.ppt,
            "signature": self.signature,
            "header": self.header.to_dict() if self.header else None,
            "passport": self.passport.to_dict() if self.passport else None,
            "signer": self.signer.to_dict() if self.signer else None,
            "pairings": [p.to_dict() for p in self.pairings],
            "reconstruction": self.reconstruction,
            "reason_header": self.reason_header,
            "reasons": [r.to_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """The verification of a call: verdict, evidence and every reason.

    ``status == "valid"`` exactly when no error-severity reason is present on the
    call's SHAKEN PASSporT (DESIGN §5); ``reasons`` holds those reasons plus any
    about the message itself. Findings on ``div``/``rcd`` PASSporTs are in their
    own :attr:`identities` entry.

    Attributes:
        status: ``"valid"``, ``"invalid"`` or ``"no-identity"``.
        verstat: The 3GPP TS 24.229 §7.2A.20 value to tag the call with.
        sip_code: The response a rejecting verifier sends (RFC 8224 §6.2.2), or ``None``.
        sip_reason: Its reason phrase.
        reason_header: RFC 9410 ``Reason`` header value, e.g. ``STIR;cause=438;text="…"``;
            with several Identity headers it names the SHAKEN one by ``ppi``.
        attestation: ``attest`` of the SHAKEN PASSporT.
        origid: ``origid`` of the SHAKEN PASSporT.
        orig_tn: ``orig.tn`` of the SHAKEN PASSporT.
        dest_tns: ``dest.tn`` of the SHAKEN PASSporT.
        iat: ``iat`` of the SHAKEN PASSporT, aware UTC.
        signer: Who signed the SHAKEN PASSporT.
        reasons: The reasons that decide the status.
        identities: One result per Identity header, in message order.
        passport: The SHAKEN PASSporT, if any.
        now: The moment freshness and validity were judged at.
    """

    status: Literal["valid", "invalid", "no-identity"]
    verstat: Literal["TN-Validation-Passed", "TN-Validation-Failed", "No-TN-Validation"]
    sip_code: int | None
    sip_reason: str | None
    reason_header: str | None
    attestation: str | None
    origid: str | None
    orig_tn: str | None
    dest_tns: tuple[str, ...]
    iat: datetime | None
    signer: SignerInfo | None
    reasons: tuple[Reason, ...]
    identities: tuple[IdentityResult, ...]
    passport: Passport | None
    now: datetime

    @property
    def ok(self) -> bool:
        """Whether the status is ``"valid"``."""
        return self.status == "valid"

    def raise_for_failure(self) -> Outcome:
        """Return ``self`` if valid, else raise.

        Raises:
            VerificationError: With the first error's code and the SIP code.
        """
        if self.ok:
            return self
        first = next((r for r in self.reasons if r.severity == "error"), None)
        code = first.code if first else self.status
        message = first.message if first else self.status
        raise VerificationError(message, outcome=self, code=code, sip_code=self.sip_code)

    def to_dict(self) -> dict[str, Any]:
        """Return the outcome as JSON-safe data."""
        return {
            "status": self.status,
            "verstat": self.verstat,
            "sip_code": self.sip_code,
            "sip_reason": self.sip_reason,
            "reason_header": self.reason_header,
            "attestation": self.attestation,
            "origid": self.origid,
            "orig_tn": self.orig_tn,
            "dest_tns": list(self.dest_tns),
            "iat": _iso(self.iat),
            "signer": self.signer.to_dict() if self.signer else None,
            "reasons": [r.to_dict() for r in self.reasons],
            "identities": [i.to_dict() for i in self.identities],
            "now": _iso(self.now),
        }


def verdict(
    reasons: tuple[Reason, ...], *, has_identity: bool, ppi: str | None = None
) -> tuple[Status, Verstat, int | None, str | None, str | None]:
    """Status, verstat, SIP code, phrase and RFC 9410 Reason text for ``reasons``.

    The first error (checks run in a verification service's order) decides the
    SIP code. verstat: ``No-TN-Validation`` when there was nothing to validate
    (no Identity, unparseable message), else passed or failed. ``ppi`` names
    the failed Identity header in the Reason text.
    """
    first = None
    for reason in reasons:
        if reason.severity == "error":
            first = reason
            break
    if not has_identity:
        status: Status = "no-identity"
    else:
        status = "invalid" if first else "valid"
    if first is None:
        verstat: Verstat = "TN-Validation-Passed" if has_identity else "No-TN-Validation"
        return status, verstat, None, None, None
    nothing = first.code in ("no-identity", "sip-malformed")
    verstat = "No-TN-Validation" if nothing else "TN-Validation-Failed"
    code = first.sip_code
    phrase = SIP_REASON_PHRASES.get(code) if code is not None else None
    return status, verstat, code, phrase, reason_value(code, ppi)
