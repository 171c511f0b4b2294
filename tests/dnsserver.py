"""A real DNS server for tests: dnsmasq on 127.0.0.1, serving records the test writes.

dnsmasq's ``ptr-record``/``naptr-record``/``srv-host`` options make it
authoritative for exactly the names given; it needs no root-only feature here
(no DHCP, a high port, no privilege drop when not root).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

_SBIN = Path("/usr/sbin/dnsmasq")
DNSMASQ = shutil.which("dnsmasq") or (str(_SBIN) if _SBIN.exists() else None)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _require_dnsmasq() -> str:
    if DNSMASQ is None:
        message = "dnsmasq not installed (Debian: apt-get install dnsmasq-base)"
        if os.environ.get("SHAKENTRACE_REQUIRE_INTEROP") == "1":
            pytest.fail(message + " and SHAKENTRACE_REQUIRE_INTEROP=1")
        pytest.skip(message)
    return DNSMASQ


def _wait_until_serving(port: int, deadline: float) -> None:
    # A query for probe.invalid/A (RFC 1035 §4.1): any answer means the server is up.
    probe = bytes.fromhex("123401000001000000000000") + b"\x05probe\x07invalid\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                sock.sendto(probe, ("127.0.0.1", port))
                sock.recv(512)
                return
            except OSError:
                continue
    raise RuntimeError(f"dnsmasq did not answer on 127.0.0.1:{port}")


@contextmanager
def dnsmasq(tmp: Path, options: Sequence[str]) -> Iterator[int]:
    """Run dnsmasq with ``options`` (``key=value`` lines); yield its UDP port."""
    binary = _require_dnsmasq()
    port = _free_udp_port()
    conf = tmp / "dnsmasq.conf"
    base = [f"port={port}", "listen-address=127.0.0.1", "bind-interfaces", "no-resolv", "no-hosts"]
    conf.write_text("\n".join([*base, *options]) + "\n", encoding="utf-8")
    proc = subprocess.Popen(
        [binary, "--keep-in-foreground", f"--conf-file={conf}", "--pid-file="],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_until_serving(port, time.monotonic() + 5)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()
