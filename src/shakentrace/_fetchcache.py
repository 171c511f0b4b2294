"""The caching fetcher (re-exported by :mod:`shakentrace.fetch`).

Freshness follows RFC 9111 (``Cache-Control: max-age``, ``Expires`` less
``Date``, less ``Age``) with ATIS-1000074's rule for x5u: when directives are
missing or shorter than 24 hours, cache for 24 hours. The lifetime never runs
past the leaf certificate's notAfter, and never past ``max_ttl``. Failures are
cached briefly (negative caching) so a dead x5u is not hammered, and concurrent
requests for one URL share a single fetch.
"""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from shakentrace._crl import load_crls
from shakentrace._https import Fetched, utc_now
from shakentrace.certs import load_chain
from shakentrace.errors import CertificateParseError, ConfigurationError, FetchError

if TYPE_CHECKING:
    from shakentrace.fetch import Fetcher

__all__ = ["CacheStats", "CachingFetcher", "check_fetcher", "freshness"]

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
# RFC 9111 §1.2.2: a delta-seconds too large to hold stands for 2**31 seconds.
_MAX_DELTA = 2**31


def check_fetcher(value: object, role: str) -> None:
    """Refuse what cannot fetch when it is given, not at the first fetch.

    ``CachingFetcher(HttpsFetcher)``, the parentheses forgotten, made every
    verification raise ``TypeError``.

    Raises:
        ConfigurationError: ``value`` is a class, or has no ``fetch`` method.
    """
    if isinstance(value, type):
        raise ConfigurationError(
            f"{role} must be an instance, not the class {value.__name__}"
            f" (did you mean {value.__name__}()?)"
        )
    if not callable(getattr(value, "fetch", None)):
        hint = (
            "DirectoryFetcher(path) reads a folder of chains or a bundle"
            if isinstance(value, str | os.PathLike)
            else "StaticFetcher serves a dict of URL to body"
        )
        raise ConfigurationError(
            f"{role} must be a Fetcher (an object with fetch(url) -> bytes),"
            f" not {type(value).__name__}; {hint}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStats:
    """Counters of a :class:`CachingFetcher`.

    Attributes:
        hits: Requests answered from the cache (including cached failures).
        fetches: Requests passed to the wrapped fetcher.
        coalesced: Requests that waited for another thread's fetch of the same URL.
        entries: URLs currently cached.
    """

    hits: int
    fetches: int
    coalesced: int
    entries: int


@dataclass(frozen=True, slots=True)
class _Entry:
    body: bytes | None
    error: FetchError | None
    expires: datetime


class _Flight:
    """One in-progress fetch that other threads wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.entry: _Entry | None = None


def freshness(
    fetched: Fetched, *, now: datetime, min_ttl: timedelta, max_ttl: timedelta
) -> timedelta:
    """Return how long ``fetched`` may be reused.

    RFC 9111 §4.2.1 lifetime (max-age, else Expires − Date), less Age, raised to
    ``min_ttl`` (ATIS-1000074: 24 h when directives are missing or short), capped
    at ``max_ttl`` and at the leaf certificate's notAfter.
    """
    ttl = max(_lifetime(fetched, now) or timedelta(0), min_ttl)
    ttl = min(ttl, max_ttl)
    end = _end_of_use(fetched.body)
    return ttl if end is None else max(timedelta(0), min(ttl, end - now))


def _end_of_use(body: bytes) -> datetime | None:
    """The leaf certificate's notAfter, or a CRL's nextUpdate (RFC 5280 §5.1.2.5)."""
    try:
        return load_chain(body)[0].not_valid_after_utc
    except (CertificateParseError, IndexError):
        pass
    try:
        crls = load_crls(body)
    except CertificateParseError:
        return None
    updates = [c.next_update_utc for c in crls if c.next_update_utc is not None]
    return min(updates) if updates else None


def _lifetime(fetched: Fetched, now: datetime) -> timedelta | None:
    age = _delta_seconds(fetched.age)
    match = _MAX_AGE.search(fetched.cache_control or "")
    if match:
        return timedelta(seconds=int(match.group(1)) - age)
    expires = _http_date(fetched.expires)
    if expires is None:
        return None
    base = _http_date(fetched.date) or now
    return expires - base - timedelta(seconds=age)


def _delta_seconds(value: str | None) -> int:
    """An ``Age`` value in seconds (0 if it is none), at most 2**31 (RFC 9111 §1.2.2)."""
    if not (value and value.isascii() and value.isdigit()):
        return 0
    return _MAX_DELTA if len(value) > 10 else min(int(value), _MAX_DELTA)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


class CachingFetcher:
    """Cache what another fetcher returns: RFC 9111 with ATIS-1000074's 24-hour floor.

    Args:
        inner: The fetcher to wrap (usually an :class:`~shakentrace.fetch.HttpsFetcher`;
            without ``fetch_detailed`` headers are unknown and the floor applies).
        clock: Returns the current aware UTC time.
        min_ttl: Floor for successful responses (ATIS-1000074: 24 hours).
        max_ttl: Ceiling for successful responses.
        negative_ttl: How long a failure is remembered.
        max_entries: LRU bound on cached URLs.
    """

    def __init__(
        self,
        inner: Fetcher,
        *,
        clock: Callable[[], datetime] = utc_now,
        min_ttl: timedelta = timedelta(hours=24),
        max_ttl: timedelta = timedelta(days=30),
        negative_ttl: timedelta = timedelta(seconds=60),
        max_entries: int = 4096,
    ) -> None:
        check_fetcher(inner, "the fetcher a CachingFetcher wraps")
        if max_entries < 1 or min_ttl > max_ttl:
            raise ConfigurationError("max_entries must be positive and min_ttl <= max_ttl")
        self._inner = inner
        self._clock = clock
        self._min_ttl, self._max_ttl, self._negative_ttl = min_ttl, max_ttl, negative_ttl
        self._max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._hits = self._fetches = self._coalesced = 0

    @property
    def stats(self) -> CacheStats:
        """Counters so far."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                fetches=self._fetches,
                coalesced=self._coalesced,
                entries=len(self._entries),
            )

    def fetch(self, url: str) -> bytes:
        """Return the (possibly cached) body at ``url``.

        Raises:
            FetchError: The wrapped fetcher's error, possibly a cached one.
        """
        entry, flight, leader = self._lookup(url)
        if entry is None:
            entry = self._fill(url, flight) if leader else self._wait(flight)
        if entry.error is not None:
            raise FetchError(entry.error.message, code=entry.error.code)
        assert entry.body is not None
        return entry.body

    def clear(self) -> None:
        """Forget every cached response."""
        with self._lock:
            self._entries.clear()

    def _lookup(self, url: str) -> tuple[_Entry | None, _Flight, bool]:
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None and entry.expires > self._clock():
                self._entries.move_to_end(url)
                self._hits += 1
                return entry, _Flight(), False
            flight = self._flights.get(url)
            if flight is not None:
                self._coalesced += 1
                return None, flight, False
            flight = self._flights[url] = _Flight()
            self._fetches += 1
            return None, flight, True

    def _wait(self, flight: _Flight) -> _Entry:
        flight.done.wait()
        assert flight.entry is not None
        return flight.entry

    def _fill(self, url: str, flight: _Flight) -> _Entry:
        try:
            entry = self._fetch_entry(url)
        except BaseException as exc:  # never leave waiters hanging
            entry = _Entry(None, FetchError(f"fetch failed: {exc}"), self._clock())
            raise
        finally:
            self._store(url, entry, flight)
        return entry

    def _fetch_entry(self, url: str) -> _Entry:
        now = self._clock()
        try:
            fetched = self._detailed(url)
        except FetchError as exc:
            return _Entry(None, exc, now + self._negative_ttl)
        ttl = freshness(fetched, now=now, min_ttl=self._min_ttl, max_ttl=self._max_ttl)
        return _Entry(fetched.body, None, now + ttl)

    def _detailed(self, url: str) -> Fetched:
        detailed = getattr(self._inner, "fetch_detailed", None)
        if callable(detailed):
            got = detailed(url)
            if isinstance(got, Fetched):
                return got
        return Fetched(url=url, body=self._inner.fetch(url))

    def _store(self, url: str, entry: _Entry, flight: _Flight) -> None:
        with self._lock:
            self._entries[url] = entry
            self._entries.move_to_end(url)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
            self._flights.pop(url, None)
        flight.entry = entry
        flight.done.set()
