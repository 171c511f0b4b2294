"""SIP, SIPS and tel URIs, name-addr values and their parameters.

:func:`parse_uri` reads ``sip:``/``sips:`` URIs (RFC 3261 §19.1), ``tel:`` URIs
(RFC 3966) and keeps any other absolute URI opaque. :func:`parse_name_addr` reads
the ``name-addr / addr-spec`` form of From, To, P-Asserted-Identity, Contact and
friends (RFC 3261 §20.10, §25.1). Values are kept as received (no percent
decoding), except quoted display names and quoted parameter values, which are
unquoted.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from shakentrace import _grammar as g
from shakentrace._frozen import builder
from shakentrace.errors import SipParseError

__all__ = ["NameAddr", "Params", "Uri", "parse_name_addr", "parse_params", "parse_uri"]

_SPACE = re.compile(r"\s")
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_QUOTED_AT_START = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class Params(Mapping[str, str | None]):
    """Read-only, order-keeping parameters (``;name=value`` or ``;flag``).

    Names are case-insensitive (RFC 3261 §19.1.4) and stored in lower case; a
    flag parameter maps to ``None``; the first of repeated names wins.
    """

    __slots__ = ("_map",)

    def __init__(self, items: Iterable[tuple[str, str | None]] = ()) -> None:
        mapping: dict[str, str | None] = {}
        for name, value in items:
            mapping.setdefault(name.lower(), value)
        self._map = mapping

    def __getitem__(self, name: str) -> str | None:
        return self._map[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def __hash__(self) -> int:
        return hash(tuple(self._map.items()))

    def __repr__(self) -> str:
        return f"Params({self._map!r})"

    def to_dict(self) -> dict[str, str | None]:
        """Return the parameters as a plain, JSON-safe dict."""
        return dict(self._map)


_EMPTY = Params()


def _unquote(value: str | None) -> str | None:
    if value is not None and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", value[1:-1])
    return value


def parse_params(text: str, *, line: int | None = None) -> Params:
    """Parse ``;name=value;flag`` parameters (RFC 3261 §25.1 ``generic-param``).

    Args:
        text: The parameter text, empty or starting with ``;`` (whitespace allowed).
        line: Line number reported in errors.

    Raises:
        SipParseError: ``sip-param`` if the text is not a parameter list.
    """
    if not text:
        return _EMPTY
    if '"' not in text and "," not in text and text[0] == ";" and not _SPACE.search(text):
        return _simple_params(text, line)
    items: list[tuple[str, str | None]] = []
    pos, end = 0, len(text)
    while pos < end:
        while pos < end and text[pos] in " \t":
            pos += 1
        if pos == end:
            break
        if text[pos] != ";":
            raise SipParseError(f"malformed parameters {text!r}", code="sip-param", line=line)
        match = g.PARAM.match(text, pos + 1)
        if match is None:  # an empty parameter: a stray ";" as carriers send it
            pos += 1
            continue
        items.append((match["name"], _unquote(match["value"])))
        pos = match.end()
    return Params(items)


def _simple_params(text: str, line: int | None) -> Params:
    """``;a=b;c`` without quotes, commas or spaces: the common case, without a regex.

    The same few texts (``;user=phone``, ``;lr``, ``;transport=udp``) recur in
    every message, and :class:`Params` is immutable: parsed ones are kept by text.
    """
    try:
        return _kept_params(text)
    except SipParseError:
        return _split_simple(text, line)  # raises again, with the line


@functools.lru_cache(maxsize=256)
def _kept_params(text: str) -> Params:
    return _split_simple(text, None)


def _split_simple(text: str, line: int | None) -> Params:
    items: list[tuple[str, str | None]] = []
    for part in text[1:].split(";"):
        if part:
            name, eq, value = part.partition("=")
            if not name:
                raise SipParseError(f"malformed parameters {text!r}", code="sip-param", line=line)
            items.append((name, value if eq else None))
    return Params(items)


def _split_pairs(parts: list[str]) -> Iterator[tuple[str, str | None]]:
    for part in parts:
        if part:
            name, eq, value = part.partition("=")
            yield name, (value if eq else None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Uri:
    """A parsed URI.

    For ``tel:`` URIs the number is in :attr:`user` and all parameters belong to
    the telephone-subscriber, so they are in :attr:`user_params` (RFC 3966 §3).
    For ``sip:``/``sips:``, parameters inside the user part (before ``@``, e.g.
    ``;npdi;rn=…``, ``;verstat=…``, ``;isub=…``) are in :attr:`user_params` and
    the URI parameters after the host are in :attr:`params`. Other schemes keep
    only :attr:`scheme` and :attr:`raw`.

    Attributes:
        scheme: Lower-case scheme, e.g. ``"sip"``, ``"tel"``.
        user: The user part (or the tel number) as received, without parameters.
        password: The password after ``user:``, if any (RFC 3261 §19.1.1).
        host: The host, ``[…]`` kept for IPv6, or ``None``.
        port: The port, or ``None``.
        params: URI parameters (``user=phone``, ``transport=…``, ``tgrp=…``).
        user_params: Parameters inside the user part (RFC 4904, RFC 4694, verstat).
        headers: URI headers after ``?`` (e.g. History-Info's ``?Reason=…``).
        raw: The URI text as received.
    """

    scheme: str
    user: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    params: Params = field(default=_EMPTY)
    user_params: Params = field(default=_EMPTY)
    headers: Params = field(default=_EMPTY)
    raw: str

    @property
    def tn(self) -> str | None:
        """The canonical TN this URI names, or ``None`` (see :mod:`shakentrace.tn`)."""
        from shakentrace.tn import tn_from_uri

        return tn_from_uri(self)

    def get_param(self, name: str) -> str | None:
        """Return a parameter from the user part, else from the URI parameters.

        Carriers put ``verstat`` and RFC 4904 parameters in either place.
        """
        if name in self.user_params:
            return self.user_params[name]
        return self.params.get(name)

    def __str__(self) -> str:
        return self.raw

    def to_dict(self) -> dict[str, Any]:
        """Return the URI's facts as JSON-safe data."""
        return {
            "scheme": self.scheme,
            "user": self.user,
            "host": self.host,
            "port": self.port,
            "params": self.params.to_dict(),
            "user_params": self.user_params.to_dict(),
            "headers": self.headers.to_dict(),
            "tn": self.tn,
            "raw": self.raw,
        }


def _bad_uri(text: str, why: str, line: int | None) -> SipParseError:
    return SipParseError(f"malformed URI {text!r}: {why}", code="sip-uri", line=line)


def parse_uri(text: str, *, line: int | None = None) -> Uri:
    """Parse a ``sip:``, ``sips:``, ``tel:`` or other absolute URI.

    Args:
        text: The URI, without angle brackets.
        line: Line number reported in errors.

    Raises:
        SipParseError: ``sip-uri`` if the text is not a URI of that scheme.
    """
    raw = text.strip()
    simple = g.SIMPLE_SIP_URI.fullmatch(raw)
    if simple is not None and (simple["port"] is None or int(simple["port"]) <= 65535):
        return _simple_uri(simple, raw, line)
    return _parse_uri(raw, line)


def _simple_uri(match: re.Match[str], raw: str, line: int | None) -> Uri:
    scheme, user, host, port, params = match.group("scheme", "user", "host", "port", "params")
    return _URI(
        scheme=scheme,
        user=user,
        password=None,
        host=host,
        port=int(port) if port else None,
        params=_simple_params(params, line) if params else _EMPTY,
        user_params=_EMPTY,
        headers=_EMPTY,
        raw=raw,
    )


_URI = builder(Uri)  # every URI of a message goes through here: half the __init__ cost


def _parse_uri(raw: str, line: int | None) -> Uri:
    """The general parse (every scheme and shape); :func:`parse_uri` tries a shortcut first."""
    scheme, colon, rest = raw.partition(":")
    if not colon or not g.SCHEME.fullmatch(scheme) or not rest or _SPACE.search(rest):
        raise _bad_uri(raw, "expected scheme:rest without spaces", line)
    scheme = scheme.lower()
    if scheme in ("sip", "sips"):
        return _parse_sip_uri(scheme, rest, raw, line)
    if scheme == "tel":
        return _parse_tel_uri(rest, raw, line)
    return Uri(scheme=scheme, raw=raw)


def _parse_sip_uri(scheme: str, rest: str, raw: str, line: int | None) -> Uri:
    # The user part may hold ";" and "?" (user-unreserved), never "@" (§25.1).
    userinfo, at, hostpart = rest.partition("@")
    if not at:
        userinfo, hostpart = "", rest
    user = password = None
    user_params = _EMPTY
    if at:
        user_text, *uparams = userinfo.split(";")
        user, colon, pw = user_text.partition(":")
        password = pw if colon else None
        if not g.USER.fullmatch(user):
            raise _bad_uri(raw, "bad user part", line)
        user_params = Params(_split_pairs(uparams)) if uparams else _EMPTY
    hostport, _, headers = hostpart.partition("?")
    hostport, semi, params = hostport.partition(";")
    match = g.HOST.fullmatch(hostport)
    port = int(match["port"]) if match and match["port"] else None
    if match is None or (port is not None and port > 65535):
        raise _bad_uri(raw, "bad host or port", line)
    return Uri(
        scheme=scheme,
        user=user,
        password=password,
        host=match["host"],
        port=port,
        params=parse_params(semi + params, line=line),
        user_params=user_params,
        headers=Params(_split_pairs(headers.split("&"))) if headers else _EMPTY,
        raw=raw,
    )


def _parse_tel_uri(rest: str, raw: str, line: int | None) -> Uri:
    number, _, params = rest.partition(";")
    if not g.TEL_NUMBER.fullmatch(number):
        raise _bad_uri(raw, "bad telephone number", line)
    user_params = Params(_split_pairs(params.split(";"))) if params else _EMPTY
    return Uri(scheme="tel", user=number, user_params=user_params, raw=raw)


@dataclass(frozen=True, slots=True, kw_only=True)
class NameAddr:
    """A ``name-addr`` or ``addr-spec`` with header parameters (RFC 3261 §20.10).

    Attributes:
        display_name: The display name, unquoted and unescaped; ``None`` if absent.
        uri: The address.
        params: Header parameters after the address (``tag``, ``reason``, ``index``…).
        raw: The value as received.
    """

    display_name: str | None
    uri: Uri
    params: Params = field(default=_EMPTY)
    raw: str

    @property
    def tag(self) -> str | None:
        """The ``tag`` parameter (RFC 3261 §19.3), or ``None``."""
        return self.params.get("tag")

    @property
    def tn(self) -> str | None:
        """The canonical telephone number of the address, or ``None``."""
        return self.uri.tn

    def __str__(self) -> str:
        return self.raw

    def to_dict(self) -> dict[str, Any]:
        """Return the address's facts as JSON-safe data."""
        return {
            "display_name": self.display_name,
            "uri": self.uri.to_dict(),
            "params": self.params.to_dict(),
        }


def parse_name_addr(text: str, *, line: int | None = None) -> NameAddr:
    """Parse ``[display-name] <uri> *(;param)`` or ``addr-spec *(;param)``.

    In the ``addr-spec`` form (no angle brackets) every parameter after the URI
    is a header parameter (RFC 3261 §20.10).

    Args:
        text: One element of the header value.
        line: Line number reported in errors.

    Raises:
        SipParseError: ``sip-name-addr`` or ``sip-uri`` for malformed values.
    """
    raw = text.strip()
    display, rest = _display_name(raw, line)
    if rest.startswith("<"):
        end = rest.find(">")
        if end < 0:
            raise SipParseError(f"unterminated '<' in {raw!r}", code="sip-name-addr", line=line)
        uri, params = rest[1:end], rest[end + 1 :]
    elif display is None:
        uri, params = _split_addr_spec(rest)
    else:
        raise SipParseError(
            f"display name without <uri> in {raw!r}", code="sip-name-addr", line=line
        )
    return NameAddr(
        display_name=display,
        uri=parse_uri(uri, line=line),
        params=parse_params(params, line=line),
        raw=raw,
    )


def _display_name(raw: str, line: int | None) -> tuple[str | None, str]:
    if raw.startswith('"'):
        match = _QUOTED_AT_START.match(raw)
        if match is None:
            raise SipParseError(
                f"unterminated quoted string in {raw!r}", code="sip-name-addr", line=line
            )
        return _unquote(match.group()), raw[match.end() :].lstrip()
    angle = raw.find("<")
    if angle < 0:
        return None, raw
    if '"' in raw[:angle]:
        raise SipParseError(f"stray quote in display name {raw!r}", code="sip-name-addr", line=line)
    # *(token LWS): real traffic also sends non-token characters here.
    return " ".join(raw[:angle].split()) or None, raw[angle:]


def _split_addr_spec(text: str) -> tuple[str, str]:
    at = text.find("@")
    semi = text.find(";", at + 1 if at >= 0 else 0)
    return (text, "") if semi < 0 else (text[:semi], text[semi:])
