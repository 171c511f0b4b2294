"""``--jobs``: many chunks in flight still give every result once, in input order."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

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
