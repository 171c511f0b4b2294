"""shakentrace: SIP / STIR-SHAKEN header forensics.

Parse captured SIP INVITEs and their Identity headers, verify the PASSporTs and
STI certificates they carry, and infer, at each robocall traceback hop, who handed
over the call, who signed it, who most likely originated it and whom to ask next.
"""

from __future__ import annotations

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
from shakentrace.reasons import REASON_CODES, Reason, ReasonCode

__version__ = "0.1.0"

__all__ = [
    "REASON_CODES",
    "CaptureError",
    "CertificateParseError",
    "ConfigurationError",
    "DirectoryError",
    "FetchError",
    "IdentityParseError",
    "ParseError",
    "PassportParseError",
    "Reason",
    "ReasonCode",
    "ShakenTraceError",
    "SipParseError",
    "VerificationError",
    "__version__",
]
