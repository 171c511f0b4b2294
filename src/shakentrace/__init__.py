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
from shakentrace.trust import ChainResult, TrustStore

__version__ = "0.1.0"

__all__ = [
    "REASON_CODES",
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
    "ClaimConstraints",
    "ConfigurationError",
    "CrlDistributionPoint",
    "DirectoryError",
    "DnsAnswer",
    "DnsResolver",
    "Endpoint",
    "FetchError",
    "Fetcher",
    "IdentityHeader",
    "IdentityParseError",
    "NextRequest",
    "ParseError",
    "Passport",
    "PassportLimits",
    "PassportParseError",
    "Peer",
    "Provider",
    "ProviderDirectory",
    "Reason",
    "ReasonCode",
    "Resolver",
    "ShakenTraceError",
    "SipParseError",
    "StaticFetcher",
    "StaticResolver",
    "TNAuthList",
    "TNRange",
    "TrunkGroup",
    "TrustStore",
    "VerificationError",
    "__version__",
    "cert_facts",
    "decode_passport",
    "encode_passport",
    "enum_domain_name",
    "find_campaigns",
    "load_chain",
    "open_capture",
    "parse_identity",
]
