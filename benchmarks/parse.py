"""SIP parsing speed: shakentrace.parse_sip against tshark, same messages, same run.

Two messages: a typical signed INVITE (about 1.2 KB, one SHAKEN Identity header,
SDP body) and a 60-header signed INVITE (``test_vectors/sip/sixty-headers.sip``).
shakentrace parses each message ``--count`` times (``parse_sip(...).identities``).
tshark reads a pcap of ``--count`` copies of the same message, made with
``text2pcap`` (UDP 5060), with ``tshark -T fields -e sip.Identity``. tshark's
start-up is measured on a one-packet pcap and reported apart; the ratio uses its
marginal rate (start-up excluded), which is the harder comparison for us.

Everything runs pinned to one CPU core, and rates are per CPU second (user +
system time of this process for shakentrace, of the tshark child for tshark),
so that other load on a shared machine skews the ratio as little as possible.
The two sides are timed alternately and the best run of each is kept. Usage::

    python benchmarks/parse.py [--count 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from shakentrace import parse_sip  # noqa: E402
from shakentrace.testing import StiCA, build_invite  # noqa: E402

TARGET = 3.0


def messages() -> dict[str, bytes]:
    """The messages to time, by name."""
    cert = StiCA(seed=1).issue_cert(spc="1234")
    identity = cert.identity_header(orig="12155551212", dest="12155551213", iat=1764300000)
    typical = build_invite(identity=[identity], from_host="orig.example", to_host="term.example")
    sixty = (ROOT / "test_vectors" / "sip" / "sixty-headers.sip").read_bytes()
    return {"typical signed INVITE": typical, "60-header INVITE": sixty}


def ours_seconds(data: bytes, count: int) -> float:
    """CPU seconds for ``count`` parses (``parse_sip(data).identities``)."""
    start = time.process_time()
    for _ in range(count):
        parse_sip(data).identities  # noqa: B018
    return time.process_time() - start


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _hexdump(data: bytes) -> str:
    return "".join(
        f"{offset:06x} {data[offset : offset + 16].hex(' ')}\n"
        for offset in range(0, len(data), 16)
    )


def make_pcap(data: bytes, count: int, path: Path) -> None:
    """Write ``count`` UDP/5060 packets carrying ``data`` with text2pcap."""
    text = path.with_suffix(".txt")
    text.write_text(_hexdump(data) * count)
    subprocess.run(
        ["text2pcap", "-q", "-u", "5060,5060", str(text), str(path)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    text.unlink()


def tshark_seconds(pcap: Path, expected: int) -> float:
    """CPU seconds of one ``tshark -T fields -e sip.Identity`` run over the pcap."""
    start = _child_cpu()
    out = subprocess.run(
        ["tshark", "-n", "-r", str(pcap), "-T", "fields", "-e", "sip.Identity"],
        check=True,
        capture_output=True,
        timeout=600,
    ).stdout
    seconds = _child_cpu() - start
    found = sum(1 for line in out.splitlines() if line.strip())
    if found != expected:
        raise SystemExit(f"tshark printed {found} Identity values, expected {expected}")
    return seconds


def measure(data: bytes, count: int, repeat: int, tmp: str) -> tuple[float, float, float]:
    """shakentrace msg/s, tshark marginal msg/s and tshark start-up seconds (best runs)."""
    one, many = Path(tmp, "one.pcap"), Path(tmp, "many.pcap")
    make_pcap(data, 1, one)
    make_pcap(data, count, many)
    ours = startup = total = float("inf")
    for _ in range(repeat):  # alternate, so that both sides see the same machine
        ours = min(ours, ours_seconds(data, count))
        startup = min(startup, tshark_seconds(one, 1))
        total = min(total, tshark_seconds(many, count))
    return count / ours, (count - 1) / max(total - startup, 1e-9), startup


def machine() -> str:
    """One line naming the CPU and the cores available."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        model = names[0] if names else model
    return f"{model}; {os.cpu_count()} cores; Python {platform.python_version()}"


def main() -> int:
    """Run the benchmark and print the table; exit 1 if a ratio misses the target."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--count", type=int, default=10000, help="messages per measurement")
    args.add_argument("--repeat", type=int, default=5, help="runs per measurement (best kept)")
    opts = args.parse_args()
    if not (shutil.which("tshark") and shutil.which("text2pcap")):
        raise SystemExit("tshark and text2pcap are needed (Debian package tshark)")
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})  # tshark inherits the pinning
    print(f"machine: {machine()}; pinned to core {core}")
    print(f"{opts.count} messages per run, best of {opts.repeat}; rates per CPU second\n")
    print(f"{'message':24} {'bytes':>6} {'hdrs':>5} {'shakentrace/s':>14} {'tshark/s':>10} "
          f"{'tshark start':>12} {'ratio':>6}")  # fmt: skip
    worst = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in messages().items():
            ours_rate, tshark_rate, startup = measure(data, opts.count, opts.repeat, tmp)
            ratio = ours_rate / tshark_rate
            worst = min(worst, ratio)
            headers = len(parse_sip(data).headers)
            print(f"{name:24} {len(data):>6} {headers:>5} {ours_rate:>14,.0f} "
                  f"{tshark_rate:>10,.0f} {startup:>11.2f}s {ratio:>5.1f}x")  # fmt: skip
    verdict = "meets" if worst >= TARGET else "MISSES"
    print(f"\nworst ratio {worst:.1f}x: {verdict} the target of {TARGET:.0f}x tshark's rate")
    return 0 if worst >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
