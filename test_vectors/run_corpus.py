#!/usr/bin/env python3
"""Run the conformance corpus against shakentrace, or against any command printing JSON.

In-process (default)::

    python test_vectors/run_corpus.py

Against a command (run once per case; placeholders are filled in)::

    python test_vectors/run_corpus.py --command \\
        'shakentrace verify --json --now {now} --trust {trust} --x5u-map {x5u_map} {input}'

Placeholders: ``{input}`` (a .sip file, or a file holding the Identity value),
``{input_type}`` (``sip`` or ``identity``), ``{now}`` (ISO 8601), ``{trust}`` (the
first trust anchor file, empty when none), ``{trust_all}`` (comma separated),
``{crls}`` (comma separated), ``{x5u_map}`` (a JSON file: URL → absolute file path,
or ``{"error": code}``). The command must print a JSON object with the keys of
``Outcome.to_dict()``: ``status``, ``verstat``, ``sip_code``, ``attestation``,
``origid`` and ``reasons`` (a list of ``{"code", "severity"}``). Exit status: 0 when
every normative case matches, 1 otherwise.
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
    fields = {
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
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main(argv: list[str]) -> int:
    """Run every case (or those whose id starts with ``--only``); print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--command", help="command template run per case (see module doc)")
    parser.add_argument("--corpus", type=Path, default=corpus_runner.CORPUS)
    parser.add_argument("--only", default="", help="run only ids with this prefix")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every mismatch")
    args = parser.parse_args(argv)
    counts = {"pass": 0, "fail": 0, "differs": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for case in corpus_runner.load_cases(args.corpus):
            if not case["id"].startswith(args.only):
                continue
            if args.command:
                result = _via_command(args.command, case, args.corpus, Path(tmp))
            else:
                result = corpus_runner.run_case(case, args.corpus)
            misses = [str(m) for m in corpus_runner.compare(case["expected"], result)]
            kind = "pass" if not misses else ("fail" if case["normative"] else "differs")
            counts[kind] += 1
            if misses and (args.verbose or kind == "fail"):
                print(f"{kind.upper():8} {case['id']}: " + "; ".join(misses))
    total = sum(counts.values())
    print(
        f"{total} cases: {counts['pass']} match, {counts['fail']} normative mismatches, "
        f"{counts['differs']} non-normative differences"
    )
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
