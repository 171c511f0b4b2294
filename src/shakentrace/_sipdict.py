"""JSON-safe facts of a :class:`~shakentrace.sip.SipMessage` (its ``to_dict``).

A header whose value does not parse gives ``None`` (or an empty list) and an
entry in ``"errors"``, so that one bad header never hides the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from shakentrace.errors import SipParseError

if TYPE_CHECKING:
    from shakentrace.sip import SipMessage

__all__ = ["message_to_dict"]


class _HasDict(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def _one(value: object) -> Any:
    if value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, tuple):
        return [_one(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.to_dict() if hasattr(value, "to_dict") else str(value)


_FACTS: tuple[tuple[str, Callable[[SipMessage], object]], ...] = (
    ("from", lambda m: m.from_),
    ("to", lambda m: m.to),
    ("pai", lambda m: m.pai),
    ("ppi", lambda m: m.ppi),
    ("remote_party_id", lambda m: m.remote_party_id),
    ("identities", lambda m: m.identities),
    ("via", lambda m: m.via),
    ("record_route", lambda m: m.record_route),
    ("route", lambda m: m.route),
    ("contact", lambda m: m.contact),
    ("call_id", lambda m: m.call_id),
    ("cseq", lambda m: m.cseq),
    ("date", lambda m: m.date),
    ("max_forwards", lambda m: m.max_forwards),
    ("content_length", lambda m: m.content_length),
    ("user_agent", lambda m: m.user_agent),
    ("server", lambda m: m.server),
    ("diversion", lambda m: m.diversion),
    ("history_info", lambda m: m.history_info),
    ("p_charging_vector", lambda m: m.p_charging_vector),
    ("reason", lambda m: m.reason),
    ("privacy", lambda m: m.privacy),
    ("p_attestation_indicator", lambda m: m.p_attestation_indicator),
    ("attestation_info", lambda m: m.attestation_info),
    ("origination_id", lambda m: m.origination_id),
    ("verstat", lambda m: m.verstat),
)


def message_to_dict(msg: SipMessage) -> dict[str, Any]:
    """Return every fact the typed accessors give, as JSON-safe data."""
    out: dict[str, Any] = {
        "method": msg.method,
        "request_uri": _one(msg.request_uri),
        "status_code": msg.status_code,
        "reason_phrase": msg.reason_phrase,
        "version": msg.version,
        "headers": [[name, value] for name, value in msg.headers],
    }
    errors: list[dict[str, Any]] = []
    for name, get in _FACTS:
        try:
            out[name] = _one(get(msg))
        except SipParseError as exc:
            out[name] = None
            errors.append({"field": name, "code": exc.code, "line": exc.line})
    out["body_length"] = len(msg.body)
    out["errors"] = errors
    return out
