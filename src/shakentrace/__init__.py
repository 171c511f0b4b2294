"""shakentrace: SIP / STIR-SHAKEN header forensics.

Parse captured SIP INVITEs and their Identity headers, verify the PASSporTs and
STI certificates they carry, and infer, at each robocall traceback hop, who handed
over the call, who signed it, who most likely originated it and whom to ask next.
"""

# Every public name is imported on first use (PEP 562: the module ``__getattr__``
# below), so that ``import shakentrace`` and the ``shakentrace`` command's start do
# not pay for dpkt, dnspython, pyasn1 and the rest before they are needed. The
# imports under TYPE_CHECKING are the ones mypy, IDEs and readers see; _LAZY maps each
# name to its defining module, so a name resolves to that module's object (the same
# object, pickled by that module's path as before); tests/test_public_api.py holds
# __all__, _LAZY and these imports to one another. TYPE_CHECKING is spelled here
# rather than imported, so that this module imports nothing (type checkers take any
# name TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
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
    from shakentrace.lookup import (
        DnsAnswer,
        DnsResolver,
        Resolver,
        StaticResolver,
        enum_domain_name,
    )
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
    from shakentrace.traceback import infer_hop, reverify_hop, weigh
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
    "reverify_hop",
    "rules_table",
    "split_calls",
    "tn_from_uri",
    "to_html",
    "to_json",
    "to_text",
    "verify_many",
    "weigh",
]

