"""The JSON facts of header values in their usual shape, read without building objects.

``SipMessage.to_dict`` turns From, To, each P-Asserted-Identity and Contact
(:meth:`~shakentrace.uri.NameAddr.to_dict`), the Request-URI
(:meth:`~shakentrace.uri.Uri.to_dict`) and each Via
(:meth:`~shakentrace.sipheaders.Via.to_dict`) into dicts. Most carry the usual
shape (``<sip:+12155551212@host[:port];user=phone>;tag=…``, ``<tel:+1…>``,
``SIP/2.0/UDP host:port;branch=…``), whose facts one regular expression gives;
building the objects only to turn them into dicts costs several times that. Any
other shape gives ``None``, and the caller takes the accessor. The tests hold
these dicts to the accessors' ``to_dict()``.
"""

from __future__ import annotations

import re
from typing import Any

from shakentrace import _grammar as g
from shakentrace.tn import nanp_rule

__all__ = ["usual_name_addr", "usual_uri", "usual_via"]

# A parameter whose name and value are plain tokens (no quotes, commas, spaces):
# the shape parse_params reads on its fast path.
_PARAM = r"(?:;[A-Za-z0-9_.~-]+(?:=[A-Za-z0-9_.~-]*)?)"
# A host name or IPv4 address (no IPv6, no trailing dot).
_HOST = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?"
_URI = (
    rf"(?P<scheme>sips?):(?P<user>\+?[0-9]+)@(?P<host>{_HOST})"
    rf"(?::(?P<port>[0-9]{{1,5}}))?(?P<params>{_PARAM}*)"
    rf"|tel:(?P<tel>\+?[0-9]+)"
)
_USUAL_URI = re.compile(_URI)
_USUAL_NAME_ADDR = re.compile(
    rf'(?:"(?P<quoted>[^"\\<>]*)"[ \t]*|(?P<words>[A-Za-z0-9 ._-]*))'  # display name
    rf"<(?P<uri>{_URI})>(?P<header_params>{_PARAM}*)"
)

_USUAL_VIA = re.compile(
    rf"SIP/2\.0/(?P<transport>[A-Z]+) (?P<host>{_HOST})"
    rf"(?::(?P<port>[0-9]{{1,5}}))?(?P<params>{_PARAM}*)"
)


def usual_uri(text: str) -> dict[str, Any] | None:
    """``parse_uri(text).to_dict()`` for a URI in the usual shape, else ``None``."""
    match = _USUAL_URI.fullmatch(text)
    return None if match is None else _uri_dict(match, text)


def usual_name_addr(text: str) -> dict[str, Any] | None:
    """``parse_name_addr(text).to_dict()`` for an address in the usual shape, else ``None``."""
    match = _USUAL_NAME_ADDR.fullmatch(text.strip())
    if match is None:
        return None
    uri = _uri_dict(match, match["uri"])
    if uri is None:
        return None
    quoted, words = match.group("quoted", "words")
    return {
        # A plain display name is its words, joined by single spaces.
        "display_name": quoted if quoted is not None else " ".join(words.split()) or None,
        "uri": uri,
        "params": _params(match["header_params"]),
    }


def _uri_dict(match: re.Match[str], raw: str) -> dict[str, Any] | None:
    tel = match["tel"]
    if tel is not None:
        return _dict("tel", tel, None, None, {}, _tn(tel), raw)
    scheme, user, host, port = match.group("scheme", "user", "host", "port")
    if port is not None and int(port) > 65535:
        return None  # parse_uri refuses it
    if host.lower().endswith("anonymous.invalid"):
        return None  # anonymous (RFC 3323): the general rules say it names no TN
    number = int(port) if port else None
    return _dict(scheme, user, host, number, _params(match["params"]), _tn(user), raw)


def _dict(
    scheme: str,
    user: str,
    host: str | None,
    port: int | None,
    params: dict[str, str | None],
    tn: str,
    raw: str,
) -> dict[str, Any]:
    # The keys in Uri.to_dict's order; the usual shape has no user or URI headers.
    return {"scheme": scheme, "user": user, "host": host, "port": port, "params": params,
            "user_params": {}, "headers": {}, "tn": tn, "raw": raw}  # fmt: skip


def usual_via(text: str) -> dict[str, Any] | None:
    """``parse_via(text).to_dict()`` for a Via in the usual shape, else ``None``."""
    match = _USUAL_VIA.fullmatch(text.strip())
    if match is None:
        return None
    port, params = match["port"], _params(match["params"])
    rport = params.get("rport")
    return {
        "protocol": "SIP/2.0",
        "transport": match["transport"],
        "host": match["host"],
        "port": int(port) if port else None,
        "branch": params.get("branch"),
        "received": params.get("received"),
        "rport": int(rport) if rport and g.DIGITS.fullmatch(rport) else None,
        "maddr": params.get("maddr"),
        "params": params,
    }


def _params(text: str) -> dict[str, str | None]:
    """As ``Params(…).to_dict()``: names in lower case, the first of a name wins."""
    params: dict[str, str | None] = {}
    for part in text[1:].split(";") if text else ():  # each "name" or "name=value"
        name, eq, value = part.partition("=")
        params.setdefault(name.lower(), value if eq else None)
    return params


def _tn(number: str) -> str:
    # RFC 8224 §8.3: a number with '+' is international; else the national rule.
    return number[1:] if number[0] == "+" else nanp_rule(number)
