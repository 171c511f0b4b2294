"""pcap decode and verify: shakentrace against tshark on the same file, same run.

Builds a pcap of N signed INVITEs (one UDP datagram each, every PASSporT distinct,
all signed by one STI certificate from :class:`shakentrace.testing.StiCA`), then
times, each in its own process with its peak resident memory:

* ``tshark -T fields -e sip.Identity`` (the peer: dissect, print the Identity);
* ``shakentrace inspect --json`` (read, parse, decode every PASSporT; no signatures),
  on one core and on every core (its default): the full record of every fact;
* ``inspect --json --fields identities`` (tshark's own task: the Identity values)
  and ``--fields passports,capture`` (every Identity decoded, with the capture
  metadata), on every core;
* ``shakentrace verify --json`` with a warm certificate cache (``--certs`` DIR,
  the trust anchor from ``--trust``), on both cores (``--jobs 2``).

and prints the rates and the ratios to tshark, by wall-clock time and by CPU time
(all of a command's processes; steadier on a shared machine, but blind to
``--jobs``). Memory flatness: ``inspect`` runs
again on a file a tenth the size; the two peaks should match.

With ``--rounds R`` every command runs R times, the commands taking turns in
each round, and each keeps its best run: on a shared machine, a burst of load
then weighs on one run of each command, not on all runs of one of them.

Usage (from the repository root)::

    python benchmarks/capture.py               # N = 100000, one round
    python benchmarks/capture.py --rounds 3    # best of three, interleaved
    python benchmarks/capture.py -n 5000       # quick
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from shakentrace.testing import StiCA, StiCert, build_invite  # noqa: E402

_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
with open(sys.argv[1], "wb") as out:
    code = subprocess.run(sys.argv[2:], stdout=out).returncode
elapsed = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(code, elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


def _pcap(path: Path, messages: Iterable[bytes], start: datetime) -> None:
    """Ethernet/IPv4/UDP frames in a microsecond pcap, written with struct."""
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for n, message in enumerate(messages):
            udp = struct.pack("!HHHH", 5060, 5060, 8 + len(message), 0) + message
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64, 17, 0,
                             bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20]))  # fmt: skip
            frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp
            when = start + timedelta(milliseconds=n)
            out.write(
                struct.pack(
                    "<IIII", int(when.timestamp()), when.microsecond, len(frame), len(frame)
                )
            )
            out.write(frame)


def _invites(cert: StiCert, start: datetime, count: int) -> Iterator[bytes]:
    for n in range(count):
        orig, dest = f"1215{n % 10_000_000:07d}", f"1310555{n % 10_000:04d}"
        iat = start + timedelta(milliseconds=n)
        attest = "ABC"[n % 3]
        # 50 origids, UUIDs as RFC 8588 asks and real signers send.
        origid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"origid-{n % 50}"))
        identity = cert.identity_header(orig=orig, dest=dest, attest=attest, origid=origid, iat=iat)
        call_id = f"bench-{n}@example"
        yield build_invite(identity=identity, orig=orig, dest=dest, call_id=call_id)


def build(workdir: Path, count: int) -> tuple[Path, Path, Path]:
    """Write the pcap, the trust anchor and the certificate directory; return their paths."""
    ca = StiCA(seed=2026)
    cert = ca.issue_cert(spc="1234")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30)
    pcap = workdir / f"invites-{count}.pcap"
    _pcap(pcap, _invites(cert, start, count), start)
    trust = workdir / "trust.pem"
    trust.write_bytes(ca.trust_pem)
    certs = workdir / "certs"  # DirectoryFetcher: a chain is named after the x5u's last segment
    certs.mkdir(exist_ok=True)
    (certs / cert.x5u.rsplit("/", 1)[1]).write_bytes(bytes(cert.chain_pem))
    return pcap, trust, certs


_CAPTURE_ONLY = """
import sys
from shakentrace.capture import open_capture
with open_capture(sys.argv[1]) as capture:
    count = sum(1 for _ in capture)
