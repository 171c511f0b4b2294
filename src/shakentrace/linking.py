"""Join hop records from different providers into one call path (DESIGN §6).

Call-IDs and Vias change at every B2BUA, but the PASSporT travels unaltered
(47 CFR 64.6302), so its signature is the cross-carrier key. :func:`link` orders
the captured hops from the terminating provider towards the origin by their
upstream relations (then by time, flagged ``order-uncertain`` unless Max-Forwards
confirms it), marks each gap where a provider in the path has no capture, and
reads the path for where the Identity first appeared, changed or
vanished and where the call entered the U.S. (:data:`shakentrace.rules.PATH_RULES`).
:mod:`shakentrace.calls` sorts many calls' hops into calls; :mod:`shakentrace.campaigns`
groups the linked calls into campaigns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from shakentrace.hop import Finding, Hop, Originator, Signer, TraceRequest
from shakentrace.rules import PATH_RULES

if TYPE_CHECKING:
    from shakentrace.providers import ProviderDirectory

__all__ = ["Gap", "PathEvent", "Traceback", "link"]

_RULES = {r.id: r for r in PATH_RULES}
# Findings a linking adds to its hops (a path rule's code and source): a forwarded
# traceback record carries them, and a path with other hops may not bear them out.
_PATH_FINDINGS = {(r.id, r.source) for r in PATH_RULES}
_DOMESTIC = "US"
# The clock skew a verifier allows by default (Policy.future_skew), and how long an
# INVITE may take from one provider to the next (RFC 3261 §17.1.1.2, Timer B).
_SKEW = timedelta(seconds=5)
_TIMER_B = timedelta(seconds=32)


def _key(name: str | None) -> str:
    return (name or "").strip().upper()


@dataclass(frozen=True, slots=True, kw_only=True)
class Gap:
    """A provider in the path with no capture: where a real traceback waits.

    Attributes:
        after: Index (in :attr:`Traceback.hops`) of the hop whose upstream is missing.
        provider: The missing provider, or ``None`` if no hop named it.
        ocn: Its OCN, if known.
    """

    after: int
    provider: str | None
    ocn: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {"after": self.after, "provider": self.provider, "ocn": self.ocn}


@dataclass(frozen=True, slots=True, kw_only=True)
class PathEvent:
    """Something that happened to the Identity between two providers.

    Attributes:
        code: ``first-signed``, ``identity-stripped``, ``resigned``, ``downstream-signed``,
            ``clock-skew``, ``order-uncertain``.
        hop: Index of the hop that observed it (the downstream side).
        by: The provider responsible (the upstream side), if known.
        message: The rule's conclusion.
    """

    code: str
    hop: int
    by: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {"code": self.code, "hop": self.hop, "by": self.by, "message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True)
class Traceback:
    """One call's path, terminating provider first.

    Attributes:
        hops: The captured hops, terminating → originating, with path findings added.
        gaps: Providers in the path without a capture.
        events: Where the Identity first appeared, changed or vanished.
        signing_hop: Index of the hop where the (last) PASSporT first appears.
        entry_point: The U.S. point of entry (gateway provider), if determined.
        originator: The path's conclusion on who originated the call.
        next_request: Where the traceback goes next.
        unlinked: Hops that could not be placed in this path.
    """

    hops: tuple[Hop, ...]
    gaps: tuple[Gap, ...] = ()
    events: tuple[PathEvent, ...] = ()
    signing_hop: int | None = None
    entry_point: str | None = None
    originator: Originator | None = None
    next_request: TraceRequest | None = None
    unlinked: tuple[Hop, ...] = ()

    @property
    def providers(self) -> tuple[str, ...]:
        """The capturing providers, terminating first."""
        return tuple(h.provider for h in self.hops)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "hops": [h.to_dict() for h in self.hops],
            "gaps": [g.to_dict() for g in self.gaps],
            "events": [e.to_dict() for e in self.events],
            "signing_hop": self.signing_hop,
            "entry_point": self.entry_point,
            "originator": self.originator.to_dict() if self.originator else None,
            "next_request": self.next_request.to_dict() if self.next_request else None,
            "unlinked": [h.to_dict() for h in self.unlinked],
        }


def _names(hop: Hop) -> set[str]:
    return {_key(hop.provider), _key(hop.provider_ocn)} - {""}


def _upstream_of(hop: Hop, pool: Sequence[Hop]) -> Hop | None:
    wanted = {_key(hop.upstream.name), _key(hop.upstream.ocn)} - {""}
    return next((h for h in pool if wanted & _names(h)), None) if wanted else None


# Before any receipt time; aware, as every Hop.received_at is (a naive one cannot be compared).
_NEVER = datetime.min.replace(tzinfo=UTC)


def _latest(hops: Iterable[Hop]) -> datetime:
    return max((h.received_at for h in hops if h.received_at), default=_NEVER)


def _order(hops: Sequence[Hop]) -> list[Hop]:
    """Terminating first: the hop no other hop names as upstream, latest receipt first."""
    named = set().union(*({_key(h.upstream.name), _key(h.upstream.ocn)} for h in hops))
    heads = [h for h in hops if not (_names(h) & named)] or list(hops)
    heads.sort(key=lambda h: h.received_at or _NEVER, reverse=True)
    path, left = [heads[0]], [h for h in hops if h is not heads[0]]
    while left:
        nxt = _upstream_of(path[-1], left)
        if nxt is None:  # a gap of unknown length: continue with the latest remaining hop
            nxt = max(left, key=lambda h: h.received_at or _NEVER)
        path.append(nxt)
        left.remove(nxt)
    return path


def _gaps(path: Sequence[Hop]) -> list[Gap]:
    """A gap after each hop whose named upstream has no capture next in the path."""
    gaps = []
    for i, hop in enumerate(path):
        upstream = path[i + 1] if i + 1 < len(path) else None
        linked = upstream is not None and _upstream_of(hop, [upstream]) is upstream
        if hop.upstream.customer and upstream is None:
            continue  # the call was originated here: nobody further to ask
        if not linked and (hop.upstream.name is not None or upstream is not None):
            gaps.append(Gap(after=i, provider=hop.upstream.name, ocn=hop.upstream.ocn))
    return gaps


def _event(code: str, hop: int, by: str | None) -> PathEvent:
    return PathEvent(code=code, hop=hop, by=by, message=_RULES[code].conclusion)


def _events(path: Sequence[Hop]) -> list[PathEvent]:
    events = []
    for i in range(len(path) - 1):
        down, up = path[i], path[i + 1]
        # Only the provider that handed ``down`` the call answers for it; without
        # one, unknown providers may sit between the two captures.
        by = down.upstream.name
        if _clocks_disagree(down, up):
            events.append(_event("clock-skew", i, up.provider))
        if _upstream_of(down, [up]) is not up and not _forwarded(down, up):
            events.append(_event("order-uncertain", i, up.provider))
        if up.passport_key and not down.passport_key:
            events.append(_event("identity-stripped", i, by))
        elif up.passport_key and down.passport_key and up.passport_key != down.passport_key:
            events.append(_event("resigned", i, by))
        elif down.passport_key and not up.passport_key:
            events.append(_event("first-signed", i, by))
            if _downstream_signed(down, up):
                events.append(_event("downstream-signed", i, by))
    return events


def _clocks_disagree(down: Hop, up: Hop) -> bool:
    """``up`` handed ``down`` the call, so received it first, and less than Timer B before."""
    if down.received_at is None or up.received_at is None or _upstream_of(down, [up]) is not up:
        return False
    lead = down.received_at - up.received_at
    return lead < -_SKEW or lead > _TIMER_B + _SKEW


def _forwarded(down: Hop, up: Hop) -> bool:
    """Max-Forwards dropped from ``up`` to ``down``: ``up`` is the upstream capture.

    It drops at each proxy (RFC 3261 §16.6) and at each B2BUA that passes it on
    (RFC 7332 §3). A B2BUA that resets it can make it rise downstream, so a rise
    proves nothing either way: it only fails to confirm the order of receipt.
    """
    return (
        down.max_forwards is not None
        and up.max_forwards is not None
        and (up.max_forwards > down.max_forwards)
    )


def _downstream_signed(hop: Hop, up: Hop) -> bool:
    """A/B at the signing hop by a provider that did not originate the call (PATH_RULES).

    ``up`` is the next capture upstream, which carried no PASSporT. If it is the
    provider that handed ``hop`` the call, that provider forwarded a PASSporT it
    did not receive: it must be the signer, and must not have received the call
    from another provider.
    """
    signer = hop.signer
    if signer is None or not signer.verified or signer.attestation not in ("A", "B"):
        return False
    if _upstream_of(hop, [up]) is not up:
        return False  # a provider in between has no capture: it may have signed
    signed_by_up = bool({_key(signer.spc), _key(signer.organization)} & _names(up))
    from_carrier = up.upstream.name is not None and not up.upstream.customer
    return not signed_by_up or from_carrier


def _signing_hop(path: Sequence[Hop], events: Sequence[PathEvent]) -> int | None:
    firsts = [e.hop for e in events if e.code in ("first-signed", "resigned")]
    if firsts:
        return min(firsts)
    signed = [i for i, h in enumerate(path) if h.passport_key]
    return max(signed) if signed and signed[-1] == len(path) - 1 else None


def _crosses_border(hop: Hop) -> bool:
    """A U.S. provider that received the call from a foreign one (FCC 22-37 gateway)."""
    country = hop.upstream.country
    return hop.provider_country == _DOMESTIC and bool(country) and country != _DOMESTIC


def _entry_point(path: Sequence[Hop]) -> str | None:
    for hop in reversed(path):  # the most originating crossing wins
        if _crosses_border(hop):
            return hop.provider
    gateways = [h.signer for h in path if h.signer and h.signer.verified]
    gateway = next(
        (s for s in reversed(gateways) if s.attestation == "C" and not _took_domestic(s, path)),
        None,
    )
    return gateway.organization if gateway else None


def _took_domestic(signer: Signer, path: Sequence[Hop]) -> bool:
    """The signer's own capture shows the call coming from a U.S. provider or a customer.

    Such a C signer is an intermediate signing an unauthenticated domestic call
    (FCC 23-18), not the point where the call entered the U.S.
    """
    ours = {_key(signer.spc), _key(signer.organization)} - {""}
    return any(
        ours & _names(h) and (h.upstream.customer or h.upstream.country == _DOMESTIC) for h in path
    )


def _with_events(path: Sequence[Hop], events: Sequence[PathEvent]) -> tuple[Hop, ...]:
    out = []
    for i, hop in enumerate(path):
        extra = [
            Finding(
                code=e.code,
                message=f"{e.message} ({e.by or 'a provider between the captures'})",
                source=_RULES[e.code].source,
            )
            for e in events
            if e.hop == i and e.code != "first-signed" and e.code not in hop.finding_codes
        ]
        out.append(replace(hop, findings=hop.findings + tuple(extra)) if extra else hop)
    return tuple(out)


def _originating(path: Sequence[Hop], events: Sequence[PathEvent]) -> Hop | None:
    """The signing hop's own capture, when it shows the call entering from a non-provider.

    The downstream neighbour saw a verified A/B PASSporT that this provider signed
    (``first-signed``), and this provider's capture shows the call coming from one
    of its customers: it is the originating provider, and ``origid`` names the
    customer's account.
    """
    if len(path) < 2 or not path[-1].upstream.customer:
        return None
    last, below = path[-1], path[-2]
    signer = below.signer
    flagged = {e.code for e in events if e.hop == len(path) - 2}
    if "first-signed" not in flagged or "downstream-signed" in flagged or signer is None:
        return None
    ours = {_key(signer.spc), _key(signer.organization)} & _names(last)
    return below if ours and signer.verified and signer.attestation in ("A", "B") else None


def _conclusion(
    path: Sequence[Hop], events: Sequence[PathEvent]
) -> tuple[Originator, TraceRequest]:
    last = path[-1]
    if last.likely_originator.kind == "upstream-unsigned" and _crosses_border(last):
        entry = _RULES["entry-point"]
        originator = Originator(
            kind="beyond-gateway",
            provider=last.provider,
            origid=None,
            reason=f"the call entered the U.S. here from {last.upstream.name}: {entry.source}",
            rule=entry.id,
        )
        return originator, last.next_request
    below = _originating(path, events)
    if below is None or below.signer is None:
        return last.likely_originator, last.next_request
    rule = _RULES["originating-provider"]
    origid = below.signer.origid
    originator = Originator(
        kind="signer-customer",
        provider=last.provider,
        origid=origid,
        reason=f"{rule.condition}: {rule.source}",
        rule=rule.id,
    )
    customer = last.upstream.name
    ask = f"identify the caller at your customer {customer} (origid {origid}) and act on it"
    request = TraceRequest(target=last.provider, ocn=last.provider_ocn, ask=ask, rule=rule.id)
    return originator, request


def _as_captured(hop: Hop) -> Hop:
    """``hop`` without the findings an earlier linking added (``link`` is idempotent)."""
    kept = tuple(f for f in hop.findings if (f.code, f.source) not in _PATH_FINDINGS)
    return hop if len(kept) == len(hop.findings) else replace(hop, findings=kept)


def link(hops: Iterable[Hop], *, directory: ProviderDirectory | None = None) -> Traceback:
    """Join one call's hops, captured by different providers, into a :class:`Traceback`.

    Hops whose PASSporT (by signature) is carried by no other hop and that no
    upstream relation reaches are still placed by time; pass one call's hops only
    (see :func:`shakentrace.calls.split_calls` for many calls). Hops of an
    earlier traceback (a provider's forwarded ``trace --json``) are linked afresh:
    the findings that linking added to them are recomputed for the new path.
    ``directory``
    gives the next request's target its contact (:meth:`TraceRequest.addressed
    <shakentrace.hop.TraceRequest.addressed>`), as :func:`~shakentrace.traceback.infer_hop`
    does for each hop's.
    """
    hops = [_as_captured(hop) for hop in hops]
    if not hops:
        return Traceback(hops=())
    path = _order(hops)
    events = _events(path)
    linked = _with_events(path, events)
    originator, request = _conclusion(linked, events)
    return Traceback(
        hops=linked,
        gaps=tuple(_gaps(path)),
        events=tuple(events),
        signing_hop=_signing_hop(path, events),
        entry_point=_entry_point(path),
        originator=originator,
        next_request=request.addressed(directory) if directory is not None else request,
    )
