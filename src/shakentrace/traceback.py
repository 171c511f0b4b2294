"""Traceback hop records: who handed us the call, who signed it, whom to ask next.

:func:`infer_hop` turns one captured INVITE, its verification
:class:`~shakentrace.verify.Outcome` and the capturing provider's
:class:`~shakentrace.providers.ProviderDirectory` into a :class:`Hop` (DESIGN §6).
Every conclusion names the rule of :mod:`shakentrace.rules` it comes from;
conflicting evidence is kept and lowers the confidence, and where the evidence does
not decide, the answer is ``unknown`` rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from shakentrace import _observe as obs
from shakentrace.lookup import Resolver
from shakentrace.providers import Peer, Provider, ProviderDirectory
from shakentrace.rules import (
    EVIDENCE_SOURCES,
    FINDING_RULES,
    MARGIN,
    NEXT_REQUEST_RULES,
    ORIGINATOR_RULES,
    HopFacts,
)

__all__ = [
    "Evidence",
    "Finding",
    "Hop",
    "Originator",
    "OriginatorKind",
    "Signer",
    "TraceRequest",
    "Upstream",
    "infer_hop",
]

#: The kinds of :attr:`Originator.kind`.
OriginatorKind = Literal["signer-customer", "beyond-gateway", "upstream-unsigned", "unknown"]

_WEIGHTS = {e.name: e.weight for e in EVIDENCE_SOURCES}
_FRESHNESS = timedelta(seconds=60)
_NEXT_RULE = {
    "signer-customer": "N1-ask-signer-customer",
    "beyond-gateway": "N2-ask-gateway-upstream",
    "upstream-unsigned": "N3-ask-upstream",
    "unknown": "N3-ask-upstream",
}
_ASK_SIGNER = {
    "signer-customer": "customer",
    "beyond-gateway": "upstream provider (ingress trunk)",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One observation about the upstream provider.

    Attributes:
        source: The kind of evidence (see :data:`shakentrace.rules.EVIDENCE_SOURCES`).
        value: What was observed (an address, host, trunk group, PTR name).
        provider: The provider it points to, or ``None`` if it matches no peer.
        ocn: That provider's OCN, if known.
        weight: How far this kind of evidence is trusted.
    """

    source: str
    value: str
    provider: str | None = None
    ocn: str | None = None
    weight: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "source": self.source,
            "value": self.value,
            "provider": self.provider,
            "ocn": self.ocn,
            "weight": self.weight,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    """The provider that handed over the call, as far as the evidence goes.

    Attributes:
        name: The provider, or ``None`` when the evidence names none or conflicts evenly.
        ocn: Its OCN, if known.
        country: Its country, if known.
        evidence: Every observation, including those that point elsewhere or nowhere.
        confidence: ``0`` (nothing) to the strongest evidence's weight (all agree).
    """

    name: str | None = None
    ocn: str | None = None
    country: str | None = None
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 0.0

    @property
    def conflicting(self) -> bool:
        """Whether the evidence names more than one provider."""
        return len({e.provider for e in self.evidence if e.provider}) > 1

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "name": self.name,
            "ocn": self.ocn,
            "country": self.country,
            "evidence": [e.to_dict() for e in self.evidence],
            "confidence": self.confidence,
            "conflicting": self.conflicting,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Signer:
    """Who signed the call's SHAKEN PASSporT, and what they vouched for.

    Attributes:
        spc: SPC (OCN) from the certificate's TNAuthList.
        organization: Company name (directory first, else the certificate subject O).
        attestation: ``A``, ``B`` or ``C``.
        origid: The signer's origination identifier.
        verified: Whether the PASSporT verified (signature, certificate, freshness).
        iat: When it was signed.
        certificate_fingerprint: SHA-256 of the signing certificate.
        country: The signer's country, if the directory knows it.
    """

    spc: str | None
    organization: str | None
    attestation: str | None
    origid: str | None
    verified: bool
    iat: datetime | None
    certificate_fingerprint: str | None
    country: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "spc": self.spc,
            "organization": self.organization,
            "attestation": self.attestation,
            "origid": self.origid,
            "verified": self.verified,
            "iat": _iso(self.iat),
            "certificate_fingerprint": self.certificate_fingerprint,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Originator:
    """Who most likely originated the call.

    Attributes:
        kind: ``signer-customer``, ``beyond-gateway``, ``upstream-unsigned`` or ``unknown``.
        provider: The provider that can name the originator (signer or gateway), if any.
        origid: The signer's origination identifier to hand that provider.
        reason: Why, in words.
        rule: The :mod:`shakentrace.rules` rule that decided.
    """

    kind: OriginatorKind
    provider: str | None
    origid: str | None
    reason: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "kind": self.kind,
            "provider": self.provider,
            "origid": self.origid,
            "reason": self.reason,
            "rule": self.rule,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceRequest:
    """Where the traceback goes next.

    Attributes:
        target: The provider to ask (``None``: no provider identified).
        ocn: Its OCN, if known.
        ask: What to ask for, with the identifiers to hand over.
        rule: The :mod:`shakentrace.rules` rule that decided.
    """

    target: str | None
    ocn: str | None
    ask: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {"target": self.target, "ocn": self.ocn, "ask": self.ask, "rule": self.rule}


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A spoofing or laundering indicator.

    Attributes:
        code: ``orig-spoofed``, ``identity-stripped``, ``resigned``, ``downstream-signed``,
            ``stale-at-hop``, ``c-attested-domestic-cli``, ``verstat-mismatch``.
        message: The rule's conclusion, with specifics.
        source: The standard or observation it rests on.
    """

    code: str
    message: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {"code": self.code, "message": self.message, "source": self.source}


@dataclass(frozen=True, slots=True, kw_only=True)
class Hop:
    """One provider's view of the call: a traceback hop record.

    Attributes:
        provider: The capturing provider.
        provider_ocn: Its OCN, if known.
        provider_country: Its country, if known.
        received_at: When it received the call (capture time, else SIP Date).
        upstream: Who handed it the call.
        signer: Who signed the call's SHAKEN PASSporT, or ``None``.
        likely_originator: Who most likely originated it.
        next_request: Whom to ask next.
        findings: Spoofing and laundering indicators.
        passport_key: The cross-carrier key of the call's PASSporT (SHA-256 of its
            signature), or ``None`` without one.
        passport_keys: Keys of every SHAKEN PASSporT present.
        identity_count: Identity headers present.
        orig_tn: The PASSporT's ``orig`` TN, else the From/PAI number.
        dest_tns: The PASSporT's ``dest`` TNs.
        call_id: The Call-ID at this hop (it changes at every B2BUA).
    """

    provider: str
    provider_ocn: str | None = None
    provider_country: str | None = None
    received_at: datetime | None = None
    upstream: Upstream = Upstream()
    signer: Signer | None = None
    likely_originator: Originator
    next_request: TraceRequest
    findings: tuple[Finding, ...] = ()
    passport_key: str | None = None
    passport_keys: tuple[str, ...] = ()
    identity_count: int = 0
    orig_tn: str | None = None
    dest_tns: tuple[str, ...] = ()
    call_id: str | None = None

    @property
    def finding_codes(self) -> tuple[str, ...]:
        """The finding codes, in order."""
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data (the hop record)."""
        return {
            "provider": self.provider,
            "provider_ocn": self.provider_ocn,
            "received_at": _iso(self.received_at),
            "upstream": self.upstream.to_dict(),
            "signer": self.signer.to_dict() if self.signer else None,
            "likely_originator": self.likely_originator.to_dict(),
            "next_request": self.next_request.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "passport_key": self.passport_key,
            "identity_count": self.identity_count,
            "orig_tn": self.orig_tn,
            "dest_tns": list(self.dest_tns),
            "call_id": self.call_id,
        }


