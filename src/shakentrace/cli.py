"""The ``shakentrace`` command line.

Commands: ``inspect`` (decode, no verification), ``verify``, ``trace`` and
``campaigns``, each over capture files (text, pcap, pcapng; ``-`` is stdin),
each with ``--json`` for JSON lines (one object per message or campaign);
``cert`` over certificate chains (files or x5u URLs); ``mint`` for test headers.

Exit codes: 0 all verified (or nothing to verify), 1 some message failed
verification, 2 bad usage or unreadable input (one line on stderr, no traceback).
A progress bar is drawn on stderr only when it is a terminal; colour only on a
terminal, and never with ``NO_COLOR`` set.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Sequence

from shakentrace import __version__
from shakentrace._cli_cert import register as register_cert
from shakentrace._cli_filter import CallFilter
from shakentrace._cli_inspect import register as register_inspect
from shakentrace._cli_io import Console, live_input
from shakentrace._cli_trace import register as register_trace
from shakentrace._cli_verify import parse_moment, register_campaigns, register_verify
from shakentrace.errors import ConfigurationError, ShakenTraceError
from shakentrace.testing._cli import register as register_mint

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shakentrace", description="SIP / STIR-SHAKEN header forensics."
    )
    parser.add_argument("--version", action="version", version=f"shakentrace {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register_inspect(commands)
    register_verify(commands)
    register_trace(commands)
    register_campaigns(commands)
    register_cert(commands)
    register_mint(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    code = _main(argv, Console())
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


def _main(argv: Sequence[str] | None, console: Console) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    args.console = console
    try:
        if hasattr(args, "files"):
            if args.files.count("-") > 1:
                raise ConfigurationError("'-' (stdin) given twice")
            console.live = live_input(args.files)
        if hasattr(args, "around"):  # the commands that read captures
            args.keep = CallFilter.from_args(args, functools.partial(parse_moment, flag="--around"))
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


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return " ".join(str(exc).split())
