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
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace import FetchError, TrustStore, Verifier, load_chain
from shakentrace._https import _MAX_RESOLVING
from shakentrace.fetch import CachingFetcher, FetchPolicy, HttpsFetcher
from shakentrace.lookup import DnsAnswer, DnsResolver
from shakentrace.testing import (
    CertServer,
    Route,
    StiCA,
    StiCert,
    build_invite,
    cert_server,
    format_identity,
    resign,
)
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
            connect_timeout=2.0,  # generous: tests about deadlines set their own
            total_timeout=3.0,
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
                with contextlib.suppress(OSError, ValueError):
                    conn.unwrap()  # TLS close_notify: the peer's response is complete

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
_FIELDS = (b"X-Pad: " + b"a" * 65_000 + b"\r\n") * 98  # 6.4 MB, within http.client's bounds
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
        (send(_CHUNKED, b"f" * 70_000), "response head over"),
        # found here: 98 fields of 65 KB (http.client's own bounds) were read and kept
        (send(OK, _FIELDS, b"\r\n", PEM), "response head over"),
        (send(_CHUNKED, b"1\r\nA\r\n" * 30_000), "response head over"),  # 1-byte chunks
        (send(_CHUNKED, b"%x\r\n" % len(PEM), PEM[:500]), "IncompleteRead"),  # closed mid-chunk
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
        "header-fields-6mb",
        "one-byte-chunks",
        "closed-mid-chunk",
    ],
)
def test_bad_framing_is_refused(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], script: Script, match: str
) -> None:
    with hostile(script, tls) as peer:
        _refused(peer.fetcher(), peer.url(), match, within=0.6)


def test_a_5000_digit_content_length_is_a_436_not_a_crash(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    head = OK + b"Content-Length: " + b"1" * 5000 + b"\r\n\r\n"
    with hostile(send(head, PEM), tls) as peer:
        verifier = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=peer.fetcher())
        out = verifier.verify(_invite_for(peer.url()), now=NOW)
    assert [r.code for r in out.reasons if r.severity == "error"] == ["cert-unavailable"]
    assert out.sip_code == 436


def _invite_for(url: str) -> bytes:
    """An INVITE signed by LEAF whose x5u and info name ``url``."""
    token = resign(LEAF.sign_passport(), LEAF, header={"x5u": url})
    return build_invite(identity=format_identity(token, info=url), date=NOW)