def _evidence(source: str, value: str, directory: ProviderDirectory, peer: Peer | None) -> Evidence:
    provider = directory.provider_of(peer)
    return Evidence(
        source=source,
        value=value,
        provider=provider.name if provider else None,
        ocn=provider.ocn if provider else None,
        weight=_WEIGHTS[source],
    )


def _upstream_evidence(
    message: Any, directory: ProviderDirectory, peer: str | None, resolver: Resolver | None
) -> list[Evidence]:
    found: list[Evidence] = []
    if peer:
        found.append(_evidence("packet-source", peer, directory, directory.peer_for_address(peer)))
    for tgrp, context in obs.trunk_groups(message):
        value = f"{tgrp};trunk-context={context}" if context else tgrp
        peer_tg = directory.peer_for_trunk(tgrp, context)
        found.append(_evidence("trunk-group", value, directory, peer_tg))
    received, sent_by = obs.via_facts(message)
    if received:
        peer_via = directory.peer_for_host(received)
        found.append(_evidence("via-received", received, directory, peer_via))
    for source, host in (
        ("orig-ioi", obs.orig_ioi(message)),
        ("via-sent-by", sent_by),
        ("record-route", obs.top_route_host(message)),
    ):
        if host:
            found.append(_evidence(source, host, directory, directory.peer_for_host(host)))
    if peer and resolver is not None:
        for name in resolver.ptr(peer).names:
            found.append(_evidence("ptr", name, directory, directory.peer_for_host(name)))
    return found


