"""Every shell session the documentation shows runs and prints what it shows.

A session is a ``.. code-block:: console`` in ``docs/**/*.rst`` or a fenced
``console`` block in README.md: ``$ `` lines are commands (a line ending in ``\\``
continues on the next), and the lines up to the next command are what the command
prints, stdout and stderr as a terminal shows them. README's one-line ``sh``
blocks run their ``shakentrace`` command too (``pip install . &&`` and
``pip install tox && tox`` are the reader's setup, not the documented output); the
``text`` block right after one shows the *beginning* of that command's output,
cut at a line boundary (README shows the first call of eight).

How a session runs: in a fresh temporary directory that mirrors the repository
root (every top-level entry symlinked), so relative paths find the bundled files
and whatever a command writes (``shakentrace mint sti/``) lands in the temporary
directory. ``shakentrace`` is ``python -m shakentrace`` from this worktree's
``src/``; ``python`` and ``python3`` are the interpreter running the tests. The
commands run one after the other in bash, each seeing the previous one's ``$?``.

The comparison is exact but for whitespace at line ends and at the end of the
output, which an rst block cannot show. Deterministic output is the docs' job
(``--seed``, ``--now``, ``--at``, bundled captures). A block whose output cannot
be deterministic says so with an rst comment right above it,
``.. console-unchecked: <why>``; its commands must still exit with status 0.

Two more kinds of documentation that could drift silently are checked here: the
synopsis of ``docs/reference/cli.rst`` names exactly the options each command's
``--help`` lists, and every Python snippet of the docs is run by the Sphinx
doctest builder (``testcode``/``doctest``), or carries ``.. untested-python:
<why>`` and at least compiles and imports.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT

TIMEOUT = 120
UNCHECKED = ".. console-unchecked:"
_DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. code-block:: console\s*$")
_OPTION = re.compile(r"^ *:[\w-]+:")
_FENCE = re.compile(r"^```(?P<lang>\w*)\s*$")
_SETUP = re.compile(r"^pip install [^&]*&& *")
#: Shell definitions every session starts with (see the module docstring).
_PRELUDE = """\
shakentrace() { "$DOCS_PYTHON" -m shakentrace "$@"; }
python() { "$DOCS_PYTHON" "$@"; }
python3() { "$DOCS_PYTHON" "$@"; }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One ``$`` command and the output shown under it."""

    command: str
    shown: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """The commands of one console block, where it is, and how to compare."""

    where: str
    steps: tuple[Step, ...]
    unchecked: str | None = None
    prefix: bool = False


def _doc_files() -> list[Path]:
    return sorted((ROOT / "docs").rglob("*.rst"))


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parse_console(lines: list[str], where: str, unchecked: str | None = None) -> Session:
    """Split a console block's (dedented) lines into commands and their output."""
    steps: list[Step] = []
    command: list[str] = []
    shown: list[str] = []
    for line in lines:
        continuing = bool(command) and not shown and command[-1].endswith("\\")
        if line.startswith("$ ") and not continuing:
            if command:
                steps.append(Step(command="\n".join(command), shown="\n".join(shown)))
                command, shown = [], []
            command.append(line[2:])
        elif continuing:
            command.append(line)
        elif command:
            shown.append(line)
        else:
            raise AssertionError(f"{where}: output before the first '$ ' command: {line!r}")
    if command:
        steps.append(Step(command="\n".join(command), shown="\n".join(shown)))
    assert steps, f"{where}: a console block without a '$ ' command"
    return Session(where=where, steps=tuple(steps), unchecked=unchecked)