print(count)
"""


def measure(label: str, command: list[str], out: Path) -> dict[str, float]:
    """Run ``command`` in a fresh process; return seconds, CPU seconds and peak RSS (MiB)."""
    argv = [sys.executable, "-c", _MEASURE, str(out), *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    code, seconds, peak, cpu = result.stdout.split()
    mib = int(peak) / 1024
    print(
        f"  {label:<28} {float(seconds):8.2f} s  cpu {float(cpu):7.2f} s"
        f"  peak {mib:7.1f} MiB  exit {code}",
        flush=True,
    )
    return {"seconds": float(seconds), "cpu": float(cpu), "peak_mib": mib, "exit": int(code)}


def _best_of(rounds: int, commands: dict[str, list[str]], out: Path) -> dict[str, dict[str, float]]:
    """Each command's best run (least wall-clock time) over ``rounds`` interleaved rounds."""
    best: dict[str, dict[str, float]] = {}
    for number in range(1, rounds + 1):
        if rounds > 1:
            print(f"round {number} of {rounds}", flush=True)
        for name, command in commands.items():
            run = measure(name, command, out)
            if name not in best or run["seconds"] < best[name]["seconds"]:
                best[name] = run
    return best


def main() -> int:
    """Build the inputs, run the three readers, print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each command (best kept)")
    parser.add_argument("--workdir", type=Path, help="keep inputs here (default: a temp dir)")
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        print("tshark is not installed", file=sys.stderr)
        return 2
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="st-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    pcap, trust, certs = build(workdir, args.count)
    small, _, _ = build(workdir, max(args.count // 10, 1))
    size = pcap.stat().st_size / 2**20
    took = time.perf_counter() - began
    cpus = os.cpu_count()
    print(f"built {args.count} signed INVITEs ({size:.1f} MiB pcap) in {took:.1f} s; {cpus} CPUs")
    st = [sys.executable, "-m", "shakentrace"]
    out = workdir / "out.txt"
    keys = ["--trust", str(trust), "--certs", str(certs)]
    fields = [*st, "inspect", "--json", "--fields"]
    commands = {
        "tshark": ["tshark", "-n", "-r", str(pcap), "-T", "fields", "-e", "sip.Identity"],
        "capture only": [sys.executable, "-c", _CAPTURE_ONLY, str(pcap)],
        "inspect --json --jobs 1": [*st, "inspect", "--json", "--jobs", "1", str(pcap)],
        "inspect --json": [*st, "inspect", "--json", str(pcap)],  # --jobs: every CPU
        # tshark's own task (the Identity values), then with every PASSporT decoded.
        "inspect --fields identities": [*fields, "identities", str(pcap)],
        "inspect --fields passports": [*fields, "passports,capture", str(pcap)],
        "verify --json --jobs 2": [*st, "verify", "--json", "--jobs", "2", *keys, str(pcap)],
        "inspect --json (N/10)": [*st, "inspect", "--json", str(small)],
    }
    runs = _best_of(args.rounds, commands, out)
    base, base_cpu = runs["tshark"]["seconds"], runs["tshark"]["cpu"]
    rounds = f"best of {args.rounds} interleaved rounds; " if args.rounds > 1 else ""
    print(f"\nN = {args.count} (same file, same run; {rounds}cpu: all processes' CPU time)")
    for name, run in runs.items():
        if name.endswith("(N/10)"):
            continue
        rate, cpu_rate = args.count / run["seconds"], args.count / run["cpu"]
        print(
            f"  {name:<26} {rate:9.0f} msg/s  {base / run['seconds']:5.2f}x tshark"
            f"   by cpu {cpu_rate:9.0f} msg/s  {base_cpu / run['cpu']:5.2f}x"
        )
    flat = runs["inspect --json"]["peak_mib"], runs["inspect --json (N/10)"]["peak_mib"]
    print(f"  memory: inspect peak {flat[0]:.1f} MiB at N, {flat[1]:.1f} MiB at N/10")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