def weigh(evidence: tuple[Evidence, ...], directory: ProviderDirectory) -> Upstream:
    """Combine upstream evidence into an :class:`Upstream`.

    The candidate with the strongest single piece of evidence (then the largest
    total) wins; its confidence is that strongest weight scaled by its share of
    all naming evidence. If a rival provider's strongest evidence comes within
    :data:`~shakentrace.rules.MARGIN` of the winner's, the evidence does not
    decide and no provider is named (all of it is still kept).
    """
    totals: dict[str, list[float]] = {}
    for item in evidence:
        if item.provider:
            totals.setdefault(item.provider, []).append(item.weight)
    if not totals:
        return Upstream(evidence=evidence)
    ranked = sorted(totals.items(), key=lambda kv: (max(kv[1]), sum(kv[1])), reverse=True)
    (name, weights), rest = ranked[0], ranked[1:]
    if rest and max(rest[0][1]) > max(weights) - MARGIN:
        return Upstream(evidence=evidence)
    share = sum(weights) / sum(sum(w) for _, w in ranked)
    known = directory.provider(name)
    return Upstream(
        name=name,
        ocn=known.ocn if known else None,
        country=known.country if known else None,
        evidence=evidence,
        confidence=round(max(weights) * share, 2),
    )


def _signer(outcome: Any, directory: ProviderDirectory) -> Signer | None:
    passport = getattr(outcome, "passport", None)
    if passport is None:
        return None
    info = getattr(outcome, "signer", None)
    spc = getattr(info, "spc", None)
    company = directory.for_signer(spc, getattr(info, "organization", None))
    return Signer(
        spc=spc,
        organization=company.name if company else None,
        attestation=getattr(outcome, "attestation", None) or passport.attest,
        origid=getattr(outcome, "origid", None) or passport.origid,
        verified=getattr(outcome, "status", None) == "valid",
        iat=obs.iat_of(getattr(outcome, "iat", None)) or obs.iat_of(passport.iat),
        certificate_fingerprint=getattr(info, "fingerprint", None),
        country=company.country if company else None,
    )


def _facts(
    message: Any, outcome: Any, signer: Signer | None, upstream: Upstream, when: datetime | None
) -> HopFacts:
    passports = obs.shaken_passports(outcome)
    orig = signer and (getattr(outcome, "orig_tn", None) or passports[0].orig_tn)
    presented = obs.from_tns(message)
    codes = {r.code for r in getattr(outcome, "reasons", ())}
    return HopFacts(
        identity_count=len(getattr(message, "identities", ())),
        shaken=signer is not None,
        verified=bool(signer and signer.verified),
        attestation=signer.attestation if signer else None,
        signers=tuple(p.x5u or "" for p in passports),
        orig_matches=any(obs.same_tn(orig, tn) for tn in presented) if orig and presented else None,
        stale="stale" in codes or obs.is_stale(signer.iat if signer else None, when, _FRESHNESS),
        orig_domestic=(obs.digits(orig)[-11:-10] == "1" or len(obs.digits(orig)) == 10)
        if orig
        else None,
        verstat_claimed=obs.verstat_claimed(message),
        verstat_ours=getattr(outcome, "verstat", None),
        upstream_known=upstream.name is not None,
    )


