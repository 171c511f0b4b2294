"""A real HTTPS x5u server on 127.0.0.1 for tests: :func:`cert_server`.

The server's TLS certificate comes from a throw-away test CA made on the spot;
:attr:`CertServer.ssl_context` trusts it, :attr:`CertServer.resolver` maps the
server's hostname to 127.0.0.1 and :meth:`CertServer.policy` allowlists loopback
and the server's port — everything an :class:`~shakentrace.fetch.HttpsFetcher`
needs to fetch from it, with TLS hostname verification left on::

    with cert_server(chain_pem=cert.chain_pem.data) as server:
        fetcher = HttpsFetcher(server.policy(), resolver=server.resolver,
                               ssl_context=server.ssl_context)
        fetcher.fetch(server.url("/chain.pem"))

:func:`standard_routes` serves the cases an x5u fetcher must handle: a good
chain, a redirect, a slow body, an oversized body, 404, a wrong content type,
a non-PEM body and several ``Cache-Control``/``Expires`` variants.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shakentrace.errors import FetchError
from shakentrace.fetch import FetchPolicy

__all__ = ["CertServer", "Route", "cert_server", "standard_routes"]

PEM_CHAIN = "application/pem-certificate-chain"


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """What the server answers on one path.

    Attributes:
        body: The response body.
        status: The HTTP status.
        content_type: The Content-Type header (``None`` sends none).
        headers: Extra headers, e.g. ``(("Cache-Control", "max-age=60"),)``.
        delay: Seconds to wait before answering.
        drip: Seconds to wait between body chunks (a slow body).
        chunk: Bytes per chunk when dripping.
        content_length: Send a Content-Length header (off: the body ends at close,
            after TLS close_notify).
    """

    body: bytes = b""
    status: int = 200
    content_type: str | None = PEM_CHAIN
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    drip: float = 0.0
    chunk: int = 64
    content_length: bool = True


def standard_routes(chain_pem: bytes, *, now: datetime | None = None) -> dict[str, Route]:
    """Return the routes every x5u fetcher test needs, serving ``chain_pem``.

    ``/chain.pem`` (good), ``/redirect.pem`` (302 to it), ``/slow.pem`` (a body
    dribbled over ~10 s), ``/big.pem`` and ``/big-unsized.pem`` (100 KiB, with
    and without Content-Length), ``/text.pem`` (``text/plain``), ``/garbage.pem``
    (not PEM), ``/error.pem`` (500), and Cache-Control variants under ``/cc/``:
    ``max-age-60``, ``max-age-172800``, ``no-store``, ``expires-48h``, ``none``.
    Any other path answers 404.
    """
    moment = now or datetime.now(UTC)
    good = Route(body=chain_pem)
    big = chain_pem + b"\n" + b"A" * (100 * 1024)
    http_date = format_datetime(moment, usegmt=True)
    in_48h = format_datetime(moment + timedelta(hours=48), usegmt=True)
    return {
        "/chain.pem": good,
        "/redirect.pem": Route(status=302, headers=(("Location", "/chain.pem"),)),
        "/slow.pem": replace(good, drip=0.5, chunk=max(1, len(chain_pem) // 20)),
        "/big.pem": replace(good, body=big),
        "/big-unsized.pem": replace(good, body=big, content_length=False),
        "/text.pem": replace(good, content_type="text/plain"),
        "/garbage.pem": Route(body=b"<html>not a certificate</html>"),
        "/error.pem": Route(status=500, body=b"oops", content_type="text/plain"),
        "/cc/max-age-60.pem": replace(good, headers=(("Cache-Control", "max-age=60"),)),
        "/cc/max-age-172800.pem": replace(
            good, headers=(("Cache-Control", "public, max-age=172800"),)
        ),
        "/cc/no-store.pem": replace(good, headers=(("Cache-Control", "no-store"),)),
        "/cc/expires-48h.pem": replace(good, headers=(("Date", http_date), ("Expires", in_48h))),
        "/cc/none.pem": good,
    }


class CertServer:
    """A running HTTPS server on 127.0.0.1 (made by :func:`cert_server`).

    Attributes:
        hostname: The name its TLS certificate is issued to.
        port: The TCP port it listens on.
        ssl_context: A client context that trusts its test CA (hostname checked).
        ca_pem: That test CA's certificate (PEM), for clients that read their TLS
            roots from a file, e.g. ``SSL_CERT_FILE`` for the command line.
        hits: Requests served per path.
    """

    def __init__(
        self,
        hostname: str,
        port: int,
        tls: tuple[ssl.SSLContext, bytes],
        routes: dict[str, Route],
    ) -> None:
        self.hostname = hostname
        self.port = port
        self.ssl_context, self.ca_pem = tls
        self.hits: Counter[str] = Counter()
        self._routes = routes
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        """Return ``https://<hostname>:<port><path>``."""
        return f"https://{self.hostname}:{self.port}{path}"

    def add(self, path: str, route: Route) -> None:
        """Serve ``route`` at ``path`` from now on."""
        with self._lock:
            self._routes[path] = route

    def route(self, path: str) -> Route | None:
        """Return the route for ``path`` and count the hit."""
        with self._lock:
            self.hits[path] += 1
            return self._routes.get(path)

    def resolver(self, host: str, port: int) -> Sequence[str]:
        """Resolve the server's hostname to 127.0.0.1 (a ``shakentrace.fetch.Resolver``).

        Raises:
            FetchError: Any other name.
        """
        if host == self.hostname:
            return ("127.0.0.1",)
        raise FetchError(f"test resolver knows only {self.hostname}, not {host}")

    def policy(self, **changes: Any) -> FetchPolicy:
        """A fetch policy allowing this server: loopback allowlisted, its port allowed."""
        base = FetchPolicy(ports=(self.port,), allow_networks=("127.0.0.0/8",), total_timeout=3.0)
        return replace(base, **changes)


