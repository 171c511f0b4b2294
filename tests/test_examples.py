"""Every script in examples/ runs to completion (they are documentation that must not rot)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SCRIPTS = sorted((ROOT / "examples").glob("*.py"))
#: Lines some scripts must print (their point, not only that they run).
EXPECTED = {
    "keep_evidence.py": (
        "online:  valid signed by SPC 991G Harbor Gateway LLC",
        "offline: valid (the repository is gone)",
    ),
    "verify_batch.py": (
        "991G  invalid  bad-signature  1",
        "993W  valid    -              9",
    ),
    "real_certificates.py": (
        "Bandwidth 997E chain at 2022-06-29: trusted",
        "T-Mobile 6529 chain at 2023-01-01: trusted",
        "Dish Wireless 490J (NetNumber) chain at 2025-04-01: trusted",
    ),
}


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_runs(script: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), f"{script.name} printed nothing"
    for line in EXPECTED.get(script.name, ()):
        assert line in result.stdout.splitlines()