def test_a_body_cut_by_a_bare_tcp_close_is_refused(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    # Found here: a body that ends at the close, cut after the leaf by a TCP FIN with
    # no TLS close_notify (what an on-path attacker can do), was taken whole: the
    # chain lost its intermediate. RFC 9112 §9.8: complete only with close_notify.
    leaf_only = PEM[: PEM.index(b"-----END CERTIFICATE-----") + 26]

    def cut(conn: socket.socket, _: bytes) -> None:
        conn.sendall(OK + b"\r\n" + leaf_only)
        socket.socket.shutdown(conn, socket.SHUT_RDWR)  # below TLS: no close_notify

    with hostile(cut, tls) as peer:
        _refused(peer.fetcher(), peer.url(), "without TLS close_notify", within=0.6)
    with hostile(send(OK, b"\r\n", PEM), tls) as peer:  # the same body, closed properly
        assert load_chain(peer.fetcher().fetch(peer.url())) == LEAF.chain


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
        _refused(peer.fetcher(total_timeout=0.6), peer.url(), "timeout|timed out", within=0.6)


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


def test_many_addresses_that_all_stall_share_one_deadline(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    # A name with ten addresses, each accepting TCP and never speaking TLS: the
    # connect timeout applies to each, the total timeout to them all.
    with socket.create_server(("127.0.0.1", 0), backlog=16) as mute:
        peer = Peer(port=mute.getsockname()[1], client=tls[1])
        fetcher = HttpsFetcher(
            peer.fetcher(connect_timeout=0.3, total_timeout=0.8).policy,
            resolver=lambda host, port: ["127.0.0.1"] * 10,
            ssl_context=peer.client,
        )
        _refused(fetcher, peer.url(), "timeout|timed out", within=0.8)


def test_a_resolver_that_never_answers_meets_the_connect_timeout(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    # getaddrinfo has no timeout: a silent nameserver holds it for resolv.conf's
    # timeout x attempts. Found here: the total deadline started after resolution.
    gate = threading.Event()
    with hostile(send(OK, b"\r\n", PEM), tls) as peer:
        fetcher = _silently_resolving(peer, gate)
        try:
            _refused(fetcher, peer.url(), "cannot resolve x5u.test: no answer", within=0.5)
        finally:
            gate.set()


def _silently_resolving(peer: Peer, gate: threading.Event) -> HttpsFetcher:
    """A fetcher for ``peer`` whose resolver answers only once ``gate`` is set."""

    def silent(host: str, port: int) -> Sequence[str]:
        gate.wait(10)
        return ("127.0.0.1",)

    policy = peer.fetcher(connect_timeout=0.5).policy
    return HttpsFetcher(policy, resolver=silent, ssl_context=peer.client)


def test_resolutions_left_running_are_bounded(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    # Each fetch that gives up on a silent resolver leaves its thread in getaddrinfo:
    # a flood of x5u names may not pile up more than _MAX_RESOLVING of them.
    gate = threading.Event()
    with hostile(send(OK, b"\r\n", PEM), tls) as peer:
        fetcher = _silently_resolving(peer, gate)
        flood = [
            threading.Thread(target=_quietly, args=(fetcher, peer.url()))
            for _ in range(_MAX_RESOLVING)
        ]
        try:
            for thread in flood:
                thread.start()
            for thread in flood:
                thread.join(timeout=0.5 + MARGIN)
            _refused(fetcher, peer.url(), "64 resolutions pending", within=0.5)
        finally:
            gate.set()
        # Once the resolver answers, the threads end and resolution works again.
        assert load_chain(_silently_resolving(peer, gate).fetch(peer.url())) == LEAF.chain


def _quietly(fetcher: HttpsFetcher, url: str) -> None:
    with contextlib.suppress(FetchError):
        fetcher.fetch(url)


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


# -- CRL endpoints: the CRL Distribution Point served by a hostile host ----------------


@pytest.fixture(scope="module")
def crl_host() -> Iterator[CertServer]:
    with cert_server() as running:
        yield running


def _crl_case(crl_host: CertServer, name: str) -> tuple[StiCA, StiCert, Route]:
    ca = StiCA(seed=f"crl-{name}", now=NOW, crl_url=crl_host.url(f"/{name}.crl"))
    leaf = ca.issue_cert(spc="1234")
    ca.revoke(leaf)
    crl = ca.crl().data
    routes = {
        "genuine": Route(body=crl, content_type="application/pkix-crl"),
        # same CA names (so the same issuer DN), other keys
        "forged": Route(body=_forged_crl(leaf)),
        "huge": Route(body=crl + b"\n" + b"A" * 200_000),
        "slow": Route(body=crl, drip=0.05, chunk=16),
        "html": Route(body=b"<html>maintenance</html>", content_type="text/html"),
        "gzip": Route(body=gzip.compress(crl), headers=(("Content-Encoding", "gzip"),)),
    }
    return ca, leaf, routes[name]


def _forged_crl(leaf: StiCert) -> bytes:
    """A CRL listing ``leaf``, under its CA's names but signed with other keys."""
    forger = StiCA(seed="crl-forger", now=NOW)
    forger.revoke(leaf)
    return forger.crl().data


@pytest.mark.parametrize(
    ("name", "revoked", "note"),
    [
        ("genuine", True, None),
        ("forged", False, "no trusted signer"),
        ("huge", False, "over 65536"),
        ("slow", False, "timeout"),
        ("html", False, "not a CRL"),
        ("gzip", False, "content coding"),
    ],
)
def test_crl_endpoints(crl_host: CertServer, name: str, revoked: bool, note: str | None) -> None:
    ca, leaf, route = _crl_case(crl_host, name)
    crl_host.add(f"/{name}.crl", route)
    total = 0.6 if name == "slow" else 3.0
    policy = crl_host.policy(require_pem=False, content_types=(), total_timeout=total)
    fetcher = HttpsFetcher(policy, resolver=crl_host.resolver, ssl_context=crl_host.ssl_context)
    store = TrustStore([ca.root_cert], crl_fetcher=fetcher)
    started = time.monotonic()
    result = store.verify_chain(leaf.chain, at=NOW)
    assert time.monotonic() - started < total + MARGIN
    codes = {r.code: r for r in result.reasons}
    assert ("cert-revoked" in codes) is revoked
    if note is not None:
        assert result.trusted  # a CRL that cannot be had is a warning (soft fail)
        assert note in codes["crl-unavailable"].message


# -- what the x5u serves: bundles that are too big, too many, or not PEM ---------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (PEM * 20, "over the 8 limit"),  # 60 certificates in 37 KB
        (LEAF.certificate.public_bytes(serialization.Encoding.DER), "not a PEM"),
        (b"-----BEGIN CERTIFICATE-----\n" + b"!" * 3000 + b"\n-----END CERTIFICATE-----\n", ""),
    ],
    ids=["many-certs", "der", "bad-base64"],
)
def test_x5u_bodies_that_are_no_chain(crl_host: CertServer, body: bytes, why: str) -> None:
    path = f"/bundle-{len(body)}.pem"
    crl_host.add(path, Route(body=body))
    url = crl_host.url(path)
    https = HttpsFetcher(
        crl_host.policy(), resolver=crl_host.resolver, ssl_context=crl_host.ssl_context
    )
    trust = TrustStore.from_pem(CA.trust_pem)
    out = Verifier(trust=trust, fetcher=https).verify(_invite_for(url), now=NOW)
    errors = [r for r in out.reasons if r.severity == "error"]
    assert [r.code for r in errors] == ["cert-unavailable"]
    assert why in errors[0].message


def test_junk_between_pem_blocks_is_ignored(crl_host: CertServer) -> None:
    # RFC 7468 §2: text outside the encapsulation boundaries is not part of the chain.
    blocks = PEM.split(b"-----END CERTIFICATE-----\n")
    body = b"<html>\x00junk\n".join(b + b"-----END CERTIFICATE-----\n" for b in blocks[:-1])
    crl_host.add("/junk.pem", Route(body=b"preamble\n" + body + b"trailer\x1b[2J"))
    https = HttpsFetcher(
        crl_host.policy(), resolver=crl_host.resolver, ssl_context=crl_host.ssl_context
    )
    assert load_chain(https.fetch(crl_host.url("/junk.pem"))) == LEAF.chain


# -- DNS: a nameserver on 127.0.0.1 (UDP and TCP on one port) that misbehaves ----------

Answer = Callable[[dns.message.Message], Sequence[bytes]]
QNAME = "10.2.0.192.in-addr.arpa."


@contextlib.contextmanager
def nameserver(udp: Answer, tcp: Answer | None = None, *, pause: float = 0.0) -> Iterator[int]:
    """Answer UDP queries with ``udp``, TCP ones with ``tcp`` (silence if ``None``),
    dribbling TCP bytes ``pause`` seconds apart; yield the port."""
    with contextlib.ExitStack() as stack:
        dgram = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        dgram.bind(("127.0.0.1", 0))
        port = dgram.getsockname()[1]
        stream = stack.enter_context(socket.create_server(("127.0.0.1", port)))
        stop = threading.Event()

        def serve_udp() -> None:
            dgram.settimeout(0.05)
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    data, client = dgram.recvfrom(4096)
                    for out in udp(dns.message.from_wire(data)):
                        dgram.sendto(out, client)

        def handle(conn: socket.socket) -> None:
            conn.settimeout(5)
            size = struct.unpack("!H", conn.recv(2))[0]
            query = conn.recv(size)
            if tcp is None:
                time.sleep(5)
                return
            for out in tcp(dns.message.from_wire(query)):
                framed = struct.pack("!H", len(out)) + out
                for i in range(0, len(framed), 1 if pause else len(framed)):
                    conn.sendall(framed[i : i + 1] if pause else framed)
                    time.sleep(pause)

        threading.Thread(target=serve_udp, daemon=True).start()
        stopped = _serve(stream, handle)
        try:
            yield port
        finally:
            stop.set()
            stopped.set()


def reply(
    query: dns.message.Message,
    *records: str,
    rcode: dns.rcode.Rcode = dns.rcode.NOERROR,
    tc: bool = False,
) -> bytes:
    """A response to ``query`` with answer records in presentation format."""
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    for text in records:
        owner, ttl, rdclass, rdtype, rdata = text.split(" ", 4)
        response.answer.append(dns.rrset.from_text(owner, int(ttl), rdclass, rdtype, rdata))
    if tc:
        response.flags |= dns.flags.TC
    return response.to_wire(max_size=65535)


def _resolve(
    port: int, call: Callable[[DnsResolver], DnsAnswer], lifetime: float = 0.6
) -> DnsAnswer:
    resolver = DnsResolver(port=port, timeout=lifetime / 2, lifetime=lifetime)
    started = time.monotonic()
    answer = call(resolver)
    assert time.monotonic() - started < lifetime + MARGIN
    return answer


_PTR = f"{QNAME} 300 IN PTR sbc.upstream.example."
_MANY = dns.rrset.from_text_list(
    QNAME, 300, "IN", "PTR", [f"{'a' * 60}{n}.upstream.example." for n in range(800)]
)
_LOOP = (f"{QNAME} 300 IN CNAME a.example.", f"a.example. 300 IN CNAME {QNAME}")
_BAD_NAPTR = bytes.fromhex("c00c 0023 0001 0000012c 0005 000a 0064 05".replace(" ", ""))


@pytest.mark.parametrize(
    ("udp", "tcp", "pause", "names", "error"),
    [
        (lambda q: [reply(q, rcode=dns.rcode.NXDOMAIN)], None, 0, 0, "nxdomain"),
        (lambda q: [reply(q, rcode=dns.rcode.SERVFAIL)], None, 0, 0, "servfail"),
        (lambda q: [reply(q, rcode=dns.rcode.REFUSED)], None, 0, 0, "refused"),
        (lambda q: [reply(q, rcode=dns.rcode.NOTIMP)], None, 0, 0, "servfail"),
        (lambda q: [reply(q)], None, 0, 0, "no-answer"),
        # truncated over UDP: the same question again over TCP
        (lambda q: [reply(q, tc=True)], lambda q: [reply(q, _PTR)], 0, 1, None),
        (lambda q: [reply(q, tc=True)], lambda q: [_reply_with(q, _MANY)], 0, 800, None),  # ~60 KB
        (lambda q: [reply(q, tc=True)], None, 0, 0, "timeout"),  # TCP never answers
        (lambda q: [reply(q, tc=True)], lambda q: [reply(q, _PTR)], 0.05, 0, "timeout"),  # drip
        # a CNAME loop inside the answer
        (
            lambda q: [
                reply(q, f"{QNAME} 300 IN CNAME a.example.", f"a.example. 300 IN CNAME {QNAME}")
            ],
            None,
            0,
            0,
            "servfail",
        ),
        # 100 datagrams of garbage, then answers to another query id: all ignored
        (lambda q: [b"\0" * 12] * 100 + [q.to_wire()[:5]] * 50, None, 0, 0, "timeout"),
        (lambda q: [_with_id(reply(q, _PTR), q.id ^ 1)] * 20, None, 0, 0, "timeout"),
        # NAPTR rdata cut short after its order and preference
        (lambda q: [reply(q)[:7] + b"\x01" + reply(q)[8:] + _BAD_NAPTR], None, 0, 0, "timeout"),
    ],
    ids=[
        "nxdomain",
        "servfail",
        "refused",
        "not-implemented",
        "no-answer",
        "truncated-then-tcp",
        "huge-over-tcp",
        "truncated-tcp-silent",
        "truncated-tcp-drip",
        "cname-loop",
        "garbage-flood",
        "wrong-id",
        "malformed-rdata",
    ],
)
def test_nameservers(
    udp: Answer, tcp: Answer | None, pause: float, names: int, error: str | None
) -> None:
    with nameserver(udp, tcp, pause=pause) as port:
        # Short waits where silence is the point, generous ones where an answer is.
        answer = _resolve(port, lambda r: r.ptr("192.0.2.10"), 0.6 if error == "timeout" else 3.0)
    assert (len(answer.names), answer.error) == (names, error)


def _reply_with(query: dns.message.Message, rrset: dns.rrset.RRset) -> bytes:
    response = dns.message.make_response(query)
    response.answer.append(rrset)
    return response.to_wire(max_size=65535)


def _with_id(wire: bytes, ident: int) -> bytes:
    return struct.pack("!H", ident) + wire[2:]


# -- redirects, caching: what the peer asks the client to do next ---------------------


@pytest.mark.parametrize("status", [301, 303, 308])
@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "https://127.0.0.1:22/", "/chain.pem"],
)
def test_no_redirect_is_followed(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], status: int, location: str
) -> None:
    head = b"HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % (
        status,
        location.encode(),
    )
    with hostile(send(head), tls) as peer:
        with pytest.raises(FetchError, match="redirect") as info:
            peer.fetcher().fetch(peer.url())
        assert len(peer.requests) == 1
    assert info.value.code == "x5u-forbidden"


