"""Traceback inference rules, as data: condition → conclusion, with the source each rests on.

:func:`shakentrace.traceback.infer_hop` and :func:`shakentrace.linking.link` do
nothing but evaluate these tables, so what they conclude can be read, reviewed and
cited here. Each :class:`Rule` pairs a predicate over :class:`HopFacts` (what one
captured INVITE and its verification show) with a human-readable condition, the
conclusion, and the standard or observation it comes from. The tables below are
rendered from the same objects the code runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "EVIDENCE_SOURCES",
    "FINDING_RULES",
    "MARGIN",
    "NEXT_REQUEST_RULES",
    "ORIGINATOR_RULES",
    "PATH_RULES",
    "REPORT_RULES",
    "EvidenceSource",
    "HopFacts",
    "Rule",
    "rules_table",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class HopFacts:
    """What one hop's capture and verification establish, as plain facts.

    Attributes:
        identity_count: Identity header fields present.
        shaken: A SHAKEN PASSporT was decoded.
        verified: Verification succeeded (``Outcome.status == "valid"``).
        attestation: ``A``/``B``/``C`` from the PASSporT, if any.
        signers: Signer (SPC, else x5u) of every SHAKEN PASSporT present.
        orig_matches: ``orig`` equals a P-Asserted-Identity number (without one, the
            From number); ``None`` if not comparable.
        stale: ``iat`` is older than the freshness window when the hop received it.
        orig_domestic: ``orig`` is a NANP (+1) number; ``None`` if no PASSporT.
        verstat_claimed: The ``verstat`` an upstream put in PAI/From, if any.
        verstat_ours: The ``verstat`` our own verification gives.
        upstream_known: The upstream provider was identified.
        upstream_customer: The upstream is a customer of the capturing provider.
    """

    identity_count: int = 0
    shaken: bool = False
    verified: bool = False
    attestation: str | None = None
    signers: tuple[str, ...] = ()
    orig_matches: bool | None = None
    stale: bool = False
    orig_domestic: bool | None = None
    verstat_claimed: str | None = None
    verstat_ours: str | None = None
    upstream_known: bool = False
    upstream_customer: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One inference rule.

    Attributes:
        id: Stable identifier, reported with every conclusion it produces.
        condition: The condition, in words.
        conclusion: What follows (an originator kind, a finding code, a request).
        source: The standard, regulation or field observation it rests on.
        applies: The condition as a predicate over :class:`HopFacts`.
    """

    id: str
    condition: str
    conclusion: str
    source: str
    applies: Callable[[HopFacts], bool] = lambda facts: False


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceSource:
    """A kind of evidence for the upstream provider, and how far it is trusted.

    Attributes:
        name: The evidence label used in hop records.
        weight: Trust in ``[0, 1]``: what the capturing network itself observed
            ranks above what the upstream wrote into the message.
        meaning: What it is.
        source: Where the practice comes from.
    """

    name: str
    weight: float
    meaning: str
    source: str


#: Upstream evidence, strongest first (ITG Incident Data lists the originating IP
#: address; B2BUAs rewrite Via/Record-Route/Call-ID: traceback-domain §4.2).
EVIDENCE_SOURCES: tuple[EvidenceSource, ...] = (
    EvidenceSource(
        name="packet-source",
        weight=0.9,
        meaning="source address of the packet that carried the INVITE, matched to a peer",
        source="ITG Incident Data: originating IP address; 47 CFR 64.1200(n)(1)",
    ),
    EvidenceSource(
        name="trunk-group",
        weight=0.9,
        meaning="tgrp/trunk-context of the ingress trunk, matched to a peer",
        source="RFC 4904 §5",
    ),
    EvidenceSource(
        name="via-received",
        weight=0.6,
        meaning="received parameter of the top Via (set by our own edge)",
        source="RFC 3261 §18.2.1",
    ),
    EvidenceSource(
        name="ptr",
        weight=0.5,
        meaning="PTR name of the peer address, matched to a peer domain",
        source="RFC 1035 §3.5",
    ),
    EvidenceSource(
        name="orig-ioi",
        weight=0.4,
        meaning="P-Charging-Vector orig-ioi, written by the upstream network",
        source="RFC 7315 §4.6 (P-Charging-Vector)",
    ),
    EvidenceSource(
        name="via-sent-by",
        weight=0.3,
        meaning="sent-by host of the top Via, written by the upstream",
        source="RFC 3261 §20.42",
    ),
    EvidenceSource(
        name="record-route",
        weight=0.3,
        meaning="host of the top Record-Route, written by the upstream",
        source="RFC 3261 §20.30",
    ),
)