def _block_body(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The dedented content of the directive whose line is ``start``, and where it ends."""
    i = start + 1
    while i < len(lines) and _OPTION.match(lines[i]) and _indent(lines[i]) > indent:
        i += 1
    body: list[str] = []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > indent):
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    cut = min(_indent(line) for line in body if line.strip()) if body else 0
    return [line[cut:].rstrip() for line in body], i


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _marked(lines: list[str], start: int, marker: str) -> str | None:
    """The reason of a ``marker`` comment (``.. name: why``) right above line ``start``."""
    i = start - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    if i < 0 or not lines[i].strip().startswith(marker):
        return None
    reason = lines[i].strip()[len(marker) :].strip()
    assert reason, f"line {start}: '{marker}' needs a reason"
    return reason


def rst_sessions(path: Path) -> list[Session]:
    """Every ``.. code-block:: console`` of one rst file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    sessions = []
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if match is None:
            continue
        where = f"{_rel(path)}:{number + 1}"
        body, _ = _block_body(lines, number, len(match["indent"]))
        reason = _marked(lines, number, UNCHECKED)
        sessions.append(parse_console(body, where, reason))
    return sessions


def _fences(text: str) -> list[tuple[int, str, list[str]]]:
    """The fenced blocks of a Markdown text: (line number, language, lines)."""
    fences: list[tuple[int, str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        end = lines.index("```", i + 1)
        fences.append((i + 1, match["lang"], lines[i + 1 : end]))
        i = end + 1
    return fences


def readme_sessions(path: Path) -> list[Session]:
    """README's ``console`` fences, and its ``shakentrace`` commands in ``sh`` fences."""
    fences = _fences(path.read_text(encoding="utf-8"))
    sessions = []
    for index, (number, lang, body) in enumerate(fences):
        where = f"{_rel(path)}:{number}"
        if lang == "console":
            sessions.append(parse_console(body, where))
        elif lang == "sh" and len(body) == 1 and _SETUP.sub("", body[0]).startswith("shakentrace "):
            following = fences[index + 1] if index + 1 < len(fences) else None
            assert following is not None, f"{where}: a command without the output it prints"
            assert following[1] == "text", f"{where}: a command without the output it prints"
            step = Step(command=_SETUP.sub("", body[0]), shown="\n".join(following[2]))
            sessions.append(Session(where=where, steps=(step,), prefix=True))
        elif lang == "sh":
            assert all("shakentrace " not in line for line in body), f"{where}: untested command"
    return sessions


def all_sessions() -> list[Session]:
    sessions = [s for path in _doc_files() for s in rst_sessions(path)]
    return [*sessions, *readme_sessions(ROOT / "README.md")]


SESSIONS = all_sessions()


def _mirror_root(tmp: Path) -> None:
    for entry in ROOT.iterdir():
        if entry.name != ".git":
            (tmp / entry.name).symlink_to(entry)


def run_step(step: Step, cwd: Path, previous_status: int) -> subprocess.CompletedProcess[str]:
    """Run one command in bash, as a reader would at the repository root."""
    script = f"{_PRELUDE}(exit {previous_status})\n{step.command}\n"
    env = {
        **os.environ,
        "DOCS_PYTHON": sys.executable,
        "PYTHONPATH": str(ROOT / "src"),
        "NO_COLOR": "1",
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    }
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def _check(session: Session, step: Step, printed: str) -> None:
    shown, printed = _normalise(step.shown), _normalise(printed)
    if session.prefix:
        printed = "\n".join(printed.splitlines()[: len(shown.splitlines())])
    assert printed == shown, f"{session.where}: $ {step.command}"


@pytest.mark.parametrize("session", SESSIONS, ids=[s.where for s in SESSIONS])
def test_console_session_prints_what_the_docs_show(session: Session) -> None:
    with tempfile.TemporaryDirectory(prefix="docs-console-") as tmp:
        cwd = Path(tmp)
        _mirror_root(cwd)
        status = 0
        for step in session.steps:
            result = run_step(step, cwd, status)
            status = result.returncode
            if session.unchecked is not None:
                assert status == 0, f"{session.where}: $ {step.command}\n{result.stdout}"
            else:
                _check(session, step, result.stdout)


def test_sessions_are_found() -> None:
    # A parser that finds nothing would pass vacuously: the tutorial alone has eight.
    assert sum(s.where.startswith("docs/tutorial-pcap.rst:") for s in SESSIONS) >= 8
    assert any(s.where.startswith("README.md:") for s in SESSIONS)
    assert len(SESSIONS) >= 11


@pytest.mark.parametrize("path", _doc_files(), ids=_rel)
def test_every_shell_prompt_is_in_a_console_block(path: Path) -> None:
    # A '$ ' line outside a console block (a plain '::' literal block) would go unchecked.
    lines = path.read_text(encoding="utf-8").splitlines()
    inside: set[int] = set()
    for number, line in enumerate(lines):
        match = _DIRECTIVE.match(line)
        if match is not None:
            _, end = _block_body(lines, number, len(match["indent"]))
            inside.update(range(number, end))
    stray = [n + 1 for n, line in enumerate(lines) if line.lstrip().startswith("$ ")]
    assert [n for n in stray if n - 1 not in inside] == []


def test_unchecked_blocks_are_rare_and_explained() -> None:
    unchecked = [s for s in SESSIONS if s.unchecked is not None]
    assert len(unchecked) <= 2, [s.where for s in unchecked]


# The synopsis of docs/reference/cli.rst names every option each command takes.

_LONG_OPTION = re.compile(r"--[a-z0-9][a-z0-9-]*")


def _synopsis() -> dict[str, set[str]]:
    """Command → the long options its synopsis line(s) name (``mint ...`` names none)."""
    lines = (ROOT / "docs" / "reference" / "cli.rst").read_text(encoding="utf-8").splitlines()
    start = lines.index(".. code-block:: text")
    body, _ = _block_body(lines, start, 0)
    commands: dict[str, set[str]] = {}
    name = ""
    for line in body:
        if line.startswith("shakentrace "):
            name = line.split()[1]
            commands[name] = set()
        commands[name].update(_LONG_OPTION.findall(line))
    return {command: options for command, options in commands.items() if options}


SYNOPSIS = _synopsis()


@pytest.mark.parametrize("command", sorted(SYNOPSIS))
def test_cli_synopsis_lists_every_option(command: str) -> None:
    with tempfile.TemporaryDirectory(prefix="docs-console-") as tmp:
        result = run_step(Step(command=f"shakentrace {command} --help", shown=""), Path(tmp), 0)
    assert result.returncode == 0, result.stdout
    usage = result.stdout.split("\n\n", 1)[0]
    assert SYNOPSIS[command] == set(_LONG_OPTION.findall(usage)) - {"--help"}


def test_cli_synopsis_is_found() -> None:
    assert {"inspect", "verify", "trace", "campaigns"} <= set(SYNOPSIS)


# Python snippets: every one runs in the Sphinx doctest builder (testcode/doctest).
# One that cannot (it needs the network or a real STI-PA file) is a
# ``.. code-block:: python`` right under ``.. untested-python: <why>``; it must
# still compile and its imports must resolve.

_PYTHON = re.compile(r"^(?P<indent> *)\.\. (code-block|code|sourcecode):: python3?\s*$")


def python_blocks(lines: list[str], name: str) -> list[tuple[str, str, str | None]]:
    """The python code blocks of one rst text: (where, code, the untested-python reason)."""
    blocks = []
    for number, line in enumerate(lines):
        match = _PYTHON.match(line)
        if match is not None:
            body, _ = _block_body(lines, number, len(match["indent"]))
            reason = _marked(lines, number, ".. untested-python:")
            blocks.append((f"{name}:{number + 1}", "\n".join(body), reason))
    return blocks


@pytest.mark.parametrize("path", _doc_files(), ids=_rel)
def test_python_snippets_run_or_say_why_not(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    for where, code, reason in python_blocks(lines, _rel(path)):
        assert reason, f"{where}: make it a testcode block, or say why it cannot run"
        tree = ast.parse(code, where)
        imports: list[ast.stmt] = [
            n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)
        ]
        exec(compile(ast.Module(body=imports, type_ignores=[]), where, "exec"), {})


def test_python_blocks_are_found_with_their_reason() -> None:
    lines = [
        ".. untested-python: needs the STI-PA API",
        "",
        ".. code-block:: python",
        "",
        "   import shakentrace",
        "",
        "Text.",
        "",
        ".. code-block:: python",
        "",
        "   pass",
    ]
    assert python_blocks(lines, "x.rst") == [
        ("x.rst:3", "import shakentrace", "needs the STI-PA API"),
        ("x.rst:9", "pass", None),
    ]


def test_parse_console_keeps_continuations_and_output_apart() -> None:
    session = parse_console(
        ["$ a \\", "    --b", "out 1", "", "out 2", "$ echo $?", "0"], "example"
    )
    assert session.steps == (
        Step(command="a \\\n    --b", shown="out 1\n\nout 2"),
        Step(command="echo $?", shown="0"),
    )
