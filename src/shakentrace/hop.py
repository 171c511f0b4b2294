"""Traceback hop records: the types :func:`shakentrace.traceback.infer_hop` returns.

A :class:`Hop` is one provider's view of a call, shaped after the ITG hop record
(traceback-domain §4.1): who handed the call over (:class:`Upstream`, with every
piece of :class:`Evidence`), who signed it (:class:`Signer`), who most likely
originated it (:class:`Originator`), who retargeted it on the way
(:class:`Diverter`), whom to ask next (:class:`TraceRequest`) and the spoofing or
laundering indicators seen (:class:`Finding`). All are frozen; ``to_dict()``
gives JSON-safe data and ``from_dict()`` reads it back, so that a provider can
send its hop records (``trace --json``) and another link them with its own
(:func:`shakentrace.linking.link`). A hop record's keys are only ever added:
readers ignore keys they do not know and give missing ones their defaults, so
records of older and newer versions read alike, with no version field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Self, get_args

from shakentrace import _records
from shakentrace.claims import DEFAULT_LIMITS

if TYPE_CHECKING:
    from shakentrace.providers import ProviderDirectory

__all__ = [
    "CARRIED_IDENTITIES",
    "Diverter",
    "Evidence",
    "Finding",
    "Hop",
    "IdentityValue",
    "Originator",
    "OriginatorKind",
    "Signer",
    "TraceRequest",
    "Upstream",
]

#: The kinds of :attr:`Originator.kind`.
OriginatorKind = Literal["signer-customer", "beyond-gateway", "upstream-unsigned", "unknown"]
#: An Identity header value as received (:attr:`Hop.identities`): longer than other text.
IdentityValue = str
#: Most Identity values a hop record carries, as many as a verifier examines by
#: default (:attr:`Policy.max_identities <shakentrace.verify.Policy.max_identities>`).
CARRIED_IDENTITIES = 16


def iso(moment: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 with ``Z``, or ``None``."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _plain(record: Any) -> dict[str, Any]:
    """A flat record's fields as JSON-safe data."""
    return {f.name: getattr(record, f.name) for f in fields(record)}


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
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    """The provider that handed over the call, as far as the evidence goes.

    Attributes:
        name: The provider, or ``None`` when the evidence names none or conflicts evenly.
        ocn: Its OCN, if known.
        country: Its country, if known.
        evidence: Every observation, including those that point elsewhere or nowhere.
        confidence: ``0`` (nothing) to the strongest evidence's weight (all agree).
        customer: The upstream is a customer of the capturing provider, which is
            therefore the originating provider.
    """

    name: str | None = None
    ocn: str | None = None
    country: str | None = None
    evidence: tuple[Evidence, ...] = ()
    confidence: float = 0.0
    customer: bool = False

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
            "customer": self.customer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


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
        x5u: The certificate URL the PASSporT names (stands for the signer when
            the certificate could not be read).
        country: The signer's country, if the directory knows it.
        organization_source: Where the name comes from: ``directory``, ``ocn-csv``,
            ``certificate`` (the subject O of the signing certificate, for an SPC the
            directory lacks; vetted by the STI-CA only if the chain verified), or
            ``None`` when nothing names the signer.
    """

    spc: str | None
    organization: str | None
    attestation: str | None
    origid: str | None
    verified: bool
    iat: datetime | None
    certificate_fingerprint: str | None
    x5u: str | None = None
    country: str | None = None
    organization_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "spc": self.spc,
            "organization": self.organization,
            "organization_source": self.organization_source,
            "attestation": self.attestation,
            "origid": self.origid,
            "verified": self.verified,
            "iat": iso(self.iat),
            "certificate_fingerprint": self.certificate_fingerprint,
            "x5u": self.x5u,
            "country": self.country,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Diverter:
    """A ``div`` PASSporT (RFC 8946; ATIS-1000085): who retargeted the call, and where.

    A provider that forwards a call to a new number signs a ``div`` PASSporT next
    to the SHAKEN one. Unverified, it is only what its certificate claims (RFC
    8224 §6.2), as for :class:`Signer`.

    Attributes:
        spc: SPC (OCN) of the diverter's certificate.
        organization: The diverter's company (directory first, else the certificate O).
        verified: Whether the ``div`` PASSporT verified, chained to the SHAKEN one
            (RFC 8946 §4.2).
        div: The number the call was diverted from (the original target), as signed.
        dest: The number it was diverted to.
        iat: When it was signed.
        x5u: The certificate URL it names.
        organization_source: Where the name comes from, as for :class:`Signer`.
    """

    spc: str | None
    organization: str | None
    verified: bool
    div: str | None
    dest: str | None
    iat: datetime | None = None
    x5u: str | None = None
    organization_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "spc": self.spc,
            "organization": self.organization,
            "organization_source": self.organization_source,
            "verified": self.verified,
            "div": self.div,
            "dest": self.dest,
            "iat": iso(self.iat),
            "x5u": self.x5u,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


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
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceRequest:
    """Where the traceback goes next.

    Attributes:
        target: The provider to ask (``None``: no provider identified).
        ocn: Its OCN, if known.
        ask: What to ask for, with the identifiers to hand over.
        rule: The :mod:`shakentrace.rules` rule that decided.
        contact: The target's traceback contact, from the provider directory.
        rmd: The target's Robocall Mitigation Database number, from the directory.
    """

    target: str | None
    ocn: str | None
    ask: str
    rule: str
    contact: str | None = None
    rmd: str | None = None

    def addressed(self, directory: ProviderDirectory) -> TraceRequest:
        """This request with the target's contact and RMD number from ``directory``."""
        known = directory.find(self.ocn, self.target)
        return self if known is None else replace(self, contact=known.contact, rmd=known.rmd)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A spoofing or laundering indicator.

    Attributes:
        code: The id of the rule that found it: one of
            :data:`~shakentrace.rules.FINDING_RULES` (a hop's own indicators, such
            as ``orig-spoofed``), :data:`~shakentrace.rules.PATH_RULES` (what
            linking the hops shows, such as ``downstream-signed`` or ``gap``) or
            :data:`~shakentrace.rules.REPORT_RULES` (``verdict-differs``).
        message: The rule's conclusion, with specifics.
        source: The standard or observation it rests on.
    """

    code: str
    message: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return _plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


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
        orig_tn: The verified PASSporT's ``orig`` TN, else the P-Asserted-Identity
            (else From) number, else an unverified ``orig``.
        dest_tns: The called number: the verified PASSporT's ``dest`` TNs (as
            signed, before any diversion), else the Request-URI's number (what the
            hop received), else an unverified ``dest``. :func:`shakentrace.calls.split_calls`
            joins a capture to the one upstream of it on the first.
        call_id: The Call-ID at this hop (it changes at every B2BUA).
        number_carrier: The carrier of record of the calling number, from ENUM
            (RFC 6116) when a resolver was given and the directory knows the domain.
        max_forwards: The Max-Forwards the hop received (RFC 3261 §20.22): it
            drops by one at each proxy, and at each B2BUA that passes it on (RFC
            7332 §3), so :func:`~shakentrace.linking.link` reads it as evidence of
            which of two captures is upstream.
        diversions: The ``div`` PASSporTs present: who retargeted the call, from
            which number to which, verified or not (in Identity header order).
        reported_in: Where the record was read from when another provider reported
            it (``trace --hops``: the file and line), ``None`` for a hop inferred
            here from our own capture. A reported hop is its sender's view: its
            verdicts were not reached here, unless :attr:`reverified` says so.
        identities: The Identity header values the hop received, as received
            (at most :data:`CARRIED_IDENTITIES`, each at most 16 384 characters),
            so that whoever reads the record can verify its PASSporT again.
        reverified: For a reported hop, the reader's own verdict on its SHAKEN
            PASSporT (:func:`shakentrace.traceback.reverify_hop`): ``True``
            verified here, ``False`` not (a ``verdict-differs`` finding says why
            when the sender reported otherwise), ``None`` not verified here (a
            hop of our own capture, or a record without its Identity values).
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
    number_carrier: Evidence | None = None
    max_forwards: int | None = None
    diversions: tuple[Diverter, ...] = ()
    reported_in: str | None = None
    identities: tuple[IdentityValue, ...] = ()
    reverified: bool | None = None

    @property
    def finding_codes(self) -> tuple[str, ...]:
        """The finding codes, in order."""
        return tuple(f.code for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data (the hop record)."""
        return {
            "provider": self.provider,
            "provider_ocn": self.provider_ocn,
            "provider_country": self.provider_country,
            "received_at": iso(self.received_at),
            "upstream": self.upstream.to_dict(),
            "signer": self.signer.to_dict() if self.signer else None,
            "likely_originator": self.likely_originator.to_dict(),
            "next_request": self.next_request.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "passport_key": self.passport_key,
            "passport_keys": list(self.passport_keys),
            "identity_count": self.identity_count,
            "orig_tn": self.orig_tn,
            "dest_tns": list(self.dest_tns),
            "call_id": self.call_id,
            "number_carrier": self.number_carrier.to_dict() if self.number_carrier else None,
            "max_forwards": self.max_forwards,
            "diversions": [d.to_dict() for d in self.diversions],
            "reported_in": self.reported_in,
            "identities": list(self.identities),
            "reverified": self.reverified,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Read :meth:`to_dict`'s data back (raises :class:`~shakentrace.errors.HopRecordError`)."""
        return _records.read_record(cls, data, _READERS, cls.__name__)


# What from_dict reads each annotation name as: the record types, and the kinds.
_RECORDS = (Evidence, Upstream, Signer, Diverter, Originator, TraceRequest, Finding, Hop)
_READERS: _records.Readers = {
    **{kind.__name__: kind for kind in _RECORDS},
    "OriginatorKind": _records.choice(*get_args(OriginatorKind)),
    "tuple[IdentityValue, ...]": _records.items(
        _records.text(DEFAULT_LIMITS.max_identity_length), CARRIED_IDENTITIES
    ),
}
