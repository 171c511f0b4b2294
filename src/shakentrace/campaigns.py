"""Campaigns: many calls grouped by who signed them and how, ranked by volume.

A robocall campaign shows up in a capture as many calls that share a signer
(the STI certificate's SPC), an origination identifier (``origid``, RFC 8588
§4, which the signer maps back to one customer or ingress trunk) and an
attestation level. Calls without an origid are told apart by their
calling-number pattern (neighbour spoofing keeps the NPA-NXX and varies the last
digits); with one, the numbers do not split a campaign: robocallers rarely reuse
numbers (Prasad et al., USENIX Security 2020) and the origid already names who
sent them. Ranking the groups by volume tells an analyst which traceback to start
first, and the group's key is exactly what the next request needs: ask the signer
who is behind ``origid``, or, for unsigned traffic, ask the upstream peer that
handed it over (ITG policies; ATIS-1000088). A call carrying SHAKEN PASSporTs
from several signers is attributed to none of them (signer ``several signers``):
nothing orders Identity header fields by when they were signed, so its request,
like the hop's (rule ``O6-several-signers``), goes to the upstream.

This is the one campaign grouping: ``shakentrace campaigns`` feeds it one
:class:`CallRecord` per captured INVITE, and traceback feeds it one per linked
call (:meth:`CallRecord.from_traceback`, as ``shakentrace trace --campaigns``
does), so both give the same :class:`Campaign` for the same calls.
:meth:`CampaignKey.of` says which campaign one call belongs to.

Pure: records in, campaigns out; memory is bounded by ``max_groups``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from shakentrace._recent import RecentKeys
from shakentrace.errors import ConfigurationError

if TYPE_CHECKING:
    from shakentrace.hop import Hop
    from shakentrace.linking import Traceback
    from shakentrace.providers import ProviderDirectory

__all__ = ["CallRecord", "Campaign", "CampaignKey", "NextRequest", "find_campaigns", "orig_pattern"]

_SAMPLES = 5
_MAX_DISTINCT = 1000
# The signer key of a call with PASSporTs from several signers (no single one attributed).
_SEVERAL_SIGNERS = "several signers"


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """What one captured call contributes to campaign grouping.

    Attributes:
        signer_spc: SPC (OCN) of the signing certificate, when known.
        signer_name: The signer's organisation, when known.
        x5u: The certificate URL, used as the signer's key when the SPC is unknown.
        origid: The PASSporT ``origid``.
        attestation: ``A``, ``B`` or ``C``.
        orig_tn: The calling number, canonical: a verified PASSporT's ``orig``, else
            the number the network asserted (P-Asserted-Identity, else From), else
            an unverified ``orig`` (as :attr:`shakentrace.hop.Hop.orig_tn`).
        dest_tns: Called numbers: a verified PASSporT's ``dest``, else the number the
            call was sent to (as :attr:`shakentrace.hop.Hop.dest_tns`).
        iat: The PASSporT's ``iat``.
        time: When the call was captured.
        status: ``valid``, ``invalid``, ``no-identity``, or ``None`` if not verified.
        upstream: The peer that handed the call over (``address:port``).
        call_id: The SIP Call-ID.
        several_signers: The call carried SHAKEN PASSporTs from several signers. No
            signer is attributed then (the signer fields, ``origid`` and
            ``attestation`` are ``None``), as the hop record names no originator
            (rule ``O6-several-signers``): nothing says which one signed first.
    """

    signer_spc: str | None = None
    signer_name: str | None = None
    x5u: str | None = None
    origid: str | None = None
    attestation: str | None = None
    orig_tn: str | None = None
    dest_tns: tuple[str, ...] = ()
    iat: datetime | None = None
    time: datetime | None = None
    status: str | None = None
    upstream: str | None = None
    call_id: str | None = None
    several_signers: bool = False

    @property
    def signer(self) -> str:
        """The grouping key for the signer.

        ``several signers`` (see :attr:`several_signers`), else ``SPC <spc>``, else
        the x5u, else ``unsigned``.
        """
        if self.several_signers:
            return _SEVERAL_SIGNERS
        if self.signer_spc:
            return f"SPC {self.signer_spc}"
        return self.x5u or "unsigned"

    @classmethod
    def from_traceback(cls, traceback: Traceback) -> CallRecord:
        """What one traced call contributes: the evidence nearest its origin.

        The signer, calling number, time and Call-ID come from the capture nearest
        the origin that carries a SHAKEN PASSporT (where a hop re-signed the call,
        the first signer's: the one the traceback goes back to), else from the
        capture nearest the origin. The upstream peer is the provider that the
        capture nearest the origin names (else that packet's source address). If
        that capture carried PASSporTs from several signers, none is attributed
        (:attr:`several_signers`).
        """
        if not traceback.hops:
            return cls()
        source = next((h for h in reversed(traceback.hops) if h.signer), traceback.hops[-1])
        several = _several_signers(source)
        signer = None if several else source.signer
        return cls(
            signer_spc=signer.spc if signer else None,
            signer_name=signer.organization if signer else None,
            x5u=signer.x5u if signer else None,
            origid=signer.origid if signer else None,
            attestation=signer.attestation if signer else None,
            orig_tn=source.orig_tn,
            dest_tns=source.dest_tns,
            iat=signer.iat if signer else None,
            time=source.received_at,
            status=_status(source),
            upstream=_peer(traceback.hops[-1]),
            call_id=source.call_id,
            several_signers=several,
        )


def _several_signers(hop: Hop) -> bool:
    """The hop carried SHAKEN PASSporTs from several signers (its own ``resigned`` finding).

    ``hop`` is the signed capture nearest the origin, so no capture upstream of it
    carried a PASSporT: a ``resigned`` finding on it is the hop rule's, not the path's.
    """
    return "resigned" in hop.finding_codes


def _status(hop: Hop) -> str:
    """The hop's verification status, as :attr:`shakentrace.verify.Outcome.status` names it.

    A reported hop is ``valid`` when its sender verified it and, where it was
    verified again here (:attr:`~shakentrace.hop.Hop.reverified`), it verified here too.
    """
    if hop.signer is not None and hop.signer.verified and hop.reverified is not False:
        return "valid"
    return "invalid" if hop.signer is not None or hop.identity_count else "no-identity"


def _peer(hop: Hop) -> str | None:
    """The provider that handed ``hop`` the call, else the packet's source address."""
    sources = (e.value for e in hop.upstream.evidence if e.source == "packet-source")
    return hop.upstream.name or next(sources, None)


def orig_pattern(tn: str | None, *, mask_digits: int = 4) -> str:
    """The calling-number pattern: a canonical TN with its last digits masked.

    >>> from shakentrace.campaigns import orig_pattern
    >>> orig_pattern("12155551212")
    '1215555XXXX'
    >>> orig_pattern(None)
    '-'

    Masking at least as many digits as the number has masks them all: the pattern
    then keeps only the length, never the number itself.
    """
    if not tn:
        return "-"
    if not tn.isdigit():
        return tn
    masked = min(mask_digits, len(tn))
    return tn[: len(tn) - masked] + "X" * masked


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class CampaignKey:
    """What the calls of one campaign share."""

    signer: str
    origid: str
    attestation: str
    orig_pattern: str

    @classmethod
    def of(cls, record: CallRecord, *, mask_digits: int = 4) -> CampaignKey:
        """The campaign ``record`` belongs to (as :func:`find_campaigns` groups it).

        A signed call with an ``origid`` has the pattern ``*``: any calling number.

        >>> from shakentrace.campaigns import CallRecord, CampaignKey
        >>> CampaignKey.of(CallRecord(signer_spc="991G", origid="gw-3", attestation="C",
        ...                           orig_tn="13125550037"))
        CampaignKey(signer='SPC 991G', origid='gw-3', attestation='C', orig_pattern='*')
        >>> CampaignKey.of(CallRecord(orig_tn="13125550037"))
        CampaignKey(signer='unsigned', origid='-', attestation='-', orig_pattern='1312555XXXX')
        """
        attributed = record.origid and record.signer != "unsigned"
        return cls(
            signer=record.signer,
            origid=record.origid or "-",
            attestation=record.attestation or "-",
            orig_pattern="*"
            if attributed
            else orig_pattern(record.orig_tn, mask_digits=mask_digits),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NextRequest:
    """Whom to send the next traceback request for a campaign, and what to ask.

    Attributes:
        kind: ``signer`` (ask who is behind ``origid``), ``upstream`` (ask the peer
            that handed the calls over), or ``own-records`` (no upstream known).
        party: The signer or peer to ask.
        ask: The request, in words, with the identifiers to hand over.
        rule: The id of the traceback next-request rule it follows (N1 to N4).
        contact: The party's traceback contact, from a provider directory.
        rmd: The party's Robocall Mitigation Database number, from a provider directory.
    """

    kind: Literal["signer", "upstream", "own-records"]
    party: str
    ask: str
    rule: str
    contact: str | None = None
    rmd: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-safe data."""
        return {
            "kind": self.kind,
            "party": self.party,
            "ask": self.ask,
            "rule": self.rule,
            "contact": self.contact,
            "rmd": self.rmd,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """One group of calls, with its volume and the next traceback request.

    Attributes:
        rank: 1 for the largest campaign.
        key: What the calls share.
        signer_name: The signer's organisation, if known.
        calls: How many calls.
        first_seen: Earliest capture time (else ``iat``).
        last_seen: Latest capture time (else ``iat``).
        statuses: Verification statuses and their counts.
        upstreams: The peers that handed the calls over, most frequent first (top 5).
        orig_samples: Some calling numbers seen (up to 5).
        orig_patterns: The calling-number patterns seen, most frequent first (top 5),
            with their counts; more than one only when the key's pattern is ``*``.
        dest_count: Distinct called numbers (up to 1000 counted).
        call_ids: Some Call-IDs, to quote in the request (up to 5).
        next_request: Whom to ask next.
    """

    rank: int
    key: CampaignKey
    signer_name: str | None
    calls: int
    first_seen: datetime | None
    last_seen: datetime | None
    statuses: tuple[tuple[str, int], ...]
    upstreams: tuple[tuple[str, int], ...]
    orig_samples: tuple[str, ...]
    dest_count: int
    call_ids: tuple[str, ...]
    next_request: NextRequest
    orig_patterns: tuple[tuple[str, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe data."""
        return {
            "rank": self.rank,
            "signer": self.key.signer,
            "signer_name": self.signer_name,
            "origid": self.key.origid,
            "attestation": self.key.attestation,
            "orig_pattern": self.key.orig_pattern,
            "calls": self.calls,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "statuses": dict(self.statuses),
            "upstreams": dict(self.upstreams),
            "orig_samples": list(self.orig_samples),
            "orig_patterns": dict(self.orig_patterns),
            "dest_count": self.dest_count,
            "call_ids": list(self.call_ids),
            "next_request": self.next_request.to_dict(),
        }


@dataclass(slots=True)
class _Group:
    calls: int = 0
    first: datetime | None = None
    last: datetime | None = None
    signer_name: str | None = None
    statuses: Counter[str] = field(default_factory=Counter)
    upstreams: Counter[str] = field(default_factory=Counter)
    origs: list[str] = field(default_factory=list)
    patterns: Counter[str] = field(default_factory=Counter)
    dests: set[str] = field(default_factory=set)
    call_ids: list[str] = field(default_factory=list)

    def add(self, record: CallRecord, pattern: str) -> None:
        self.calls += 1
        if pattern in self.patterns or len(self.patterns) < _MAX_DISTINCT:
            self.patterns[pattern] += 1
        when = record.time or record.iat
        if when is not None:
            self.first = when if self.first is None else min(self.first, when)
            self.last = when if self.last is None else max(self.last, when)
        self.signer_name = self.signer_name or record.signer_name
        self.statuses[record.status or "unverified"] += 1
        if record.upstream and (
            record.upstream in self.upstreams or len(self.upstreams) < _MAX_DISTINCT
        ):
            self.upstreams[record.upstream] += 1
        if record.orig_tn and record.orig_tn not in self.origs and len(self.origs) < _SAMPLES:
            self.origs.append(record.orig_tn)
        if len(self.dests) < _MAX_DISTINCT:
            self.dests.update(record.dest_tns[: _MAX_DISTINCT - len(self.dests)])
        if record.call_id and len(self.call_ids) < _SAMPLES:
            self.call_ids.append(record.call_id)


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _numbers(group: _Group) -> str:
    """The calling numbers in words: the one pattern, else how many patterns."""
    if len(group.patterns) == 1:
        return next(iter(group.patterns))
    more = "+" if len(group.patterns) >= _MAX_DISTINCT else ""
    return f"{len(group.patterns)}{more} calling-number patterns"


def _next_request(key: CampaignKey, group: _Group) -> NextRequest:
    """Signed and attributable: ask the signer (N1/N2); else the top upstream (N3/N4)."""
    window = "in this capture"
    if group.first and group.first == group.last:
        window = f"at {group.first:%Y-%m-%d %H:%M:%S} UTC"
    elif group.first and group.last:
        window = f"between {group.first:%Y-%m-%d %H:%M:%S} and {group.last:%Y-%m-%d %H:%M:%S} UTC"
    signed = key.signer != "unsigned" and group.statuses.get("invalid", 0) < group.calls
    if signed and key.origid != "-":
        rule = "N2-ask-gateway-upstream" if key.attestation == "C" else "N1-ask-signer-customer"
        whom = "upstream trunk" if key.attestation == "C" else "customer"
        ask = (
            f"identify the {whom} behind origid {key.origid} for {_calls(group.calls)} "
            f"attested {key.attestation} from {_numbers(group)} {window}"
        )
        return NextRequest(kind="signer", party=group.signer_name or key.signer, ask=ask, rule=rule)
    if group.upstreams:
        peer = group.upstreams.most_common(1)[0][0]
        ask = f"name the provider that sent {_calls(group.calls)} from {_numbers(group)} {window}"
        return NextRequest(kind="upstream", party=peer, ask=ask, rule="N3-ask-upstream")
    ask = f"find the ingress trunk of {_calls(group.calls)} from {_numbers(group)} {window} in CDRs"
    return NextRequest(kind="own-records", party="own network", ask=ask, rule="N4-ask-own-records")


def find_campaigns(
    records: Iterable[CallRecord],
    *,
    mask_digits: int = 4,
    min_calls: int = 1,
    max_groups: int = 100_000,
    directory: ProviderDirectory | None = None,
) -> tuple[Campaign, ...]:
    """Group calls into campaigns and rank them, largest first.

    Args:
        records: The calls, in any order (read once): one record per call, e.g.
            :meth:`CallRecord.from_traceback` of each linked call. A record with
            the Call-ID of a recent one is a retransmitted INVITE and counts once.
        mask_digits: Trailing calling-number digits ignored by the pattern of a call
            without an origid (0 keeps whole numbers).
        min_calls: Leave out groups smaller than this.
        max_groups: Bound on distinct groups; calls of further groups are counted
            under an ``(other)`` group.
        directory: Names each next request's party as the directory does (the
            signer by its SPC), with its contact and RMD number.

    Raises:
        shakentrace.errors.ConfigurationError: A bound is negative or zero.
    """
    if mask_digits < 0 or min_calls < 1 or max_groups < 1:
        raise ConfigurationError("mask_digits >= 0, min_calls >= 1 and max_groups >= 1 required")
    groups: dict[CampaignKey, _Group] = {}
    overflow = CampaignKey(signer="(other)", origid="-", attestation="-", orig_pattern="-")
    for record in _once_each(records):
        key = CampaignKey.of(record, mask_digits=mask_digits)
        if key not in groups and len(groups) >= max_groups:
            key = overflow
        pattern = orig_pattern(record.orig_tn, mask_digits=mask_digits)
        groups.setdefault(key, _Group()).add(record, pattern)
    ranked = sorted(groups.items(), key=lambda item: (-item[1].calls, item[0]))
    return tuple(
        _campaign(rank, key, group, directory)
        for rank, (key, group) in enumerate(
            ((k, g) for k, g in ranked if g.calls >= min_calls), start=1
        )
    )


def _once_each(records: Iterable[CallRecord]) -> Iterator[CallRecord]:
    """``records`` less retransmissions: a Call-ID seen among the recent ones counts once."""
    recent = RecentKeys()
    return (record for record in records if recent.first_time(record.call_id))


def _addressed(
    request: NextRequest, key: CampaignKey, directory: ProviderDirectory | None
) -> NextRequest:
    """``request`` naming its party as ``directory`` does, with its contact and RMD number.

    The signer is found by its SPC; an upstream peer by name, or as ``address:port``
    by the directory's peering addresses.
    """
    if directory is None or request.kind == "own-records":
        return request
    if request.kind == "signer":
        spc = key.signer.removeprefix("SPC ")  # else the x5u, which names no provider
        known = directory.find(spc, request.party)
    else:
        host = request.party.rsplit(":", 1)[0].strip("[]")
        peer = directory.peer_for_address(host)
        known = directory.find(request.party) or directory.provider_of(peer)
    if known is None:
        return request
    return replace(request, party=known.name, contact=known.contact, rmd=known.rmd)


def _campaign(
    rank: int, key: CampaignKey, group: _Group, directory: ProviderDirectory | None
) -> Campaign:
    return Campaign(
        rank=rank,
        key=key,
        signer_name=group.signer_name,
        calls=group.calls,
        first_seen=group.first,
        last_seen=group.last,
        statuses=tuple(sorted(group.statuses.items())),
        upstreams=tuple(group.upstreams.most_common(_SAMPLES)),
        orig_samples=tuple(group.origs),
        dest_count=len(group.dests),
        call_ids=tuple(group.call_ids),
        orig_patterns=tuple(group.patterns.most_common(_SAMPLES)),
        next_request=_addressed(_next_request(key, group), key, directory),
    )
