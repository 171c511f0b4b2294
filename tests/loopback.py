"""Capture real traffic on the loopback interface with dumpcap."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

__all__ = ["TCP_PORT", "UDP_PORT", "capture_loopback"]

UDP_PORT, TCP_PORT = 35060, 35061


def _start(path: Path) -> subprocess.Popen[bytes]:
    if shutil.which("dumpcap") is None:
        if os.environ.get("SHAKENTRACE_REQUIRE_INTEROP"):
            pytest.fail("dumpcap missing (installed by .ci/run)")
        pytest.skip("dumpcap missing")
    command = [
        "dumpcap",
        "-q",
        "-i",
        "lo",
        "-f",
        f"port {UDP_PORT} or port {TCP_PORT}",
        "-w",
        str(path),
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not path.exists() or path.stat().st_size == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            error = process.communicate()[1].decode(errors="replace")
            pytest.skip(f"dumpcap cannot capture on lo here: {error.strip()[:200]}")
        time.sleep(0.05)
    # The capture filter is attached shortly after the file header is written; on a
    # loaded machine that can take a while, so leave a wide margin.
    time.sleep(1.0)
    return process


def _send(messages: Sequence[bytes]) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out,
    ):
        sink.bind(("127.0.0.1", UDP_PORT))
        for message in messages:
            out.sendto(message, ("127.0.0.1", UDP_PORT))
            sink.recv(65535)
    with socket.create_server(("127.0.0.1", TCP_PORT)) as server:
        client = socket.create_connection(("127.0.0.1", TCP_PORT), timeout=5)
        peer, _ = server.accept()
        with client, peer:
            client.sendall(b"".join(messages))
            client.shutdown(socket.SHUT_WR)
            total = sum(len(m) for m in messages)
            received = 0
            while received < total and (chunk := peer.recv(65536)):
                received += len(chunk)


def capture_loopback(path: Path, messages: Sequence[bytes]) -> Path:
    """Send ``messages`` once over UDP and once over one TCP connection; return the capture."""
    process = _start(path)
    try:
        _send(messages)
        time.sleep(1.0)  # let dumpcap write the last packets before it stops
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    return path
