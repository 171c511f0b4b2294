"""Realistic SIP INVITEs carrying Identity headers (RFC 3261 §8.1.1, RFC 8224 §4).

:func:`build_invite` writes the INVITE as the originating provider's edge would
send it; :func:`forward_invite` rewrites it as it looks one hop further, after a
B2BUA or a proxy: new Call-ID and Via (or one more Via), one less Max-Forwards,
the same From/To/P-Asserted-Identity/Date and Identity headers (the traceback key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

from shakentrace._jose import b64url_decode

__all__ = ["build_invite", "forward_invite"]


def _digest(*parts: object, size: int = 12) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:size]


def _user(tn: str) -> str:
    """A TN as a SIP URI user: E.164 digits get a ``+`` (RFC 3966 global number)."""
    return f"+{tn}" if tn.isdigit() and len(tn) > 10 else tn


def _first_iat(identities: Sequence[str]) -> int | None:
    for value in identities:
        try:
            payload = value.split(";", 1)[0].split(".")[1]
            claims = json.loads(b64url_decode(payload))
        except (IndexError, ValueError, RecursionError):  # a broken token on purpose
            continue
        iat = claims.get("iat") if isinstance(claims, dict) else None
        if isinstance(iat, int) and 0 < iat < 2**33:
            return iat
    return None


def _sdp(host: str, session: str) -> bytes:
    return (
        f"v=0\r\no=- {session} 1 IN IP4 {host}\r\ns=-\r\nc=IN IP4 {host}\r\nt=0 0\r\n"
        "m=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    ).encode()


def build_invite(
    *,
    identity: str | Sequence[str] = (),
    orig: str = "12155551212",
    dest: str = "12155551213",
    from_host: str = "sbc.originating.example",
    to_host: str = "sbc.terminating.example",
    via: Sequence[str] = ("192.0.2.10:5060",),
    call_id: str | None = None,
    date: datetime | None = None,
    pai: bool = True,
    from_display: str | None = None,
    max_forwards: int = 70,
    compact_identity: bool = False,
    extra_headers: Sequence[tuple[str, str]] = (),
    body: bool = True,
) -> bytes:
    """Return an INVITE as bytes (CRLF line ends, correct Content-Length).

    Identifiers (Call-ID, tags, branches) are derived from the arguments, so the
    same arguments give the same bytes.

    Args:
        identity: Identity header values, one header each, in order.
        orig: Calling TN, put in From and P-Asserted-Identity.
        dest: Called TN, put in the Request-URI and To.
        from_host: Host of the From/PAI/Contact URIs.
        to_host: Host of the Request-URI and To URI.
        via: ``host[:port]`` of each Via, topmost (last hop) first.
        call_id: Default: derived from the other arguments.
        date: The Date header; default the first PASSporT's ``iat``, else now.
        pai: Add a P-Asserted-Identity header.
        from_display: Display name of From.
        max_forwards: The Max-Forwards value.
        compact_identity: Use the compact header name ``y`` (RFC 8224 §4).
        extra_headers: More ``(name, value)`` headers, before Content-Type.
        body: Add an SDP offer.
    """
    identities = (identity,) if isinstance(identity, str) else tuple(identity)
    iat = _first_iat(identities)
    moment = date or (datetime.fromtimestamp(iat, UTC) if iat is not None else datetime.now(UTC))
    call_id = call_id or f"{_digest(orig, dest, moment, identities, size=24)}@{from_host}"
    from_uri = f"sip:{_user(orig)}@{from_host};user=phone"
    to_uri = f"sip:{_user(dest)}@{to_host};user=phone"
    display = f'"{from_display}" ' if from_display else ""
    headers = [f"INVITE {to_uri} SIP/2.0"]
    headers += [
        f"Via: SIP/2.0/UDP {hop};branch=z9hG4bK{_digest(call_id, n, hop)}"
        for n, hop in enumerate(via)
    ]
    headers += [
        f"Max-Forwards: {max_forwards}",
        f"From: {display}<{from_uri}>;tag={_digest(call_id, 'from', size=10)}",
        f"To: <{to_uri}>",
        f"Call-ID: {call_id}",
        "CSeq: 1 INVITE",
        f"Contact: <sip:{_user(orig)}@{from_host}:5060;transport=udp>",
        f"Date: {format_datetime(moment.astimezone(UTC), usegmt=True)}",
    ]
    if pai:
        headers.append(f"P-Asserted-Identity: <{from_uri}>")
    headers += [f"{'y' if compact_identity else 'Identity'}: {value}" for value in identities]
    headers += [
        "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE",
        "Supported: 100rel, timer",
        "User-Agent: shakentrace-testing",
    ]
    headers += [f"{name}: {value}" for name, value in extra_headers]
    payload = _sdp(from_host, _digest(call_id, size=8)) if body else b""
    if body:
        headers.append("Content-Type: application/sdp")
    headers.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload


def forward_invite(raw: bytes, *, by: str, call_id: str | None = None, b2bua: bool = True) -> bytes:
    """Return ``raw`` as the next provider receives it from the one at ``by``.

    A B2BUA (the usual case between carriers) starts a new dialog: a new Call-ID,
    its own single Via and Contact. A proxy only adds its Via on top. Either way
    Max-Forwards drops by one and the Identity headers travel unchanged, which is
    what links the hops of a traceback (DESIGN §6).

    Args:
        raw: An INVITE, e.g. from :func:`build_invite`.
        by: ``host[:port]`` of the forwarding element.
        call_id: The new Call-ID for a B2BUA; default derived from ``raw`` and ``by``.
        b2bua: ``False`` for a stateful proxy.
    """
    head, sep, payload = raw.partition(b"\r\n\r\n")
    request, *lines = head.decode().split("\r\n")
    new_id = call_id or f"{_digest(raw, by, size=24)}@{by.split(':')[0]}"
    out = [request, f"Via: SIP/2.0/UDP {by};branch=z9hG4bK{_digest(raw, by)}"]
    for line in lines:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        if key in ("via", "v") and b2bua:
            continue
        if key in ("call-id", "i") and b2bua:
            line = f"Call-ID: {new_id}"
        elif key in ("contact", "m") and b2bua:
            line = f"Contact: <sip:{by}>"
        elif key == "max-forwards":
            line = f"Max-Forwards: {max(int(value) - 1, 0)}"
        out.append(line)
    return "\r\n".join(out).encode() + sep + payload
