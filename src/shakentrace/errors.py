"""The exceptions shakentrace raises.

Parsing raises; verification reports (see ``Outcome``). Every
exception carries a stable machine-readable ``code`` and, where one applies, the
SIP status a verification service would answer with (``sip_code``)::

    ShakenTraceError                      root of everything we raise
    ├── ParseError (ValueError)           input bytes that do not parse
    │   ├── SipParseError                 a SIP message (parse_sip)
    │   ├── IdentityParseError            an Identity header value (parse_identity)
    │   ├── PassportParseError            a PASSporT token (decode_passport)
    │   ├── CertificateParseError         a certificate or chain (certs)
    │   ├── CaptureError                  a capture file (text, pcap, pcapng, HEP)
    │   ├── DirectoryError                a provider directory file
    │   └── HopRecordError                a hop record's JSON data (Hop.from_dict)
    ├── FetchError                        x5u or CRL retrieval refused or failed
    ├── VerificationError                 Outcome.raise_for_failure()
    └── ConfigurationError (ValueError)   misuse: bad Policy, bad arguments

Codes are part of the public contract: they may be added, never renamed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from shakentrace._outcome import Outcome

__all__ = [
    "CaptureError",
    "CertificateParseError",
    "ConfigurationError",
    "DirectoryError",
    "FetchError",
    "HopRecordError",
    "IdentityParseError",
    "ParseError",
    "PassportParseError",
    "ShakenTraceError",
    "SipParseError",
    "VerificationError",
]


class ShakenTraceError(Exception):
    """Root of every exception shakentrace raises.

    Attributes:
        code: A stable, machine-readable identifier of what went wrong.
        sip_code: The SIP status a verification service would send for it, if any.
    """

    default_code: ClassVar[str] = "error"
    default_sip_code: ClassVar[int | None] = None

    def __init__(self, message: str, *, code: str | None = None, sip_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.sip_code = sip_code if sip_code is not None else self.default_sip_code

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ParseError(ShakenTraceError, ValueError):
    """Input that does not parse. Subclasses name what was being parsed."""

    default_code = "parse-error"


class SipParseError(ParseError):
    """A SIP message that cannot be parsed, or that exceeds a configured bound.

    Attributes:
        line: The 1-based line number where the problem was found, if known.
    """

    default_code = "sip-malformed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        line: int | None = None,
        sip_code: int | None = None,
    ):
        where = f" (line {line})" if line is not None else ""
        super().__init__(message + where, code=code, sip_code=sip_code)
        self.line = line


class IdentityParseError(ParseError):
    """An Identity header value that cannot be parsed (RFC 8224 §4)."""

    default_code = "identity-malformed"
    default_sip_code = 438


class PassportParseError(ParseError):
    """A PASSporT token that cannot be decoded (RFC 8225)."""

    default_code = "passport-malformed"
    default_sip_code = 438


class CertificateParseError(ParseError):
    """A certificate or chain that cannot be loaded."""

    default_code = "cert-invalid"
    default_sip_code = 437


class CaptureError(ParseError):
    """A capture file that cannot be read at all (a bad packet is counted, not raised)."""

    default_code = "capture-unreadable"


class DirectoryError(ParseError):
    """A provider directory file that cannot be loaded."""

    default_code = "directory-malformed"


class HopRecordError(ParseError):
    """A hop record's data (as another provider sent it) that does not read as one."""

    default_code = "hop-record-malformed"


class FetchError(ShakenTraceError):
    """A certificate (x5u) or CRL could not be retrieved.

    ``code`` is ``x5u-forbidden`` when the fetch policy refused the URL or the
    address it resolves to, and ``cert-unavailable`` when the fetch itself failed.
    """

    default_code = "cert-unavailable"
    default_sip_code = 436


class VerificationError(ShakenTraceError):
    """Raised by ``Outcome.raise_for_failure()`` for a failed verification.

    Attributes:
        outcome: The :class:`~shakentrace.verify.Outcome` that failed (its
            ``sip_code``, ``reason_header`` and every reason).
    """

    default_code = "verification-failed"

    def __init__(
        self,
        message: str,
        *,
        outcome: Outcome,
        code: str | None = None,
        sip_code: int | None = None,
    ):
        super().__init__(message, code=code, sip_code=sip_code)
        self.outcome: Outcome = outcome


class ConfigurationError(ShakenTraceError, ValueError):
    """Misuse of the API: an invalid ``Policy`` or argument."""

    default_code = "configuration"