#: Conflicting upstream evidence names a provider only if that provider's strongest
#: evidence outweighs every rival's strongest by this much; otherwise ``unknown``.
MARGIN = 0.3

#: Who most likely originated the call; the first rule that applies wins.
ORIGINATOR_RULES: tuple[Rule, ...] = (
    Rule(
        id="O7-our-customer",
        condition=(
            "the call came from a customer of the capturing provider, with no verified "
            "PASSporT (one would name its signer, O3/O4)"
        ),
        conclusion="signer-customer",
        source=(
            "ITG P&P (a traceback ends at the originating provider, which identifies "
            "its customer); 47 CFR 64.1200(n) (originating providers act on it)"
        ),
        applies=lambda f: f.upstream_customer and not f.verified,
    ),
    Rule(
        id="O1-no-passport",
        condition="no SHAKEN PASSporT",
        conclusion="upstream-unsigned",
        source="47 CFR 64.6302 (Identity may be absent: non-IP segment, stripping exceptions)",
        applies=lambda f: not f.shaken,
    ),
    Rule(
        id="O2-unusable-passport",
        condition="PASSporT present but verification failed",
        conclusion="upstream-unsigned",
        source="RFC 8224 §6.2 (claims of a failed PASSporT are not vouched for)",
        applies=lambda f: f.shaken and not f.verified,
    ),
    Rule(
        id="O6-several-signers",
        condition="verified, but SHAKEN PASSporTs from several signers",
        conclusion="unknown",
        source=(
            "47 CFR 64.6302 (a provider in the path added its own PASSporT); "
            "no standard orders Identity header fields by when they were signed"
        ),
        applies=lambda f: f.verified and len(set(f.signers)) > 1,
    ),
    Rule(
        id="O3-full-or-partial",
        condition="verified, attestation A or B",
        conclusion="signer-customer",
        source="ATIS-1000074 §5.2.3: A/B signer knows the customer behind origid",
        applies=lambda f: f.verified and f.attestation in ("A", "B"),
    ),
    Rule(
        id="O4-gateway",
        condition="verified, attestation C",
        conclusion="beyond-gateway",
        source="ATIS-1000074 §5.2.3 (C: gateway); FCC 22-37 gateway providers sign",
        applies=lambda f: f.verified and f.attestation == "C",
    ),
    Rule(
        id="O5-undetermined",
        condition="anything else",
        conclusion="unknown",
        source="never guess",
        applies=lambda f: True,
    ),
)

#: Whom to ask next, by originator kind (``condition`` holds the kind).
NEXT_REQUEST_RULES: tuple[Rule, ...] = (
    Rule(
        id="N1-ask-signer-customer",
        condition="signer-customer",
        conclusion="signer: the customer behind origid at iat",
        source="RFC 8588 §4 (origid for traceback); ATIS-1000088",
    ),
    Rule(
        id="N2-ask-gateway-upstream",
        condition="beyond-gateway",
        conclusion="signer: the upstream (ingress trunk) behind origid at iat",
        source="FCC 22-37 (gateway knows its foreign upstream); ATIS-1000088",
    ),
    Rule(
        id="N3-ask-upstream",
        condition="upstream-unsigned, upstream identified",
        conclusion="upstream: the provider it received the call from",
        source="47 CFR 64.1200(n)(1) (24-hour traceback response)",
    ),
    Rule(
        id="N5-act-on-customer",
        condition="signer-customer, the call came from our own customer",
        conclusion="ourselves: the caller at that customer, and act on it",
        source="ITG P&P (originating provider: identify the customer, warn or terminate)",
    ),
    Rule(
        id="N4-ask-own-records",
        condition="upstream not identified",
        conclusion="ourselves: the ingress trunk in our CDRs/SBC logs",
        source="ITG P&P (CDR is the authoritative ingress record)",
    ),
)

_VERSTAT_PASS = "tn-validation-passed"


