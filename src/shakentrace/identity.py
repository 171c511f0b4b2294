"""Identity header values (RFC 8224 §4, RFC 9410): :func:`parse_identity`.

Malformations seen in the wild become findings (reasons), not exceptions: a
missing ``;`` before ``alg`` (PortSIP's and Asterisk's examples), ``info`` without
angle brackets, unknown or repeated parameters, no parameters at all (the input
that crashed Asterisk, GHSA-mrq5-74j5-f5cr). Only a value with no usable token
raises :class:`~shakentrace.errors.IdentityParseError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shakentrace._frozen import builder
from shakentrace.claims import DEFAULT_LIMITS, FrozenMap, PassportLimits
from shakentrace.errors import IdentityParseError
from shakentrace.reasons import Reason, Severity

__all__ = ["KNOWN_PARAMS", "IdentityHeader", "parse_identity"]

#: Parameters RFC 8224 §4 defines for the Identity header.
KNOWN_PARAMS: frozenset[str] = frozenset({"info", "alg", "ppt"})

_PARAM = re.compile(
    r"""\s*(?P<name>[A-Za-z0-9._!%*+`'~-]+)\s*
        (?:=\s*(?P<value><[^<>]*>|"(?:[^"\\]|\\.)*"|[^\s;<>"]*))?\s*""",
    re.VERBOSE,
)
# Printable ASCII; the strict base64url check is decode_passport's, so that a ','
# inside a segment is reported precisely (cgrates' comma-injection vectors).
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityHeader:
    """One Identity header value (RFC 8224 §4), parsed.

    Attributes:
        token: The PASSporT (``header.payload.signature``, or ``..signature``).
        info: The ``info`` URI without angle brackets, if present.
        alg: The ``alg`` parameter, if present.
        ppt: The ``ppt`` parameter without quotes, if present.
        params: Every parameter as received (lower-cased names, raw values).
        compact: Whether the token is in compact form (RFC 8225 §7).
        raw: The value as received.
        findings: Syntax problems found while parsing.
    """

    token: str
    info: str | None
    alg: str | None
    ppt: str | None
    params: Mapping[str, str | None]
    compact: bool
    raw: str
    findings: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the header as JSON-safe data."""
        return {
            "token": self.token,
            "info": self.info,
            "alg": self.alg,
            "ppt": self.ppt,
            "params": dict(self.params),
            "compact": self.compact,
            "findings": [r.to_dict() for r in self.findings],
        }


def _malformed(message: str, severity: Severity = "error") -> Reason:
    return Reason.of("identity-malformed", message, severity=severity)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


# Parameter problems listed per Identity value; more are counted in the last one.
_MAX_FINDINGS = 16


def _scan_params(text: str) -> tuple[dict[str, str | None], list[Reason]]:
    """Read ``;name=value`` parameters, tolerating a missing ``;``."""
    params: dict[str, str | None] = {}
    findings: list[Reason] = []
    pos = 0
    while pos < len(text):
        if text[pos] == ";":
            pos += 1
        elif params:
            findings.append(
                _malformed(f"missing ';' before {text[pos : pos + 12]!r} (RFC 8224 §4)")
            )
        match = _PARAM.match(text, pos)
        if match is None or match.end() == pos:
            findings.append(_malformed(f"unreadable parameter text {text[pos : pos + 24]!r}"))
            break
        name = match["name"].lower()
        if name in params:
            findings.append(_malformed(f"parameter {name} given twice"))
        params.setdefault(name, match["value"])
        pos = match.end()
    if len(findings) > _MAX_FINDINGS:  # 16 KiB of "a;" is 8000 of them: a few say it
        rest = len(findings) - _MAX_FINDINGS + 1
        findings[_MAX_FINDINGS - 1 :] = [_malformed(f"and {rest} more problems like these")]
    return params, findings


def _info(raw: str | None, findings: list[Reason]) -> str | None:
    if raw is None:
        findings.append(_malformed("no info parameter (RFC 8224 §4: ident-info is required)"))
        return None
    if raw.startswith("<") and raw.endswith(">"):
        return raw[1:-1].strip()
    findings.append(_malformed(f"info {raw!r} is not in angle brackets (RFC 8224 §4)"))
    return _unquote(raw)


# The shape nearly every signer sends, parsed without the parameter scanner:
# token;info=<uri>;alg=…;ppt=… in that order, nothing quoted, no spaces. The
# tests hold it to the general parse's answer.
_USUAL = re.compile(
    r"(?P<token>[A-Za-z0-9_.-]+);info=(?P<info><[^<>\"\s;]*>)"
    r";alg=(?P<alg>[A-Za-z0-9]+);ppt=(?P<ppt>[A-Za-z0-9]+)"
)


_IDENTITY_HEADER = builder(IdentityHeader)


def _usual(match: re.Match[str], raw: str) -> IdentityHeader:
    token, info, alg, ppt = match.group("token", "info", "alg", "ppt")
    return _IDENTITY_HEADER(
        token=token,
        info=info[1:-1],
        alg=alg,
        ppt=ppt,
        params=FrozenMap._owning({"info": info, "alg": alg, "ppt": ppt}),
        compact=token.startswith(".."),
        raw=raw,
        findings=(),
    )


def parse_identity(value: str, *, limits: PassportLimits = DEFAULT_LIMITS) -> IdentityHeader:
    """Parse one Identity header value (RFC 8224 §4).

    Args:
        value: The header value: ``token;info=<uri>;alg=ES256;ppt=shaken``.
        limits: Size bounds.

    Returns:
        The parsed header; syntax problems short of a missing token are findings.

    Raises:
        IdentityParseError: The value is empty, too long, or has no token.
    """
    if not isinstance(value, str):
        raise TypeError(f"parse_identity() takes a str, not {type(value).__name__}")
    raw = value
    value = value.strip()
    if not value:
        raise IdentityParseError("empty Identity header value")
    if len(value) > limits.max_identity_length:
        raise IdentityParseError(f"Identity value longer than {limits.max_identity_length}")
    usual = _USUAL.fullmatch(value)
    return _usual(usual, raw) if usual is not None else _general(value, raw)


def _general(value: str, raw: str) -> IdentityHeader:
    """Every shape, every finding (``value`` stripped, non-empty, within bounds)."""
    token, sep, rest = value.partition(";")
    token = token.strip()
    findings: list[Reason] = []
    if not sep:
        # Asterisk crashed on exactly this (GHSA-mrq5-74j5-f5cr): no ';' at all.
        token, _, rest = value.partition(" ")
        rest = rest.strip()
        findings.append(_malformed("no ';' after the token: no parameters (RFC 8224 §4)"))
    if not token:
        raise IdentityParseError(f"Identity value has no PASSporT token: {value[:40]!r}")
    if not _TOKEN_CHARS.fullmatch(token) or any(c in token for c in '<>"'):
        # Name the byte: pasted or mangled tokens (libstirshaken #134) need it.
        bad = next(i for i, c in enumerate(token) if not " " < c < "\x7f" or c in '<>"')
        # A mail or ticket system that wraps long lines leaves whitespace in the token.
        wrapped = ": was the value wrapped? join its lines" if token[bad].isspace() else ""
        raise IdentityParseError(
            f"Identity value has no PASSporT token: character {token[bad]!r} at offset {bad}"
            f" in {value[:40]!r}{wrapped}"
        )
    params, more = _scan_params(rest) if rest else ({}, [])
    findings += more
    info = _info(params.get("info"), findings) if sep or rest else None
    unknown = sorted(set(params) - KNOWN_PARAMS)
    if unknown:
        findings.append(_malformed(f"unknown parameters {', '.join(unknown)}", "warning"))
    ppt = params.get("ppt")
    return IdentityHeader(
        token=token,
        info=info,
        alg=params.get("alg"),
        ppt=_unquote(ppt) if ppt is not None else None,
        params=FrozenMap(params),
        compact=token.startswith(".."),
        raw=raw,
        findings=tuple(findings),
    )