#: Each public name (but ``__version__``) → the module that defines it.
_LAZY = {
    "split_calls": "shakentrace.calls",
    "CallRecord": "shakentrace.campaigns",
    "Campaign": "shakentrace.campaigns",
    "CampaignKey": "shakentrace.campaigns",
    "NextRequest": "shakentrace.campaigns",
    "find_campaigns": "shakentrace.campaigns",
    "Capture": "shakentrace.capture",
    "CapturedMessage": "shakentrace.capture",
    "CaptureLimits": "shakentrace.capture",
    "CaptureStats": "shakentrace.capture",
    "Endpoint": "shakentrace.capture",
    "open_capture": "shakentrace.capture",
    "CertFacts": "shakentrace.certs",
    "ClaimConstraints": "shakentrace.certs",
    "CrlDistributionPoint": "shakentrace.certs",
    "TNAuthList": "shakentrace.certs",
    "TNRange": "shakentrace.certs",
    "cert_facts": "shakentrace.certs",
    "load_chain": "shakentrace.certs",
    "PassportLimits": "shakentrace.claims",
    "CaptureError": "shakentrace.errors",
    "CertificateParseError": "shakentrace.errors",
    "ConfigurationError": "shakentrace.errors",
    "DirectoryError": "shakentrace.errors",
    "FetchError": "shakentrace.errors",
    "HopRecordError": "shakentrace.errors",
    "IdentityParseError": "shakentrace.errors",
    "ParseError": "shakentrace.errors",
    "PassportParseError": "shakentrace.errors",
    "ShakenTraceError": "shakentrace.errors",
    "SipParseError": "shakentrace.errors",
    "VerificationError": "shakentrace.errors",
    "RecordingFetcher": "shakentrace.evidence",
    "CachingFetcher": "shakentrace.fetch",
    "DirectoryFetcher": "shakentrace.fetch",
    "Fetcher": "shakentrace.fetch",
    "FetchPolicy": "shakentrace.fetch",
    "HttpsFetcher": "shakentrace.fetch",
    "LayeredFetcher": "shakentrace.fetch",
    "StaticFetcher": "shakentrace.fetch",
    "HeaderField": "shakentrace.headers",
    "Headers": "shakentrace.headers",
    "Diverter": "shakentrace.hop",
    "Evidence": "shakentrace.hop",
    "Finding": "shakentrace.hop",
    "Hop": "shakentrace.hop",
    "Originator": "shakentrace.hop",
    "Signer": "shakentrace.hop",
    "TraceRequest": "shakentrace.hop",
    "Upstream": "shakentrace.hop",
    "IdentityHeader": "shakentrace.identity",
    "parse_identity": "shakentrace.identity",
    "Gap": "shakentrace.linking",
    "PathEvent": "shakentrace.linking",
    "Traceback": "shakentrace.linking",
    "link": "shakentrace.linking",
    "DnsAnswer": "shakentrace.lookup",
    "DnsResolver": "shakentrace.lookup",
    "Resolver": "shakentrace.lookup",
    "StaticResolver": "shakentrace.lookup",
    "enum_domain_name": "shakentrace.lookup",
    "Passport": "shakentrace.passport",
    "decode_passport": "shakentrace.passport",
    "encode_passport": "shakentrace.passport",
    "Peer": "shakentrace.providers",
    "Provider": "shakentrace.providers",
    "ProviderDirectory": "shakentrace.providers",
    "TrunkGroup": "shakentrace.providers",
    "REASON_CODES": "shakentrace.reasons",
    "Reason": "shakentrace.reasons",
    "ReasonCode": "shakentrace.reasons",
    "call_path_svg": "shakentrace.report",
    "to_html": "shakentrace.report",
    "to_json": "shakentrace.report",
    "to_text": "shakentrace.report",
    "EVIDENCE_SOURCES": "shakentrace.rules",
    "FINDING_RULES": "shakentrace.rules",
    "MARGIN": "shakentrace.rules",
    "NEXT_REQUEST_RULES": "shakentrace.rules",
    "ORIGINATOR_RULES": "shakentrace.rules",
    "PATH_RULES": "shakentrace.rules",
    "EvidenceSource": "shakentrace.rules",
    "HopFacts": "shakentrace.rules",
    "Rule": "shakentrace.rules",
    "rules_table": "shakentrace.rules",
    "SipLimits": "shakentrace.sip",
    "SipMessage": "shakentrace.sip",
    "parse_sip": "shakentrace.sip",
    "ChargingVector": "shakentrace.sipheaders",
    "CSeq": "shakentrace.sipheaders",
    "Diversion": "shakentrace.sipheaders",
    "HistoryEntry": "shakentrace.sipheaders",
    "ReasonHeader": "shakentrace.sipheaders",
    "Via": "shakentrace.sipheaders",
    "TnMatch": "shakentrace.tn",
    "canonical_tn": "shakentrace.tn",
    "compare_tns": "shakentrace.tn",
    "is_anonymous": "shakentrace.tn",
    "tn_from_uri": "shakentrace.tn",
    "infer_hop": "shakentrace.traceback",
    "reverify_hop": "shakentrace.traceback",
    "weigh": "shakentrace.traceback",
    "ChainResult": "shakentrace.trust",
    "TrustStore": "shakentrace.trust",
    "NameAddr": "shakentrace.uri",
    "Params": "shakentrace.uri",
    "Uri": "shakentrace.uri",
    "parse_name_addr": "shakentrace.uri",
    "parse_uri": "shakentrace.uri",
    "CallFacts": "shakentrace.verify",
    "Credential": "shakentrace.verify",
    "IdentityResult": "shakentrace.verify",
    "Outcome": "shakentrace.verify",
    "Policy": "shakentrace.verify",
    "SignerInfo": "shakentrace.verify",
    "TnPairing": "shakentrace.verify",
    "Verifier": "shakentrace.verify",
    "evaluate": "shakentrace.verify",
    "verify_many": "shakentrace.verify",
}


# Hidden from type checkers, which would otherwise take any misspelt name for an object.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """A public name, imported from its module on first use, then kept here."""
        try:
            module = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module 'shakentrace' has no attribute {name!r}") from None
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # the next look-up does not come here
        return value

    def __dir__() -> list[str]:
        """The module's names, the public ones included before their first use."""
        return sorted(globals().keys() | _LAZY.keys())


del TYPE_CHECKING  # not a public name
