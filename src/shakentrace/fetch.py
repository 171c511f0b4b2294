"""Fetching x5u certificates (and CRLs): the :class:`Fetcher` protocol and its implementations.

The x5u URL of a PASSporT is attacker-controlled input that a verifier fetches.
``HttpsFetcher`` fetches it under a ``FetchPolicy`` built against the
known attacks (SSRF through private addresses and redirects, DNS rebinding, slow
or huge bodies; Asterisk AST-2022-001/002). ``CachingFetcher`` adds
RFC 9111 caching with ATIS-1000074's 24-hour floor and coalesces concurrent
requests; :class:`StaticFetcher` and ``DirectoryFetcher`` serve certificates
without a network (tests, and analysts who only have a pcap).

Every fetcher raises :class:`shakentrace.errors.FetchError` with ``code``
``"x5u-forbidden"`` (refused by policy) or ``"cert-unavailable"`` (the fetch failed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from shakentrace.errors import FetchError

__all__ = ["Fetcher", "StaticFetcher"]


@runtime_checkable
class Fetcher(Protocol):
    """Anything that returns the bytes published at a URL.

    Implementations raise :class:`shakentrace.errors.FetchError` (``x5u-forbidden`` or
    ``cert-unavailable``) and nothing else for a URL they cannot serve.
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
