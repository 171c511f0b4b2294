"""Time each corpus input of a target grown to 64 KiB, 256 KiB and 1 MiB: flag superlinear work.

Coverage-guided inputs stay small; this stretches them. An input is grown by
repeating its tail (after a format header the target keeps: the pcap/pcapng
header for captures, the mode byte otherwise), and each size is timed. A
time ratio between 256 KiB and 1 MiB well above 4 (linear), or more than
``_harness.BUDGET_PER_MB`` s for 1 MiB, is printed as suspect.

Usage: ``python fuzz/scale.py capture [more targets…]`` after a fuzzing run.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import BUDGET_FIXED, BUDGET_PER_MB  # noqa: E402

SIZES = (64 << 10, 256 << 10, 1 << 20)
KEEP = {"capture": 1 + 24}  # mode byte + pcap global header (pcapng: SHB+IDB vary, approx.)


def grown(data: bytes, keep: int, size: int) -> bytes:
    head, tail = data[:keep], data[keep:] or b"\0"
    return head + (tail * (size // len(tail) + 1))[: size - len(head)]


def seconds(run: object, data: bytes) -> float:
    start = time.perf_counter()
    try:
        run(data)  # type: ignore[operator]
    except Exception as exc:  # report, keep timing the rest
        print(f"  raised {type(exc).__name__}: {exc}"[:200])
    return time.perf_counter() - start


def _uninstrumented() -> None:
    """Import every shakentrace module first: the harnesses' atheris instrumentation
    then finds them loaded and leaves them alone (it slows code about tenfold)."""
    import pkgutil

    sys.path.insert(0, str(HERE.parent / "src"))
    import shakentrace

    for module in pkgutil.walk_packages(shakentrace.__path__, "shakentrace."):
        if not module.name.endswith("__main__"):  # that one runs the CLI
            importlib.import_module(module.name)


def main(targets: list[str]) -> None:
    _uninstrumented()
    for target in targets:
        module = importlib.import_module(f"fuzz_{target}")
        keep = KEEP.get(target, 1)
        slowest = (0.0, "")
        for path in sorted((HERE / "corpus" / target).iterdir()):
            data = path.read_bytes()
            times = [seconds(module.one_input, grown(data, keep, size)) for size in SIZES]
            slowest = max(slowest, (times[2], path.name))
            ratio = times[2] / max(times[1], 1e-3)
            if times[2] > BUDGET_FIXED + BUDGET_PER_MB or ratio > 6:
                shown = ", ".join(f"{t:.2f}" for t in times)
                print(f"{target}/{path.name}: {shown} s  (x{ratio:.1f})", flush=True)
        print(f"{target}: slowest at 1 MiB: {slowest[0]:.2f} s ({slowest[1]})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
