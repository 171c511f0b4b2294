"""Terminal plumbing for the command line: inputs, progress, colour, JSON lines.

Colour and the progress bar appear only when the stream is a terminal, and
colour never when ``NO_COLOR`` is set (https://no-color.org). JSON output is one
compact object per line, so it pipes into ``jq``. Text output is made
:func:`~shakentrace._printable.printable` as it is written: a value from a
capture cannot steer the terminal, and only the console's own colours reach it.
"""

from __future__ import annotations

import argparse
import functools
import html
import os
import re
import secrets
import signal
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import IO, Any

from shakentrace._json import dumps_line
from shakentrace._printable import printable
from shakentrace.capture import CapturedMessage, CaptureStats, open_capture
from shakentrace.errors import CaptureError

__all__ = [
    "UNDATED",
    "Console",
    "add_jobs_option",
    "at_least",
    "identity_values",
    "is_tty",
    "json_line",
    "mapped",
    "open_input",
    "read_inputs",
]

_CHUNK = 256  # messages a worker takes at once
_IN_FLIGHT = 3  # chunks per worker submitted ahead
_SMALL = 64

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}
_TICK = 0.2


def is_tty(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Console:
    """Where the command writes: results on ``out``, progress and warnings on ``err``.

    Text goes out :func:`~shakentrace._printable.printable`. :meth:`style` marks
    its colours with ``mark``, a random string no capture can know, and only
    marked colours become escape sequences when the text is written. Worker
    processes that render text are given the parent's ``mark``.
    """

    def __init__(
        self,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
        *,
        colour: bool | None = None,
        mark: str | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        no_color = "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""
        tty = is_tty(self.out) and not no_color and os.environ.get("TERM") != "dumb"
        self.colour = tty if colour is None else colour
        self.mark = mark or f"\ue000{secrets.token_hex(8)}["
        self.progress_on = is_tty(self.err)
        self.empty_inputs: list[str] = []  # inputs without any SIP message: exit code 2
        self.live = False  # an input is a live feed (live_input): each answer goes out at once
        self._last = 0.0
        self._shown = False

    def style(self, text: str, *names: str) -> str:
        """``text`` in the given colours/weights when colour is on."""
        if not self.colour or not names:
            return text
        codes = ";".join(_COLOURS[name] for name in names)
        return f"{self.mark}{codes}m{text}{self.mark}0m"

    def finish(self, text: str) -> str:
        """``text`` as written: printable, with the colours :meth:`style` marked."""
        return printable(text).replace(self.mark, "\x1b[")

    def line(self, text: str = "") -> None:
        """Write one line (or block) of text results."""
        self.clear_progress()
        print(self.finish(text), file=self.out, flush=self.live)

    def json(self, value: Any) -> None:
        """Write one JSON object as one line."""
        self.encoded([json_line(value)])

    def lines(self, texts: list[str]) -> None:
        """Write several blocks of text results at once."""
        self.encoded([self.finish("\n".join(texts))] if texts else [])

    def encoded(self, lines: list[str]) -> None:
        """Write lines that are already encoded (JSON lines) as they are."""
        if lines:
            self.clear_progress()
            self.out.write("\n".join(lines) + "\n")
            if self.live:
                self.out.flush()

    def error(self, text: str) -> None:
        """An error line on stderr (the command goes on; the exit code says it)."""
        self._err(f"shakentrace: error: {text}")

    def note(self, text: str) -> None:
        """An informational line on stderr."""
        self._err(f"shakentrace: {text}")

    def warn(self, text: str) -> None:
        """A warning line on stderr."""
        self._err(f"shakentrace: warning: {text}")

    def _err(self, text: str) -> None:
        self.clear_progress()
        print(printable(text), file=self.err)

    def progress(self, label: str, done: int, total: int | None, count: int) -> None:
        """Redraw the progress bar (terminal only, at most five times a second)."""
        now = time.monotonic()
        if not self.progress_on or now - self._last < _TICK:
            return
        self._last = now
        if total:
            filled = int(30 * min(done / total, 1.0))
            bar = f"[{'#' * filled}{'.' * (30 - filled)}] {100 * done // total:3d}%"
        else:
            bar = f"{done / 2**20:.1f} MiB"
        noun = "message" if count == 1 else "messages"
        self.err.write(f"\r{printable(label[-30:]):<30} {bar} {count} {noun}")
        self.err.flush()
        self._shown = True

    def clear_progress(self) -> None:
        """Erase the progress bar before other output."""
        if self._shown:
            self.err.write("\r\x1b[K")
            self.err.flush()
            self._shown = False


def json_line(value: Any) -> str:
    """``value`` as compact one-line JSON."""
    return dumps_line(value)


def open_input(path: str) -> tuple[IO[bytes], int | None, bool]:
    """``(stream, size or None, whether the caller closes it)``; ``-`` is stdin."""
    if path == "-":
        return sys.stdin.buffer, None, False
    stream = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    return stream, os.fstat(stream.fileno()).st_size, True


def live_input(paths: Sequence[str]) -> bool:
    """Whether an input is a live feed: a pipe, FIFO, socket or terminal, not a file.

    ``tcpdump -U -w - | shakentrace verify -`` sends a call now and then; its
    answer is due when it arrives, not when a chunk for the workers has filled.
    """
    for path in paths:
        try:
            mode = os.fstat(sys.stdin.fileno()).st_mode if path == "-" else os.stat(path).st_mode
        except (OSError, ValueError):  # not there (reported when read), or no descriptor
            continue
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode):
            return True
    return False


def read_inputs(paths: Sequence[str], console: Console) -> Iterator[CapturedMessage]:
    """Every SIP message of every input, in order, with progress and warnings.

    An input that is no capture at all is an error line naming it (exit code 2),
    and the other inputs are still read.

    Raises:
        OSError: An input cannot be opened.
    """
    for path in paths:
        stream, size, owned = open_input(path)
        try:
            with open_capture(stream, name=path) as capture:
                for count, message in enumerate(capture, start=1):
                    if size and console.progress_on:
                        console.progress(path, stream.tell(), size, count)
                    yield message
                stats = capture.stats
        except CaptureError as exc:
            console.error(f"{path}: {exc.message}")
            console.empty_inputs.append(path)
            continue
        finally:
            if owned:
                stream.close()
        console.clear_progress()
        if not stats.messages:  # a wrong file, or a capture without SIP: unreadable input
            console.error(f"{path}: {_nothing_found(stats)}")
            console.empty_inputs.append(path)
            if not stats.packets and stats.format != "text":
                continue  # its warnings are in the error line
        for text in stats.warnings:
            console.warn(f"{path}: {text}")
        if stats.malformed and not stats.warnings:
            console.warn(f"{path}: {stats.malformed} malformed packets skipped")


def _nothing_found(stats: CaptureStats) -> str:
    if stats.format == "text":
        return "no SIP message found (Identity values alone: verify or inspect --identity)"
    if not stats.packets:
        if stats.warnings:  # e.g. cut in its first packet
            return f"no complete packet in the capture ({'; '.join(stats.warnings)})"
        return "no packet in the capture (only its file header)"
    packets = f"{stats.packets} packet" + ("" if stats.packets == 1 else "s")
    return (
        f"no SIP message found in {packets} ({stats.skipped} without SIP:"
        " RTP, DNS, SIP over TLS that cannot be read without its keys...)"
    )


def _undated(messages: Iterable[CapturedMessage], console: Console) -> Iterator[CapturedMessage]:
    """``messages``, with a warning for each input whose INVITEs have no capture time.

    Without one (SIP text, a pasted INVITE) the verdict is as of now, so a call of
    last month is stale: the analyst has to be told, and to give ``--at``.
    """
    warned: set[str] = set()
    for message in messages:
        undated = message.time is None and message.data.startswith(b"INVITE ")
        if undated and message.source not in warned:
            warned.add(message.source)
            console.warn(f"{message.source}: {UNDATED}")
        yield message


UNDATED = "no capture time, so judged as of now; --at TIME judges as of when the call arrived"


def _work_chunk(work: Callable[[CapturedMessage], Any], chunk: list[CapturedMessage]) -> list[Any]:
    """``work`` over one chunk, in a worker: one round trip for many messages."""
    return [r for r in map(work, chunk) if r is not None]


def mapped(
    args: Any,
    console: Console,
    work: Callable[[CapturedMessage], Any],
    init: Callable[..., None],
    initargs: tuple[Any, ...],
    *,
    judged: bool = False,
) -> Iterator[Any]:
    """``work`` over every input message, on ``--jobs`` processes, in order, in chunks.

    A few chunks per process stay in flight, so that the workers never wait for
    the parent to read the next ones, and memory stays bounded. ``judged``: the
    work verifies each INVITE as of ``args.at``, else its capture time, else now.
    """
    messages = read_inputs(args.files, console)
    keep = getattr(args, "keep", None)  # --orig/--dest/--around (shakentrace._cli_filter)
    if keep is None:
        yield from _mapped(args, console, messages, work, (init, initargs), judged)
        return
    messages = filter(keep.in_window, messages)  # the rest is checked after parsing
    matched = False
    for result in _mapped(args, console, messages, keep.guard(work), (init, initargs), judged):
        matched = True
        yield result
    if not matched:
        console.note("no message matched --orig, --dest and --around")


def _mapped(
    args: Any,
    console: Console,
    messages: Iterable[CapturedMessage],
    work: Callable[[CapturedMessage], Any],
    setup: tuple[Callable[..., None], tuple[Any, ...]],
    judged: bool,
) -> Iterator[Any]:
    init, initargs = setup
    messages = iter(messages)
    if judged and args.at is None:
        messages = _undated(messages, console)
    jobs = args.jobs or (1 if console.live else os.cpu_count() or 1)
    chunk = list(islice(messages, _CHUNK)) if jobs > 1 else []
    # One process: a live feed's answers are not held back for a chunk to fill; a
    # few messages are not worth the start-up.
    if jobs <= 1 or len(chunk) < _SMALL:
        init(*initargs)
        yield from (r for r in map(work, chain(chunk, messages)) if r is not None)
        return
    from concurrent.futures import Future, ProcessPoolExecutor

    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(init, *initargs)
    ) as pool:
        flying: deque[Future[list[Any]]] = deque()
        try:
            while chunk or flying:
                while chunk and len(flying) < _IN_FLIGHT * jobs:
                    flying.append(pool.submit(_work_chunk, work, chunk))
                    chunk = list(islice(messages, _CHUNK))
                yield from flying.popleft().result()
        finally:  # Ctrl-C or a closed pipe: the chunks not started are not worth waiting for
            pool.shutdown(wait=False, cancel_futures=True)


