"""The ``shakentrace`` command line.

Exit codes: 0 all verified (or nothing to verify), 1 some message failed
verification, 2 bad usage or unreadable input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from shakentrace import __version__
from shakentrace._cli_inspect import register as _register_inspect
from shakentrace.errors import ShakenTraceError
from shakentrace.testing._cli import register as _register_mint

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shakentrace", description="SIP / STIR-SHAKEN header forensics."
    )
    parser.add_argument("--version", action="version", version=f"shakentrace {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _register_inspect(commands)
    _register_mint(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on bad usage, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.handler(args))
    except (ShakenTraceError, OSError) as exc:
        print(f"shakentrace: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
