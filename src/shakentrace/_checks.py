"""The individual checks of a PASSporT verification, each returning reasons.

Pure functions over already-decoded data; :func:`shakentrace.verify.evaluate`
runs them in the order a verification service would (RFC 8224 §6.2,
ATIS-1000074 §5.3.2), so the first error decides the SIP response code.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace import _jose
from shakentrace._frozen import builder
from shakentrace._jsonseg import canonical_text
from shakentrace._outcome import TnPairing
from shakentrace.certs import ClaimConstraints
from shakentrace.identity import IdentityHeader
from shakentrace.passport import Passport, expand_compact
from shakentrace.reasons import Reason, Severity
from shakentrace.tn import TnMatch, compare_tns

__all__ = [
    "check_alg",
    "check_claim_constraints",
    "check_date",
    "check_freshness",
    "check_info",
    "check_pairings",
    "check_ppt",
    "check_signature",
    "params_agree",
    "reconstructions",
]

_STRENGTH = {match: n for n, match in enumerate(TnMatch)}
_MATCH = operator.attrgetter("match")


def params_agree(
    header: IdentityHeader, passport: Passport, algorithms: Sequence[str], ppts: Sequence[str]
) -> bool:
    """The usual case: ``alg``, ``ppt`` and ``info`` given, allowed and equal to the JWS's.

    Then :func:`check_alg`, :func:`check_ppt` and :func:`check_info` find nothing
    (whatever the policy requires of the parameters); the tests hold them to it.
    """
    return (
        not passport.compact
        and header.alg == passport.alg
        and header.alg in algorithms
        and header.ppt == passport.ppt
        and header.ppt in ppts
        and header.info == passport.x5u
    )


def check_alg(
    header: IdentityHeader, passport: Passport, *, algorithms: Sequence[str], require_params: bool
) -> list[Reason]:
    """``alg`` parameter and JWS ``alg`` against the allowlist (ATIS-1000074 §5.3.1)."""
    reasons = []
    if header.alg is None:
        severity: Severity = "error" if require_params else "warning"
        reasons.append(
            Reason.of(
                "unsupported-alg", "no alg parameter (ATIS-1000074: alg=ES256)", severity=severity
            )
        )
    elif header.alg not in algorithms:
        reasons.append(Reason.of("unsupported-alg", f"alg parameter {header.alg!r} is not allowed"))
    if not passport.compact and passport.alg not in algorithms:
        reasons.append(
            Reason.of(
                "unsupported-alg",
                f"JWS alg {passport.alg!r} is not allowed ({', '.join(algorithms)})",
            )
        )
    elif header.alg is not None and passport.alg is not None and header.alg != passport.alg:
        reasons.append(
            Reason.of("unsupported-alg", f"alg parameter {header.alg!r} ≠ JWS alg {passport.alg!r}")
        )
    return reasons


def check_ppt(
    header: IdentityHeader, passport: Passport, *, ppts: Sequence[str], require_params: bool
) -> list[Reason]:
    """``ppt`` parameter against the JWS ``ppt`` and the known types (RFC 8224 §4)."""
    reasons = []
    if header.ppt is None:
        severity: Severity = "error" if require_params else "warning"
        reasons.append(
            Reason.of(
                "unsupported-ppt",
                "no ppt parameter; shaken assumed (ATIS-1000074)",
                severity=severity,
            )
        )
    elif not passport.compact and header.ppt != passport.ppt:
        reasons.append(
            Reason.of(
                "unsupported-ppt",
                f"ppt parameter {header.ppt!r} ≠ JWS ppt {passport.ppt!r} (RFC 8224 §4)",
            )
        )
    ppt = passport.ppt if not passport.compact else header.ppt
    if ppt is not None and ppt not in ppts:
        reasons.append(Reason.of("unsupported-ppt", f"ppt {ppt!r} is not one of {', '.join(ppts)}"))
    return reasons


def check_info(header: IdentityHeader, passport: Passport) -> list[Reason]:
    """``info`` parameter against the JWS ``x5u`` (secsipidx, vesper and vermouth reject it)."""
    if header.info is None or passport.x5u is None or header.info == passport.x5u:
        return []
    return [Reason.of("info-x5u-mismatch", f"info <{header.info}> ≠ x5u <{passport.x5u}>")]


def _looks_der(signature: bytes) -> bool:
    return (
        len(signature) in range(8, 73)
        and signature[0] == 0x30
        and signature[1] == len(signature) - 2
    )


def check_signature(passport: Passport, key: ec.EllipticCurvePublicKey) -> list[Reason]:
    """ES256 over the received ``header.payload`` bytes with raw R‖S (RFC 7518 §3.4)."""
    if _jose.verify_es256(key, passport.signing_input, passport.signature):
        return []
    size = len(passport.signature)
    if size == _jose.ES256_SIGNATURE_LENGTH:
        why = "ES256 signature does not verify over the received header.payload"
    elif _looks_der(passport.signature):
        why = f"signature is {size} bytes of DER, not the 64-byte raw R‖S of RFC 7518 §3.4"
    else:
        why = f"signature is {size} bytes, not the 64-byte raw R‖S of RFC 7518 §3.4"
    return [Reason.of("bad-signature", why)]


def check_freshness(
    iat: int | None, now: datetime, *, max_age: timedelta, future_skew: timedelta
) -> list[Reason]:
    """``iat`` within ``max_age`` before ``now`` and ``future_skew`` after it (RFC 8224 §6.2)."""
    if iat is None:
        return []
    age = now.timestamp() - iat
    if age > max_age.total_seconds():
        limit = max_age.total_seconds()
        return [Reason.of("stale", f"iat is {_span(age)} old (max {limit:.0f} s)")]
    if -age > future_skew.total_seconds():
        return [
            Reason.of(
                "iat-in-future",
                f"iat is {_span(-age)} ahead (skew {future_skew.total_seconds():.0f} s)",
            )
        ]
    return []


def _span(seconds: float) -> str:
    """``seconds`` as ``"93784 s"``, with days and hours (or hours and minutes) from an hour on.

    A pasted call judged months later is stale by a number of seconds nobody reads.
    """
    text = f"{seconds:.0f} s"
    whole = abs(round(seconds))
    if whole < 3600:
        return text
    days, rest = divmod(whole, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    return f"{text} ({days} d {hours} h)" if days else f"{text} ({hours} h {minutes} min)"


def check_date(
    date: datetime | None,
    iat: int | None,
    now: datetime,
    *,
    max_age: timedelta,
    future_skew: timedelta,
) -> list[Reason]:
    """The SIP Date header against now (RFC 8224 §6.2 step 4) and against ``iat``."""
    if date is None:
        return []
    reasons = []
    age = (now - date).total_seconds()
    if age > max_age.total_seconds():
        reasons.append(Reason.of("stale", f"Date header is {_span(age)} old (RFC 8224 §6.2)"))
    elif -age > future_skew.total_seconds():
        reasons.append(
            Reason.of("iat-in-future", f"Date header is {_span(-age)} ahead (RFC 8224 §6.2)")
        )
    if iat is not None and abs(date.timestamp() - iat) > max_age.total_seconds():
        gap = date.timestamp() - iat
        reasons.append(Reason.of("date-mismatch", f"Date header and iat differ by {_span(gap)}"))
    return reasons


_TN_PAIRING = builder(TnPairing)


def _orig_pair(orig_tn: str | None, label: str, tn: str | None) -> TnPairing:
    if orig_tn is None or tn is None:
        match = "no-tn"
    else:
        match = "equal" if orig_tn == tn else str(compare_tns(orig_tn, tn))
    return _TN_PAIRING(claim="orig", header=label, claim_tn=orig_tn, header_tn=tn, match=match)


def _dest_pair(dest_tns: Sequence[str], label: str, tn: str | None) -> TnPairing:
    joined: str | None = ",".join(dest_tns)
    if tn is None or not dest_tns:
        joined, match = joined or None, "no-tn"
    elif tn in dest_tns:
        match = "equal"  # the strongest: no need to rank the others
    else:
        match = str(min((compare_tns(d, tn) for d in dest_tns), key=_STRENGTH.__getitem__))
    return _TN_PAIRING(claim="dest", header=label, claim_tn=joined, header_tn=tn, match=match)


def _judge(claim: str, pairings: Sequence[TnPairing], accepted: frozenset[str]) -> list[Reason]:
    if pairings and accepted.issuperset(map(_MATCH, pairings)):
        return []  # every header names a TN and agrees: the usual call
    code = f"{claim}-mismatch"
    compared = [p for p in pairings if p.match != "no-tn"]
    if not compared:
        # Nothing in the SIP headers names a TN the claim could be checked against.
        where = " or ".join(p.header for p in pairings)
        return [Reason.of(code, f"no TN in {where} to compare {claim} with")] if pairings else []
    bad = [p for p in compared if p.match not in accepted]
    if not bad:
        return []
    severity: Severity = "warning" if len(bad) < len(compared) else "error"
    return [
        Reason.of(
            code, f"{claim} {p.claim_tn} ≠ {p.header} {p.header_tn} ({p.match})", severity=severity
        )
        for p in bad
    ]


def check_pairings(
    passport: Passport,
    callers: Sequence[tuple[str, str | None, str | None]],
    callees: Sequence[tuple[str, str | None, str | None]],
    accepted: frozenset[str],
) -> tuple[tuple[TnPairing, ...], list[Reason]]:
    """Compare ``orig`` and ``dest`` with each SIP header naming the caller or callee.

    Args:
        passport: The PASSporT.
        callers: ``(label, tn, uri)`` of From and each PAI, compared with ``orig``.
        callees: ``(label, tn, uri)`` of To and the Request-URI, compared with ``dest``.
        accepted: The :class:`~shakentrace.tn.TnMatch` values that count as a match.

    Returns:
        Every pairing, and the reasons: an error when no header agrees with the
        claim, a warning for each header that disagrees while another agrees.
    """
    orig_tn, dest_tns = passport.orig_tn, passport.dest_tns
    origs = [_orig_pair(orig_tn, label, tn) for label, tn, _ in callers]
    dests = [_dest_pair(dest_tns, label, tn) for label, tn, _ in callees]
    reasons = _judge("orig", origs, accepted) if orig_tn is not None else []
    if dest_tns:
        reasons += _judge("dest", dests, accepted)
    return (*origs, *dests), reasons


def reconstructions(
    passport: Passport,
    header: IdentityHeader,
    *,
    origs: Iterable[tuple[str, dict[str, Any]]],
    dests: Iterable[tuple[str, dict[str, Any]]],
    date: datetime | None,
) -> list[tuple[str, Passport]]:
    """Full-form candidates for a compact PASSporT, rebuilt from SIP (RFC 8224 §5.2).

    x5u comes from ``info``, ``ppt`` from the parameter, ``iat`` from the Date
    header: as a number (RFC 8225 §5.1), then as a string (the RFC 8225 §7.1 and
    RFC 8224 §4.1 examples, which only verify that way).
    """
    if date is None or header.info is None:
        return []
    jose: dict[str, Any] = {"alg": header.alg or "ES256", "typ": "passport", "x5u": header.info}
    if header.ppt is not None:
        jose["ppt"] = header.ppt
    iat = int(date.timestamp())
    candidates = []
    for (orig_label, orig), (dest_label, dest) in ((o, d) for o in origs for d in dests):
        for iat_value, iat_label in ((iat, "a number"), (str(iat), "a string")):
            claims = {"dest": dest, "iat": iat_value, "orig": orig}
            label = f"orig from {orig_label}, dest from {dest_label}, iat from Date as {iat_label}"
            candidates.append((label, expand_compact(passport, jose, claims)))
    return candidates


def _claim_text(value: object) -> str:
    """A claim's value as a permitted value is written: a string as it is, else JSON.

    Permitted values are UTF8Strings (RFC 8226 §8); a value that is not a string
    (an ``rcd`` object) is compared in the RFC 8225 §9 form: sorted members, no
    whitespace.
    """
    return value if isinstance(value, str) else canonical_text(value)


def check_claim_constraints(
    claims: Mapping[str, Any], constraints: Iterable[ClaimConstraints]
) -> list[Reason]:
    """The PASSporT's claims against its certificates' JWT Claim Constraints.

    RFC 8226 §8: every ``mustInclude`` claim is present, and a claim with
    ``permittedValues`` holds one of them; RFC 9118 §3 adds ``mustExclude``. A
    constraint that does not decode cannot be met, so it fails the PASSporT.
    """
    reasons = []
    for rule in constraints:
        where = "EnhancedJWTClaimConstraints" if rule.enhanced else "JWTClaimConstraints"
        if rule.findings:
            problem = "; ".join(rule.findings)
            reasons.append(f"the certificate's {where} do not decode ({problem})")
            continue
        reasons += [
            f"no {name!r} claim, which the certificate's {where} require"
            for name in rule.must_include
            if name not in claims
        ]
        reasons += [
            f"a {name!r} claim, which the certificate's {where} exclude"
            for name in rule.must_exclude
            if name in claims
        ]
        for name, permitted in rule.permitted_values:
            if name in claims and _claim_text(claims[name]) not in permitted:
                shown = _claim_text(claims[name])
                reasons.append(
                    f"{name} is {shown!r}, not one of {list(permitted)} that the"
                    f" certificate's {where} permit"
                )
    return [Reason.of("claims-not-permitted", text) for text in reasons]
