"""DNS evidence for tracebacks: the only module that imports dnspython.

A traceback hop may learn more about its peer from DNS (DESIGN §6):

* the PTR name of the peer's signalling address (RFC 1035 §3.5) often names
  the peer's SIP domain;
* the ENUM NAPTR records of a number (RFC 6116 §2, under ``e164.arpa`` or a
  carrier/private ENUM tree) name the carrier of record;
* the SRV (RFC 3263 §4.2, RFC 2782) and NAPTR records of a SIP domain name its
  servers.

:class:`Resolver` is the protocol ``shakentrace.traceback.infer_hop`` takes;
:class:`DnsResolver` implements it with dnspython (bounded timeouts, a bounded
cache), :class:`StaticResolver` is the test double. A lookup never raises: a DNS
failure is a :class:`DnsAnswer` with an ``error`` and no names, evidence of nothing.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import dns.exception
import dns.name
import dns.resolver
import dns.reversename

__all__ = ["DnsAnswer", "DnsResolver", "Resolver", "StaticResolver", "enum_domain_name"]

# dnspython exception -> our stable error code (most specific first).
_ERRORS: tuple[tuple[type[BaseException], str], ...] = (
    (dns.resolver.NXDOMAIN, "nxdomain"),
    (dns.resolver.NoAnswer, "no-answer"),
    (dns.resolver.NoNameservers, "servfail"),
    (dns.resolver.NoResolverConfiguration, "no-resolver"),
    (dns.exception.Timeout, "timeout"),
    (dns.resolver.YXDOMAIN, "bad-query"),
    (dns.name.NameTooLong, "bad-query"),
    (dns.name.EmptyLabel, "bad-query"),
    (dns.name.LabelTooLong, "bad-query"),
    (dns.exception.SyntaxError, "bad-query"),
    (dns.exception.DNSException, "dns-error"),
    (ValueError, "bad-query"),
)

# The URI in an ENUM regexp replacement ``!pattern!sip:...@host!`` (RFC 6116 §3.2.1);
# the host ends where the URI or a port, parameter or header does, not at any byte
# a host cannot hold (``sip:x@evil\0.example`` names no host, not ``evil``).
_URI_HOST = re.compile(r"sips?:(?:[^@!;>]*@)?(?P<host>[A-Za-z0-9.\-]+)(?=[!;:>?]|$)", re.ASCII)


def _error_code(exc: BaseException) -> str:
    """Map a dnspython (or address) exception onto a stable error code.

    Every nameserver answering REFUSED (an access list, a resolver not serving us)
    is ``refused``, not ``servfail``: the fix is on our side, not theirs.
    """
    if isinstance(exc, dns.resolver.NoNameservers):
        said = {error[3] for error in exc.kwargs.get("errors") or () if len(error) > 3}
        if said == {"REFUSED"}:
            return "refused"
    return next(code for kind, code in _ERRORS if isinstance(exc, kind))


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsAnswer:
    """The result of one DNS query, successful or not.

    Attributes:
        qname: The name queried.
        rdtype: The record type (``PTR``, ``NAPTR``, ``SRV``).
        records: Each record in presentation format.
        names: Host names the answer points to (PTR target, SRV target, NAPTR
            replacement or the host of its regexp's SIP URI), lowercase, no final dot.
        server: The nameserver(s) asked, for the evidence trail.
        error: ``None``, or ``nxdomain``/``no-answer``/``servfail``/``refused``/``timeout``/
            ``no-resolver``/``bad-query``/``dns-error``.
    """

    qname: str
    rdtype: str
    records: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    server: str = ""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the query returned at least one name."""
        return self.error is None and bool(self.names)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "qname": self.qname,
            "rdtype": self.rdtype,
            "records": list(self.records),
            "names": list(self.names),
            "server": self.server,
            "error": self.error,
        }


@runtime_checkable
class Resolver(Protocol):
    """What a traceback asks of DNS. Implementations must not raise."""

    def ptr(self, address: str) -> DnsAnswer:
        """PTR of an IPv4/IPv6 address (its reverse name)."""

    def enum(self, tn: str) -> DnsAnswer:
        """NAPTR of a telephone number under the resolver's ENUM domain (RFC 6116)."""

    def srv(self, domain: str, service: str = "_sip._udp") -> DnsAnswer:
        """SRV of ``service`` at a SIP domain (RFC 3263 §4.2)."""

    def naptr(self, domain: str) -> DnsAnswer:
        """NAPTR of a SIP domain (RFC 3263 §4.1)."""


_NOT_DIGITS = re.compile(r"[^0-9]")  # ASCII: "\D" would keep other scripts' digits


def enum_domain_name(tn: str, domain: str = "e164.arpa") -> str:
    """The ENUM name of a number (RFC 6116 §2.4): its digits reversed, dot-separated.

    A 10-digit number is taken as NANP and gets its country code 1.

    >>> from shakentrace.lookup import enum_domain_name
    >>> enum_domain_name("+1 215 555 1212")
    '2.1.2.1.5.5.5.5.1.2.1.e164.arpa'
    """
    digits = _NOT_DIGITS.sub("", tn)
    if len(digits) == 10:
        digits = "1" + digits
    if not digits:
        raise ValueError(f"no digits in {tn!r}")
    return ".".join(reversed(digits)) + "." + domain.strip(".")


