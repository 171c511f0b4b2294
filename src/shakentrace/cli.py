"""The ``shakentrace`` command line.

Commands: ``inspect`` (decode, no verification), ``verify``, ``trace`` and
``campaigns``, each over capture files (text, pcap, pcapng; ``-`` is stdin),
each with ``--json`` for JSON lines (one object per message or campaign);
``cert`` over certificate chains (files or x5u URLs); ``mint`` for test headers.

Exit codes: 0 all verified (or nothing to verify), 1 some message failed
verification, 2 bad usage or unreadable input (one line on stderr, no traceback),
130 interrupted (Ctrl-C, at any point once this module, which imports nothing,
is loaded: before that, Python itself reports it).
A progress bar is drawn on stderr only when it is a terminal; colour only on a
terminal, and never with ``NO_COLOR`` set.
"""

# The console script imports this module before it calls main(), where no handler
# can catch a Ctrl-C yet, so this module imports nothing at all (not even __future__
# or typing): the command line itself is imported inside main(), under the handler.
TYPE_CHECKING = False  # as typing.TYPE_CHECKING, which type checkers take as true
if TYPE_CHECKING:
    from collections.abc import Sequence

    from shakentrace._cli_io import Console

__all__ = ["main"]


def main(argv: "Sequence[str] | None" = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        from shakentrace._cli_main import main as run

        return run(argv)
    except KeyboardInterrupt:  # during start-up; a command answers its own (130 too)
        return 130


def _main(argv: "Sequence[str] | None", console: "Console") -> int:
    """The command line with its output on ``console``, as tests drive it (no flush)."""
    from shakentrace._cli_main import run

    return run(argv, console)


del TYPE_CHECKING  # not a public name
