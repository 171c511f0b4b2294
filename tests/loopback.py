"""Capture real traffic on the loopback interface with dumpcap."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["Ports", "capture_loopback"]


@dataclass(frozen=True)
class Ports:
    """The loopback ports one capture used (free ports, so concurrent suites never mix).

    Attributes:
        udp: Where the SIP datagrams went.
        tcp: Where the SIP stream went.
        probe: Non-SIP datagrams that tell when dumpcap is capturing and has
            written what came before.
    """

    udp: int
    tcp: int
    probe: int


def _start(path: Path, ports: Ports) -> subprocess.Popen[bytes]:
    if shutil.which("dumpcap") is None:
        if os.environ.get("SHAKENTRACE_REQUIRE_INTEROP"):
            pytest.fail("dumpcap missing (installed by .ci/run)")
        pytest.skip("dumpcap missing")
    bpf = f"port {ports.udp} or port {ports.tcp} or port {ports.probe}"
    command = ["dumpcap", "-q", "-i", "lo", "-f", bpf, "-w", str(path)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not path.exists() or path.stat().st_size == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            error = process.communicate()[1].decode(errors="replace")
            pytest.skip(f"dumpcap cannot capture on lo here: {error.strip()[:200]}")
        time.sleep(0.05)
    # The capture filter is attached after the file header is written: wait until a
    # probe shows up in the file rather than guessing how long that takes.
    _probe(path, ports.probe, b"shakentrace-probe-start")
    return process


def _probe(path: Path, port: int, marker: bytes, *, seconds: float = 30.0) -> None:
    """Send ``marker`` to ``port`` until dumpcap has written it to ``path``."""
    deadline = time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        while marker not in path.read_bytes():
            if time.monotonic() > deadline:
                pytest.fail(f"dumpcap did not write the probe {marker!r} within {seconds:.0f} s")
            out.sendto(marker, ("127.0.0.1", port))
            time.sleep(0.1)


@contextmanager
def _bound() -> Iterator[tuple[socket.socket, socket.socket, socket.socket]]:
    """A UDP sink, a listening TCP server and a probe sink, each on a free port."""
    with ExitStack() as stack:
        udp, probe = (
            stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) for _ in "ab"
        )
        udp.bind(("127.0.0.1", 0))
        probe.bind(("127.0.0.1", 0))
        server = stack.enter_context(socket.create_server(("127.0.0.1", 0)))
        yield udp, server, probe


def _send(messages: Sequence[bytes], sink: socket.socket, server: socket.socket) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
        for message in messages:
            out.sendto(message, sink.getsockname())
            sink.recv(65535)
    client = socket.create_connection(server.getsockname(), timeout=5)
    peer, _ = server.accept()
    with client, peer:
        client.sendall(b"".join(messages))
        client.shutdown(socket.SHUT_WR)
        total = sum(len(m) for m in messages)
        received = 0
        while received < total and (chunk := peer.recv(65536)):
            received += len(chunk)


def capture_loopback(path: Path, messages: Sequence[bytes]) -> Ports:
    """Send ``messages`` once over UDP and once over one TCP connection into ``path``."""
    with _bound() as (sink, server, probe):
        ports = Ports(sink.getsockname()[1], server.getsockname()[1], probe.getsockname()[1])
        process = _start(path, ports)
        try:
            _send(messages, sink, server)
            _probe(path, ports.probe, b"shakentrace-probe-end")  # all before it is written
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=10)
    return ports
