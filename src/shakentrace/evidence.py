"""Fetched x5u chains kept as evidence: what each URL served, when, and its digest.

Certificate repositories change: chains are re-issued, expire and are taken down.
A traceback that names a signer by the certificate it fetched should keep that
certificate, as served. :class:`RecordingFetcher` wraps any
:class:`~shakentrace.fetch.Fetcher` and

* writes each body it returns into a folder, under the URL percent-encoded
  (``urllib.parse.quote(url, safe="")``), the name
  :class:`~shakentrace.fetch.DirectoryFetcher` looks for first, so that the
  folder serves the same bytes again offline (``--certs``);
* appends one JSON line per fetch to ``fetched.jsonl`` in that folder: the URL,
  the time, and the SHA-256 and size of the body with its file name, or the error
  (a repository that refused or failed is evidence too).

Several processes, and threads, may share a folder: each body is written to a
temporary file of its own and renamed into place, and each log line is one append.

Example:
    >>> import json, pathlib, tempfile
    >>> from datetime import UTC, datetime
    >>> from shakentrace.evidence import RecordingFetcher
    >>> from shakentrace.fetch import DirectoryFetcher, StaticFetcher
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> url = "https://cr.example/sp.pem"
    >>> fetcher = RecordingFetcher(
    ...     StaticFetcher({url: b"-----BEGIN CERTIFICATE-----..."}),
    ...     folder,
    ...     clock=lambda: datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    ... )
    >>> fetcher.fetch(url)[:11]
    b'-----BEGIN '
    >>> record = json.loads((folder / "fetched.jsonl").read_text())
    >>> record["fetched_at"], record["bytes"], record["file"]
    ('2026-03-01T12:00:00+00:00', 30, 'https%3A%2F%2Fcr.example%2Fsp.pem')
    >>> DirectoryFetcher(folder).fetch(url) == fetcher.fetch(url)
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from shakentrace._fetchcache import check_fetcher
from shakentrace.errors import ConfigurationError, FetchError
from shakentrace.fetch import Fetcher

__all__ = ["LOG_NAME", "RecordingFetcher"]

#: The file, in the folder, that holds one JSON line per fetch.
LOG_NAME = "fetched.jsonl"
# A longer name is refused by common file systems (NAME_MAX is 255 bytes).
_MAX_NAME = 255


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RecordingFetcher:
    """A fetcher that keeps every body ``inner`` returns, and logs every fetch.

    Args:
        inner: The fetcher that fetches (e.g. an :class:`~shakentrace.fetch.HttpsFetcher`).
        folder: Where to keep the bodies and ``fetched.jsonl``; created if missing.
        clock: The time each fetch is logged at (aware), injected for tests.

    Raises:
        ConfigurationError: ``folder`` cannot be created or written.
    """

    def __init__(
        self,
        inner: Fetcher,
        folder: str | os.PathLike[str],
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        check_fetcher(inner, "the fetcher a RecordingFetcher wraps")
        self._inner = inner
        self._folder = Path(folder)
        self._clock = clock
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            if not os.access(self._folder, os.W_OK):
                raise PermissionError(f"{self._folder} is not writable")
        except OSError as exc:
            raise ConfigurationError(f"cannot keep fetched chains in {folder}: {exc}") from exc

    def fetch(self, url: str) -> bytes:
        """Return what ``inner`` fetches for ``url``, kept and logged.

        Raises:
            FetchError: As ``inner`` raised it (after logging it).
            ConfigurationError: The folder could not be written.
        """
        when = self._clock().isoformat()
        try:
            body = self._inner.fetch(url)
        except FetchError as exc:
            self._log({"url": url, "fetched_at": when, "error": exc.code, "message": exc.message})
            raise
        name = quote(url, safe="")
        kept = len(name.encode()) <= _MAX_NAME
        if kept:
            self._write(name, body)
        digest = hashlib.sha256(body).hexdigest()
        record = {"url": url, "fetched_at": when, "sha256": digest, "bytes": len(body)}
        self._log({**record, "file": name if kept else None})
        return body

    def _write(self, name: str, body: bytes) -> None:
        # A temporary file of its own for each write: threads of one process fetching
        # the same URL at once wrote (and renamed away) one shared ``.<name>.<pid>.tmp``.
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(prefix=f".{name[:200]}.", dir=self._folder)
            with os.fdopen(handle, "wb") as file:
                file.write(body)
            os.replace(temporary, self._folder / name)
        except OSError as exc:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            raise ConfigurationError(f"cannot keep {name} in {self._folder}: {exc}") from exc

    def _log(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=True) + "\n"
        try:
            with open(self._folder / LOG_NAME, "a", encoding="ascii") as log:
                log.write(line)  # one append per line: safe beside other processes
        except OSError as exc:
            raise ConfigurationError(f"cannot log to {self._folder / LOG_NAME}: {exc}") from exc
