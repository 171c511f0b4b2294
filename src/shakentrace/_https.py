"""The x5u HTTPS fetcher and its policy (re-exported by :mod:`shakentrace.fetch`).

Threats and the default that answers each (ATIS-1000074 §5.3.1, Asterisk
AST-2022-001/002; docs/fetch-policy.rst has the long form):

* SSRF into the verifier's network: every resolved address is checked against
  the RFC 6890 special-purpose ranges, and the connection goes to the address
  that was checked (no second lookup, so no DNS-rebinding window).
* Redirects to internal hosts: never followed.
* Credential or cache-key games: no userinfo, query or fragment.
* Unusual services: https only, ports 443 and 8443.
* Slow-loris and huge bodies: connect and total deadlines, a size cap enforced
  while reading.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from shakentrace.errors import ConfigurationError, FetchError

__all__ = [
    "FORBIDDEN_NETWORKS",
    "FetchPolicy",
    "Fetched",
    "HttpsFetcher",
    "Resolver",
    "check_address",
    "check_url",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Resolves ``(host, port)`` to IP address strings (``socket.getaddrinfo`` by default).
Resolver = Callable[[str, int], Sequence[str]]

#: RFC 6890 special-purpose ranges (with the IANA registry's later additions) that an
#: x5u may not resolve to unless :attr:`FetchPolicy.allow_networks` says so.
FORBIDDEN_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # private (RFC 1918)
        "100.64.0.0/10",  # shared address space, CGNAT (RFC 6598)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local (cloud metadata services live here)
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and limited broadcast
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::ffff:0:0/96",  # IPv4-mapped (would smuggle any IPv4 address)
        "64:ff9b::/96",  # NAT64 (RFC 6052)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID…)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4 (embeds an IPv4 address)
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    """What :class:`HttpsFetcher` may fetch, and how long and how much.

    Attributes:
        schemes: Allowed URL schemes; add ``"http"`` only for labs (ATIS-1000074
            requires https).
        ports: Allowed ports (ATIS-1000074: 443 and 8443).
        allow_networks: CIDRs exempt from the special-purpose address check, e.g.
            ``("127.0.0.0/8",)`` for a test server on loopback.
        connect_timeout: Seconds to wait for name resolution, and for the TCP and
            TLS connection.
        total_timeout: Seconds for the whole fetch, name resolution and body included.
        max_bytes: Largest body accepted (checked while reading).
        content_types: Expected media types; others are accepted with a warning.
        require_pem: The body must hold a PEM certificate.
        max_url_length: Longest URL accepted.
    """

    schemes: tuple[str, ...] = ("https",)
    ports: tuple[int, ...] = (443, 8443)
    allow_networks: tuple[str, ...] = ()
    connect_timeout: float = 2.0
    total_timeout: float = 5.0
    max_bytes: int = 64 * 1024
    content_types: tuple[str, ...] = ("application/pem-certificate-chain",)
    require_pem: bool = True
    max_url_length: int = 2048
    _allowed: tuple[IPNetwork, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_types(self)
        try:
            allowed = tuple(ipaddress.ip_network(n) for n in self.allow_networks)
        except ValueError as exc:
            raise ConfigurationError(f"bad allow_networks entry: {exc}") from None
        if self.connect_timeout <= 0 or self.total_timeout <= 0 or self.max_bytes <= 0:
            raise ConfigurationError("timeouts and max_bytes must be positive")
        object.__setattr__(self, "_allowed", allowed)

    def address_allowed(self, address: IPAddress) -> bool:
        """Tell whether ``address`` may be connected to under this policy."""
        if any(address in net for net in self._allowed):
            return True
        return not any(address in net for net in FORBIDDEN_NETWORKS)


_TUPLES = {"schemes": str, "ports": int, "allow_networks": str, "content_types": str}
_NUMBERS = {
    "connect_timeout": ((int, float), "a number"),
    "total_timeout": ((int, float), "a number"),
    "max_bytes": ((int,), "an int"),
}


def _check_types(policy: FetchPolicy) -> None:
    """Refuse a value of the wrong type in words (``ports=443`` made every fetch a TypeError)."""
    for name, kind in _TUPLES.items():
        value = getattr(policy, name)
        if not isinstance(value, tuple) or not all(isinstance(v, kind) for v in value):
            raise ConfigurationError(
                f"{name} must be a tuple of {kind.__name__}, not {type(value).__name__}"
            )
    for name, (kinds, said) in _NUMBERS.items():
        value = getattr(policy, name)
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise ConfigurationError(f"{name} must be {said}, not {type(value).__name__}")
        if isinstance(value, float) and not math.isfinite(value):  # nan, inf: no deadline
            raise ConfigurationError(f"{name} must be a finite number of seconds, not {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    """A successful fetch, with what caching needs.

    Attributes:
        url: The URL fetched.
        body: The response body.
        content_type: The Content-Type header, if any.
        cache_control: The Cache-Control header, if any.
        expires: The Expires header, if any.
        date: The Date header, if any.
        age: The Age header, if any.
        address: The IP address connected to.
        warnings: Accepted deviations (e.g. an unexpected content type).
    """

    url: str
    body: bytes
    content_type: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    date: str | None = None
    age: str | None = None
    address: str | None = None
    warnings: tuple[str, ...] = ()


#: Most name resolutions running at once: one whose fetch gave up keeps its thread
#: until getaddrinfo returns, so a flood of x5u names on a silent nameserver could
#: otherwise pile up threads.
_MAX_RESOLVING = 64
_RESOLVING = threading.BoundedSemaphore(_MAX_RESOLVING)


def _forbidden(message: str) -> FetchError:
    return FetchError(message, code="x5u-forbidden")


def check_url(url: str, policy: FetchPolicy) -> tuple[str, str, int, str]:
    """Check ``url`` against ``policy`` and split it.

    Returns:
        ``(scheme, host, port, path)``.

    Raises:
        FetchError: ``x5u-forbidden`` with the rule broken.
    """
    if len(url) > policy.max_url_length:
        raise _forbidden(f"x5u is {len(url)} characters long")
    if not url.isascii() or any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise _forbidden("x5u holds non-ASCII, space or control characters")
    if "?" in url or "#" in url:
        raise _forbidden("x5u has a query or fragment (ATIS-1000074 §5.3.1)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _forbidden(f"x5u is not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes:
        raise _forbidden(f"x5u scheme {scheme or '(none)'!r} is not allowed")
    if "@" in parts.netloc:
        raise _forbidden("x5u has userinfo (ATIS-1000074 §5.3.1)")
    if not parts.hostname:
        raise _forbidden("x5u has no host")
    port = port if port is not None else (443 if scheme == "https" else 80)
    if port not in policy.ports:
        raise _forbidden(f"x5u port {port} is not allowed")
    return scheme, parts.hostname, port, parts.path or "/"


def check_address(address: str, policy: FetchPolicy) -> IPAddress:
    """Parse ``address`` and refuse it if it is special-purpose (RFC 6890).

    Raises:
        FetchError: ``x5u-forbidden``.
    """
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        raise _forbidden(f"resolver returned a non-address {address!r}") from None
    if not policy.address_allowed(parsed):
        raise _forbidden(f"x5u host resolves to special-purpose address {parsed}")
    return parsed


def _ip_literal(host: str) -> str | None:
    """Return ``host`` if it is an IP address literal (no name to resolve)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def system_resolver(host: str, port: int) -> Sequence[str]:
    """Resolve ``host`` with ``socket.getaddrinfo`` (TCP), addresses in order, unique."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve {host}: {exc}") from None
    return tuple(dict.fromkeys(str(info[4][0]) for info in infos))


class HttpsFetcher:
    """Fetch x5u chains over HTTPS under a :class:`FetchPolicy`.

    Args:
        policy: What may be fetched (defaults guard against SSRF and abuse).
        resolver: ``(host, port) -> addresses``; injected so tests can map a name
            to any address. Defaults to ``socket.getaddrinfo``.
        ssl_context: TLS settings; the default verifies the server against the
            system CAs and checks the hostname (the connection itself goes to the
            checked address).
        clock: A monotonic clock in seconds, for the total deadline.

    Raises:
        ConfigurationError: ``policy`` is not a :class:`FetchPolicy`.
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or FetchPolicy()
        if not isinstance(self.policy, FetchPolicy):
            raise ConfigurationError(
                f"HttpsFetcher takes a FetchPolicy, not {type(self.policy).__name__}"
            )
        self._resolve = resolver or system_resolver
        self._ssl = ssl_context or ssl.create_default_context()
        self._clock = clock

    def fetch(self, url: str) -> bytes:
        """Return the body at ``url``.

        Raises:
            FetchError: ``x5u-forbidden`` or ``cert-unavailable``.
        """
        return self.fetch_detailed(url).body

    def fetch_detailed(self, url: str) -> Fetched:
        """Fetch ``url`` and return the body with its caching headers.

        Raises:
            FetchError: ``x5u-forbidden`` or ``cert-unavailable``.
        """
        scheme, host, port, path = check_url(url, self.policy)
        deadline = self._clock() + self.policy.total_timeout
        literal = _ip_literal(host)
        resolved = (literal,) if literal else self._resolve_by(host, port, deadline)
        addresses = [check_address(a, self.policy) for a in resolved]
        if not addresses:
            raise FetchError(f"{host} resolves to no address")
        conn = self._connect(scheme, host, port, addresses, deadline)
        try:
            return self._exchange(conn, url, host, path, deadline)
        finally:
            conn.close()

    def _resolve_by(self, host: str, port: int, deadline: float) -> Sequence[str]:
        """Resolve ``host`` in a helper thread, waiting at most the connect timeout.

        getaddrinfo takes no timeout: a silent nameserver holds it for resolv.conf's
        timeout × attempts (10 s and more). The thread is left to finish alone, and
        at most ``_MAX_RESOLVING`` such threads run at once.
        """
        wait = min(self.policy.connect_timeout, self._left(deadline))
        until = self._clock() + wait
        if not _RESOLVING.acquire(timeout=wait):
            raise FetchError(f"cannot resolve {host}: {_MAX_RESOLVING} resolutions pending")
        done: list[Sequence[str] | BaseException] = []

        def resolve() -> None:
            try:
                done.append(self._resolve(host, port))
            except BaseException as exc:  # raised again in the caller's thread
                done.append(exc)
            finally:
                _RESOLVING.release()

        worker = threading.Thread(target=resolve, name=f"resolve {host}", daemon=True)
        try:
            worker.start()
        except RuntimeError:  # no thread to be had
            _RESOLVING.release()
            raise FetchError(f"cannot resolve {host}: no thread to resolve it in") from None
        worker.join(max(0.0, until - self._clock()))
        if not done:
            raise FetchError(f"cannot resolve {host}: no answer within {wait:.1f} s")
        if isinstance(done[0], BaseException):
            raise done[0]
        return done[0]

    def _connect(
        self, scheme: str, host: str, port: int, addresses: Sequence[IPAddress], deadline: float
    ) -> _PinnedConnection:
        last: OSError | None = None
        for address in addresses:
            timeout = min(self.policy.connect_timeout, self._left(deadline))
            conn = _PinnedConnection(
                host, port, str(address), timeout, self._ssl if scheme == "https" else None
            )
            try:
                conn.connect()
                return conn
            except OSError as exc:  # refused, unreachable, TLS failure, timeout
                conn.close()
                last = exc
        raise FetchError(f"cannot connect to {host}:{port}: {last}")

    def _exchange(
        self, conn: _PinnedConnection, url: str, host: str, path: str, deadline: float
    ) -> Fetched:
        # A watchdog shuts the socket at the deadline, whatever the server dribbles.
        watchdog = threading.Timer(self._left(deadline), conn.abort)
        watchdog.start()
        response: http.client.HTTPResponse | None = None
        try:
            conn.request("GET", path, headers=_REQUEST_HEADERS)
            response = conn.getresponse()
            return self._read(response, url, conn.address, deadline)
        except (OSError, http.client.HTTPException) as exc:
            late = self._clock() >= deadline
            why = "total timeout exceeded" if late else _failure(exc)
            raise FetchError(f"fetching {url} failed: {why}") from None
        finally:
            watchdog.cancel()
            if response is not None:
                response.close()  # it owns the socket once the connection lets go

    def _read(
        self, response: http.client.HTTPResponse, url: str, address: str, deadline: float
    ) -> Fetched:
        status = response.status
        if 300 <= status < 400:
            raise _forbidden(f"x5u answered {status} redirect; redirects are not followed")
        if status != 200:
            raise FetchError(f"x5u answered HTTP {status}")
        length = _declared_length(response, self.policy.max_bytes)
        body = self._body(response, deadline)
        if response.length:  # http.client's read1 takes an early close for the end
            raise FetchError(f"x5u body ended after {len(body)} of {length} bytes")
        return Fetched(
            url=url,
            body=body,
            content_type=response.getheader("Content-Type"),
            cache_control=response.getheader("Cache-Control"),
            expires=response.getheader("Expires"),
            date=response.getheader("Date"),
            age=response.getheader("Age"),
            address=address,
            warnings=self._judge(response.getheader("Content-Type"), body),
        )

    def _body(self, response: http.client.HTTPResponse, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if self._clock() >= deadline:
                raise FetchError("x5u body not received within the total timeout")
            chunk = response.read1(16384)
            if not chunk:
                break
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise FetchError(f"x5u body exceeds {self.policy.max_bytes} bytes")
            chunks.append(chunk)
        if self._clock() >= deadline:
            raise FetchError("x5u body not received within the total timeout")
        return b"".join(chunks)

    def _judge(self, content_type: str | None, body: bytes) -> tuple[str, ...]:
        if self.policy.require_pem and b"-----BEGIN CERTIFICATE-----" not in body:
            raise FetchError("x5u body is not a PEM certificate chain")
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if self.policy.content_types and media not in self.policy.content_types:
            expected = " or ".join(self.policy.content_types)
            return (f"content type {media or '(none)'!r}, expected {expected} (ATIS-1000080)",)
        return ()

    def _left(self, deadline: float) -> float:
        left = deadline - self._clock()
        if left <= 0:
            raise FetchError("total timeout exceeded before the request was sent")
        return left


_DIGITS = re.compile(r"[0-9]+")  # 1*DIGIT; str.isdigit() also takes superscripts


def _declared_length(response: http.client.HTTPResponse, max_bytes: int) -> int | None:
    """The body length the response declares, if its framing is sound and it fits.

    A response framed two ways, or with a Content-Length that is not one number,
    may be read differently by different parsers (RFC 9112 §6.3: an unrecoverable
    error); a transfer or content coding other than chunked or identity was not
    asked for (http.client sends ``Accept-Encoding: identity``) and is never decoded,
    so no compression bomb is inflated either.

    Raises:
        FetchError: ``cert-unavailable`` naming the framing fault, or the length
            is over ``max_bytes``.
    """
    lengths = set(_listed(response, "Content-Length"))
    codings = _listed(response, "Transfer-Encoding")
    content = _listed(response, "Content-Encoding")
    if codings and lengths:
        raise FetchError("x5u response has both Transfer-Encoding and Content-Length")
    if codings not in ([], ["chunked"]):
        raise FetchError(f"x5u response has transfer coding {', '.join(codings)!r}, not chunked")
    if any(c != "identity" for c in content):
        raise FetchError(f"x5u body has content coding {', '.join(content)!r}, not identity")
    if len(lengths) > 1 or not all(_DIGITS.fullmatch(v) for v in lengths):
        shown = ", ".join(sorted(lengths))[:60]
        raise FetchError(f"x5u response has an invalid or conflicting Content-Length {shown!r}")
    if not lengths:
        return None
    digits = lengths.pop().lstrip("0") or "0"
    # Compared by size first: int() refuses a string of over 4300 digits.
    if len(digits) > len(str(max_bytes)) or int(digits) > max_bytes:
        raise FetchError(
            f"x5u body is {digits[:20]}{'…' * (len(digits) > 20)} bytes, over {max_bytes}"
        )
    return int(digits)


def _failure(exc: OSError | http.client.HTTPException) -> str:
    """Why a fetch failed, in words."""
    if isinstance(exc, ssl.SSLEOFError):
        return "the connection closed without TLS close_notify before the response ended"
    return f"{type(exc).__name__}: {_excerpt(exc)}"


def _excerpt(exc: BaseException, limit: int = 120) -> str:
    """The start of ``exc``'s text: http.client quotes whole status lines (up to 64 KiB)."""
    text = str(exc).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _listed(response: http.client.HTTPResponse, name: str) -> list[str]:
    """The comma-separated values of every ``name`` header field, lowercase."""
    return [v.strip().lower() for f in response.msg.get_all(name, ()) for v in f.split(",")]


_REQUEST_HEADERS = {
    "Accept": "application/pem-certificate-chain",
    "User-Agent": "shakentrace",
    "Connection": "close",
}


# Bytes a response may send as lines: status, header fields, chunk sizes, trailers.
# http.client bounds each line (64 KiB) and the number of fields (100) but not their
# sum: 6.4 MB of header fields held a fetch capped at a 64 KiB body (50 MB of memory).
_MAX_LINE_BYTES = 64 * 1024


class _LineBudget:
    """A response's reader that refuses more than ``budget`` bytes read as lines."""

    def __init__(self, reader: Any, budget: int) -> None:
        self._reader = reader
        self._left = budget
        self._budget = budget

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self._reader.readline(limit)
        self._left -= len(line)
        if self._left < 0:
            raise http.client.HTTPException(f"response head over {self._budget} bytes")
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class _BoundedResponse(http.client.HTTPResponse):
    """An HTTP response whose lines, together, fit :data:`_MAX_LINE_BYTES`."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp = _LineBudget(self.fp, _MAX_LINE_BYTES)  # type: ignore[assignment]


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to a fixed, already checked address; TLS checks ``host``."""

    response_class = _BoundedResponse

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext | None
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self._tls = context
        self._lock = threading.Lock()

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        if self._tls is not None:
            try:
                # RFC 9112 §9.8: a body that ends at the close is complete only with
                # TLS close_notify; a bare TCP close may be a truncation attack.
                sock = self._tls.wrap_socket(
                    sock, server_hostname=self.host, suppress_ragged_eofs=False
                )
            except BaseException:
                sock.close()
                raise
        with self._lock:
            self.sock = sock

    def abort(self) -> None:
        """Shut the socket down (from the watchdog thread) so a blocked read returns."""
        with self._lock:
            sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (the default cache clock)."""
    return datetime.now(UTC)
