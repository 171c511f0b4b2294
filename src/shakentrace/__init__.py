"""shakentrace: SIP / STIR-SHAKEN header forensics.

Parse captured SIP INVITEs and their Identity headers, verify the PASSporTs and
STI certificates they carry, and infer, at each robocall traceback hop, who handed
over the call, who signed it, who most likely originated it and whom to ask next.
"""

from __future__ import annotations

from shakentrace.calls import split_calls
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
    HopRecordError,
    IdentityParseError,
    ParseError,
    PassportParseError,
    ShakenTraceError,
    SipParseError,
    VerificationError,
)
from shakentrace.evidence import RecordingFetcher
from shakentrace.fetch import (
    CachingFetcher,
    DirectoryFetcher,
    Fetcher,
    FetchPolicy,
    HttpsFetcher,
    LayeredFetcher,
    StaticFetcher,
)
from shakentrace.headers import HeaderField, Headers
from shakentrace.hop import (
    Diverter,
    Evidence,
    Finding,
    Hop,
    Originator,
    Signer,
    TraceRequest,
    Upstream,
)
from shakentrace.identity import IdentityHeader, parse_identity
from shakentrace.linking import Gap, PathEvent, Traceback, link
from shakentrace.lookup import DnsAnswer, DnsResolver, Resolver, StaticResolver, enum_domain_name
from shakentrace.passport import Passport, decode_passport, encode_passport
from shakentrace.providers import Peer, Provider, ProviderDirectory, TrunkGroup
from shakentrace.reasons import REASON_CODES, Reason, ReasonCode
from shakentrace.report import call_path_svg, to_html, to_json, to_text
from shakentrace.rules import (
    EVIDENCE_SOURCES,
    FINDING_RULES,
    MARGIN,
    NEXT_REQUEST_RULES,
    ORIGINATOR_RULES,
    PATH_RULES,
    EvidenceSource,
    HopFacts,
    Rule,
    rules_table,
)
from shakentrace.sip import SipLimits, SipMessage, parse_sip
from shakentrace.sipheaders import (
    ChargingVector,
    CSeq,
    Diversion,
    HistoryEntry,
    ReasonHeader,
    Via,
)
from shakentrace.tn import TnMatch, canonical_tn, compare_tns, is_anonymous, tn_from_uri
from shakentrace.traceback import infer_hop, weigh
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
    "EVIDENCE_SOURCES",
    "FINDING_RULES",
    "MARGIN",
    "NEXT_REQUEST_RULES",
    "ORIGINATOR_RULES",
    "PATH_RULES",
    "REASON_CODES",
    "CSeq",
    "CachingFetcher",
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
    "DirectoryFetcher",
    "Diversion",
    "Diverter",
    "DnsAnswer",
    "DnsResolver",
    "Endpoint",
    "Evidence",
    "EvidenceSource",
    "FetchError",
    "FetchPolicy",
    "Fetcher",
    "Finding",
    "Gap",
    "HeaderField",
    "Headers",
    "HistoryEntry",
    "Hop",
    "HopFacts",
    "HopRecordError",
    "HttpsFetcher",
    "IdentityHeader",
    "IdentityParseError",
    "IdentityResult",
    "LayeredFetcher",
    "NameAddr",
    "NextRequest",
    "Originator",
    "Outcome",
    "Params",
    "ParseError",
    "Passport",
    "PassportLimits",
    "PassportParseError",
    "PathEvent",
    "Peer",
    "Policy",
    "Provider",
    "ProviderDirectory",
    "Reason",
    "ReasonCode",
    "ReasonHeader",
    "RecordingFetcher",
    "Resolver",
    "Rule",
    "ShakenTraceError",
    "Signer",
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
    "TraceRequest",
    "Traceback",
    "TrunkGroup",
    "TrustStore",
    "Upstream",
    "Uri",
    "VerificationError",
    "Verifier",
    "Via",
    "__version__",
    "call_path_svg",
    "canonical_tn",
    "cert_facts",
    "compare_tns",
    "decode_passport",
    "encode_passport",
    "enum_domain_name",
    "evaluate",
    "find_campaigns",
    "infer_hop",
    "is_anonymous",
    "link",
    "load_chain",
    "open_capture",
    "parse_identity",
    "parse_name_addr",
    "parse_sip",
    "parse_uri",
    "rules_table",
    "split_calls",
    "tn_from_uri",
    "to_html",
    "to_json",
    "to_text",
    "verify_many",
    "weigh",
]
