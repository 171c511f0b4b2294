"""Start-up cost: ``import shakentrace`` and the ``shakentrace`` command, against ``python``.

Each command runs ``--repeat`` times in a fresh process, the commands taking turns,
and the best wall-clock time of each is kept; ``python -c pass`` in the same run is
the reference (the interpreter's own start-up, which no library can save). The
``shakentrace`` command is the console script pip writes (its own ``ScriptMaker``,
made in a temporary folder), run with ``PYTHONPATH=src``, so the tree measured is
this one's. Usage::

    python benchmarks/startup.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVITE = str(ROOT / "examples" / "invites" / "rfc8224-5.1.sip")


def console_script(folder: Path) -> str:
    """The ``shakentrace`` console script as pip installs it, written into ``folder``."""
    from pip._vendor.distlib.scripts import ScriptMaker

    maker = ScriptMaker(None, str(folder))
    maker.executable = sys.executable
    maker.variants = {""}
    return str(maker.make("shakentrace = shakentrace.cli:main")[0])


def commands(script: str) -> dict[str, list[str]]:
    """The commands to time, by label."""
    python = sys.executable
    return {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import shakentrace'": [python, "-c", "import shakentrace"],
        "shakentrace --help": [script, "--help"],
        "shakentrace inspect rfc8224-5.1.sip": [script, "inspect", INVITE],
    }


def best_times(argvs: dict[str, list[str]], repeat: int) -> dict[str, float]:
    """The best wall-clock seconds of each command over ``repeat`` turns."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    best = dict.fromkeys(argvs, float("inf"))
    for _ in range(repeat):
        for label, argv in argvs.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
            best[label] = min(best[label], time.perf_counter() - start)
    return best


def main() -> int:
    """Time the commands and print a table (milliseconds, and above plain ``python``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        best = best_times(commands(console_script(Path(folder))), args.repeat)
    floor = best["python -c pass"]
    print(f"best of {args.repeat}, load average {os.getloadavg()[0]:.2f}")
    for label, seconds in best.items():
        print(f"{label:40} {seconds * 1000:7.1f} ms  (+{(seconds - floor) * 1000:6.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
