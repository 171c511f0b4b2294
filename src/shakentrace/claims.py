"""Typed PASSporT claims and the shape checks behind them.

The decoder keeps every token it can: a claim with the wrong shape becomes a
finding (a :class:`~shakentrace.reasons.Reason`) and, where the value can still be
read, a typed value. Shapes seen in the wild and handled here:

* ``iat`` as a string (RFC 8225 §7.1 example, a Kamailio ``div`` token);
* ``orig``/``dest`` as JSON inside a string (libstirshaken's reference PASSporT);
* ``+`` or empty TNs, ``dest.tn`` as a string instead of an array (SEMS tests);
* ``origid`` that is not a UUID (RFC 8588 §4 only recommends one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from shakentrace.reasons import Reason, Severity

__all__ = [
    "ATTESTATIONS",
    "DEFAULT_LIMITS",
    "DivClaim",
    "FrozenMap",
    "PassportLimits",
    "RcdClaims",
    "RphClaim",
    "ShakenFields",
    "read_claims",
]

#: The attestation levels of RFC 8588 §4, A (full), B (partial) and C (gateway).
ATTESTATIONS: tuple[str, ...] = ("A", "B", "C")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# NumericDate seconds beyond this (about year 33658) cannot be a real call.
_IAT_BOUND = 10**12
# RFC 8224 §8.3 canonical form: digits, '*' and '#' only.
_CANONICAL_TN = re.compile(r"[0-9*#]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class PassportLimits:
    """Bounds on what the decoder accepts (every size bounded, STYLE).

    Attributes:
        max_identity_length: Characters in an Identity header value.
        max_token_length: Characters in a PASSporT token.
        max_json_bytes: Bytes in a decoded header or payload.
        max_json_depth: Nesting of objects and arrays.
    """

    max_identity_length: int = 16384
    max_token_length: int = 12288
    max_json_bytes: int = 8192
    max_json_depth: int = 12


#: The bounds used when none are given.
DEFAULT_LIMITS = PassportLimits()


class FrozenMap(Mapping[str, Any]):
    """A read-only, picklable mapping (the decoded JSON of a header or payload)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    @classmethod
    def _owning(cls, data: dict[str, Any]) -> FrozenMap:
        """A FrozenMap over ``data`` itself, a dict the caller just built and drops (no copy)."""
        self = cls.__new__(cls)
        self._data = data
        return self

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __reduce__(self) -> tuple[type[FrozenMap], tuple[dict[str, Any]]]:
        return (FrozenMap, (self._data,))

    def to_dict(self) -> dict[str, Any]:
        """Return a shallow copy as a plain ``dict``."""
        return dict(self._data)


@dataclass(frozen=True, slots=True, kw_only=True)
class DivClaim:
    """The ``div`` claim of a ``div`` PASSporT (RFC 8946 §3): the original target.

    Attributes:
        tn: The diverted-from TN, as signed.
        uri: The diverted-from URI, when the target was not a TN.
    """

    tn: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RcdClaims:
    """Rich Call Data claims (RFC 9795): ``rcd`` members, ``rcdi`` and ``crn``.

    Attributes:
        nam: Display name.
        apn: Alternate presentation number.
        icn: Icon URI.
        jcd: Inline jCard (kept as decoded JSON).
        jcl: jCard URI.
        rcdi: Integrity digests keyed by JSON pointer (``{"/nam": "sha256-…"}``).
        crn: Call reason.
    """

    nam: str | None = None
    apn: str | None = None
    icn: str | None = None
    jcd: Any = None
    jcl: str | None = None
    rcdi: FrozenMap | None = None
    crn: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RphClaim:
    """The ``rph`` claim (RFC 8443 §3): resource priority values, e.g. ``ets.0``.

    Attributes:
        auth: The ``auth`` values, in order.
        sph: The RFC 9027 ``sph`` claim (e.g. ``psap-callback``), if present.
    """

    auth: tuple[str, ...] = ()
    sph: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShakenFields:
    """Everything read from a payload, with the findings about its shape.

    Attributes:
        iat: Issued-at in seconds, also when it was sent as a string.
        orig_tn: ``orig.tn``.
        orig_uri: ``orig.uri``.
        dest_tns: ``dest.tn`` entries.
        dest_uris: ``dest.uri`` entries.
        attest: ``attest`` (RFC 8588).
        origid: ``origid`` (RFC 8588).
        div: The ``div`` claim.
        rcd: RCD claims, when any is present.
        rph: The ``rph`` claim.
        findings: Shape problems, as reasons.
    """

    iat: int | None = None
    orig_tn: str | None = None
    orig_uri: str | None = None
    dest_tns: tuple[str, ...] = ()
    dest_uris: tuple[str, ...] = ()
    attest: str | None = None
    origid: str | None = None
    div: DivClaim | None = None
    rcd: RcdClaims | None = None
    rph: RphClaim | None = None
    findings: tuple[Reason, ...] = ()


