"""What verification reads from a SIP message: the parties of the call, and the Date.

The parties are From, each P-Asserted-Identity, To and the Request-URI.
Each party is ``(label, canonical TN or None, URI text or None)``. The usual
address (``<sip:+12155551212@host;user=phone>;tag=…`` or ``<tel:+1…>``) gives
its TN by one regular expression, without building the
:class:`~shakentrace.uri.NameAddr` the message accessor would; any other shape,
or a header that does not parse, goes through the accessor. The tests hold the
shortcut to the accessor's answer.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shakentrace.errors import ParseError
from shakentrace.reasons import Reason
from shakentrace.sipheaders import parse_date, split_list
from shakentrace.tn import nanp_rule, tn_from_uri

if TYPE_CHECKING:
    from shakentrace.sip import SipMessage

__all__ = ["Party", "callees", "callers", "date", "read", "usual_address", "usual_uri"]

#: (label, canonical TN or None, URI text or None)
Party = tuple[str, str | None, str | None]

# A parameter whose name and value are plain tokens (no quotes, commas, spaces).
_PARAM = r"(?:;[A-Za-z0-9_.~-]+(?:=[A-Za-z0-9_.~-]*)?)"
# A host name or IPv4 address (no port, no IPv6, no trailing dot): written as a run
# and a look-behind rather than an optional group, which the engine runs faster.
_HOST = r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?<!\.)"
_USUAL_URI = (
    rf"(?P<uri>sips?:(?P<user>\+?[0-9]+)@(?P<host>{_HOST}){_PARAM}*|tel:(?P<tel>\+?[0-9]+))"
)
_USUAL_ADDRESS = re.compile(
    rf'(?:"[^"\\<>]*"[ \t]*|[A-Za-z0-9 ._-]*)'  # no display name, a quoted one, or plain words
    rf"<{_USUAL_URI}>{_PARAM}*"
)
# The usual Request-URI: the same URI shapes, bare.
_USUAL_BARE_URI = re.compile(_USUAL_URI)


def usual_address(text: str) -> tuple[str | None, str] | None:
    """``(tn, uri text)`` of a name-addr in the usual shape, else ``None``."""
    return _usual(_USUAL_ADDRESS.fullmatch(text))


def usual_uri(text: str) -> tuple[str | None, str] | None:
    """``(tn, uri text)`` of a bare URI in the usual shape, else ``None``."""
    return _usual(_USUAL_BARE_URI.fullmatch(text))


def _usual(match: re.Match[str] | None) -> tuple[str | None, str] | None:
    if match is None:
        return None
    uri, user, host, tel = match.groups()  # its only groups, in this order
    if host is not None and host.lower().endswith("anonymous.invalid"):
        return None  # anonymous (RFC 3323): the general rules say why
    number = user or tel
    # RFC 8224 §8.3: a number with '+' is international; else the national rule.
    return (number[1:] if number[0] == "+" else nanp_rule(number)), uri


def read(message: SipMessage, name: str, problems: list[Reason]) -> Any:
    """A typed accessor of ``message``; a header that does not parse becomes a problem."""
    try:
        return getattr(message, name)
    except ParseError as exc:
        problems.append(Reason.of("sip-malformed", f"{name.strip('_')}: {exc.message}"))
        return None


def _general(message: SipMessage, problems: list[Reason], label: str, name: str) -> list[Party]:
    value = read(message, name, problems)
    values = value if isinstance(value, tuple) else (value,) if value is not None else ()
    parties: list[Party] = []
    for n, item in enumerate(values, 1):
        uri = getattr(item, "uri", item)  # a NameAddr, or the Request-URI itself
        tag = f"{label}[{n}]" if len(values) > 1 else label
        parties.append((tag, uri.tn, uri.raw))
    return parties


def _single(message: SipMessage, problems: list[Reason], label: str, name: str) -> list[Party]:
    """From or To: the first field's value, as ``message.from_`` / ``.to`` reads it."""
    value = message.headers.get(label)
    usual = usual_address(value) if value is not None else None
    if usual is None:
        return _general(message, problems, label, name)
    return [(label, *usual)]


def _pai(message: SipMessage, problems: list[Reason]) -> list[Party]:
    label = "P-Asserted-Identity"
    headers = message.headers
    try:
        # The elements get_list gives, without the line numbers only an error needs.
        elements = [e for v in headers._values("p-asserted-identity") for e in split_list(v)]
    except ParseError:
        return _general(message, problems, label, "pai")  # the accessor reports it
    if len(elements) > headers._max_elements:
        return _general(message, problems, label, "pai")
    parties: list[Party] = []
    for n, value in enumerate(elements, 1):
        usual = usual_address(value)
        if usual is None:
            return _general(message, problems, label, "pai")
        parties.append((f"{label}[{n}]" if len(elements) > 1 else label, *usual))
    return parties


def callers(message: SipMessage, problems: list[Reason]) -> tuple[Party, ...]:
    """From, then each P-Asserted-Identity."""
    return (*_single(message, problems, "From", "from_"), *_pai(message, problems))


def date(message: SipMessage, problems: list[Reason]) -> datetime | None:
    """The Date header, as ``message.date`` reads it (which also says where a bad one is)."""
    value = message.headers.get("date")
    if value is None:
        return None
    try:
        return _kept_date(value)
    except ParseError:
        return read(message, "date", problems)  # type: ignore[no-any-return]


# Date headers have a one-second resolution: at any call rate many calls carry
# the same text, so parsed values are kept by their exact text.
_kept_date = functools.lru_cache(maxsize=64)(parse_date)


def callees(message: SipMessage, problems: list[Reason]) -> tuple[Party, ...]:
    """To, then the Request-URI."""
    parties = _single(message, problems, "To", "to")
    text = message._uri  # its text when parse_sip found the simple sip shape
    usual = usual_uri(text) if isinstance(text, str) else None
    if usual is not None:
        parties.append(("Request-URI", *usual))
        return tuple(parties)
    uri = read(message, "request_uri", problems)
    if uri is not None:
        parties.append(("Request-URI", tn_from_uri(uri), uri.raw))
    return tuple(parties)