def _names(rdtype: str, records: Sequence[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for rr in records:
        if rdtype in ("PTR", "SRV"):
            out.append(str(rr.target))
        elif rdtype == "NAPTR":
            if str(rr.replacement) not in (".", ""):
                out.append(str(rr.replacement))
            match = _URI_HOST.search(rr.regexp.decode("ascii", "replace"))
            if match:
                out.append(match["host"])
    return tuple(dict.fromkeys(n.lower().rstrip(".") for n in out if n.rstrip(".")))


def _srv_order(records: Sequence[Any]) -> list[Any]:
    if records and hasattr(records[0], "priority"):
        return sorted(records, key=lambda r: (r.priority, -r.weight))
    if records and hasattr(records[0], "order"):
        return sorted(records, key=lambda r: (r.order, r.preference))
    return list(records)


@dataclass(frozen=True, slots=True, kw_only=True)
class DnsResolver:
    """A :class:`Resolver` backed by dnspython, with timeouts and a bounded cache.

    Attributes:
        nameservers: Addresses to ask; ``None`` reads the system configuration.
        port: The nameservers' port.
        timeout: Seconds to wait for one server.
        lifetime: Seconds a whole query may take.
        enum_domain: The ENUM tree (``e164.arpa``, or a carrier/private one).
        cache_size: Most answers kept (least recently used dropped first).
        cache_seconds: How long an answer (failures included) is reused.
        clock: Monotonic seconds, injectable for tests.
    """

    nameservers: Sequence[str] | None = ("127.0.0.1",)
    port: int = 53
    timeout: float = 2.0
    lifetime: float = 4.0
    enum_domain: str = "e164.arpa"
    cache_size: int = 1024
    cache_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _cache: OrderedDict[tuple[str, str], tuple[float, DnsAnswer]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )

    def ptr(self, address: str) -> DnsAnswer:
        """PTR of an address; never raises."""
        try:
            qname = dns.reversename.from_address(address.strip("[] ")).to_text()
        except (ValueError, dns.exception.DNSException) as exc:
            return DnsAnswer(qname=address, rdtype="PTR", error=_error_code(exc))
        return self.query(qname, "PTR")

    def enum(self, tn: str) -> DnsAnswer:
        """ENUM NAPTR of a number; never raises."""
        try:
            qname = enum_domain_name(tn, self.enum_domain)
        except ValueError as exc:
            return DnsAnswer(qname=tn, rdtype="NAPTR", error=_error_code(exc))
        return self.query(qname, "NAPTR")

    def srv(self, domain: str, service: str = "_sip._udp") -> DnsAnswer:
        """SRV of a SIP service at a domain; never raises."""
        return self.query(f"{service}.{domain.strip('.')}", "SRV")

    def naptr(self, domain: str) -> DnsAnswer:
        """NAPTR of a SIP domain; never raises."""
        return self.query(domain.strip("."), "NAPTR")

    def query(self, qname: str, rdtype: str) -> DnsAnswer:
        """Ask (or reuse a cached answer for) ``qname``/``rdtype``; never raises."""
        key = (qname.lower().rstrip("."), rdtype)
        now = self.clock()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.cache_seconds:
            self._cache.move_to_end(key)
            return cached[1]
        answer = self._ask(qname, rdtype)
        self._cache[key] = (now, answer)
        self._cache.move_to_end(key)
        while len(self._cache) > max(self.cache_size, 0):
            self._cache.popitem(last=False)
        return answer

    def _ask(self, qname: str, rdtype: str) -> DnsAnswer:
        server = ",".join(self.nameservers or ("system",)) + f":{self.port}"
        try:
            resolver = self._resolver()
            result = resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=True)
        except (dns.exception.DNSException, ValueError) as exc:
            return DnsAnswer(qname=qname, rdtype=rdtype, server=server, error=_error_code(exc))
        records = _srv_order(list(result))
        return DnsAnswer(
            qname=qname,
            rdtype=rdtype,
            records=tuple(r.to_text() for r in records),
            names=_names(rdtype, records),
            server=server,
        )

    def _resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=self.nameservers is None)
        if self.nameservers is not None:
            resolver.nameservers = list(self.nameservers)
        resolver.port = self.port
        resolver.timeout = self.timeout
        resolver.lifetime = self.lifetime
        return resolver


@dataclass(frozen=True, slots=True, kw_only=True)
class StaticResolver:
    """A :class:`Resolver` answering from fixed tables (for tests and offline use).

    Attributes:
        ptrs: Address → PTR name.
        enums: Number (digits) → carrier domains.
        srvs: ``"_sip._udp.domain"`` → targets.
        naptrs: Domain → replacement names.
    """

    ptrs: Mapping[str, str] = field(default_factory=dict)
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    srvs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    naptrs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @staticmethod
    def _answer(qname: str, rdtype: str, names: Sequence[str]) -> DnsAnswer:
        if not names:
            return DnsAnswer(qname=qname, rdtype=rdtype, server="static", error="nxdomain")
        return DnsAnswer(
            qname=qname, rdtype=rdtype, records=tuple(names), names=tuple(names), server="static"
        )

    def ptr(self, address: str) -> DnsAnswer:
        """PTR from :attr:`ptrs`."""
        name = self.ptrs.get(address)
        return self._answer(address, "PTR", (name,) if name else ())

    def enum(self, tn: str) -> DnsAnswer:
        """Carrier domains from :attr:`enums`."""
        digits = _NOT_DIGITS.sub("", tn)
        return self._answer(digits, "NAPTR", self.enums.get(digits, ()))

    def srv(self, domain: str, service: str = "_sip._udp") -> DnsAnswer:
        """Targets from :attr:`srvs`."""
        qname = f"{service}.{domain}"
        return self._answer(qname, "SRV", self.srvs.get(qname, ()))

    def naptr(self, domain: str) -> DnsAnswer:
        """Replacements from :attr:`naptrs`."""
        return self._answer(domain, "NAPTR", self.naptrs.get(domain, ()))
