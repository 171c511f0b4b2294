"""Fetching x5u certificates (and CRLs): the :class:`Fetcher` protocol and its implementations.

The x5u URL of a PASSporT is attacker-controlled input that a verifier fetches.
:class:`HttpsFetcher` fetches it under a :class:`FetchPolicy` built against the
known attacks (SSRF through private addresses and redirects, DNS rebinding, slow
or huge bodies; Asterisk AST-2022-001/002). :class:`CachingFetcher` adds
RFC 9111 caching with ATIS-1000074's 24-hour floor and coalesces concurrent
requests; :class:`StaticFetcher` and :class:`DirectoryFetcher` serve certificates
without a network (tests, and analysts who only have a pcap).

Every fetcher raises :class:`shakentrace.errors.FetchError` with ``code``
``"x5u-forbidden"`` (refused by policy) or ``"cert-unavailable"`` (the fetch failed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable
from urllib.parse import quote, urlsplit

from shakentrace._https import (
    FORBIDDEN_NETWORKS,
    Fetched,
    FetchPolicy,
    HttpsFetcher,
    Resolver,
)
from shakentrace.errors import ConfigurationError, FetchError

__all__ = [
    "FORBIDDEN_NETWORKS",
    "CacheStats",
    "CachingFetcher",
    "DirectoryFetcher",
    "FetchPolicy",
    "Fetched",
    "Fetcher",
    "HttpsFetcher",
    "LayeredFetcher",
    "Resolver",
    "StaticFetcher",
    "parse_bundle",
]


@runtime_checkable
class Fetcher(Protocol):
    """Anything that returns the bytes published at a URL.

    Implementations raise :class:`shakentrace.errors.FetchError` (``x5u-forbidden`` or
    ``cert-unavailable``) and nothing else for a URL they cannot serve, and are
    thread-safe when a :class:`~shakentrace.verify.Verifier` is shared by threads.
    """

    def fetch(self, url: str) -> bytes:
        """Return the body published at ``url``.

        Raises:
            FetchError: The URL was refused or could not be fetched.
        """
        ...


class StaticFetcher:
    """A fetcher backed by a mapping of URL to body: no network, for tests and scripts.

    Args:
        bodies: URL → bytes (PEM chain, CRL…). Unknown URLs raise
            ``cert-unavailable``.

    Example:
        >>> from shakentrace.fetch import StaticFetcher
        >>> StaticFetcher({"https://cr.example/a.pem": b"pem"}).fetch("https://cr.example/a.pem")
        b'pem'
    """

    def __init__(self, bodies: Mapping[str, bytes]) -> None:
        self._bodies = dict(bodies)
        self.calls: list[str] = []

    def fetch(self, url: str) -> bytes:
        """Return the body registered for ``url``.

        Raises:
            FetchError: ``cert-unavailable`` when ``url`` is not registered.
        """
        self.calls.append(url)
        try:
            return self._bodies[url]
        except KeyError:
            raise FetchError(f"no certificate registered for {url}") from None


class LayeredFetcher:
    """Ask several fetchers in turn; the first body wins: local chains, then the network.

    Args:
        fetchers: Tried in this order for every URL.

    Raises:
        ConfigurationError: No fetcher was given.

    Example:
        >>> from shakentrace.fetch import LayeredFetcher, StaticFetcher
        >>> local = StaticFetcher({"https://cr.example/a.pem": b"local"})
        >>> network = StaticFetcher({"https://cr.example/b.pem": b"network"})
        >>> LayeredFetcher(local, network).fetch("https://cr.example/b.pem")
        b'network'
    """

    def __init__(self, *fetchers: Fetcher) -> None:
        if not fetchers:
            raise ConfigurationError("LayeredFetcher needs at least one fetcher")
        for fetcher in fetchers:
            check_fetcher(fetcher, "each fetcher of a LayeredFetcher")
        self.fetchers = fetchers

    def fetch(self, url: str) -> bytes:
        """Return the first body any fetcher has for ``url``.

        Raises:
            FetchError: The last fetcher's error, when none has ``url``.
        """
        for fetcher in self.fetchers[:-1]:
            try:
                return fetcher.fetch(url)
            except FetchError:
                continue
        return self.fetchers[-1].fetch(url)


class DirectoryFetcher:
    """Serve x5u chains from local files: offline verification of captured calls.

    Two sources, for analysts who have a pcap and the certificates but no network:

    * a **directory**: the chain for a URL is the file named after the URL
      percent-encoded (``urllib.parse.quote(url, safe="")``), or else the file
      named like the URL's last path segment (``…/sp-1234.pem`` → ``sp-1234.pem``);
    * a **PEM bundle**: one file where each chain follows an ``X5U: <url>`` line
      (text outside PEM blocks is ignored by PEM readers, so the bundle stays a
      valid PEM file).

    Args:
        source: A directory, or a bundle file.
        max_bytes: Largest file read.

    Raises:
        ConfigurationError: ``source`` does not exist, or is a file that is not a
            bundle (no ``X5U:`` line, or a chain before the first one).

    Example:
        >>> import tempfile, pathlib
        >>> from shakentrace.fetch import DirectoryFetcher
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "sp.pem").write_bytes(b"-----BEGIN CERTIFICATE-----...")
        >>> DirectoryFetcher(folder).fetch("https://cr.example/certs/sp.pem")[:11]
        b'-----BEGIN '
    """

    def __init__(self, source: str | os.PathLike[str], *, max_bytes: int = 1024 * 1024) -> None:
        self._path = Path(source)
        self._max_bytes = max_bytes
        if self._path.is_file():
            self._bundle: dict[str, bytes] | None = _bundle(self._path, self._read(self._path))
        elif self._path.is_dir():
            self._bundle = None
        else:
            raise ConfigurationError(f"no certificate directory or bundle at {source}")

    def fetch(self, url: str) -> bytes:
        """Return the chain stored for ``url``.

        Raises:
            FetchError: ``cert-unavailable`` when nothing is stored for ``url``.
        """
        if self._bundle is not None:
            if url in self._bundle:
                return self._bundle[url]
            raise FetchError(f"{url} is not in the certificate bundle {self._path.name}")
        last = PurePosixPath(urlsplit(url).path).name
        # surrogatepass: a JSON escape can put a lone surrogate in the x5u.
        for name in (quote(url, safe="", errors="surrogatepass"), last):
            candidate = self._stored(name)
            if candidate is not None:
                return self._read(candidate)
        wanted = f": no file {last}" if last not in ("", ".", "..") else ""
        raise FetchError(f"{url} is not in the certificate folder {self._path}{wanted}")

    def _stored(self, name: str) -> Path | None:
        """The file named ``name`` in the folder, if there is one.

        The name comes from the x5u, the signer's (or a forger's) choice: one
        longer than a file name can be, or that the system refuses, is no file.
        """
        if not name or name in (".", "..") or len(name.encode(errors="replace")) > _MAX_NAME:
            return None
        try:
            return self._path / name if (self._path / name).is_file() else None
        except (OSError, ValueError):
            return None

    def _read(self, file: Path) -> bytes:
        with file.open("rb") as handle:
            data = handle.read(self._max_bytes + 1)
        if len(data) > self._max_bytes:
            raise FetchError(f"{file.name} is larger than {self._max_bytes} bytes")
        return data


def _bundle(path: Path, data: bytes) -> dict[str, bytes]:
    """:func:`parse_bundle` of a file; one without any chain is not a bundle."""
    how = "each chain after an 'X5U: <url>' line, or give a folder of chains named like the URLs"
    try:
        chains = parse_bundle(data)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{path}: {exc.message} ({how})") from None
    if not chains:
        raise ConfigurationError(f"{path}: not a certificate bundle ({how})")
    return chains


def parse_bundle(data: bytes) -> dict[str, bytes]:
    """Split a PEM bundle with ``X5U: <url>`` lines into ``{url: chain PEM}``.

    Raises:
        ConfigurationError: A chain has no ``X5U:`` line before it.
    """
    chains: dict[str, list[bytes]] = {}
    current: list[bytes] | None = None
    for line in data.splitlines(keepends=True):
        match = _X5U_LINE.match(line)
        if match:
            current = chains.setdefault(match.group(1).decode("ascii"), [])
        elif current is not None:
            current.append(line)
        elif line.strip().startswith(b"-----BEGIN"):
            raise ConfigurationError("PEM block before any 'X5U: <url>' line in the bundle")
    return {url: b"".join(lines) for url, lines in chains.items()}


# NAME_MAX of common file systems, in bytes.
_MAX_NAME = 255
_X5U_LINE = re.compile(rb"^\s*#?\s*X5U:\s*(\S+)\s*$", re.IGNORECASE)


# Imported last: the caching fetcher's module refers back to this one.
from shakentrace._fetchcache import CacheStats, CachingFetcher, check_fetcher  # noqa: E402
