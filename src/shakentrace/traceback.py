"""Traceback hop records: who handed us the call, who signed it, whom to ask next.

:func:`infer_hop` turns one captured INVITE, its verification
:class:`~shakentrace.verify.Outcome` and the capturing provider's
:class:`~shakentrace.providers.ProviderDirectory` into a :class:`~shakentrace.hop.Hop` (DESIGN §6).
Every conclusion names the rule of :mod:`shakentrace.rules` it comes from;
conflicting evidence is kept and lowers the confidence, and where the evidence does
not decide, the answer is ``unknown`` rather than a guess. :func:`reverify_hop`
checks a hop another provider reported against our own verification of the
PASSporT its record carries.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from shakentrace import _observe as obs
from shakentrace.claims import DEFAULT_LIMITS
from shakentrace.hop import (
    CARRIED_IDENTITIES,
    Diverter,
    Evidence,
    Finding,
    Hop,
    Originator,
    OriginatorKind,
    Signer,
    TraceRequest,
    Upstream,
    iso,
)
from shakentrace.lookup import Resolver
from shakentrace.providers import Peer, Provider, ProviderDirectory
from shakentrace.rules import (
    EVIDENCE_SOURCES,
    FINDING_RULES,
    MARGIN,
    NEXT_REQUEST_RULES,
    ORIGINATOR_RULES,
    REPORT_RULES,
    HopFacts,
)
from shakentrace.sip import SipMessage
from shakentrace.verify import CallFacts, IdentityResult, Outcome, Verifier

__all__ = ["infer_hop", "reverify_hop", "weigh"]


_WEIGHTS = {e.name: e.weight for e in EVIDENCE_SOURCES}
_FRESHNESS = timedelta(seconds=60)
_NEXT_RULE = {
    "signer-customer": "N1-ask-signer-customer",
    "beyond-gateway": "N2-ask-gateway-upstream",
    "upstream-unsigned": "N3-ask-upstream",
    "unknown": "N3-ask-upstream",
}
_OURS = "O7-our-customer"
_DIFFERS = REPORT_RULES[0]
_ASK_SIGNER = {
    "signer-customer": "customer",
    "beyond-gateway": "upstream provider (ingress trunk)",
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
    message: obs.MessageView,
    directory: ProviderDirectory,
    peer: str | None,
    resolver: Resolver | None,
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


def _number_carrier(
    tn: str | None, directory: ProviderDirectory, resolver: Resolver | None
) -> Evidence | None:
    """The carrier of record of ``tn`` by ENUM NAPTR (RFC 6116 §2), if the directory knows it."""
    if not tn or resolver is None:
        return None
    for name in resolver.enum(tn).names:
        provider = directory.provider_of(directory.peer_for_host(name))
        if provider is not None:
            return Evidence(source="enum", value=name, provider=provider.name, ocn=provider.ocn)
    return None


def weigh(evidence: tuple[Evidence, ...], directory: ProviderDirectory) -> Upstream:
    """Combine upstream evidence into an :class:`~shakentrace.hop.Upstream`.

    The candidate with the strongest single piece of evidence (then the largest
    total) wins; its confidence is that strongest weight scaled by its share of
    all evidence. Evidence that matches no known peer (an unlisted address, a
    foreign domain) is a rival too: it may block a name but never supplies one. If
    a rival's strongest evidence comes within :data:`~shakentrace.rules.MARGIN` of
    the winner's, the evidence does not decide and no provider is named (all of
    it is still kept).
    """
    totals: dict[str | None, list[float]] = {}
    for item in evidence:
        totals.setdefault(item.provider, []).append(item.weight)
    ranked = sorted(totals.items(), key=lambda kv: (max(kv[1]), sum(kv[1])), reverse=True)
    if not ranked or ranked[0][0] is None:
        return Upstream(evidence=evidence)
    (name, weights), rest = ranked[0], ranked[1:]
    if name is None or (rest and max(rest[0][1]) > max(weights) - MARGIN):
        return Upstream(evidence=evidence)
    share = sum(weights) / sum(sum(w) for _, w in ranked)
    known = directory.provider(name)
    return Upstream(
        name=name,
        ocn=known.ocn if known else None,
        country=known.country if known else None,
        evidence=evidence,
        confidence=round(max(weights) * share, 2),
        customer=directory.is_customer(name),
    )


def _signer(outcome: Outcome, directory: ProviderDirectory) -> Signer | None:
    passport = outcome.passport
    if passport is None:
        return None
    info = outcome.signer
    spc = info.spc if info else None
    company = directory.for_signer(spc, info.organization if info else None)
    return Signer(
        spc=spc,
        organization=company.name if company else None,
        attestation=outcome.attestation or passport.attest,
        origid=outcome.origid or passport.origid,
        verified=outcome.status == "valid",
        iat=outcome.iat or obs.iat_of(passport.iat),
        certificate_fingerprint=info.fingerprint if info else None,
        x5u=passport.x5u,
        country=company.country if company else None,
        organization_source=company.source if company else None,
    )


def _diversions(outcome: Outcome, directory: ProviderDirectory) -> tuple[Diverter, ...]:
    """The call's ``div`` PASSporTs (RFC 8946; ATIS-1000085): who retargeted it, and where."""
    found = []
    for result in outcome.identities:
        passport = result.passport
        if passport is None or result.ppt != "div":
            continue
        info = result.signer
        company = directory.for_signer(
            info.spc if info else None, info.organization if info else None
        )
        found.append(
            Diverter(
                spc=info.spc if info else None,
                organization=company.name if company else None,
                # div-broken (not chained to the SHAKEN PASSporT) fails it too (RFC 8946 §4.2)
                verified=result.status == "valid" and result.signature == "valid",
                div=passport.div.tn if passport.div else None,
                dest=next(iter(passport.dest_tns), None),
                iat=passport.issued_at,
                x5u=passport.x5u,
                organization_source=company.source if company else None,
            )
        )
    return tuple(found)


