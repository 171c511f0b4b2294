"""shakentrace.testing's public surface: __all__, docstrings, and not imported by shakentrace."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import shakentrace.testing as testing
from conftest import ROOT


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(testing).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert sorted(testing.__all__) == sorted(public)


@pytest.mark.parametrize("name", testing.__all__)
def test_every_public_name_is_documented(name: str) -> None:
    value = getattr(testing, name)
    if isinstance(value, dict | str) or name == "Deviation":
        return  # data and type aliases: documented in docs/reference/testing.rst
    assert inspect.getdoc(value), name


def test_importing_shakentrace_does_not_import_testing() -> None:
    code = "import sys, shakentrace; print('shakentrace.testing' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": str(ROOT / "src")},
    )
    assert out.stdout.strip() == "False"