@contextlib.contextmanager
def cert_server(
    chain_pem: bytes | None = None,
    *,
    routes: Mapping[str, Route] | None = None,
    hostname: str = "x5u.test",
) -> Iterator[CertServer]:
    """Run a real HTTPS server on 127.0.0.1 for the duration of a ``with`` block.

    Args:
        chain_pem: Serve :func:`standard_routes` for this chain.
        routes: Extra or replacement routes (path → :class:`Route`).
        hostname: The name in the server's TLS certificate.

    Yields:
        The running :class:`CertServer`.
    """
    table = standard_routes(chain_pem) if chain_pem is not None else {}
    table.update(routes or {})
    with tempfile.TemporaryDirectory(prefix="shakentrace-x5u-") as tmp:
        server_ctx, client_ctx, ca_pem = _tls_contexts(hostname, Path(tmp))
        httpd = _Server(("127.0.0.1", 0), _Handler, server_ctx)
        state = CertServer(hostname, httpd.server_address[1], (client_ctx, ca_pem), table)
        httpd.state = state
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
        thread.daemon = True
        thread.start()
        try:
            yield state
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=5)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    state: CertServer

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], context: ssl.SSLContext
    ) -> None:
        super().__init__(address, handler)
        self._tls = context

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        # Handshake in the handler thread (on first read), so a client that hangs
        # up mid-handshake cannot stall the accept loop.
        wrapped = self._tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, size caps) are expected; stay quiet."""

    def shutdown_request(self, request: Any) -> None:
        # TLS close_notify first: it tells the client a body ending at the close is whole.
        with contextlib.suppress(OSError, ValueError):
            request.unwrap()
        super().shutdown_request(request)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def handle(self) -> None:
        # A client that gives up (timeout, size cap, TLS failure) is expected here.
        with contextlib.suppress(OSError, ssl.SSLError):
            super().handle()

    def finish(self) -> None:
        for stream in (self.wfile, self.rfile):
            with contextlib.suppress(OSError, ssl.SSLError):
                stream.close()

    def do_GET(self) -> None:
        route = self.server.state.route(self.path)
        if route is None:
            route = Route(status=404, body=b"not found", content_type="text/plain")
        time.sleep(route.delay)
        self.send_response(route.status)
        if route.content_type is not None:
            self.send_header("Content-Type", route.content_type)
        if route.content_length:
            self.send_header("Content-Length", str(len(route.body)))
        for name, value in route.headers:
            self.send_header(name, value)
        self.end_headers()
        self._send_body(route)

    def _send_body(self, route: Route) -> None:
        if not route.drip:
            self.wfile.write(route.body)
            return
        for start in range(0, len(route.body), route.chunk):
            self.wfile.write(route.body[start : start + route.chunk])
            self.wfile.flush()
            time.sleep(route.drip)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""


def _tls_contexts(hostname: str, folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext, bytes]:
    """A test CA, a server certificate for ``hostname`` and 127.0.0.1: both contexts, the CA."""
    now = datetime.now(UTC)
    ca, ca_key = _test_ca(now)
    leaf, key = _server_cert(hostname, ca, ca_key, now)
    pem = serialization.Encoding.PEM
    (folder / "server.pem").write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode("ascii"))
    return server, client, ca.public_bytes(pem)


def _test_ca(now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shakentrace x5u test CA")])
    cert = (
        _builder(name, name, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ku(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _server_cert(
    hostname: str, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, now: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName(
        [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    cert = (
        _builder(name, ca.subject, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_ku(cert_sign=False), critical=True)
        .add_extension(san, critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
    )


def _ku(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