def _facts(
    message: obs.MessageView,
    outcome: Outcome,
    signer: Signer | None,
    upstream: Upstream,
    when: datetime | None,
) -> HopFacts:
    passports = obs.shaken_passports(outcome)
    orig = outcome.orig_tn if signer else None
    presented = obs.asserted_tns(message)
    codes = {r.code for r in outcome.reasons}
    return HopFacts(
        identity_count=len(message.identities),
        shaken=signer is not None,
        verified=bool(signer and signer.verified),
        attestation=signer.attestation if signer else None,
        signers=tuple(signer for _, signer in passports),
        orig_matches=any(obs.same_tn(orig, tn) for tn in presented) if orig and presented else None,
        # At the hop's receipt when known: the verifier may have judged at another moment.
        stale=obs.is_stale(signer.iat if signer else None, when, _FRESHNESS)
        if when is not None
        else "stale" in codes,
        orig_domestic=obs.is_nanp(orig) if orig else None,
        verstat_claimed=message.verstat,
        verstat_ours=outcome.verstat,
        upstream_known=upstream.name is not None,
        upstream_customer=upstream.customer,
    )


def _originator(facts: HopFacts, signer: Signer | None, me: str) -> Originator:
    rule = next(r for r in ORIGINATOR_RULES if r.applies(facts))
    kind: OriginatorKind = rule.conclusion  # type: ignore[assignment]
    if rule.id == _OURS:  # originated here: the customer is ours to name
        return Originator(
            kind=kind,
            provider=me,
            origid=None,
            reason=f"{rule.condition}: {rule.source}",
            rule=rule.id,
        )
    named = kind in ("signer-customer", "beyond-gateway") and signer is not None
    return Originator(
        kind=kind,
        provider=signer.organization if named and signer else None,
        origid=signer.origid if named and signer else None,
        reason=f"{rule.condition}: {rule.source}",
        rule=rule.id,
    )


def _next_request(
    originator: Originator,
    signer: Signer | None,
    upstream: Upstream,
    dests: tuple[str, str],
    when: str,
) -> TraceRequest:
    """``dests``: the called number as the signer signed it, and as we received it."""
    rule = {r.id: r for r in NEXT_REQUEST_RULES}[_NEXT_RULE[originator.kind]]
    dest, received = dests
    if originator.rule == _OURS:
        ask = (
            f"identify the caller at your customer {upstream.name} of the call to {received} "
            f"at {when}, and act on it"
        )
        return TraceRequest(
            target=originator.provider, ocn=None, ask=ask, rule="N5-act-on-customer"
        )
    if originator.kind in ("signer-customer", "beyond-gateway") and signer is not None:
        what = _ASK_SIGNER[originator.kind]
        ask = (
            f"identify the {what} behind origid {signer.origid} "
            f"for the call to {dest} signed at {iso(signer.iat)}"
        )
        return TraceRequest(target=signer.organization, ocn=signer.spc, ask=ask, rule=rule.id)
    if upstream.name is not None:
        ask = (
            f"identify the provider from which you directly received the call to {received} "
            f"at {when}"
        )
        return TraceRequest(target=upstream.name, ocn=upstream.ocn, ask=ask, rule="N3-ask-upstream")
    ask = f"find the ingress trunk of the call to {received} at {when} in our own CDRs and SBC logs"
    return TraceRequest(target=None, ocn=None, ask=ask, rule="N4-ask-own-records")


