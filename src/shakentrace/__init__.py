"""shakentrace: SIP / STIR-SHAKEN header forensics.

Parse captured SIP INVITEs and their Identity headers, verify the PASSporTs and
STI certificates they carry, and infer, at each robocall traceback hop, who handed
over the call, who signed it, who most likely originated it and whom to ask next.
"""

from __future__ import annotations

from shakentrace.campaigns import CallRecord, Campaign, CampaignKey, NextRequest, find_campaigns
from shakentrace.capture import (
    Capture,
    CapturedMessage,
    CaptureLimits,
    CaptureStats,
    Endpoint,
    open_capture,
)
from shakentrace.certs import (
    CertFacts,
    ClaimConstraints,
    CrlDistributionPoint,
    TNAuthList,
    TNRange,
    cert_facts,
    load_chain,
)
from shakentrace.claims import PassportLimits
from shakentrace.errors import (
    CaptureError,
    CertificateParseError,
    ConfigurationError,
    DirectoryError,
    FetchError,
    IdentityParseError,
    ParseError,
    PassportParseError,
    ShakenTraceError,
    SipParseError,
    VerificationError,
)
from shakentrace.fetch import Fetcher, StaticFetcher
from shakentrace.identity import IdentityHeader, parse_identity
from shakentrace.lookup import DnsAnswer, DnsResolver, Resolver, StaticResolver, enum_domain_name
from shakentrace.passport import Passport, decode_passport, encode_passport
from shakentrace.providers import Peer, Provider, ProviderDirectory, TrunkGroup
from shakentrace.reasons import REASON_CODES, Reason, ReasonCode
from shakentrace.sip import HeaderField, Headers, SipLimits, SipMessage, parse_sip
from shakentrace.sipheaders import (
    ChargingVector,
    CSeq,
    Diversion,
    HistoryEntry,
    ReasonHeader,
    Via,
)
from shakentrace.tn import TnMatch, canonical_tn, compare_tns, is_anonymous, tn_from_uri
from shakentrace.trust import ChainResult, TrustStore
from shakentrace.uri import NameAddr, Params, Uri, parse_name_addr, parse_uri
from shakentrace.verify import (
    CallFacts,
    Credential,
    IdentityResult,
    Outcome,
    Policy,
    SignerInfo,
    TnPairing,
    Verifier,
    evaluate,
    verify_many,
)

__version__ = "0.1.0"

__all__ = [
    "REASON_CODES",
    "CSeq",
    "CallFacts",
    "CallRecord",
    "Campaign",
    "CampaignKey",
    "Capture",
    "CaptureError",
    "CaptureLimits",
    "CaptureStats",
    "CapturedMessage",
    "CertFacts",
    "CertificateParseError",
    "ChainResult",
    "ChargingVector",
    "ClaimConstraints",
    "ConfigurationError",
    "Credential",
    "CrlDistributionPoint",
    "DirectoryError",
    "Diversion",
    "DnsAnswer",
    "DnsResolver",
    "Endpoint",
    "FetchError",
    "Fetcher",
    "HeaderField",
    "Headers",
    "HistoryEntry",
    "IdentityHeader",
    "IdentityParseError",
    "IdentityResult",
    "NameAddr",
    "NextRequest",
    "Outcome",
    "Params",
    "ParseError",
    "Passport",
    "PassportLimits",
    "PassportParseError",
    "Peer",
    "Policy",
    "Provider",
    "ProviderDirectory",
    "Reason",
    "ReasonCode",
    "ReasonHeader",
    "Resolver",
    "ShakenTraceError",
    "SignerInfo",
    "SipLimits",
    "SipMessage",
    "SipParseError",
    "StaticFetcher",
    "StaticResolver",
    "TNAuthList",
    "TNRange",
    "TnMatch",
    "TnPairing",
    "TrunkGroup",
    "TrustStore",
    "Uri",
    "VerificationError",
    "Verifier",
    "Via",
    "__version__",
    "canonical_tn",
    "cert_facts",
    "compare_tns",
    "decode_passport",
    "encode_passport",
    "enum_domain_name",
    "evaluate",
    "find_campaigns",
    "is_anonymous",
    "load_chain",
    "open_capture",
    "parse_identity",
    "parse_name_addr",
    "parse_sip",
    "parse_uri",
    "tn_from_uri",
    "verify_many",
]
