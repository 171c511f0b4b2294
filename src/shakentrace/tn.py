"""Telephone numbers: canonical form, extraction from URIs, matching, anonymity.

The canonical form follows RFC 8224 §8.3 as STIR/SHAKEN implementations apply
it: visual separators and a leading ``+`` are removed and only ``0-9 * #`` are
kept. A *national rule* then turns national numbers into their international
form; the default, :func:`nanp_rule`, prefixes 10-digit NANP numbers with the
country code ``1`` (ATIS-1000074 §5.3.1 expects ``orig``/``dest`` TNs with the
country code). Pass ``national=None`` to keep digits as they are, or any
function of the digit string.

>>> from shakentrace.tn import canonical_tn
>>> canonical_tn("+1 (215) 555-1212")
'12155551212'
>>> canonical_tn("215.555.1212")
'12155551212'
>>> canonical_tn("215.555.1212", national=None)
'2155551212'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from urllib.parse import unquote

from shakentrace import _grammar as g
from shakentrace.errors import ParseError
from shakentrace.uri import NameAddr, Uri, parse_uri

__all__ = [
    "ANONYMOUS_USERS",
    "NationalRule",
    "TnMatch",
    "canonical_tn",
    "compare_tns",
    "is_anonymous",
    "nanp_rule",
    "tn_from_uri",
]

#: A function from the digit string to its international form.
NationalRule = Callable[[str], str]

#: User parts and display names that withhold the caller (RFC 3323 §4.1.1.3, and
#: what carriers send for presentation-restricted calls).
ANONYMOUS_USERS: frozenset[str] = frozenset(
    {"anonymous", "restricted", "unavailable", "unknown", "private", "withheld", "anonymous caller"}
)

_TN_CHARS = re.compile(r"[0-9*#]+")
_NANP = re.compile(r"[2-9][0-9]{2}[2-9][0-9]{6}")
_NUMERIC_USER = re.compile(r"\+?[0-9\-.()*#]*[0-9][0-9\-.()*#]*")


def nanp_rule(digits: str) -> str:
    """Prefix a 10-digit NANP number (NXX-NXX-XXXX) with the country code ``1``.

    Anything else is returned unchanged.
    """
    return "1" + digits if _NANP.fullmatch(digits) else digits


def canonical_tn(text: str, *, national: NationalRule | None = nanp_rule) -> str:
    """Return the canonical form of a telephone number (RFC 8224 §8.3).

    Percent-escapes are decoded, anything from the first ``;`` (RFC 4904 and
    other parameters) is dropped, visual separators and one leading ``+`` are
    removed. A number written with ``+`` is international already, so the
    national rule applies only to numbers without it.

    Args:
        text: The number as written (a tel number, a SIP user part, a claim).
        national: Rule for national numbers; default :func:`nanp_rule`.

    Raises:
        ParseError: ``tn-invalid`` if what remains is not ``0-9 * #`` only.
    """
    number = g.VISUAL_SEPARATORS.sub("", unquote(text).split(";", 1)[0])
    international = number.startswith("+")
    digits = number[1:] if international else number
    if not _TN_CHARS.fullmatch(digits):
        raise ParseError(f"not a telephone number: {text!r}", code="tn-invalid")
    if international or national is None:
        return digits
    return national(digits)


def _tel_tn(uri: Uri) -> str | None:
    number = uri.user or ""
    context = uri.user_params.get("phone-context") or ""
    # A local number in a global-number context (RFC 3966 §5.1.5) is that prefix + number.
    if not number.startswith("+") and context.startswith("+"):
        number = context + number
    try:
        return canonical_tn(number)
    except ParseError:
        return None


_PLAIN_NUMBER = re.compile(r"\+?[0-9]+")


def _usual_tn(uri: Uri) -> str | None:
    """The TN of ``sip:+1NXX…@host`` or ``tel:+1NXX…``, without the general rules."""
    user = uri.user
    if user is None or not _PLAIN_NUMBER.fullmatch(user):
        return None
    if uri.scheme == "tel":
        return user[1:] if user[0] == "+" else None  # phone-context applies otherwise
    if uri.scheme not in ("sip", "sips") or (uri.host or "").lower().endswith("anonymous.invalid"):
        return None
    return user[1:] if user[0] == "+" else nanp_rule(user)


def tn_from_uri(uri: Uri | NameAddr | str) -> str | None:
    """Return the canonical TN a URI names, or ``None`` if it names no number.

    ``tel:`` URIs name their number. ``sip:``/``sips:`` URIs name a number when
    they carry ``user=phone`` (RFC 3261 §19.1.1), or, as many carriers omit it,
    when the user part is numeric (RFC 8224 §8.3). Anonymous URIs name none.

    Args:
        uri: A :class:`~shakentrace.uri.Uri`, :class:`~shakentrace.uri.NameAddr`
            or URI text.
    """
    usual = _usual_tn(uri) if type(uri) is Uri else None
    return usual if usual is not None else _general_tn(uri)


def _general_tn(uri: Uri | NameAddr | str) -> str | None:
    if isinstance(uri, NameAddr):
        uri = uri.uri
    elif isinstance(uri, str):
        try:
            uri = parse_uri(uri)
        except ParseError:
            return None
    if uri.scheme == "tel":
        return _tel_tn(uri)
    if uri.scheme not in ("sip", "sips") or not uri.user or is_anonymous(uri):
        return None
    user = unquote(uri.user)
    phone = (uri.params.get("user") or "").lower() == "phone"
    if not phone and not _NUMERIC_USER.fullmatch(user):
        return None
    try:
        return canonical_tn(user)
    except ParseError:
        return None


class TnMatch(StrEnum):
    """How two telephone numbers relate (weakest match last)."""

    EQUAL = "equal"
    """The two texts are identical."""
    CANONICAL_EQUAL = "canonical-equal"
    """Equal after :func:`canonical_tn`."""
    LAST10 = "last10"
    """The last ten digits agree (e.g. a national and a differently prefixed form)."""
    DIFFERENT = "different"
    """None of the above."""


def _canonical_or_none(text: str) -> str | None:
    try:
        return canonical_tn(text)
    except ParseError:
        return None


def compare_tns(a: str, b: str) -> TnMatch:
    """Say how two telephone numbers relate.

    >>> from shakentrace.tn import compare_tns
    >>> compare_tns("+1-215-555-1212", "2155551212")
    <TnMatch.CANONICAL_EQUAL: 'canonical-equal'>
    """
    if a == b:
        return TnMatch.EQUAL
    ca, cb = _canonical_or_none(a), _canonical_or_none(b)
    if ca is None or cb is None:
        return TnMatch.DIFFERENT
    if ca == cb:
        return TnMatch.CANONICAL_EQUAL
    if len(ca) >= 10 and len(cb) >= 10 and ca[-10:] == cb[-10:]:
        return TnMatch.LAST10
    return TnMatch.DIFFERENT


def is_anonymous(value: Uri | NameAddr | str) -> bool:
    """Say whether a caller is withheld rather than a number.

    Recognises ``anonymous@anonymous.invalid`` (RFC 3323 §4.1.1.3), hosts
    ending in ``anonymous.invalid``, and user parts or display names such as
    ``Anonymous``, ``Restricted``, ``Unavailable`` (case-insensitive).

    Args:
        value: A URI, a name-addr (its display name counts too), or text (a URI
            or a bare word).
    """
    if isinstance(value, NameAddr):
        name = (value.display_name or "").strip().lower()
        return name in ANONYMOUS_USERS or is_anonymous(value.uri)
    if isinstance(value, str):
        word = value.strip()
        if word.lower() in ANONYMOUS_USERS:
            return True
        try:
            value = parse_uri(word.strip("<>"))
        except ParseError:
            return False
    host = (value.host or "").lower()
    user = unquote(value.user or "").lower()
    return host.endswith("anonymous.invalid") or user in ANONYMOUS_USERS
