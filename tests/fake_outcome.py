"""Outcome objects built by hand, for testing the traceback rules apart from the verifier.

They carry exactly the contract names infer_hop reads (CONTRACTS.md, verify):
status, verstat, attestation, origid, orig_tn, dest_tns, iat, signer (spc,
organization, fingerprint, verified), passport (signature…), identities, reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shakentrace.identity import parse_identity
from shakentrace.passport import Passport, decode_passport
from shakentrace.reasons import Reason
from shakentrace.sip import SipMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeSigner:
    spc: str | None
    organization: str | None
    fingerprint: str | None = "ab" * 32
    verified: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeIdentity:
    passport: Passport | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FakeOutcome:
    status: str
    verstat: str
    passport: Passport | None = None
    signer: FakeSigner | None = None
    identities: tuple[FakeIdentity, ...] = ()
    attestation: str | None = None
    origid: str | None = None
    orig_tn: str | None = None
    dest_tns: tuple[str, ...] = ()
    iat: int | None = None
    reasons: tuple[Reason, ...] = field(default=())


def outcome_for(
    message: SipMessage,
    *,
    valid: bool = True,
    spc: str | None = None,
    organization: str | None = None,
    reasons: tuple[str, ...] = (),
) -> FakeOutcome:
    """What a verifier would say about ``message`` if its first PASSporT is ``valid``."""
    passports = [decode_passport(parse_identity(v).token) for v in message.identities]
    if not passports:
        return FakeOutcome(status="no-identity", verstat="No-TN-Validation")
    first = passports[0]
    return FakeOutcome(
        status="valid" if valid else "invalid",
        verstat="TN-Validation-Passed" if valid else "TN-Validation-Failed",
        passport=first,
        signer=FakeSigner(spc=spc, organization=organization, verified=valid),
        identities=tuple(FakeIdentity(passport=p) for p in passports),
        attestation=first.attest,
        origid=first.origid,
        orig_tn=first.orig_tn,
        dest_tns=first.dest_tns,
        iat=first.iat,
        reasons=tuple(Reason.of(code, code) for code in reasons),
    )
