"""Per-Identity evaluation: decode, rebuild compact form, run the checks in order.

:class:`CallFacts` is what verification needs from a SIP message (documented as
:class:`shakentrace.verify.CallFacts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace import _checks, _parties
from shakentrace._frozen import builder
from shakentrace._outcome import IdentityResult, SignatureState, SignerInfo, TnPairing
from shakentrace.certs import ClaimConstraints, claim_constraints
from shakentrace.claims import PassportLimits
from shakentrace.errors import ParseError
from shakentrace.identity import IdentityHeader, parse_identity
from shakentrace.passport import Passport, decode_passport
from shakentrace.reasons import Reason
from shakentrace.tn import compare_tns

if TYPE_CHECKING:
    from shakentrace.sip import SipMessage
    from shakentrace.trust import ChainResult
    from shakentrace.verify import Policy

__all__ = [
    "CallFacts",
    "Credential",
    "Decoded",
    "call_reasons",
    "decode_identity",
    "evaluate_identity",
    "link_div",
    "retargeted",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFacts:
    """What verification needs from a SIP message.

    Attributes:
        identities: Identity header values, in order (comma-joined ones split).
        callers: ``(label, tn, uri)`` of From and each P-Asserted-Identity.
        callees: ``(label, tn, uri)`` of To and the Request-URI.
        date: The Date header (aware UTC), if any.
        problems: Headers that did not parse (``sip-malformed`` reasons).
    """

    identities: tuple[str, ...] = ()
    callers: tuple[tuple[str, str | None, str | None], ...] = ()
    callees: tuple[tuple[str, str | None, str | None], ...] = ()
    date: datetime | None = None
    problems: tuple[Reason, ...] = ()

    @classmethod
    def from_message(cls, message: SipMessage) -> CallFacts:
        """Extract the facts from a parsed :class:`~shakentrace.sip.SipMessage`.

        A header that does not parse (the message's headers are parsed lazily)
        leaves its fact out and adds a ``sip-malformed`` problem.
        """
        problems: list[Reason] = []
        callers = _parties.callers(message, problems)
        callees = _parties.callees(message, problems)
        identities = tuple(_parties.read(message, "identities", problems) or ())
        if not identities and "identity" in message.headers:
            identities = ("",)  # an empty Identity header is malformed, not absent
        build = _CALL_FACTS if cls is CallFacts else cls
        return build(
            identities=identities,
            callers=callers,
            callees=callees,
            date=_parties.date(message, problems),
            problems=tuple(problems),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential:
    """What the shell obtained for one PASSporT's certificate.

    Attributes:
        url: The x5u (or info) URL the certificate came from.
        public_key: The key to check the signature with (the leaf's, even when
            the chain is not trusted), or ``None``.
        chain: The trust verdict on the chain, when one was fetched.
        reasons: Why no usable certificate was obtained (fetch, parse), if so.
        pinned: The key was given by the caller for ``url`` (no certificate).
    """

    url: str | None
    public_key: ec.EllipticCurvePublicKey | None = None
    chain: ChainResult | None = None
    reasons: tuple[Reason, ...] = ()
    pinned: bool = False
    # SignerInfo, made once per Credential (the Verifier reuses a Credential
    # while its chain verdict holds).
    _signer: SignerInfo | None = field(default=None, init=False, repr=False, compare=False)
    _constraints: tuple[ClaimConstraints, ...] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def signer(self) -> SignerInfo | None:
        """The certificate's facts, if a chain was examined."""
        if self._signer is None:
            object.__setattr__(self, "_signer", self._make_signer())
        return self._signer

    def _make_signer(self) -> SignerInfo | None:
        leaf = self.chain.leaf if self.chain else None
        if leaf is None or self.chain is None:
            return None
        return SignerInfo(
            spc=leaf.spc,
            organization=leaf.organization,
            common_name=leaf.common_name,
            x5u=self.url,
            issuer=leaf.issuer,
            not_before=leaf.not_before,
            not_after=leaf.not_after,
            fingerprint=leaf.fingerprint,
            verified=self.chain.trusted,
        )

    @property
    def claim_constraints(self) -> tuple[ClaimConstraints, ...]:
        """The JWT Claim Constraints of the leaf and of each CA of the validated path."""
        found = self._constraints
        if found is None:
            chain = self.chain
            found = chain.leaf.jwt_claim_constraints if chain and chain.leaf else ()
            for ca in chain.path[1:] if chain else ():
                found += claim_constraints(ca)
            object.__setattr__(self, "_constraints", found)
        return found

    @property
    def all_reasons(self) -> tuple[Reason, ...]:
        """Fetch reasons, then the chain's."""
        return self.reasons + (self.chain.reasons if self.chain else ())


@dataclass(frozen=True, slots=True, kw_only=True)
class Decoded:
    """One Identity value after parsing and decoding (no verification yet).

    Attributes:
        raw: The value as received.
        header: The parsed header, or ``None``.
        passport: The decoded PASSporT, or ``None``.
        reasons: Why parsing or decoding failed.
    """

    raw: str
    header: IdentityHeader | None
    passport: Passport | None
    reasons: tuple[Reason, ...] = ()


_CALL_FACTS = builder(CallFacts)
_DECODED = builder(Decoded)


def decode_identity(value: str, limits: PassportLimits) -> Decoded:
    """Parse and decode one Identity value; failures become reasons."""
    try:
        header = parse_identity(value, limits=limits)
    except ParseError as exc:
        return Decoded(raw=value, header=None, passport=None, reasons=(_reason(exc),))
    try:
        passport = decode_passport(header.token, limits=limits)
    except ParseError as exc:
        return Decoded(
            raw=value, header=header, passport=None, reasons=(*header.findings, _reason(exc))
        )
    return _DECODED(raw=value, header=header, passport=passport, reasons=())


def _reason(exc: ParseError) -> Reason:
    return Reason.of(
        exc.code
        if exc.code in ("identity-malformed", "passport-malformed")
        else "passport-malformed",
        exc.message,
    )


def _claim_of(
    label: str, tn: str | None, uri: str | None, many: bool
) -> tuple[str, dict[str, Any]] | None:
    if tn is not None:
        return f"{label} (tn {tn})", ({"tn": [tn]} if many else {"tn": tn})
    if uri is not None:
        return f"{label} (uri {uri})", ({"uri": [uri]} if many else {"uri": uri})
    return None


def _rebuild(
    passport: Passport, header: IdentityHeader, call: CallFacts, credential: Credential | None
) -> tuple[Passport, str | None, list[Reason]]:
    """Pick the full form a compact PASSporT stands for (RFC 8224 §5.2)."""
    # RFC 8224 §5.2: orig from P-Asserted-Identity if present, else From.
    origs = [c for p in reversed(call.callers) if (c := _claim_of(p[0], p[1], p[2], False))]
    dests = [c for p in call.callees if (c := _claim_of(p[0], p[1], p[2], True))]
    candidates = _checks.reconstructions(passport, header, origs=origs, dests=dests, date=call.date)
    if not candidates:
        why = "compact form, and no Date header or info to rebuild it from (RFC 8224 §5.2)"
        return passport, None, [Reason.of("passport-malformed", why)]
    key = credential.public_key if credential else None
    if key is None:
        label, chosen = candidates[0]
        return (
            chosen,
            label,
            [Reason.of("compact-form", f"rebuilt ({label}); not verified: no key")],
        )
    for label, candidate in candidates:
        if not _checks.check_signature(candidate, key):
            return candidate, label, [Reason.of("compact-form", f"rebuilt and verified: {label}")]
    tried = "; ".join(label for label, _ in candidates)
    return (
        candidates[0][1],
        None,
        [Reason.of("bad-signature", f"compact form: no rebuild verifies; tried {tried}")],
    )


def _ppt(header: IdentityHeader | None, passport: Passport | None) -> str | None:
    if passport is not None and not passport.compact:
        return passport.ppt
    return header.ppt if header else None


def _signature(
    passport: Passport, credential: Credential | None, policy: Policy, state: SignatureState
) -> tuple[list[Reason], SignatureState]:
    """Certificate reasons, then ES256 over the received bytes with the leaf's key."""
    if credential is None:
        return [], state
    reasons = list(credential.all_reasons)
    # The JWS alg never picks the algorithm (RFC 8725 §3.1): a token declaring
    # another one is refused by check_alg and not checked as ES256.
    checkable = not passport.compact and passport.alg in policy.algorithms
    if credential.public_key is not None and checkable:
        bad = _checks.check_signature(passport, credential.public_key)
        return reasons + bad, "invalid" if bad else "valid"
    return reasons, state


def _pairings(
    passport: Passport, call: CallFacts, policy: Policy, signature: SignatureState
) -> tuple[tuple[TnPairing, ...], list[Reason]]:
    """orig against From/each PAI, dest against To/Request-URI (RFC 8224 §8.3 matching)."""
    accepted = policy.accepted_matches
    pairings, mismatches = _checks.check_pairings(passport, call.callers, call.callees, accepted)
    if signature == "invalid":
        # Unsigned claims prove nothing; their disagreement is noted, not decisive.
        mismatches = [Reason.of(r.code, r.message, severity="warning") for r in mismatches]
    return pairings, mismatches


def evaluate_identity(
    index: int,
    decoded: Decoded,
    credential: Credential | None,
    call: CallFacts,
    policy: Policy,
    now: datetime,
) -> IdentityResult:
    """Run every check on one Identity value, in a verification service's order."""
    header, passport = decoded.header, decoded.passport
    reasons = list(decoded.reasons)
    if header is None or passport is None:
        return _result(index, decoded, header, None, reasons, "unchecked", credential, (), None)
    reasons += header.findings
    reconstruction: str | None = None
    signature: SignatureState = "unchecked"
    if passport.compact:
        passport, reconstruction, rebuilt = _rebuild(passport, header, call, credential)
        reasons += rebuilt
        if credential is not None and credential.public_key is not None:
            signature = "valid" if reconstruction else "invalid"
    if _checks.params_agree(header, passport, policy.algorithms, policy.ppts):
        reasons += passport.findings  # check_alg, check_ppt and check_info find nothing
    else:
        reasons += _checks.check_alg(
            header, passport, algorithms=policy.algorithms, require_params=policy.require_alg
        )
        reasons += _checks.check_ppt(
            header, passport, ppts=policy.ppts, require_params=policy.require_ppt
        )
        reasons += passport.findings + tuple(_checks.check_info(header, passport))
    crypto, signature = _signature(passport, credential, policy, signature)
    reasons += crypto
    if credential is not None and not passport.compact:  # a rebuilt one has no claims of its own
        reasons += _checks.check_claim_constraints(passport.claims, credential.claim_constraints)
    reasons += _checks.check_freshness(
        passport.iat, now, max_age=policy.max_age, future_skew=policy.future_skew
    )
    pairings, mismatches = _pairings(passport, call, policy, signature)
    reasons += mismatches
    return _result(
        index, decoded, header, passport, reasons, signature, credential, pairings, reconstruction
    )


_IDENTITY_RESULT = builder(IdentityResult)


def _result(
    index: int,
    decoded: Decoded,
    header: IdentityHeader | None,
    passport: Passport | None,
    reasons: Sequence[Reason],
    signature: SignatureState,
    credential: Credential | None,
    pairings: tuple[TnPairing, ...],
    reconstruction: str | None,
) -> IdentityResult:
    return _IDENTITY_RESULT(
        index=index,
        raw=decoded.raw,
        header=header,
        passport=passport,
        ppt=_ppt(header, passport),
        signature=signature,
        signer=credential.signer if credential else None,
        pairings=pairings,
        reconstruction=reconstruction,
        reasons=tuple(reasons),
    )


def link_div(
    result: IdentityResult,
    primary: IdentityResult,
    others: Sequence[IdentityResult],
    policy: Policy,
) -> IdentityResult:
    """RFC 8946 §3 / ATIS-1000085: a div PASSporT's ``div`` is a dest of an earlier one.

    The earlier one is the shaken PASSporT or, after several retargetings,
    another div PASSporT; ``orig`` stays the shaken one's.
    """
    div, shaken = result.passport, primary.passport
    if result.ppt != "div" or div is None or shaken is None or result is primary:
        return result
    dests = [d for other in others if other is not result and other.passport
             for d in other.passport.dest_tns]  # fmt: skip
    problems = []
    target = div.div.tn if div.div else None
    if target is None or not any(_same_tn(target, d, policy) for d in dests):
        problems.append(f"div {target!r} is not a dest of the shaken PASSporT {shaken.dest_tns}")
    if not _same_tn(div.orig_tn or "", shaken.orig_tn or "", policy):
        problems.append(f"div orig {div.orig_tn!r} ≠ shaken orig {shaken.orig_tn!r}")
    extra = tuple(Reason.of("div-broken", p) for p in problems)
    return IdentityResult(**{**_fields(result), "reasons": result.reasons + extra})


def retargeted(primary: IdentityResult, results: Sequence[IdentityResult]) -> IdentityResult:
    """The shaken result with ``dest-mismatch`` noted, not failed, when a div PASSporT explains it.

    After retargeting, the shaken PASSporT's ``dest`` still names the original
    callee; a valid div PASSporT chained to it (:func:`link_div`) whose ``dest``
    matches To or the Request-URI names the new one (RFC 8946 §4.2).
    """
    if primary.ppt != "shaken" or not any(
        r.ppt == "div" and r is not primary and r.status == "valid" for r in results
    ):
        return primary
    noted = "retargeted: a valid div PASSporT names the new target (RFC 8946 §4.2)"
    reasons = tuple(
        Reason.of(r.code, f"{r.message}; {noted}", severity="warning")
        if r.code == "dest-mismatch" and r.severity == "error"
        else r
        for r in primary.reasons
    )
    return IdentityResult(**{**_fields(primary), "reasons": reasons})


def _same_tn(a: str, b: str, policy: Policy) -> bool:
    return bool(a and b) and str(compare_tns(a, b)) in policy.accepted_matches


def _fields(result: IdentityResult) -> dict[str, Any]:
    return {name: getattr(result, name) for name in IdentityResult.__dataclass_fields__}


def call_reasons(
    call: CallFacts, primary: IdentityResult, policy: Policy, now: datetime, count: int
) -> tuple[Reason, ...]:
    """The call-level reasons: header problems, no shaken PASSporT, Date, too many values."""
    reasons = list(call.problems)
    if primary.ppt not in ("shaken", None):
        reasons.append(
            Reason.of("unsupported-ppt", f"no shaken PASSporT among {count} Identity values")
        )
    if policy.check_date:
        iat = primary.passport.iat if primary.passport else None
        reasons += _checks.check_date(
            call.date, iat, now, max_age=policy.max_age, future_skew=policy.future_skew
        )
    if count > policy.max_identities:
        message = f"{count} Identity values; only the first {policy.max_identities} were examined"
        reasons.append(Reason.of("identity-malformed", message, severity="warning"))
    return tuple(reasons)