def _verstat(value: str | None) -> tuple[bool, str | None]:
    """Whether a ``verstat`` says passed, and the attestation a vendor suffix names.

    3GPP TS 24.229 gives ``TN-Validation-Passed``; some carriers append the
    attestation (Telnyx sends ``TN-Validation-Passed-B``).
    """
    folded = (value or "").lower()
    if folded == _VERSTAT_PASS:
        return True, None
    base, _, suffix = folded.rpartition("-")
    if base == _VERSTAT_PASS and suffix in ("a", "b", "c"):
        return True, suffix.upper()
    return False, None


def _verstat_result(value: str | None) -> bool:
    """Whether a ``verstat`` reports a verification result (passed or failed).

    ``No-TN-Validation`` (3GPP TS 24.229 §7.2A.20) says no validation was done,
    which is what a verifier writes for a call that reached it without an Identity.
    """
    return value is not None and value.lower() != "no-tn-validation"


#: Findings about one hop; every rule that applies adds its finding.
FINDING_RULES: tuple[Rule, ...] = (
    Rule(
        id="orig-spoofed",
        condition="orig differs from the P-Asserted-Identity number (else From's)",
        conclusion="caller ID changed after signing, or a reused PASSporT",
        source="RFC 8224 §5.2; RFC 8588 §5 (orig must be the calling TN)",
        applies=lambda f: f.shaken and f.orig_matches is False,
    ),
    Rule(
        id="identity-stripped",
        condition="no Identity, but an upstream verstat shows it was verified (passed or failed)",
        conclusion="the Identity header was removed after verification",
        source="47 CFR 64.6302(a) (pass Identity unaltered); 3GPP TS 24.229 verstat",
        applies=lambda f: f.identity_count == 0 and _verstat_result(f.verstat_claimed),
    ),
    Rule(
        id="resigned",
        condition="several SHAKEN PASSporTs from different signers",
        conclusion="a provider in the path signed the call again",
        source="47 CFR 64.6302 (intermediates pass the PASSporT unaltered)",
        applies=lambda f: len(set(f.signers)) > 1,
    ),
    Rule(
        id="stale-at-hop",
        condition="iat older than the freshness window when this hop received it",
        conclusion="replayed PASSporT, or a delayed or mis-clocked path",
        source="RFC 8224 §6.2.2 (60 s freshness)",
        applies=lambda f: f.shaken and f.stale,
    ),
    Rule(
        id="c-attested-domestic-cli",
        condition="verified, attestation C with a NANP calling number",
        conclusion="gateway-signed call presenting a U.S. number (foreign spoofing pattern)",
        source="FCC 22-37; FR 2025-22063 (proposed ban on U.S. CLI on foreign calls)",
        applies=lambda f: f.verified and f.attestation == "C" and bool(f.orig_domestic),
    ),
    Rule(
        id="verstat-mismatch",
        condition="an upstream's verstat contradicts our verification",
        conclusion="verstat is unsigned: an upstream claimed a result we do not get",
        source="3GPP TS 24.229 §7.2A.20 (verstat); traceback-domain §2.10",
        applies=lambda f: (
            _verstat_result(f.verstat_claimed)
            and f.identity_count > 0
            and _verstat(f.verstat_claimed)[0] != _verstat(f.verstat_ours)[0]
        ),
    ),
    Rule(
        id="verstat-attestation-mismatch",
        condition="an upstream's verstat names another attestation than the verified PASSporT's",
        conclusion="the attestation shown downstream is not the one signed",
        source="traceback-domain §2.9 (attestation in headers vs PASSporT), §2.10 (-A/-B/-C)",
        applies=lambda f: (
            f.verified
            and f.attestation is not None
            and _verstat(f.verstat_claimed)[1] not in (None, f.attestation)
        ),
    ),
)