class _Reader:
    """Collects findings while reading claims."""

    def __init__(self) -> None:
        self.findings: list[Reason] = []

    def bad(self, message: str, severity: Severity = "error") -> None:
        self.findings.append(Reason.of("passport-malformed", message, severity=severity))

    def obj(self, claims: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
        value = claims.get(name)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            # libstirshaken's old examples: the object serialised into a string.
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):  # not JSON, or nested past the C decoder
                pass
            else:
                self.bad(f"{name} is JSON inside a string (RFC 8225 §5.2: an object)")
        if value is None or isinstance(value, Mapping):
            return value
        self.bad(f"{name} is a {type(value).__name__}, not an object (RFC 8225 §5.2)")
        return None

    def string(self, value: Any, what: str) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.bad(f"{what} is a {type(value).__name__}, not a string")
        return None

    def tn(self, value: Any, what: str) -> str | None:
        tn = self.string(value, what)
        if tn is not None and not _CANONICAL_TN.fullmatch(tn):
            shape = "empty" if not tn else f"{tn!r} is not in canonical form"
            self.bad(f"{what} {shape} (RFC 8224 §8.3: digits, * and # only)", "warning")
        return tn

    def strings(self, value: Any, what: str) -> tuple[Any, ...]:
        if value is None:
            return ()
        if isinstance(value, list):
            return tuple(value)
        self.bad(f"{what} is a {type(value).__name__}, not an array (RFC 8225 §5.2.1)")
        return (value,)


def _iat(reader: _Reader, value: Any) -> int | None:
    if value is None:
        reader.bad("no iat claim (RFC 8225 §5.1)")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        reader.bad(f"iat is a {type(value).__name__}, not a NumericDate (RFC 8225 §5.1)")
        return None
    if isinstance(value, str):
        reader.bad(f"iat is the string {value!r}, not a number (RFC 8225 §5.1)")
        usable = value.isascii() and value.isdigit() and len(value) < 13
        return int(value) if usable else None
    if isinstance(value, float):
        reader.bad("iat is not an integer (RFC 8225 §5.1: NumericDate, integer in PASSporT)")
        return int(value) if value == value and abs(value) < _IAT_BOUND else None
    if abs(value) >= _IAT_BOUND:
        reader.bad(f"iat {value} is out of any usable range (RFC 8225 §5.1)")
        return None
    return value


