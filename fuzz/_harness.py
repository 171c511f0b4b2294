"""Plumbing shared by the harnesses: atheris start-up, the error contract, the time budget.

A harness defines ``one_input(data: bytes) -> None`` and calls :func:`main`. Inside
it, :func:`contract` turns the project's promise into assertions: a
:class:`~shakentrace.errors.ShakenTraceError` is a clean refusal, any other
exception is a finding (atheris reports it with the input), and so is an input
that takes longer than :data:`BUDGET_PER_MB` allows (checked twice, so that a
scheduling hiccup on a shared machine is not reported).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import atheris

# The harnesses fuzz this checkout's code, as the tests do (pytest's pythonpath = src).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

# Seconds allowed for an input: a fixed part plus a part per MiB (linear work).
BUDGET_FIXED = 0.5
BUDGET_PER_MB = 1.0


class SlowInput(AssertionError):
    """An input took longer than the linear time budget (twice in a row)."""


@contextmanager
def contract() -> Iterator[None]:
    """Swallow shakentrace's own errors; anything else propagates as a finding."""
    from shakentrace.errors import ShakenTraceError

    with suppress(ShakenTraceError):
        yield


def timed(run: Callable[[bytes], None]) -> Callable[[bytes], None]:
    """Wrap ``run`` so that an input over the time budget is a finding."""

    def one_input(data: bytes) -> None:
        budget = BUDGET_FIXED + BUDGET_PER_MB * len(data) / 2**20
        for _ in range(2):
            start = time.perf_counter()
            run(data)
            elapsed = time.perf_counter() - start
            if elapsed <= budget:
                return
        raise SlowInput(f"{len(data)} bytes took {elapsed:.2f} s (budget {budget:.2f} s)")

    return one_input


def main(one_input: Callable[[bytes], None]) -> None:
    """Run atheris over ``one_input`` with the command-line's libFuzzer flags."""
    atheris.Setup(sys.argv, timed(one_input))
    atheris.Fuzz()