def _originator(facts: HopFacts, signer: Signer | None) -> Originator:
    rule = next(r for r in ORIGINATOR_RULES if r.applies(facts))
    kind: OriginatorKind = rule.conclusion  # type: ignore[assignment]
    named = kind in ("signer-customer", "beyond-gateway") and signer is not None
    return Originator(
        kind=kind,
        provider=signer.organization if named and signer else None,
        origid=signer.origid if named and signer else None,
        reason=f"{rule.condition}: {rule.source}",
        rule=rule.id,
    )


def _next_request(
    originator: Originator, signer: Signer | None, upstream: Upstream, dest: str, when: str
) -> TraceRequest:
    rule = {r.id: r for r in NEXT_REQUEST_RULES}[_NEXT_RULE[originator.kind]]
    if originator.kind in ("signer-customer", "beyond-gateway") and signer is not None:
        what = _ASK_SIGNER[originator.kind]
        ask = (
            f"identify the {what} behind origid {signer.origid} "
            f"for the call to {dest} signed at {_iso(signer.iat)}"
        )
        return TraceRequest(target=signer.organization, ocn=signer.spc, ask=ask, rule=rule.id)
    if upstream.name is not None:
        ask = f"identify the provider from which you directly received the call to {dest} at {when}"
        return TraceRequest(target=upstream.name, ocn=upstream.ocn, ask=ask, rule="N3-ask-upstream")
    ask = f"find the ingress trunk of the call to {dest} at {when} in our own CDRs and SBC logs"
    return TraceRequest(target=None, ocn=None, ask=ask, rule="N4-ask-own-records")


def _findings(facts: HopFacts) -> tuple[Finding, ...]:
    return tuple(
        Finding(code=r.id, message=r.conclusion, source=r.source)
        for r in FINDING_RULES
        if r.applies(facts)
    )


def infer_hop(
    message: Any,
    outcome: Any,
    directory: ProviderDirectory,
    *,
    provider: str | Provider,
    peer: str | None = None,
    received_at: datetime | None = None,
    resolver: Resolver | None = None,
) -> Hop:
    """Build the traceback hop record for one captured INVITE.

    Args:
        message: The INVITE as the capturing provider received it.
        outcome: Its verification (:meth:`shakentrace.verify.Verifier.verify`, best run
            with ``now=received_at``).
        directory: The capturing provider's directory.
        provider: The capturing provider (a :class:`~shakentrace.providers.Provider`,
            or an OCN or name looked up in ``directory``).
        peer: Source address of the packet that carried the INVITE.
        received_at: When it was received (aware); default the SIP Date header.
        resolver: DNS for the PTR name of ``peer``; a DNS failure adds no evidence.

    Returns:
        The :class:`Hop`. Never raises on what the message or outcome contain.
    """
    me = provider if isinstance(provider, Provider) else directory.provider(provider)
    when = obs.hop_time(received_at, message)
    upstream = weigh(tuple(_upstream_evidence(message, directory, peer, resolver)), directory)
    signer = _signer(outcome, directory)
    facts = _facts(message, outcome, signer, upstream, when)
    originator = _originator(facts, signer)
    passports = obs.shaken_passports(outcome)
    dest_tns = tuple(getattr(outcome, "dest_tns", ()) or ())
    dest = dest_tns[0] if dest_tns else str(getattr(message.request_uri, "user", "") or "?")
    main = getattr(outcome, "passport", None)
    return Hop(
        provider=me.name if me else str(provider),
        provider_ocn=me.ocn if me else None,
        provider_country=me.country if me else None,
        received_at=when,
        upstream=upstream,
        signer=signer,
        likely_originator=originator,
        next_request=_next_request(originator, signer, upstream, dest, _iso(when) or "?"),
        findings=_findings(facts),
        passport_key=obs.passport_key(main) if main is not None else None,
        passport_keys=tuple(obs.passport_key(p) for p in passports),
        identity_count=facts.identity_count,
        orig_tn=(getattr(outcome, "orig_tn", None) or next(iter(obs.from_tns(message)), None)),
        dest_tns=dest_tns,
        call_id=getattr(message, "call_id", None),
    )
