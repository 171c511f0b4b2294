#!/usr/bin/env python3
"""Generate the conformance corpus in test_vectors/corpus/ (reproducible: fixed seeds and times).

Run from anywhere: ``python test_vectors/generate.py [--check]``. With ``--check``
nothing is written; the exit status says whether the files on disk are exactly
what the generator produces. The format is described in corpus/README.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "src")]

import cases_calls  # noqa: E402
import cases_claims  # noqa: E402
import cases_pki  # noqa: E402
import cases_protocol  # noqa: E402
from corpus_kit import Corpus  # noqa: E402

FAMILIES = (
    cases_protocol.agranig,
    cases_protocol.french,
    cases_protocol.mutations,
    cases_claims.jwt_attacks,
    cases_claims.identity_syntax,
    cases_claims.passport_shape,
    cases_claims.iat_window,
    cases_calls.tn_variants,
    cases_calls.div_rcd,
    cases_pki.cert_defects,
    cases_pki.x5u_policy,
    cases_pki.x5u_fetch_failures,
    cases_pki.peers,
    cases_pki.real_world,
)


def build(root: Path) -> Corpus:
    """Run every family into a corpus rooted at ``root`` and write it."""
    corpus = Corpus(root)
    for family in FAMILIES:
        family(corpus)
    corpus.write()
    return corpus


def _tree(root: Path) -> dict[str, bytes]:
    skip = {"README.md", "fixtures/rsa-2048-key.pem"}
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and str(p.relative_to(root)) not in skip
    }


def main(argv: list[str]) -> int:
    """Generate into corpus/, or with ``--check`` compare a fresh build with it."""
    target = HERE / "corpus"
    if "--check" not in argv:
        corpus = build(target)
        print(f"{len(corpus.cases)} cases, {len(corpus.files)} files -> {target}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = target / "fixtures"
        if fixtures.exists():
            (Path(tmp) / "fixtures").mkdir()
            for f in fixtures.iterdir():
                (Path(tmp) / "fixtures" / f.name).write_bytes(f.read_bytes())
        build(Path(tmp))
        fresh, disk = _tree(Path(tmp)), _tree(target)
    if fresh == disk:
        print("corpus is up to date")
        return 0
    changed = sorted(k for k in fresh.keys() | disk.keys() if fresh.get(k) != disk.get(k))
    print("corpus differs from the generator:", *changed[:20], sep="\n  ")
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