def _orig_tn(outcome: Outcome, seen: obs.MessageView, signer: Signer | None) -> str | None:
    """The calling number: a verified orig, else what the network asserted (RFC 8224 §6.2)."""
    asserted = next(iter(obs.asserted_tns(seen)), None)
    if signer is not None and signer.verified:
        return outcome.orig_tn or asserted
    return asserted or outcome.orig_tn


def _dest_tns(outcome: Outcome, signer: Signer | None, r_uri_tn: str | None) -> tuple[str, ...]:
    """The called number: a verified dest, else the Request-URI's, else an unverified dest.

    A verified dest is the number as signed, the same at every hop even after a
    diversion (RFC 8946 keeps the shaken PASSporT). An unverified one is only a
    claim (RFC 8224 §6.2): a replayed PASSporT names the call it was copied from,
    and :func:`~shakentrace.calls.split_calls` joins captures on this number.
    """
    if signer is not None and signer.verified and outcome.dest_tns:
        return outcome.dest_tns
    return (r_uri_tn,) if r_uri_tn else outcome.dest_tns


def _findings(facts: HopFacts) -> tuple[Finding, ...]:
    return tuple(
        Finding(code=r.id, message=r.conclusion, source=r.source)
        for r in FINDING_RULES
        if r.applies(facts)
    )


