"""Read what a traceback needs out of a parsed INVITE and its verification Outcome.

Pure functions over :class:`~shakentrace.sip.SipMessage` and
:class:`~shakentrace.verify.Outcome`: no I/O, no inference (that is
:mod:`shakentrace.rules`). Header values are read defensively: a capture may
carry anything, and a traceback must still produce a hop record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "digits",
    "from_tns",
    "hop_time",
    "iat_of",
    "orig_ioi",
    "passport_key",
    "same_tn",
    "shaken_passports",
    "top_route_host",
    "trunk_groups",
    "verstat_claimed",
    "via_facts",
]

_ORIG_IOI = re.compile(r"""(?:^|;)\s*orig-ioi\s*=\s*"?([^";\s]+)"?""", re.IGNORECASE)
_VERSTAT = re.compile(r";verstat=([A-Za-z0-9\-]+)", re.IGNORECASE)


def digits(tn: str | None) -> str:
    """The digits of a TN (``None`` → empty)."""
    return re.sub(r"\D", "", tn or "")


def same_tn(a: str | None, b: str | None) -> bool:
    """Whether two TNs name the same number: equal, or the same last ten digits (NANP)."""
    da, db = digits(a), digits(b)
    if not da or not db:
        return False
    return da == db or (len(da) >= 10 and len(db) >= 10 and da[-10:] == db[-10:])


def _params(uri: Any) -> Iterator[tuple[str, str | None]]:
    for attr in ("user_params", "params"):
        yield from (getattr(uri, attr, None) or {}).items()


def _param(uri: Any, name: str) -> str | None:
    return next((v for k, v in _params(uri) if k.lower() == name and v), None)


def _name_addrs(message: Any) -> tuple[Any, ...]:
    return tuple(x for x in (*getattr(message, "pai", ()), message.from_) if x is not None)


def from_tns(message: Any) -> tuple[str, ...]:
    """TNs of P-Asserted-Identity and From (RFC 8224 §8.3 order: PAI first)."""
    out = []
    for name_addr in _name_addrs(message):
        tn = getattr(name_addr.uri, "tn", None) or getattr(name_addr.uri, "user", None)
        if tn and digits(tn):
            out.append(tn)
    return tuple(out)


def verstat_claimed(message: Any) -> str | None:
    """The ``verstat`` an upstream wrote into PAI or From (3GPP TS 24.229), if any."""
    for name_addr in _name_addrs(message):
        value = _param(name_addr.uri, "verstat")
        if value:
            return value
        match = _VERSTAT.search(str(getattr(name_addr, "raw", "") or ""))
        if match:
            return match[1]
    return None


def via_facts(message: Any) -> tuple[str | None, str | None]:
    """``(received, sent-by host)`` of the top Via (RFC 3261 §18.2.1)."""
    vias = getattr(message, "via", ())
    if not vias:
        return None, None
    top = vias[0]
    return getattr(top, "received", None), getattr(top, "host", None)


def top_route_host(message: Any) -> str | None:
    """Host of the topmost Record-Route entry (the last proxy that added one)."""
    routes = getattr(message, "record_route", ())
    return routes[0].uri.host if routes else None


def orig_ioi(message: Any) -> str | None:
    """``orig-ioi`` of P-Charging-Vector (RFC 7315 §4.6), read from the header text."""
    value = message.headers.get("P-Charging-Vector")
    match = _ORIG_IOI.search(value or "")
    return match[1] if match else None


def trunk_groups(message: Any) -> tuple[tuple[str, str | None], ...]:
    """``(tgrp, trunk-context)`` pairs in the Request-URI and Contact (RFC 4904 §5)."""
    uris = [message.request_uri, *(c.uri for c in getattr(message, "contact", ()))]
    out = []
    for uri in uris:
        tgrp = _param(uri, "tgrp") if uri is not None else None
        if tgrp:
            out.append((tgrp, _param(uri, "trunk-context")))
    return tuple(out)


def shaken_passports(outcome: Any) -> tuple[Any, ...]:
    """Every decoded SHAKEN PASSporT of the call (one per Identity header carrying one)."""
    found = [getattr(r, "passport", None) for r in getattr(outcome, "identities", ())]
    found = [p for p in found if p is not None and (p.ppt or "shaken") == "shaken"]
    main = getattr(outcome, "passport", None)
    if main is not None and all(p is not main for p in found):
        found.insert(0, main)
    return tuple(found)


def passport_key(passport: Any) -> str:
    """The cross-carrier key of a PASSporT: SHA-256 of its signature (DESIGN §6)."""
    fingerprint = getattr(passport, "fingerprint", None)
    if isinstance(fingerprint, str) and fingerprint:
        return fingerprint
    return hashlib.sha256(bytes(passport.signature)).hexdigest()


def iat_of(value: Any) -> datetime | None:
    """An ``iat`` (seconds or datetime) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, int) and -62135596800 < value < 253402300800:
        return datetime.fromtimestamp(value, UTC)
    return None


def hop_time(received_at: datetime | None, message: Any) -> datetime | None:
    """When the hop received the call: the capture time, else the SIP Date header."""
    when = received_at or getattr(message, "date", None)
    return when.astimezone(UTC) if isinstance(when, datetime) else None


def is_stale(iat: datetime | None, when: datetime | None, max_age: timedelta) -> bool:
    """Whether ``iat`` is older than ``max_age`` at ``when`` (RFC 8224 §6.2.2)."""
    return iat is not None and when is not None and when - iat > max_age