#: Findings about the path, from consecutive captures (see :func:`shakentrace.linking.link`).
PATH_RULES: tuple[Rule, ...] = (
    Rule(
        id="identity-stripped",
        condition="the upstream capture carried a PASSporT, this one none",
        conclusion="stripped by the upstream provider or on the link (TDM)",
        source="47 CFR 64.6302(a)",
    ),
    Rule(
        id="resigned",
        condition="the upstream capture carried a different PASSporT",
        conclusion="the upstream provider replaced the PASSporT",
        source="47 CFR 64.6302; ITG 2025 (A/B applied downstream)",
    ),
    Rule(
        id="first-signed",
        condition="the upstream capture carried no PASSporT, this one does",
        conclusion="the upstream provider signed the call (the signing hop)",
        source="ATIS-1000074 §5 (authentication at the originating or gateway provider)",
    ),
    Rule(
        id="downstream-signed",
        condition=(
            "A/B at the signing hop, and the signer is neither that hop nor its upstream, "
            "or the signer itself received the call from another provider"
        ),
        conclusion="A/B applied by a provider that did not originate the call",
        source="ITG 2025 observations (~1,000 tracebacks); FCC 24-60 (Lingo)",
    ),
    Rule(
        id="originating-provider",
        condition=(
            "the signer of a verified A/B PASSporT captured the call itself, "
            "arriving from one of its customers"
        ),
        conclusion="the originating provider is found; its customer is behind origid",
        source="ITG P&P (traceback ends at the originating provider or customer)",
    ),
    Rule(
        id="entry-point",
        condition=(
            "a U.S. provider received the call from a foreign one; else a C signer, "
            "unless its own capture shows the call coming from a U.S. provider or a customer"
        ),
        conclusion="the U.S. point of entry (gateway provider)",
        source=(
            "FCC 22-37 (gateway provider: first U.S. provider from a foreign one); "
            "FCC 23-18 (intermediates sign unauthenticated domestic calls too)"
        ),
    ),
    Rule(
        id="clock-skew",
        condition=(
            "the upstream capture is timed more than 5 s after this one, "
            "or more than Timer B (32 s) and 5 s before it"
        ),
        conclusion=(
            "a capture clock is wrong: the receipt times, the freshness verdicts and "
            "the times quoted in requests at these hops are suspect (check the CDRs)"
        ),
        source="RFC 3261 §17.1.1.2 (Timer B); RFC 8224 §6.2.2 (freshness by the receiver's clock)",
    ),
    Rule(
        id="order-uncertain",
        condition=(
            "this hop does not name the next capture's provider as its upstream, and "
            "Max-Forwards does not drop from that capture to this one"
        ),
        conclusion=(
            "the two captures are ordered by their receipt times alone, which capture "
            "clocks that disagree can invert: confirm the order (CDRs, the providers' answers)"
        ),
        source=(
            "RFC 3261 §20.22 (Max-Forwards drops at each proxy); RFC 7332 §3 (and at each "
            "B2BUA that passes it on); RFC 8224 §6.2.2 (each verifier's own clock)"
        ),
    ),
    Rule(
        id="gap",
        condition="the upstream named by a hop has no capture",
        conclusion="the traceback waits there (or the provider is non-responsive)",
        source="ITG P&P (non-responsive provider ends a traceback)",
    ),
)


#: Findings about a hop another provider reported (see
#: :func:`shakentrace.traceback.reverify_hop`).
REPORT_RULES: tuple[Rule, ...] = (
    Rule(
        id="verdict-differs",
        condition=(
            "the reported hop's signer (verified, SPC, attestation), numbers or a diversion "
            "are not what verifying the Identity values it carries gives here, or they do "
            "not hold the PASSporT it names"
        ),
        conclusion=(
            "the reporting provider's verdict is its word only: ask which certificate, "
            "trust anchors and time it judged with"
        ),
        source="RFC 8224 §6.2 (each verifier judges with its own trust and clock); ITG P&P",
    ),
)


def _table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return "\n".join(lines) + "\n"


def rules_table() -> str:
    """Render every table above as reStructuredText (used by this module's docs)."""
    rule_header = ("rule", "condition", "conclusion", "source")
    sections = [
        _table(
            "Upstream evidence",
            ("evidence", "weight", "meaning", "source"),
            [(e.name, f"{e.weight:.1f}", e.meaning, e.source) for e in EVIDENCE_SOURCES],
        )
    ]
    for title, rules in (
        ("Likely originator (first match)", ORIGINATOR_RULES),
        ("Next request", NEXT_REQUEST_RULES),
        ("Hop findings", FINDING_RULES),
        ("Path findings (link)", PATH_RULES),
        ("Reported hops (reverify_hop)", REPORT_RULES),
    ):
        rows = [(f"``{r.id}``", r.condition, r.conclusion, r.source) for r in rules]
        sections.append(_table(title, rule_header, rows))
    return "\n".join(sections)


__doc__ = (__doc__ or "") + "\n" + rules_table()