def infer_hop(
    message: SipMessage,
    outcome: Outcome,
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
        resolver: DNS for the PTR name of ``peer`` and the ENUM carrier of record of
            the calling number; a DNS failure adds no evidence.

    Returns:
        The :class:`~shakentrace.hop.Hop`. Never raises on what the message or outcome contain.
    """
    me = provider if isinstance(provider, Provider) else directory.provider(provider)
    seen = obs.view(message)
    when = obs.hop_time(received_at, seen)
    upstream = weigh(tuple(_upstream_evidence(seen, directory, peer, resolver)), directory)
    signer = _signer(outcome, directory)
    facts = _facts(seen, outcome, signer, upstream, when)
    originator = _originator(facts, signer, me.name if me else str(provider))
    passports = obs.shaken_passports(outcome)
    r_uri_tn = seen.request_uri.tn if seen.request_uri is not None else None
    dest_tns = _dest_tns(outcome, signer, r_uri_tn)
    dest = dest_tns[0] if dest_tns else "?"
    # The upstream and our own CDRs know the call by the number it was sent to,
    # not by a retargeted or unverified PASSporT's dest.
    received = r_uri_tn or dest
    orig_tn = _orig_tn(outcome, seen, signer)
    main = outcome.passport
    return Hop(
        provider=me.name if me else str(provider),
        provider_ocn=me.ocn if me else None,
        provider_country=me.country if me else None,
        received_at=when,
        upstream=upstream,
        signer=signer,
        likely_originator=originator,
        next_request=_next_request(
            originator, signer, upstream, (dest, received), iso(when) or "?"
        ).addressed(directory),
        findings=_findings(facts),
        passport_key=obs.passport_key(main) if main is not None else None,
        passport_keys=tuple(obs.passport_key(p) for p, _ in passports),
        identity_count=facts.identity_count,
        orig_tn=orig_tn,
        dest_tns=dest_tns,
        call_id=seen.call_id,
        number_carrier=_number_carrier(orig_tn, directory, resolver),
        max_forwards=seen.max_forwards,
        diversions=_diversions(outcome, directory),
        identities=_carried(outcome),
    )


def _carried(outcome: Outcome) -> tuple[str, ...]:
    """The Identity values a hop record carries (:attr:`~shakentrace.hop.Hop.identities`)."""
    longest = DEFAULT_LIMITS.max_identity_length
    return tuple(r.raw for r in outcome.identities if len(r.raw) <= longest)[:CARRIED_IDENTITIES]


def reverify_hop(hop: Hop, verifier: Verifier) -> Hop:
    """Verify a reported hop's SHAKEN PASSporT here, and say where the sender's verdict differs.

    Another provider's hop record (:meth:`Hop.from_dict <shakentrace.hop.Hop.from_dict>`)
    carries its verdicts and the Identity values it received
    (:attr:`~shakentrace.hop.Hop.identities`). This verifies them again with
    ``verifier`` (our trust anchors and certificates) as of the hop's receipt time
    (the verifier's clock if the record has none), picks the PASSporT the record
    names (:attr:`~shakentrace.hop.Hop.passport_key`), and sets
    :attr:`~shakentrace.hop.Hop.reverified`. A ``verdict-differs`` finding
    (:data:`shakentrace.rules.REPORT_RULES`) says what differs when the record
    reports that PASSporT verified and it is not verified here, names another SPC,
    attestation or (for a verified PASSporT) calling or called number than the
    PASSporT and its certificate give, or carries Identity
    values that do not hold the PASSporT it names; and the same for each
    diversion it reports (:attr:`~shakentrace.hop.Hop.diversions`, matched to the
    ``div`` PASSporTs by their numbers). Where the sender reports a
    verification failure and the PASSporT verifies here, only ``reverified`` says
    so: the sender also compared it with the SIP headers, which the record does not
    carry. A record holding an Identity value in compact form is left as reported:
    compact forms are rebuilt from the SIP message (RFC 8224 §5).

    Args:
        hop: The reported hop.
        verifier: Our verifier.

    Returns:
        The hop with :attr:`~shakentrace.hop.Hop.reverified` set and an earlier
        ``verdict-differs`` finding replaced; the hop as given, less that finding,
        when it carries no Identity values, names no PASSporT, or holds a compact
        form. Verifying it again gives the same hop.
    """
    kept = tuple(f for f in hop.findings if f.code != _DIFFERS.id)
    hop = replace(hop, findings=kept, reverified=None)
    if hop.passport_key is None or not hop.identities:
        return hop
    outcome = verifier.verify_call(CallFacts(identities=hop.identities), now=hop.received_at)
    # A compact form is rebuilt from SIP headers (RFC 8224 §5), which a record lacks.
    if any(r.header is not None and r.header.compact for r in outcome.identities):
        return hop
    found = [
        (r, r.passport)
        for r in outcome.identities
        if r.passport is not None and obs.passport_key(r.passport) == hop.passport_key
    ]
    if not found:
        return _differs(hop, False, ["the Identity values it carries do not hold its PASSporT"])
    result, passport = found[0]
    verified = result.status == "valid"
    differences = []
    reported = hop.signer
    if reported is not None:
        differences += _differences("", reported.verified, reported.spc, result, verified)
        if reported.attestation != passport.attest:
            differences.append(
                f"reported attestation {reported.attestation}, the PASSporT has {passport.attest}"
            )
        if reported.verified:  # then the record's numbers are the PASSporT's (infer_hop)
            differences += _number_differences(hop, passport.orig_tn, passport.dest_tns)
    divs = {
        (r.passport.div.tn if r.passport.div else None, next(iter(r.passport.dest_tns), None)): r
        for r in outcome.identities
        if r.passport is not None and r.ppt == "div"
    }
    for d in hop.diversions:
        ours = divs.get((d.div, d.dest))
        if ours is None:
            if d.verified:
                differences.append(f"its Identity values hold no diversion {d.div} -> {d.dest}")
            continue
        good = ours.status == "valid" and ours.signature == "valid"  # as infer_hop judges it
        what = f"diversion {d.div} -> {d.dest} "
        differences += _differences(what, d.verified, d.spc, ours, good)
    return _differs(hop, verified, differences)


def _number_differences(hop: Hop, orig: str | None, dest: tuple[str, ...]) -> list[str]:
    """Where a verified hop's numbers are not its PASSporT's: they pick the call to trace."""
    found = []
    if orig and hop.orig_tn != orig:
        found.append(f"reported calling number {hop.orig_tn}, the PASSporT has {orig}")
    if dest and hop.dest_tns != dest:
        reported = ", ".join(hop.dest_tns) or None
        found.append(f"reported called number {reported}, the PASSporT has {', '.join(dest)}")
    return found


def _differences(
    what: str, verified: bool, spc: str | None, ours: IdentityResult, good: bool
) -> list[str]:
    """Where a reported signer (``what``: of the call, or of a diversion) differs from ours."""
    found = []
    if verified and not good:
        errors = ", ".join(r.code for r in ours.reasons if r.severity == "error")
        found.append(f"reported {what}verified, here not ({errors})")
    certified = ours.signer.spc if ours.signer else None
    if spc and certified and spc != certified:
        found.append(f"reported {what}signer SPC {spc}, its certificate names {certified}")
    return found


def _differs(hop: Hop, verified: bool, differences: list[str]) -> Hop:
    findings = hop.findings
    if differences:
        message = "; ".join(differences)
        findings += (Finding(code=_DIFFERS.id, message=message, source=_DIFFERS.source),)
    return replace(hop, findings=findings, reverified=verified)
