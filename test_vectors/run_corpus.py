#!/usr/bin/env python3
"""Run the conformance corpus against shakentrace, or against any command printing JSON.

In-process (default)::

    python test_vectors/run_corpus.py

Against shakentrace's own command line (``--cli`` is this template)::

    python test_vectors/run_corpus.py --command \\
        'shakentrace verify --json --jobs 1 --trust {trust_pem} --certs {bundle} --at {now} {input}'

Against any command: run once per case, placeholders filled in. ``{input}`` (a .sip
file, or a file holding the Identity value), ``{input_type}`` (``sip`` or
``identity``), ``{now}`` (ISO 8601), ``{trust_pem}`` (trust anchors then CRLs in one
PEM file), ``{trust}`` (the first anchor file), ``{trust_all}`` and ``{crls}`` (comma
separated), ``{bundle}`` (a PEM bundle: each served chain after an ``X5U: <url>``
line; failed fetches are left out), ``{x5u_map}`` (a JSON file: URL → absolute file
path, or ``{"error": code}``). The command must print a JSON object (the first line
is read; an ``outcome`` member is used when present) with the keys of
``Outcome.to_dict()``: ``status``, ``verstat``, ``sip_code``, ``attestation``,
``origid`` and ``reasons`` (a list of ``{"code", "severity"}``). The x5u URL policy
is the command's own business. Exit status: 0 when every normative case matches,
1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent / "src"))  # an installed shakentrace wins

import corpus_runner  # noqa: E402

#: The template of ``--cli``.
CLI = "shakentrace verify --json --jobs 1 --trust {trust_pem} --certs {bundle} --at {now} {input}"


def _via_command(template: str, case: dict[str, Any], root: Path, tmp: Path) -> dict[str, Any]:
    if case["input"]["type"] == "sip":
        input_path = root / case["input"]["file"]
    else:
        input_path = tmp / f"{case['id']}.identity"
        input_path.write_text(case["input"]["value"] + "\n")
    x5u_map = {
        url: (str(root / v) if isinstance(v, str) else v) for url, v in case["certificates"].items()
    }
    map_path = tmp / f"{case['id']}.x5u.json"
    map_path.write_text(json.dumps(x5u_map))
    anchors = [str(root / f) for f in case["trust_anchors"]]
    trust_pem = tmp / f"{case['id']}.trust.pem"
    # No anchor at all: an unrelated root instead, so a command that needs one still runs.
    anchor_files = case["trust_anchors"] or ["trust/stranger-root.pem"]
    trust_pem.write_bytes(
        b"".join((root / f).read_bytes() for f in [*anchor_files, *case.get("crls", [])])
    )
    bundle = tmp / f"{case['id']}.bundle.pem"
    bundle.write_bytes(
        b"".join(
            f"X5U: {url}\n".encode() + (root / v).read_bytes()
            for url, v in case["certificates"].items()
            if isinstance(v, str)
        )
    )
    fields = {
        "trust_pem": str(trust_pem),
        "bundle": str(bundle),
        "input": str(input_path),
        "input_type": case["input"]["type"],
        "now": case["now"],
        "trust": anchors[0] if anchors else "",
        "trust_all": ",".join(anchors),
        "crls": ",".join(str(root / f) for f in case.get("crls", [])),
        "x5u_map": str(map_path),
    }
    args = [part.format(**fields) for part in shlex.split(template)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    lines = out.stdout.strip().splitlines()
    if not lines:
        return {"status": f"no output (exit {out.returncode}): {out.stderr.strip()[:200]}"}
    result: dict[str, Any] = json.loads(lines[0])
    outcome: dict[str, Any] = result.get("outcome", result)
    return outcome


def main(argv: list[str]) -> int:
    """Run every case (or those whose id starts with ``--only``); print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--command", help="command template run per case (see module doc)")
    parser.add_argument("--cli", action="store_true", help="run 'shakentrace verify' per case")
    parser.add_argument("--corpus", type=Path, default=corpus_runner.CORPUS)
    parser.add_argument("--only", default="", help="run only ids with this prefix")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = parser.parse_args(argv)
    counts = {"pass": 0, "fail": 0, "differs": 0, "skipped": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for case in corpus_runner.load_cases(args.corpus):
            if not case["id"].startswith(args.only):
                continue
            template = CLI if args.cli else args.command
            if args.cli and case["input"]["type"] != "sip":
                counts["skipped"] += 1  # the command line reads SIP messages
                continue
            if template:
                result = _via_command(template, case, args.corpus, Path(tmp))
            else:
                result = corpus_runner.run_case(case, args.corpus)
            misses = [str(m) for m in corpus_runner.compare(case["expected"], result)]
            kind = "pass" if not misses else ("fail" if case["normative"] else "differs")
            counts[kind] += 1
            if misses and (args.verbose or kind == "fail"):
                print(f"{kind.upper():8} {case['id']}: " + "; ".join(misses))
    total = sum(counts.values())  # skipped included
    print(
        f"{total} cases: {counts['pass']} match, {counts['fail']} normative mismatches, "
        f"{counts['differs']} non-normative differences, {counts['skipped']} skipped"
    )
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
