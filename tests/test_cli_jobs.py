"""``--jobs``: many chunks in flight still give every result once, in input order."""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from conftest import ROOT
from pcaptools import ip_frames, link, udp
from shakentrace import _cli_io
from shakentrace._cli_io import Console, mapped
from shakentrace.capture import CapturedMessage
from shakentrace.testing import build_invite


def _index_of_even(captured: CapturedMessage) -> tuple[int, int] | None:
    return (captured.index, os.getpid()) if captured.index % 2 == 0 else None


def _nothing() -> None:
    return None


def test_chunks_in_flight_keep_the_input_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.sip"
    path.write_bytes(b"".join(build_invite(call_id=f"c-{n}") for n in range(300)))
    monkeypatch.setattr(_cli_io, "_CHUNK", 16)  # 19 chunks, 6 in flight at a time
    monkeypatch.setattr(_cli_io, "_SMALL", 8)
    args = argparse.Namespace(files=[str(path)], jobs=2)
    results = list(mapped(args, Console(), _index_of_even, _nothing, ()))
    assert [index for index, _ in results] == list(range(0, 300, 2))
    assert os.getpid() not in {pid for _, pid in results}  # all done by workers


def _pcap(messages: list[bytes]) -> bytes:
    """A classic pcap of one UDP datagram per message (the header is struct's, not dpkt's)."""
    records = []
    for n, message in enumerate(messages):
        frame = link(ip_frames("192.0.2.10", "198.51.100.1", 17, udp(*_ADDRESSES, message))[0])
        records.append(struct.pack("<IIII", 1772460000 + n, 0, len(frame), len(frame)) + frame)
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + b"".join(records)


_ADDRESSES = ("192.0.2.10", "198.51.100.1", 5060, 5060)


def test_ctrl_c_with_idle_workers_exits_130_without_a_traceback() -> None:
    """Ctrl-C reaches the whole process group: idle workers once each printed a
    KeyboardInterrupt traceback. Here the input stalls after 300 messages (one chunk
    for the workers, then a read that waits), as a slow capture feed would."""
    data = _pcap([build_invite(call_id=f"c-{n}") for n in range(300)])
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    read, write = os.pipe()
    argv = [sys.executable, "-m", "shakentrace", "inspect", "--jobs", "2", "-"]
    with subprocess.Popen(
        argv, stdin=read, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
        start_new_session=True,
    ) as process:  # fmt: skip
        os.close(read)
        os.write(write, data)  # smaller than a pipe's buffer; the pipe stays open
        time.sleep(4)  # start-up, the first chunk done, both workers idle
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=60)
    os.close(write)
    assert process.returncode == 130
    assert "Traceback" not in err.decode(), err.decode()


def _line_within(stream: IO[bytes], seconds: float) -> bytes:
    """The next line of ``stream``, or ``b""`` if none is whole within ``seconds``."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    line, deadline = b"", time.monotonic() + seconds
    while not line.endswith(b"\n") and selector.select(max(deadline - time.monotonic(), 0)):
        byte = os.read(stream.fileno(), 1)
        if not byte:
            break
        line += byte
    return line if line.endswith(b"\n") else b""


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_a_live_feed_is_answered_as_each_message_arrives(command: str) -> None:
    """``tcpdump -U -w - | shakentrace verify --json -``: the feed stays open and a call
    comes now and then. Each answer goes out when its message arrives, not when a chunk
    of 256 messages has come for the worker processes, nor when stdout's buffer fills."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "shakentrace", command, "--json", "-"]
    data = _pcap([build_invite(call_id=f"live-{n}") for n in range(2)])
    first = 24 + 16 + struct.unpack_from("<I", data, 24 + 8)[0]  # the end of the first record
    with subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(data[:first])  # the pcap header and the first call
        process.stdin.flush()
        assert json.loads(_line_within(process.stdout, 20))["capture"]["frame"] == 1
        process.stdin.write(data[first:])
        process.stdin.flush()
        assert json.loads(_line_within(process.stdout, 20))["capture"]["frame"] == 2
        process.stdin.close()
        assert process.wait(timeout=20) == (0 if command == "inspect" else 1)  # unsigned calls