def _start_worker(init: Callable[..., None], *initargs: Any) -> None:
    """A worker's set-up: ignore Ctrl-C, then ``init``.

    Ctrl-C reaches every process of the terminal's foreground group; the parent
    answers it (exit 130), where each idle worker would print a traceback.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init(*initargs)


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than ``minimum``."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= {minimum}")
        return value

    return convert


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    """``--jobs N``: the processes :func:`mapped` shares the work among."""
    parser.add_argument(
        "--jobs",
        type=at_least(1),
        metavar="N",
        help="processes (default: CPUs; 1 for a pipe or FIFO, answered as each message comes)",
    )


def identity_values(paths: Sequence[str], console: Console) -> Iterator[CapturedMessage]:
    """Each line of the inputs as an Identity header value (``Identity:``/``y:`` optional).

    Blanks and e-mail quote marks (``> ``) before it are taken off, as they are
    off a pasted SIP message.

    A value copied out of a web page keeps its HTML escapes (``&lt;`` for ``<``):
    they are undone.
    """
    for path in paths:
        stream, _size, owned = open_input(path)
        found = 0
        try:
            read = functools.partial(stream.readline, _MAX_LINE + 1)
            for number, raw in enumerate(iter(read, b""), 1):
                if len(raw) > _MAX_LINE:
                    console.warn(f"{path}:{number}: line longer than {_MAX_LINE} bytes skipped")
                    while raw and not raw.endswith(b"\n"):
                        raw = stream.readline(_MAX_LINE + 1)
                    continue
                value = _QUOTED.sub("", raw.decode("utf-8", "replace").strip(), count=1)
                value = _IDENTITY_NAME.sub("", value, count=1)
                if _HTML_ENTITY.search(value):  # a web ticket's paste: &lt;https://…&gt;
                    value = html.unescape(value)
                if value and not value.startswith("#"):
                    found += 1
                    yield CapturedMessage(data=value.encode(), source=path, line=number)
        finally:
            if owned:
                stream.close()
        if not found:  # an empty or wrong file: unreadable input, as for SIP inputs
            console.error(f"{path}: no Identity value found")
            console.empty_inputs.append(path)


# E-mail quote marks ("> > "), as a reply quotes a ticket; no value starts with ">".
_QUOTED = re.compile(r"^(?:>[ \t]*)+")
# A pasted header line keeps its name; a bare value has none.
_IDENTITY_NAME = re.compile(r"(?i)^(?:identity|y)[ \t]*:[ \t]*")
_MAX_LINE = 64 * 1024
# The token is base64url and never holds "&"; these only come from HTML escaping.
_HTML_ENTITY = re.compile(r"(?i)&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-f]+);")
