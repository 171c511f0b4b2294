"""Ground truth for generated traceback scenarios (see :mod:`._network`).

The call as it travels (:class:`Call`), and
what a correct analysis concludes at each hop (:func:`hop_truth`) and over the
path (:func:`path_truth`). "Correct" means: what the evidence in the capture
determines, and ``None``/``unknown`` where it does not (e.g. an unlisted peer, or
rival evidence of similar weight).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from shakentrace.rules import EVIDENCE_SOURCES, MARGIN

__all__ = [
    "SCENARIO_KINDS",
    "Call",
    "HopTruth",
    "NetworkProvider",
    "PathTruth",
    "Token",
    "hop_truth",
    "path_truth",
]

#: The kinds of scenario, one per traceback pattern.
SCENARIO_KINDS = (
    "signed-origin",
    "foreign-gateway",
    "launderer",
    "tdm-strip",
    "spoofer",
    "unsigned-origin",
    "replay",
)
PASSED = "TN-Validation-Passed"
_W = {e.name: e.weight for e in EVIDENCE_SOURCES}


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkProvider:
    """A provider in a generated call path.

    Attributes:
        name: Company name.
        ocn: OCN (``None`` for foreign providers).
        country: ISO country.
        action: ``sign``, ``replay``, ``originate``, ``forward``, ``gateway``,
            ``launder``, ``strip``, ``spoof`` or ``terminate`` (or ``customer``
            for the origin's calling customer, not a provider).
        attest: Attestation it signs with (``sign``/``replay``).
        variant: ``append`` (launderer keeps the old Identity), ``verstat``
            (stripper/spoofer writes a verstat), or ``None``.
        capture: How its capture is degraded: ``no-peer``, ``forged-ioi`` or ``None``.
        responsive: Whether it answers traceback requests (has a capture).
        listed: Whether the directory knows its peering facts.
        address: Its SBC's address.
        host: Its SBC's host name.
        domain: Its SIP domain.
        via_host: What it writes as Via sent-by (address or host name).
        send_ioi: Whether it writes P-Charging-Vector orig-ioi.
        record_route: Whether it adds Record-Route.
        trunk_group: The trunk group its calls arrive on, if signalled.
    """

    name: str
    ocn: str | None
    country: str
    action: str
    attest: str = "A"
    variant: str | None = None
    capture: str | None = None
    responsive: bool = True
    listed: bool = True
    address: str = ""
    host: str = ""
    domain: str = ""
    via_host: str = ""
    send_ioi: bool = False
    record_route: bool = False
    trunk_group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Token:
    """An Identity header value and who signed it."""

    value: str
    signer: NetworkProvider
    attest: str


@dataclass(slots=True, kw_only=True)
class Call:
    """The call as it leaves one provider (mutable while walking the path)."""

    cli: str
    from_tn: str
    from_host: str = "sbc.origin.example"
    tokens: list[Token] = field(default_factory=list)
    verstat: str | None = None
    replayed: bool = False

    def copy(self) -> Call:
        """A copy whose token list can change independently."""
        return replace(self, tokens=list(self.tokens))


@dataclass(frozen=True, slots=True, kw_only=True)
class HopTruth:
    """What a correct analysis of one capture concludes (``None``: undetermined).

    Attributes:
        provider: The capturing provider.
        true_upstream: Who really sent the call (a provider, or the origin's customer).
        upstream: The upstream the evidence determines.
        customer: The upstream determined is a customer of the capturing provider.
        signer: OCN of the call's (first) SHAKEN PASSporT's signer.
        signer_name: Its name.
        attestation: Its attestation.
        verified: Whether it should verify.
        originator_kind: The likely-originator kind the evidence supports.
        originator_provider: The provider that can name the originator.
        next_target: Whom to ask next.
        findings: Hop-level finding codes.
        token: The first Identity value (the correlation key), if any.
        crossing: This U.S. provider received the call from a foreign one, visibly.
    """

    provider: str
    true_upstream: str | None
    upstream: str | None
    customer: bool
    signer: str | None
    signer_name: str | None
    attestation: str | None
    verified: bool
    originator_kind: str
    originator_provider: str | None
    next_target: str | None
    findings: frozenset[str]
    token: str | None
    crossing: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PathTruth:
    """What a correct link of the captures concludes, and who really did what.

    Attributes:
        providers: Capturing providers, terminating first.
        gaps: Upstream names (``None``: unknown) after which a capture is missing.
        signing_hop: Index of the hop where the terminating side's PASSporT first appears.
        entry_point: The U.S. point of entry, where determinable.
        originator_kind: The path's conclusion.
        originator_provider: Its provider.
        next_target: Where the traceback goes next.
        real_originator: Who really originated the call.
        real_entry_point: The real point of entry (``None`` for domestic calls).
        events: ``(code, hop index)`` of each change of the Identity between captures:
            ``first-signed``, ``resigned``, ``identity-stripped``, ``downstream-signed``.
    """

    providers: tuple[str, ...]
    gaps: tuple[str | None, ...]
    signing_hop: int | None
    entry_point: str | None
    originator_kind: str
    originator_provider: str | None
    next_target: str | None
    real_originator: str
    real_entry_point: str | None
    events: frozenset[tuple[str, int]] = frozenset()


def decide(evidence: Sequence[tuple[float, str | None]]) -> str | None:
    """The provider the evidence determines: its strongest evidence beats every rival's
    (unmatched evidence included) by :data:`~shakentrace.rules.MARGIN`."""
    best: dict[str | None, float] = {}
    for weight, name in evidence:
        best[name] = max(best.get(name, 0.0), weight)
    ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[1][1] > ranked[0][1] - MARGIN):
        return None
    return ranked[0][0]


def _evidence(
    sender: NetworkProvider, peer: str | None, forged: NetworkProvider | None
) -> list[tuple[float, str | None]]:
    who = sender.name if sender.listed else None
    found: list[tuple[float, str | None]] = []
    if peer:
        found += [(_W["packet-source"], who), (_W["ptr"], who)]
    if forged is not None:
        found += [(_W["orig-ioi"], forged.name)]
    found += [(_W["via-sent-by"], who)]
    found += [(_W["via-received"], who)] if sender.via_host != sender.address else []
    found += [(_W["record-route"], who)] if sender.record_route else []
    found += [(_W["trunk-group"], who)] if sender.trunk_group else []
    if forged is None and sender.send_ioi:
        found += [(_W["orig-ioi"], who)]
    return found


def _findings(call: Call, verified: bool) -> frozenset[str]:
    first = call.tokens[0] if call.tokens else None
    found = set()
    if first and call.from_tn != call.cli:
        found.add("orig-spoofed")
    if not call.tokens and call.verstat:
        found.add("identity-stripped")
    if len({t.signer.name for t in call.tokens}) > 1:
        found.add("resigned")
    if first and call.replayed:
        found.add("stale-at-hop")
    if first and first.attest == "C" and verified:
        found.add("c-attested-domestic-cli")
    if first and call.verstat and (call.verstat == PASSED) != verified:
        found.add("verstat-mismatch")
    return frozenset(found)


def hop_truth(
    me: NetworkProvider,
    sender: NetworkProvider,
    call: Call,
    *,
    peer: str | None,
    forged: NetworkProvider | None,
) -> HopTruth:
    """What the capture of ``call`` by ``me`` (sent by ``sender``) determines."""
    upstream = decide(_evidence(sender, peer, forged))
    first = call.tokens[0] if call.tokens else None
    verified = bool(first) and call.from_tn == call.cli and not call.replayed
    customer = sender.action == "customer" and upstream == sender.name
    if customer:  # originated here: the capturing provider names its customer
        kind, by = "signer-customer", me.name
    elif first is None or not verified:
        kind, by = "upstream-unsigned", None
    elif len({t.signer.name for t in call.tokens}) > 1:  # who signed first is not shown
        kind, by = "unknown", None
    else:
        kind = "beyond-gateway" if first.attest == "C" else "signer-customer"
        by = first.signer.name
    crossing = me.country == "US" and sender.country != "US" and upstream == sender.name
    return HopTruth(
        provider=me.name,
        true_upstream=sender.name,
        upstream=upstream,
        customer=customer,
        signer=first.signer.ocn if first else None,
        signer_name=first.signer.name if first else None,
        attestation=first.attest if first else None,
        verified=verified,
        originator_kind=kind,
        originator_provider=by,
        next_target=by or upstream,
        findings=_findings(call, verified),
        token=first.value if first else None,
        crossing=crossing,
    )


def _signing_hop(tokens: Sequence[str | None]) -> int | None:
    return next(
        (i for i, t in enumerate(tokens) if t and (i + 1 == len(tokens) or tokens[i + 1] != t)),
        None,
    )


def _laundered(down: HopTruth, up: HopTruth) -> bool:
    """A/B first seen below ``up``, and ``up`` did not sign it or got the call from a carrier."""
    if not down.verified or down.attestation not in ("A", "B") or down.upstream != up.provider:
        return False
    return down.signer_name != up.provider or (up.upstream is not None and not up.customer)


def _events(hops: Sequence[HopTruth]) -> frozenset[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for i, (down, up) in enumerate(itertools.pairwise(hops)):
        if up.token and not down.token:
            found.add(("identity-stripped", i))
        elif up.token and down.token and up.token != down.token:
            found.add(("resigned", i))
        elif down.token and not up.token:
            found.add(("first-signed", i))
            if _laundered(down, up):
                found.add(("downstream-signed", i))
    return frozenset(found)


def path_truth(path: Sequence[NetworkProvider], hops: Sequence[HopTruth]) -> PathTruth:
    """The path-level truth over the captures (terminating first)."""
    gaps = []
    for i, hop in enumerate(hops):
        nxt = hops[i + 1].provider if i + 1 < len(hops) else None
        if hop.customer and nxt is None:
            continue
        if not (hop.upstream is not None and hop.upstream == nxt) and (hop.upstream or nxt):
            gaps.append(hop.upstream)
    c_signers = [h.signer_name for h in hops if h.verified and h.attestation == "C"]
    crossing = [h.provider for h in hops if h.crossing]
    entry = crossing[-1] if crossing else (c_signers[-1] if c_signers else None)
    real_entry = next(
        (q.name for p, q in itertools.pairwise(path) if p.country != "US" and q.country == "US"),
        None,
    )
    last = hops[-1]
    kind, by, target = last.originator_kind, last.originator_provider, last.next_target
    below = hops[-2] if len(hops) > 1 else None
    if (  # the originating provider's own capture: it signed A/B for its customer
        below is not None
        and last.customer
        and last.token is None
        and below.verified
        and below.attestation in ("A", "B")
        and below.signer_name == last.provider
    ):
        kind, by, target = "signer-customer", last.provider, last.provider
    if last.crossing and kind == "upstream-unsigned":  # the call entered the U.S. here
        kind, by = "beyond-gateway", last.provider
    return PathTruth(
        providers=tuple(h.provider for h in hops),
        gaps=tuple(gaps),
        signing_hop=_signing_hop([h.token for h in hops]),
        entry_point=entry,
        originator_kind=kind,
        originator_provider=by,
        next_target=target,
        real_originator=path[0].name,
        real_entry_point=real_entry,
        events=_events(hops),
    )
