"""JSON-safe facts of a :class:`~shakentrace.sip.SipMessage` (its ``to_dict``).

A header whose value does not parse gives ``None`` (or an empty list) and an
entry in ``"errors"``, so that one bad header never hides the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from shakentrace._usualdict import usual_name_addr, usual_uri, usual_via
from shakentrace.errors import SipParseError

if TYPE_CHECKING:
    from shakentrace.sip import SipMessage

__all__ = ["FIELDS", "message_to_dict"]


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


# Each fact: its key, the header keys (lower-case full names) it reads, what it
# is when none of them is present (no parse, no call), and its accessor.
_FACTS: tuple[tuple[str, tuple[str, ...], Any, Callable[[SipMessage], object]], ...] = (
    ("from", ("from",), None, lambda m: m.from_),
    ("to", ("to",), None, lambda m: m.to),
    ("pai", ("p-asserted-identity",), (), lambda m: m.pai),
    ("ppi", ("p-preferred-identity",), (), lambda m: m.ppi),
    ("remote_party_id", ("remote-party-id",), (), lambda m: m.remote_party_id),
    ("identities", ("identity",), (), lambda m: m.identities),
    ("via", ("via",), (), lambda m: m.via),
    ("record_route", ("record-route",), (), lambda m: m.record_route),
    ("route", ("route",), (), lambda m: m.route),
    ("contact", ("contact",), (), lambda m: m.contact),
    ("call_id", ("call-id",), None, lambda m: m.call_id),
    ("cseq", ("cseq",), None, lambda m: m.cseq),
    ("date", ("date",), None, lambda m: m.date),
    ("max_forwards", ("max-forwards",), None, lambda m: m.max_forwards),
    ("content_length", ("content-length",), None, lambda m: m.content_length),
    ("user_agent", ("user-agent",), None, lambda m: m.user_agent),
    ("server", ("server",), None, lambda m: m.server),
    ("diversion", ("diversion",), (), lambda m: m.diversion),
    ("history_info", ("history-info",), (), lambda m: m.history_info),
    ("p_charging_vector", ("p-charging-vector",), None, lambda m: m.p_charging_vector),
    ("reason", ("reason",), (), lambda m: m.reason),
    ("privacy", ("privacy",), (), lambda m: m.privacy),
    (
        "p_attestation_indicator",
        ("p-attestation-indicator",),
        None,
        lambda m: m.p_attestation_indicator,
    ),
    ("attestation_info", ("attestation-info",), None, lambda m: m.attestation_info),
    ("origination_id", ("origination-id",), None, lambda m: m.origination_id),
    ("verstat", ("p-asserted-identity", "from"), None, lambda m: m.verstat),
)


# The start line's facts, each by its accessor.
_LINE: dict[str, Callable[[SipMessage], object]] = {
    "method": lambda m: m.method,
    "request_uri": lambda m: _request_uri(m),
    "status_code": lambda m: m.status_code,
    "reason_phrase": lambda m: m.reason_phrase,
    "version": lambda m: m.version,
}
#: The keys of :func:`message_to_dict`, in order.
FIELDS = (*_LINE, "headers", *(name for name, *_ in _FACTS), "body_length", "errors")


def _request_uri(msg: SipMessage) -> Any:
    text = msg._uri  # its text when parse_sip checked the usual sip:user@host shape
    lean = usual_uri(text) if isinstance(text, str) else None
    return lean if lean is not None else _one(msg.request_uri)


_GENERAL = object()  # a lean reading's answer for a value it leaves to the accessor


def _lean_first(name: str) -> Callable[[SipMessage], Any]:
    """From or To: the first field's value in the usual shape, as the accessor's dict."""

    def lean(msg: SipMessage) -> Any:
        values = msg.headers._values(name)
        found = usual_name_addr(values[0]) if values else None
        return found if found is not None or not values else _GENERAL

    return lean


def _lean_each(
    name: str, usual: Callable[[str], dict[str, Any] | None] = usual_name_addr
) -> Callable[[SipMessage], Any]:
    """A list header, each element in the usual shape, as the accessor's list of dicts."""

    def lean(msg: SipMessage) -> Any:
        try:
            elements = msg.headers.get_list(name)
        except SipParseError:
            return _GENERAL  # the accessor raises it again, for the errors list
        found = [usual(value) for value, _ in elements]
        return _GENERAL if None in found else found

    return lean


# Facts read straight from the usual shape of their headers, else by accessor.
_LEAN: dict[str, Callable[[SipMessage], Any]] = {
    "from": _lean_first("from"),
    "to": _lean_first("to"),
    "pai": _lean_each("p-asserted-identity"),
    "contact": _lean_each("contact"),
    "via": _lean_each("via", usual_via),
}


def _verstat(out: dict[str, Any], errors: list[dict[str, Any]]) -> Any:
    """``msg.verstat`` from the From and P-Asserted-Identity dicts already built."""
    failed = any(error["field"] in ("from", "pai") for error in errors)
    if "from" not in out or "pai" not in out or failed:
        return _GENERAL  # the accessor says which header fails
    addresses = [*out["pai"], out["from"]] if out["from"] is not None else out["pai"]
    for address in addresses:  # as Uri.get_param: the user part's, else the URI's
        uri = address["uri"]
        params = uri["user_params"] if "verstat" in uri["user_params"] else uri["params"]
        if params.get("verstat"):
            return params["verstat"]
    return None


def _fact(
    msg: SipMessage,
    name: str,
    get: Callable[[SipMessage], object],
    out: dict[str, Any],
    errors: list[dict[str, Any]],
) -> Any:
    """One fact: its lean reading when the value has the usual shape, else its accessor."""
    lean = _LEAN.get(name)
    if lean is not None:
        found = lean(msg)
    elif name == "verstat":
        found = _verstat(out, errors)
    else:
        found = _GENERAL
    if found is not _GENERAL:
        return found
    try:
        return _one(get(msg))
    except SipParseError as exc:
        errors.append({"field": name, "code": exc.code, "line": exc.line})
        return None


def message_to_dict(msg: SipMessage, fields: frozenset[str] | None = None) -> dict[str, Any]:
    """Return every fact the typed accessors give, as JSON-safe data.

    A fact whose headers are all absent is its empty value without a call: most
    messages carry a handful of the headers these facts read.

    Args:
        msg: The message.
        fields: Only these keys (of :data:`FIELDS`), computing nothing else;
            ``errors`` then lists the failures of those facts only.
    """
    out: dict[str, Any] = {
        key: get(msg) for key, get in _LINE.items() if fields is None or key in fields
    }
    present: set[str] | None = None  # a few facts asked for: their accessors alone
    if fields is None or "headers" in fields:
        out["headers"] = [[name, value] for name, value in msg.headers]
        present = msg.headers._keys()
    errors: list[dict[str, Any]] = []
    for name, keys, empty, get in _FACTS:
        if fields is not None and name not in fields:
            continue
        if present is not None and present.isdisjoint(keys):
            out[name] = None if empty is None else []
            continue
        out[name] = _fact(msg, name, get, out, errors)
    out["body_length"] = len(msg.body)
    out["errors"] = errors
    return out if fields is None else {key: out[key] for key in FIELDS if key in fields}
