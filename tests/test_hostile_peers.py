"""Hostile peers on 127.0.0.1: raw TLS/HTTP and DNS servers that lie, stall and flood.

Each peer is a real socket served from a thread; it answers the way a broken or
malicious x5u host, CRL endpoint or nameserver would. Whatever it does, the
client ends with a typed error (or a DNS error code) within its deadline, plus
a margin for a loaded CI machine — never a hang, a crash or a silently
accepted response.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace import FetchError, load_chain
from shakentrace.fetch import FetchPolicy, HttpsFetcher
from shakentrace.testing import StiCA
from shakentrace.testing._server import _server_cert, _test_ca, _tls_contexts

pytestmark = pytest.mark.network

HOST = "x5u.test"
MARGIN = 3.0  # seconds past a deadline a loaded 2-core CI box may need
NOW = datetime.now(UTC).replace(microsecond=0)
CA = StiCA(seed="hostile-peers", now=NOW)
LEAF = CA.issue_cert(spc="1234")
PEM = LEAF.chain_pem.data
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/pem-certificate-chain\r\n"

Script = Callable[[socket.socket, bytes], None]


@dataclass
class Peer:
    """A raw HTTP(S) peer: what it was asked, and a fetcher pointed at it."""

    port: int
    client: ssl.SSLContext
    requests: list[bytes] = field(default_factory=list)

    def url(self, path: str = "/chain.pem") -> str:
        return f"https://{HOST}:{self.port}{path}"

    def fetcher(self, **policy: object) -> HttpsFetcher:
        base = FetchPolicy(
            ports=(self.port,),
            allow_networks=("127.0.0.0/8",),
            connect_timeout=0.5,
            total_timeout=0.6,
        )
        return HttpsFetcher(
            replace(base, **policy),  # type: ignore[arg-type]
            resolver=lambda host, port: ("127.0.0.1",),
            ssl_context=self.client,
        )


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    with tempfile.TemporaryDirectory() as tmp:
        server, client, _ = _tls_contexts(HOST, Path(tmp))
    return server, client


def _serve(listener: socket.socket, handle: Callable[[socket.socket], None]) -> threading.Event:
    """Accept connections until the returned event is set; each is handled in a thread."""
    stop = threading.Event()

    def run(raw: socket.socket) -> None:
        with contextlib.suppress(OSError), raw:
            handle(raw)

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=run, args=(raw,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return stop


@contextlib.contextmanager
def hostile(script: Script, tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[Peer]:
    """A TLS peer on 127.0.0.1 that reads one request head and then runs ``script``."""
    server, client = tls
    with socket.create_server(("127.0.0.1", 0)) as listener:
        peer = Peer(port=listener.getsockname()[1], client=client)

        def handle(raw: socket.socket) -> None:
            with server.wrap_socket(raw, server_side=True) as conn:
                conn.settimeout(10)
                head = b""
                while b"\r\n\r\n" not in head and (got := conn.recv(4096)):
                    head += got
                peer.requests.append(head)
                script(conn, head)

        stop = _serve(listener, handle)
        try:
            yield peer
        finally:
            stop.set()


def send(*parts: bytes) -> Script:
    return lambda conn, _: conn.sendall(b"".join(parts))


def drip(data: bytes, pause: float, *, head: bytes = b"") -> Script:
    """Send ``head``, then ``data`` one byte at a time."""

    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall(head)
        for i in range(len(data)):
            conn.sendall(data[i : i + 1])
            time.sleep(pause)

    return script


def forever(head: bytes, unit: bytes, pause: float) -> Script:
    """Send ``head``, then ``unit`` again and again."""

    def script(conn: socket.socket, _: bytes) -> None:
        conn.sendall(head)
        while True:
            conn.sendall(unit)
            time.sleep(pause)

    return script


def _refused(fetcher: HttpsFetcher, url: str, match: str, *, within: float) -> FetchError:
    started = time.monotonic()
    with pytest.raises(FetchError, match=match) as info:
        fetcher.fetch(url)
    assert time.monotonic() - started < within + MARGIN
    assert info.value.code == "cert-unavailable"
    return info.value


# -- framing: the body is delimited one way, or not at all -----------------------------

_CHUNKED = OK + b"Transfer-Encoding: chunked\r\n\r\n"
_BOMB = gzip.compress(b"\0" * 20_000_000)  # ~20 KB on the wire, 20 MB inflated


@pytest.mark.parametrize(
    ("script", "match"),
    [
        # found here: int() of a 5000-digit Content-Length raised ValueError out of fetch()
        (send(OK, b"Content-Length: " + b"1" * 5000 + b"\r\n\r\n", PEM), "over 65536"),
        (send(OK, b"Content-Length: 5\r\nContent-Length: %d\r\n\r\n" % len(PEM), PEM), "conflict"),
        (send(OK, b"Content-Length: 5, %d\r\n\r\n" % len(PEM), PEM), "conflict"),
        (send(OK, b"Content-Length: -1\r\n\r\n", PEM), "invalid"),
        (send(OK, b"Content-Length: +%d\r\n\r\n" % len(PEM), PEM), "invalid"),
        (send(OK, b"Content-Length: 0x10\r\n\r\n", PEM), "invalid"),
        (send(_CHUNKED[:-2], b"Content-Length: 3\r\n\r\n%x\r\n" % len(PEM), PEM), "both"),
        (send(OK, b"Transfer-Encoding: gzip, chunked\r\n\r\n", PEM), "transfer coding"),
        (send(OK, b"Content-Encoding: gzip\r\n\r\n", _BOMB), "content coding 'gzip'"),
        (send(OK, b"Content-Encoding: br, identity\r\n\r\n", PEM), "content coding"),
        # found here: a body cut short of its Content-Length was taken for the whole
        (send(OK, b"Content-Length: %d\r\n\r\n" % (len(PEM) + 500), PEM), "ended after"),
        # chunked abuse: huge size with no data, a size that is no number, a negative one
        (send(_CHUNKED, b"f" * 60_000, b"\r\n", PEM), "IncompleteRead"),
        (send(_CHUNKED, b"zz\r\n", PEM), "IncompleteRead"),
        (send(_CHUNKED, b"-5\r\n", PEM), "IncompleteRead"),
        (send(_CHUNKED, b"f" * 70_000), "LineTooLong"),
    ],
    ids=[
        "length-5000-digits",
        "length-twice",
        "length-list",
        "length-negative",
        "length-plus",
        "length-hex",
        "te-and-length",
        "te-gzip",
        "gzip-bomb",
        "brotli",
        "length-longer-than-body",
        "chunk-huge",
        "chunk-not-hex",
        "chunk-negative",
        "chunk-size-line-endless",
    ],
)
def test_bad_framing_is_refused(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], script: Script, match: str
) -> None:
    with hostile(script, tls) as peer:
        _refused(peer.fetcher(), peer.url(), match, within=0.6)


def test_the_client_asks_for_identity_and_reads_good_chunks(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(PEM[i : i + 100]), PEM[i : i + 100]) for i in range(0, len(PEM), 100)
    )
    with hostile(send(_CHUNKED, chunks, b"0\r\nX-Trailer: 1\r\n\r\n"), tls) as peer:
        assert load_chain(peer.fetcher().fetch(peer.url())) == LEAF.chain
    assert b"\r\nAccept-Encoding: identity\r\n" in peer.requests[0]


def test_a_status_line_flood_is_not_quoted_whole(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    with hostile(send(b"\x1b[2J" + b"A" * 60_000 + b"\r\n\r\n"), tls) as peer:
        error = _refused(peer.fetcher(), peer.url(), "BadStatusLine", within=0.6)
    assert len(error.message) < 300


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
        b"HTTP/1.1 103 Early Hints\r\n\r\n",
    ],
)
def test_informational_answers_are_not_bodies(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], head: bytes
) -> None:
    with hostile(send(head, OK, b"\r\n", PEM), tls) as peer:
        _refused(peer.fetcher(), peer.url(), "HTTP 10", within=0.6)


# -- deadlines: whatever the peer dribbles, the total timeout holds ---------------------


@pytest.mark.parametrize(
    "script",
    [
        drip(PEM, 0.05, head=OK + b"\r\n"),  # body, a byte every 50 ms
        drip(OK + b"X-Pad: 1\r\n" * 40 + b"\r\n" + PEM, 0.05),  # headers, likewise
        forever(b"", b"HTTP/1.1 100 Continue\r\n\r\n", 0.01),  # endless 100-continue
        forever(OK, b"X-More: 1\r\n", 0.05),  # headers that never end (under 100 of them)
        forever(_CHUNKED, b"1\r\nA\r\n", 0.005),  # endless small chunks
        forever(_CHUNKED + b"%x\r\n%s\r\n0\r\n" % (len(PEM), PEM), b"X-T: 1\r\n", 0.01),  # trailer
        drip(b"1;" + b"x" * 5000, 0.001, head=_CHUNKED),  # a chunk-size line dribbled
        send(OK, b"Content-Length: %d\r\n\r\n" % (len(PEM) + 1), PEM),  # one byte short, held open
    ],
    ids=[
        "body-drip",
        "header-drip",
        "endless-100",
        "endless-headers",
        "endless-chunks",
        "endless-trailer",
        "chunk-line-drip",
        "short-body-held-open",
    ],
)
def test_slow_peers_meet_the_total_timeout(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], script: Script
) -> None:
    def held(conn: socket.socket, head: bytes) -> None:
        script(conn, head)
        time.sleep(5)  # and keep the connection open

    with hostile(held, tls) as peer:
        _refused(peer.fetcher(connect_timeout=2.0), peer.url(), "timeout|timed out", within=0.6)


def test_tls_handshake_dribbled_a_byte_at_a_time(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    # A relay in front of a good server passes the server's bytes one every 10 ms:
    # each read is quick, the handshake (~1.5 KB) would take 15 s.
    with (
        hostile(send(OK, b"\r\n", PEM), tls) as good,
        socket.create_server(("127.0.0.1", 0)) as relay,
    ):

        def handle(client: socket.socket) -> None:
            with socket.create_connection(("127.0.0.1", good.port)) as upstream:
                threading.Thread(target=_pump, args=(client, upstream, 0.0), daemon=True).start()
                _pump(upstream, client, 0.01)

        stop = _serve(relay, handle)
        try:
            slow = replace(good, port=relay.getsockname()[1])
            fetcher = slow.fetcher(connect_timeout=0.5, total_timeout=5.0)
            _refused(fetcher, slow.url(), "connect", within=0.5)
        finally:
            stop.set()


def _pump(source: socket.socket, sink: socket.socket, pause: float) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(4096):
            for i in range(len(data)) if pause else (None,):
                sink.sendall(data[i : i + 1] if i is not None else data)
                time.sleep(pause)


def test_a_resolver_that_never_answers_meets_the_connect_timeout(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    # getaddrinfo has no timeout: a silent nameserver holds it for resolv.conf's
    # timeout x attempts. Found here: the total deadline started after resolution.
    with hostile(send(OK, b"\r\n", PEM), tls) as peer:

        def silent(host: str, port: int) -> Sequence[str]:
            time.sleep(4)
            return ("127.0.0.1",)

        fetcher = HttpsFetcher(peer.fetcher().policy, resolver=silent, ssl_context=peer.client)
        _refused(fetcher, peer.url(), "cannot resolve x5u.test", within=0.5)


def test_an_expired_tls_certificate_is_refused(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=30)
    ca, ca_key = _test_ca(long_ago)
    cert, key = _server_cert(HOST, ca, ca_key, long_ago)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pem = serialization_pem(cert) + serialization_pem(ca)
        (folder / "s.pem").write_bytes(pem)
        (folder / "s.key").write_bytes(private_pem(key))
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(folder / "s.pem", folder / "s.key")
    client = ssl.create_default_context(cadata=serialization_pem(ca).decode("ascii"))
    with hostile(send(OK, b"\r\n", PEM), (server, client)) as peer:
        _refused(peer.fetcher(), peer.url(), "expired", within=0.6)


def serialization_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
