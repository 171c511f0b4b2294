"""A light start: ``import shakentrace`` and the command's start import only what they use.

Structural, not timed (speed figures live in ``benchmarks/startup.py``): which
modules a fresh interpreter loads, read from its own ``-X importtime`` report, and
what Ctrl-C does at moments of the start-up.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from typing import IO

import pytest

import shakentrace
from conftest import ROOT
from shakentrace import _cli_main
from shakentrace._cli_main import _COMMANDS, _parser
from shakentrace.cli import main

#: What the start must not load: third-party parsers and the test kit, the capture layer.
HEAVY = ("dpkt", "dns", "pyasn1", "pyasn1_modules", "shakentrace.testing", "shakentrace.capture")

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def console_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The ``shakentrace`` console script as pip writes it (its own ScriptMaker)."""
    scripts = pytest.importorskip("pip._vendor.distlib.scripts")
    pyproject = (ROOT / "pyproject.toml").read_text()
    entry = next(line for line in pyproject.splitlines() if line.startswith("shakentrace = "))
    maker = scripts.ScriptMaker(None, str(tmp_path_factory.mktemp("bin")))
    maker.executable = sys.executable
    maker.variants = {""}
    return str(maker.make(entry.replace('"', ""))[0])


def _imported(argv: list[str]) -> set[str]:
    """The modules a run of ``argv`` imports, as the interpreter itself reports them."""
    env = {**ENV, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "cumulative" not in line
    }


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)}


#: Run in a fresh interpreter: ``import shakentrace``, or the console script's work
#: (import ``shakentrace.cli``, call ``main``) with the arguments after ``-c``'s code.
LOADED = """import sys
import shakentrace
if sys.argv[1:] != ["--no-cli"]:
    from shakentrace.cli import main
    main(sys.argv[1:])
print(*sys.modules, file=sys.stderr)
"""


def _loaded(args: list[str]) -> set[str]:
    """The modules in ``sys.modules`` at the end of a run of :data:`LOADED` with ``args``."""
    argv = [sys.executable, "-c", LOADED, *args]
    done = subprocess.run(argv, env=ENV, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


@pytest.mark.parametrize(
    "args",
    [["--no-cli"], ["--help"], ["--version"], ["bogus"]],  # bad usage: the command list only
)
def test_the_start_loads_no_heavy_module(args: list[str]) -> None:
    modules = _loaded(args)
    assert "shakentrace" in modules  # the list is read (or the test could never fail)
    assert _heavy(modules) == set()


@pytest.mark.parametrize("how", ["console script", "python -m"])
def test_the_commands_help_loads_no_heavy_module(how: str, console_script: str) -> None:
    """The real commands, by the interpreter's own import report (statements only:
    ``importlib.import_module`` does not report, hence the test above too)."""
    entry = [console_script] if how == "console script" else [sys.executable, "-m", "shakentrace"]
    modules = _imported([*entry, "--help"])
    assert {"shakentrace", "shakentrace.cli"} <= modules
    assert _heavy(modules) == set()


def test_a_command_imports_its_own_module_only() -> None:
    modules = _loaded(["cert", "--help"])
    assert "shakentrace._cli_cert" in modules
    assert "shakentrace._cli_inspect" not in modules
    assert "shakentrace.testing" not in modules


def test_each_lazy_name_is_its_defining_modules_object() -> None:
    assert shakentrace._LAZY.keys() == set(shakentrace.__all__) - {"__version__"}
    for name, module in shakentrace._LAZY.items():
        assert getattr(shakentrace, name) is getattr(importlib.import_module(module), name)


def test_the_type_checking_imports_are_the_lazy_names() -> None:
    """What mypy and IDEs see (the imports under ``if TYPE_CHECKING:``) is what runs."""
    tree = ast.parse((ROOT / "src" / "shakentrace" / "__init__.py").read_text())
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    seen = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == shakentrace._LAZY


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        shakentrace.Nope  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(shakentrace, "TYPE_CHECKING")


def test_the_help_lists_each_command_as_its_module_registers_it() -> None:
    """``shakentrace --help`` names the commands from ``_COMMANDS``, without their modules."""
    listing = _parser([]).format_help()
    for name in _COMMANDS:
        assert _parser([name]).format_help() == listing, name


def _after_entry(stream: IO[bytes]) -> Iterator[bytes]:
    """The child's stderr lines up to the one that ends the import of ``shakentrace.cli``."""
    for line in iter(stream.readline, b""):
        yield line
        if line.rstrip().endswith(b" shakentrace.cli"):
            return


def test_the_entry_module_imports_nothing_but_the_package() -> None:
    """Until ``main()`` runs no handler can catch a Ctrl-C (Python reports it with a
    traceback), so the console script's import of ``shakentrace.cli`` loads nothing else."""
    bare = _imported([sys.executable, "-c", "pass"])
    entry = _imported([sys.executable, "-c", "import shakentrace.cli"])
    assert entry - bare == {"shakentrace", "shakentrace.cli"}


# From the end of the entry module's import (the console script and ``python -m``
# import ``shakentrace.cli`` first, then call ``main``), through the import of the
# command line (about 0.3 s for ``verify``), and the command waiting on stdin.
DELAYS = (0.0, 0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.4)


@pytest.mark.parametrize("how", ["console script", "python -m"])
def test_ctrl_c_during_the_start_exits_130_without_a_traceback(
    how: str, console_script: str
) -> None:
    entry = [console_script] if how == "console script" else [sys.executable, "-m", "shakentrace"]
    env = {**ENV, "PYTHONPROFILEIMPORTTIME": "1"}  # to know when shakentrace.cli is imported
    for delay in DELAYS:
        with subprocess.Popen(
            [*entry, "verify", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env,
        ) as process:  # fmt: skip
            assert process.stderr is not None
            watchdog = threading.Timer(60, process.kill)  # no such line: no hang
            watchdog.start()
            start = b"".join(_after_entry(process.stderr))
            watchdog.cancel()
            assert start.rstrip().endswith(b" shakentrace.cli"), start.decode()
            time.sleep(delay)
            process.send_signal(signal.SIGINT)  # stdin stays open: verify waits for it
            err = start + process.communicate(timeout=60)[1]
        text = "\n".join(line for line in err.decode().splitlines() if "import time" not in line)
        assert text == "", f"{how}, {delay} s after shakentrace.cli: {text}"
        assert process.returncode == 130, f"{how}, {delay} s after shakentrace.cli"


def test_ctrl_c_in_an_import_callback_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """A KeyboardInterrupt raised in a weakref callback, as the import system runs one
    after each import, is printed as "Exception ignored" and lost: the command ran on.
    Seen once in 500 Ctrl-Cs during the start; Ctrl-C is now held back until the
    command line is imported and parsed."""
    parser = _cli_main._parser

    def interrupted(argv: list[str]) -> argparse.ArgumentParser:
        target = argparse.Namespace()
        witness = weakref.ref(target, lambda _: signal.raise_signal(signal.SIGINT))
        del target  # the callback runs here, and the signal with it unless held
        assert witness() is None
        return parser(argv)

    monkeypatch.setattr(_cli_main, "_parser", interrupted)
    assert main(["--version"]) == 130
