"""benchmarks/verify.py keeps working (a tiny run; figures are measured there, not here)."""

from __future__ import annotations

import importlib.util
import sys

from conftest import ROOT


def test_benchmark_runs_and_reports_every_figure() -> None:
    spec = importlib.util.spec_from_file_location("bench_verify", ROOT / "benchmarks" / "verify.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_verify"] = module
    spec.loader.exec_module(module)
    figures = module.run(count=10, rounds=1)
    keys = (
        "floor_per_s",
        "shakentrace_per_s",
        "bare_per_s",
        "parse_sip_per_s",
        "identity_only_per_s",
    )
    for key in keys:
        assert figures[key] > 0
    text = module.report(figures)
    assert "floor" in text
    assert "shakentrace" in text
    assert "bare minimum" in text
