"""Batch verification over processes (documented as :func:`shakentrace.verify.verify_many`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING

from shakentrace.errors import ConfigurationError

if TYPE_CHECKING:
    from shakentrace._outcome import Outcome
    from shakentrace.verify import Verifier

__all__ = ["verify_many"]

_WORKER: Verifier | None = None
_FAILURE = "the factory gave no Verifier"


def _init_worker(factory: Callable[[], Verifier]) -> None:
    global _WORKER, _FAILURE
    # An initializer that raises breaks the pool, and the caller sees only
    # BrokenProcessPool: keep the reason for each task to raise instead.
    try:
        _WORKER = factory()
    except Exception as exc:
        _FAILURE = f"{type(exc).__name__}: {exc}"


def _verify_one(item: tuple[bytes | str, datetime | None]) -> Outcome:
    if _WORKER is None:
        raise ConfigurationError(f"verify_many: the factory failed in a worker: {_FAILURE}")
    return _WORKER.verify(item[0], now=item[1])


def verify_many(
    messages: Iterable[bytes | str],
    factory: Callable[[], Verifier],
    *,
    now: datetime | None = None,
    times: Iterable[datetime | None] | None = None,
    workers: int | None = 2,
    chunksize: int = 16,
) -> list[Outcome]:
    """Verify many raw messages on several processes; results keep the input order.

    Args:
        messages: Raw SIP messages.
        factory: Builds the :class:`Verifier` in each worker process (a
            module-level function or ``functools.partial``, so it pickles).
        now: The moment to judge every message at; default each one's wall clock.
        times: Instead of ``now``, the moment to judge each message at, in order
            (e.g. capture times; ``None`` for the wall clock).
        workers: Processes to use (``None``: one per core); ``1`` verifies in this process.
        chunksize: Messages handed to a worker at a time.

    Raises:
        ConfigurationError: ``factory`` failed in a worker process (with its
            error), or ``times`` does not give one time per message.
    """
    items = _items(list(messages), now, times)
    if workers == 1 or len(items) < 2:
        verifier = factory()
        return [verifier.verify(m, now=when) for m, when in items]
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(factory,)
    ) as pool:
        return list(pool.map(_verify_one, items, chunksize=chunksize))


def _items(
    messages: list[bytes | str], now: datetime | None, times: Iterable[datetime | None] | None
) -> list[tuple[bytes | str, datetime | None]]:
    if times is None:
        return [(m, now) for m in messages]
    if now is not None:
        raise ConfigurationError("verify_many takes now or times, not both")
    moments = list(times)
    if len(moments) != len(messages):
        raise ConfigurationError(
            f"verify_many got {len(messages)} message(s) and {len(moments)} time(s):"
            " give one time per message"
        )
    return list(zip(messages, moments, strict=True))
