"""Read what a traceback needs out of a parsed INVITE and its verification Outcome.

Pure functions over :class:`~shakentrace.sip.SipMessage` and
:class:`~shakentrace.verify.Outcome`: no I/O, no inference (that is
:mod:`shakentrace.rules`). Header values are read defensively: a capture may
carry anything, and a traceback must still produce a hop record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from shakentrace.errors import ShakenTraceError
from shakentrace.passport import Passport
from shakentrace.sip import SipMessage
from shakentrace.sipheaders import ChargingVector, Via
from shakentrace.tn import nanp_rule
from shakentrace.uri import NameAddr, Uri
from shakentrace.verify import Outcome

__all__ = [
    "MessageView",
    "asserted_tns",
    "digits",
    "from_tns",
    "hop_time",
    "iat_of",
    "is_nanp",
    "orig_ioi",
    "passport_key",
    "same_tn",
    "shaken_passports",
    "top_route_host",
    "trunk_groups",
    "via_facts",
    "view",
]


def digits(tn: str | None) -> str:
    """The digits of a TN (``None`` → empty)."""
    return re.sub(r"\D", "", tn or "")


def same_tn(a: str | None, b: str | None) -> bool:
    """Whether two TNs name the same number: equal, or the same last ten digits (NANP)."""
    da, db = digits(a), digits(b)
    if not da or not db:
        return False
    return da == db or (len(da) >= 10 and len(db) >= 10 and da[-10:] == db[-10:])


def is_nanp(tn: str | None) -> bool:
    """Whether a TN is a NANP number: ``1`` and NPA-NXX-XXXX, or NPA-NXX-XXXX alone.

    The whole number decides (ITU-T E.164: country code 1; the area code and the
    exchange start with 2 to 9, as :func:`shakentrace.tn.nanp_rule` reads them): a
    foreign number whose eleventh digit from the end is 1 (+86 138…, +52 1 55…) is
    not one, nor a ten-digit one of another country (+49 30 123456).
    """
    found = digits(tn)
    national = found[1:] if len(found) == 11 and found[0] == "1" else found
    return len(national) == 10 and nanp_rule(national) != national


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageView:
    """The header values a traceback reads, each parsed once and never raising.

    :class:`~shakentrace.sip.SipMessage` parses most headers lazily, so a
    malformed Contact or P-Asserted-Identity raises only when read; here such a
    header counts as absent (a capture may carry anything).
    """

    request_uri: Uri | None = None
    from_: NameAddr | None = None
    pai: tuple[NameAddr, ...] = ()
    via: tuple[Via, ...] = ()
    record_route: tuple[NameAddr, ...] = ()
    contact: tuple[NameAddr, ...] = ()
    p_charging_vector: ChargingVector | None = None
    date: datetime | None = None
    verstat: str | None = None
    identities: tuple[str, ...] = ()
    call_id: str | None = None
    max_forwards: int | None = None


_T = TypeVar("_T")


def _safe(read: Callable[[], _T], default: _T) -> _T:
    try:
        return read()
    except ShakenTraceError:
        return default


def view(message: SipMessage) -> MessageView:
    """Read ``message``'s traceback headers; malformed ones become absent."""
    return MessageView(
        request_uri=message.request_uri,
        from_=_safe(lambda: message.from_, None),
        pai=_safe(lambda: message.pai, ()),
        via=_safe(lambda: message.via, ()),
        record_route=_safe(lambda: message.record_route, ()),
        contact=_safe(lambda: message.contact, ()),
        p_charging_vector=_safe(lambda: message.p_charging_vector, None),
        date=_safe(lambda: message.date, None),
        verstat=_safe(lambda: message.verstat, None),
        identities=_safe(lambda: message.identities, ()),
        call_id=_safe(lambda: message.call_id, None),
        max_forwards=_safe(lambda: message.max_forwards, None),
    )


def from_tns(message: MessageView) -> tuple[str, ...]:
    """TNs of P-Asserted-Identity, then From (RFC 8224 §8.3 order)."""
    addresses = (*message.pai, message.from_)
    tns = (a.uri.tn or a.uri.user for a in addresses if a is not None)
    return tuple(tn for tn in tns if tn and digits(tn))


def asserted_tns(message: MessageView) -> tuple[str, ...]:
    """The numbers ``orig`` stands for: P-Asserted-Identity's, else From's (RFC 8224 §5.2)."""
    pai = tuple(tn for tn in (a.uri.tn or a.uri.user for a in message.pai) if tn and digits(tn))
    return pai or from_tns(message)


def via_facts(message: MessageView) -> tuple[str | None, str | None]:
    """``(received, sent-by host)`` of the top Via (RFC 3261 §18.2.1)."""
    if not message.via:
        return None, None
    return message.via[0].received, message.via[0].host


def top_route_host(message: MessageView) -> str | None:
    """Host of the topmost Record-Route entry (the last proxy that added one)."""
    return message.record_route[0].uri.host if message.record_route else None


def orig_ioi(message: MessageView) -> str | None:
    """``orig-ioi`` of P-Charging-Vector (RFC 7315 §4.6)."""
    vector = message.p_charging_vector
    return vector.orig_ioi if vector is not None else None


def trunk_groups(message: MessageView) -> tuple[tuple[str, str | None], ...]:
    """``(tgrp, trunk-context)`` pairs in the Request-URI and Contact (RFC 4904 §5)."""
    uris = [message.request_uri, *(c.uri for c in message.contact)]
    pairs = ((u.get_param("tgrp"), u.get_param("trunk-context")) for u in uris if u is not None)
    return tuple((tgrp, context) for tgrp, context in pairs if tgrp)


def shaken_passports(outcome: Outcome) -> tuple[tuple[Passport, str], ...]:
    """Every decoded SHAKEN PASSporT of the call, with its signer (SPC, else x5u).

    A PASSporT without ``ppt`` (RFC 8225 base, e.g. an enterprise's from a delegate
    certificate) counts only as the call's main one, when there is no SHAKEN one.
    """
    found = [
        (r.passport, (r.signer.spc if r.signer else None) or r.passport.x5u or "")
        for r in outcome.identities
        if r.passport is not None and r.ppt == "shaken"
    ]
    main = outcome.passport
    if main is not None and all(p is not main for p, _ in found):
        found.insert(
            0,
            (main, outcome.signer.spc if outcome.signer and outcome.signer.spc else main.x5u or ""),
        )
    return tuple(found)


def passport_key(passport: Passport) -> str:
    """The cross-carrier key of a PASSporT: SHA-256 of its signature segment (DESIGN §6)."""
    return passport.fingerprint


def iat_of(value: Any) -> datetime | None:
    """An ``iat`` (seconds or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, int) and -62135596800 < value < 253402300800:
        return datetime.fromtimestamp(value, UTC)
    return None


def hop_time(received_at: datetime | None, message: MessageView) -> datetime | None:
    """When the hop received the call: the capture time, else the SIP Date header."""
    when = received_at or message.date
    return when.astimezone(UTC) if when is not None else None


def is_stale(iat: datetime | None, when: datetime | None, max_age: timedelta) -> bool:
    """Whether ``iat`` is older than ``max_age`` at ``when`` (RFC 8224 §6.2.2)."""
    return iat is not None and when is not None and when - iat > max_age
