"""The ``shakentrace`` command line's work: the parser, the dispatch, the exit codes.

:mod:`shakentrace.cli` is the entry point and imports this module only once its
Ctrl-C handler is in place. A command's module (its options and its work) is
imported only when that command runs; ``shakentrace --help`` lists every command
from :data:`_COMMANDS` without importing any of them.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import importlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from shakentrace import __version__
from shakentrace.errors import ConfigurationError, ShakenTraceError

if TYPE_CHECKING:
    from shakentrace._cli_io import Console

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: Each command, in ``--help`` order: the module and function that register it, and
#: its one-line help (the same as the one it registers; a test holds them together).
_COMMANDS = {
    "inspect": (
        "shakentrace._cli_inspect",
        "register",
        "decode SIP messages (headers, numbers, PASSporTs) without verifying",
    ),
    "verify": (
        "shakentrace._cli_verify",
        "register_verify",
        "verify each INVITE; one line (or JSON object) per call",
    ),
    "trace": (
        "shakentrace._cli_trace",
        "register",
        "hop records and the linked traceback of each call",
    ),
    "campaigns": (
        "shakentrace._cli_verify",
        "register_campaigns",
        "group calls into campaigns, rank, next request",
    ),
    "cert": (
        "shakentrace._cli_cert",
        "register",
        "a certificate chain's STI facts, lints and trust verdict",
    ),
    "mint": (
        "shakentrace.testing._cli",
        "register",
        "write a test STI-CA, an STI certificate and a signed INVITE to files",
    ),
}


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for ``argv``: the command it names in full, the others by name and help."""
    parser = argparse.ArgumentParser(
        prog="shakentrace", description="SIP / STIR-SHAKEN header forensics."
    )
    parser.add_argument("--version", action="version", version=f"shakentrace {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = _command(argv)
    for name, (module, function, summary) in _COMMANDS.items():
        if name == chosen:
            getattr(importlib.import_module(module), function)(commands)
        else:
            commands.add_parser(name, help=summary)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option.

    The top-level options (``-h``, ``--version``) take no value, so the first other
    word is the command, as argparse will read it.
    """
    return next((word for word in argv if not word.startswith("-")), None)


def _commands(parser: argparse.ArgumentParser) -> Any:
    """The parser's subcommands action (``choices``: each command's parser)."""
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _unrecognized(extra: Sequence[str], command: argparse.ArgumentParser) -> str:
    """argparse's message for ``extra``, with the option each mistyped one is closest to."""
    known = [o for a in command._actions for o in a.option_strings if o.startswith("--")]
    words = []
    for word in extra:
        near = difflib.get_close_matches(word.split("=", 1)[0], known, n=1, cutoff=0.75)
        words.append(f"{word} (did you mean {near[0]}?)" if near and word[:2] == "--" else word)
    return "unrecognized arguments: " + " ".join(words)


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the command line (see :func:`shakentrace.cli.main`)."""
    code = run(argv, console)
    try:
        sys.stdout.flush()  # now, not at exit, where a closed pipe cannot be caught
    except BrokenPipeError:  # e.g. `shakentrace trace x.pcap | head`: the reader has enough
        _silence_stdout()
    return code


def _silence_stdout() -> None:
    """Point standard output at the null device, as the Python docs advise on SIGPIPE.

    Replacing ``sys.stdout`` is not enough: the interpreter flushes the original
    stream's buffer at exit, into the closed pipe ("Exception ignored ...").
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (a test's StringIO)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115


def run(argv: Sequence[str] | None, console: Console | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run its command; the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    with _interrupts_held():
        parser = _parser(argv)
        try:
            args, extra = parser.parse_known_args(argv)
            if extra:  # refused by the command, whose usage lists its options
                command = _commands(parser).choices[args.command]
                command.error(_unrecognized(extra, command))
        except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
            return int(exc.code or 0)
        from shakentrace._cli_io import Console
    args.console = console = Console() if console is None else console
    return _dispatch(args, console)


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Ctrl-C held back while the command's modules are imported, then answered.

    A KeyboardInterrupt raised inside the import system's own callbacks is printed
    and lost ("Exception ignored in ..."), and the command runs on; held, the signal
    arrives when the imports are done, and :func:`shakentrace.cli.main` exits 130.
    """
    hold = getattr(signal, "pthread_sigmask", None)  # not on Windows
    if hold is None:
        yield
        return
    previous = hold(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        hold(signal.SIG_SETMASK, previous)


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    try:
        _prepare(args, console)
        code = int(args.handler(args))
        return max(code, EXIT_USAGE) if console.empty_inputs else code
    except BrokenPipeError:  # e.g. `shakentrace verify x.pcap | head`
        _silence_stdout()
        return EXIT_OK
    except (ShakenTraceError, OSError, ValueError) as exc:
        console.error(_one_line(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        console.clear_progress()
        return 130


def _prepare(args: argparse.Namespace, console: Console) -> None:
    """The input checks and the call filter of the commands that read captures."""
    if hasattr(args, "files"):
        from shakentrace._cli_io import live_input

        if [*args.files, *getattr(args, "hops", ())].count("-") > 1:  # trace --hops too
            raise ConfigurationError("'-' (stdin) given twice")
        console.live = live_input(args.files)
    if hasattr(args, "around"):
        from shakentrace._cli_filter import CallFilter
        from shakentrace._cli_verify import parse_moment

        args.keep = CallFilter.from_args(args, functools.partial(parse_moment, flag="--around"))


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return " ".join(str(exc).split())