def test_callers_waiting_on_a_stalled_fetch_share_its_deadline(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    # 20 calls name one x5u whose host dribbles: one connection, every caller freed
    # at the deadline with the same error, and the failure remembered.
    with hostile(drip(PEM, 0.05, head=OK + b"\r\n"), tls) as peer:
        fetcher = CachingFetcher(peer.fetcher(total_timeout=0.6), clock=lambda: NOW)
        codes: list[str] = []
        lock = threading.Lock()

        def call() -> None:
            with pytest.raises(FetchError) as info:
                fetcher.fetch(peer.url())
            with lock:
                codes.append(info.value.code)

        started = time.monotonic()
        threads = [threading.Thread(target=call) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=0.6 + MARGIN)
        assert time.monotonic() - started < 0.6 + MARGIN
        assert codes == ["cert-unavailable"] * 20
        assert len(peer.requests) == 1
        assert fetcher.stats.fetches == 1


@pytest.mark.parametrize(
    "headers",
    [
        b"Cache-Control: max-age=-1\r\n",
        b"Cache-Control: max-age=" + b"9" * 40 + b"\r\n",
        b"Cache-Control: max-age=abc, max-age=\r\n",
        b"Cache-Control: max-age=60\r\nCache-Control: max-age=99999999999\r\n",
        b"Cache-Control: max-age=172800\r\nAge: " + b"9" * 5000 + b"\r\n",
        b"Expires: Fri, 31 Dec 9999 23:59:59 GMT\r\nDate: Mon, 01 Jan 0001 00:00:00 GMT\r\n",
        b"Expires: 0\r\nAge: -5\r\n",
    ],
    ids=["negative", "40-digits", "junk", "twice", "age-5000-digits", "year-9999", "expires-0"],
)
def test_cache_headers_cannot_pin_or_bust_the_cache(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], headers: bytes
) -> None:
    # Whatever the peer says, an x5u is kept for at least 24 hours (ATIS-1000074) and
    # at most max_ttl, never past its certificate's notAfter.
    clock = [NOW]
    with hostile(send(OK, headers, b"Content-Length: %d\r\n\r\n" % len(PEM), PEM), tls) as peer:
        fetcher = CachingFetcher(peer.fetcher(), clock=lambda: clock[0])
        fetcher.fetch(peer.url())
        clock[0] += timedelta(hours=24) - timedelta(seconds=1)
        fetcher.fetch(peer.url())
        assert len(peer.requests) == 1
        clock[0] += timedelta(days=31)
        fetcher.fetch(peer.url())
        assert len(peer.requests) == 2


def test_naptr_records_that_smuggle_bytes_name_no_host() -> None:
    # ENUM answers are the called party's carrier's word (RFC 6116). A regexp whose
    # SIP URI host holds ESC and NUL bytes named the host 'evil' (cut at the NUL);
    # a replacement with control bytes is kept in DNS presentation form, printable.
    def answer(query: dns.message.Message) -> list[bytes]:
        owner = query.question[0].name.to_text()
        smuggled = r'10 100 "u" "E2U+sip" "\255!^.*$!sip:\027[2J@evil\000.example!" .'
        replaced = r'20 100 "u" "E2U+sip" "" \027[2J.x.example.'
        return [
            reply(query, f"{owner} 300 IN NAPTR {smuggled}", f"{owner} 300 IN NAPTR {replaced}")
        ]

    with nameserver(answer) as port:
        got = DnsResolver(port=port, timeout=2.0, lifetime=3.0).enum("12155551212")
    assert got.names == ("\\027[2j.x.example",)
    assert all(r.isascii() and r.isprintable() for r in got.records)