def _orig(reader: _Reader, claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    orig = reader.obj(claims, "orig")
    if orig is None:
        reader.bad("no orig claim (RFC 8225 §5.2.1)")
        return None, None
    tn = reader.tn(orig.get("tn"), "orig.tn")
    uri = reader.string(orig.get("uri"), "orig.uri")
    if tn is None and uri is None:
        reader.bad("orig has neither tn nor uri (RFC 8225 §5.2.1)")
    return tn, uri


def _dest(reader: _Reader, claims: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dest = reader.obj(claims, "dest")
    if dest is None:
        reader.bad("no dest claim (RFC 8225 §5.2.1)")
        return (), ()
    tns = [reader.tn(v, "dest.tn entry") for v in reader.strings(dest.get("tn"), "dest.tn")]
    uris = [reader.string(v, "dest.uri entry") for v in reader.strings(dest.get("uri"), "dest.uri")]
    dest_tns = tuple(t for t in tns if t is not None)
    dest_uris = tuple(u for u in uris if u is not None)
    if not dest_tns and not dest_uris:
        reader.bad("dest names no identity (RFC 8225 §5.2.1)")
    if list(dest_tns) != sorted(dest_tns):
        reader.bad("dest.tn entries not in lexicographic order (RFC 8225 §5.2.1)", "warning")
    return dest_tns, dest_uris


def _shaken(reader: _Reader, claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    attest = reader.string(claims.get("attest"), "attest")
    if attest is None:
        reader.bad("no attest claim (RFC 8588 §4)")
    elif attest not in ATTESTATIONS:
        reader.bad(f"attest {attest!r} is not A, B or C (RFC 8588 §4)")
    origid = reader.string(claims.get("origid"), "origid")
    if origid is None:
        reader.bad("no origid claim (RFC 8588 §5)")
    elif not _UUID.fullmatch(origid):
        message = f"origid {origid!r} is not a UUID (RFC 8588 §5 recommends one)"
        reader.findings.append(Reason.of("origid-not-uuid", message))
    return attest, origid


def _div(reader: _Reader, claims: Mapping[str, Any], required: bool) -> DivClaim | None:
    div = reader.obj(claims, "div")
    if div is None:
        if required:
            reader.bad("no div claim in a div PASSporT (RFC 8946 §3)")
        return None
    return DivClaim(tn=reader.tn(div.get("tn"), "div.tn"), uri=reader.string(div.get("uri"), "div"))


def _rcd(reader: _Reader, claims: Mapping[str, Any]) -> RcdClaims | None:
    if not any(name in claims for name in ("rcd", "rcdi", "crn")):
        return None
    rcd = reader.obj(claims, "rcd") or {}
    rcdi = reader.obj(claims, "rcdi")
    return RcdClaims(
        nam=reader.string(rcd.get("nam"), "rcd.nam"),
        apn=reader.string(rcd.get("apn"), "rcd.apn"),
        icn=reader.string(rcd.get("icn"), "rcd.icn"),
        jcd=rcd.get("jcd"),
        jcl=reader.string(rcd.get("jcl"), "rcd.jcl"),
        rcdi=FrozenMap(rcdi) if rcdi is not None else None,
        crn=reader.string(claims.get("crn"), "crn"),
    )


def _rph(reader: _Reader, claims: Mapping[str, Any]) -> RphClaim | None:
    rph = reader.obj(claims, "rph")
    if rph is None:
        return None
    auth = reader.strings(rph.get("auth"), "rph.auth")
    return RphClaim(
        auth=tuple(a for a in auth if isinstance(a, str)),
        sph=reader.string(claims.get("sph"), "sph"),
    )


def read_claims(claims: Mapping[str, Any], ppt: str | None) -> ShakenFields:
    """Read the typed claims of a payload for its ``ppt``, collecting shape findings.

    Args:
        claims: The decoded payload object.
        ppt: The PASSporT type from the JWS header (``None`` for a base PASSporT).
    """
    reader = _Reader()
    iat = _iat(reader, claims.get("iat"))
    orig_tn, orig_uri = _orig(reader, claims)
    dest_tns, dest_uris = _dest(reader, claims)
    attest, origid = _shaken(reader, claims) if ppt == "shaken" else (None, None)
    if ppt != "shaken":
        attest = reader.string(claims.get("attest"), "attest")
        origid = reader.string(claims.get("origid"), "origid")
    return ShakenFields(
        iat=iat,
        orig_tn=orig_tn,
        orig_uri=orig_uri,
        dest_tns=dest_tns,
        dest_uris=dest_uris,
        attest=attest,
        origid=origid,
        div=_div(reader, claims, ppt == "div"),
        rcd=_rcd(reader, claims),
        rph=_rph(reader, claims),
        findings=tuple(reader.findings),
    )
