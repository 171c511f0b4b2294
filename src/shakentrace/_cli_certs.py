"""Where the commands get x5u chains: ``--certs`` (offline) and ``--fetch`` (HTTPS).

Offline is the default: an analyst's shell fetches nothing unless asked. With
``--fetch``, a chain not found in ``--certs`` is fetched from its x5u over HTTPS
by :class:`~shakentrace.fetch.HttpsFetcher` under a
:class:`~shakentrace.fetch.FetchPolicy` (https on 443/8443 only, no private or
special-purpose addresses, no redirects, 64 KiB, 5 s; ``--fetch-policy`` changes a
field, e.g. for a lab server), and kept for the run, failures too: a capture's
calls name few certificates, many times over, and a one-off run wants the chain
as published when it ran. (:class:`~shakentrace.fetch.CachingFetcher` is for live
verification: it serves nothing past the certificate's notAfter, so every call of
an old capture would fetch its expired certificate again.) The server's TLS
certificate is checked against the system CAs (``SSL_CERT_FILE`` names others).
``--fetch-crls`` (with ``--trust``) fetches the CRL of each certificate of a
chain from its CRL distribution points (http or https: a CRL is signed; DER or
PEM, up to 4 MiB), under the same address guard, so that revocation is judged
on the list as published. ``--keep-fetched DIR`` keeps each fetched chain and
CRL and a log of every fetch (:class:`~shakentrace.evidence.RecordingFetcher`):
evidence of what the repository served, and a ``--certs`` folder for the next,
offline, run.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace

from shakentrace._cli_options import replaced
from shakentrace.errors import ConfigurationError, FetchError
from shakentrace.evidence import RecordingFetcher
from shakentrace.fetch import (
    DirectoryFetcher,
    Fetcher,
    FetchPolicy,
    HttpsFetcher,
    LayeredFetcher,
)

__all__ = ["CertSource", "add_cert_options", "add_crl_option"]


@dataclass(frozen=True, slots=True)
class CertSource:
    """What ``--certs``, ``--fetch``, ``--fetch-policy``, ``--keep-fetched`` and
    ``--fetch-crls`` ask for.

    Plain data, so that each worker process builds its own fetcher (and cache).
    """

    certs: str | None = None
    online: bool = False
    fetch_policy: tuple[str, ...] = ()
    keep: str | None = None
    crls: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace, *, online: bool | None = None) -> CertSource:
        """Read the options; check them at once, so a bad one fails before any input is read.

        Args:
            args: The parsed command line.
            online: Fetch over HTTPS; ``None``: as ``--fetch`` says.

        Raises:
            ConfigurationError: A bad ``--fetch-policy``; it or ``--keep-fetched``
                with nothing to fetch; ``--fetch-crls`` without ``--trust``; a
                ``--certs`` that is neither a folder nor a bundle, or a
                ``--keep-fetched`` folder that cannot be written.
        """
        online = bool(args.fetch) if online is None else online
        crls = bool(getattr(args, "fetch_crls", False))
        source = cls(args.certs, online, tuple(args.fetch_policy), args.keep_fetched, crls)
        if source.fetch_policy and not (source.online or source.crls):
            raise ConfigurationError("--fetch-policy applies to --fetch, which was not given")
        if source.keep and not (source.online or source.crls):
            raise ConfigurationError("--keep-fetched keeps what --fetch fetches: give --fetch")
        if source.crls and not getattr(args, "trust", None):
            raise ConfigurationError("--fetch-crls checks chains against --trust: give --trust")
        source.fetcher()
        source.crl_fetcher()
        return source

    def fetcher(self) -> Fetcher | None:
        """``--certs`` first, then (with ``--fetch``) HTTPS; ``None`` for neither."""
        local = DirectoryFetcher(self.certs) if self.certs else None
        if not self.online:
            return local
        network = self._network(replaced(FetchPolicy(), self.fetch_policy, "--fetch-policy"))
        return network if local is None else LayeredFetcher(local, network)

    def crl_fetcher(self) -> Fetcher | None:
        """With ``--fetch-crls``: CRLs over http or https, under ``--fetch-policy``'s guard."""
        if not self.crls:
            return None
        x5u = replaced(FetchPolicy(), self.fetch_policy, "--fetch-policy")
        policy = replace(
            x5u,
            schemes=("https", "http"),
            ports=tuple(dict.fromkeys((*x5u.ports, 80, 8080))),
            max_bytes=max(x5u.max_bytes, _MAX_CRL),
            content_types=("application/pkix-crl",),
            require_pem=False,
        )
        return self._network(policy)

    def _network(self, policy: FetchPolicy) -> Fetcher:
        """HTTPS under ``policy``, kept with ``--keep-fetched``, once per URL for the run."""
        https: Fetcher = HttpsFetcher(policy)
        return _ForTheRun(RecordingFetcher(https, self.keep) if self.keep else https)


# The STI-PA CRL lists every revoked SHAKEN certificate; 4 MiB is thousands of entries.
_MAX_CRL = 4 * 1024 * 1024


class _ForTheRun:
    """What ``inner`` gave for each URL (body or error), kept for the rest of the run."""

    _MAX_URLS = 4096

    def __init__(self, inner: Fetcher) -> None:
        self._inner = inner
        self._kept: dict[str, bytes | FetchError] = {}

    def fetch(self, url: str) -> bytes:
        kept = self._kept.get(url)
        if kept is None:
            try:
                kept = self._inner.fetch(url)
            except FetchError as exc:
                kept = exc
            if len(self._kept) >= self._MAX_URLS:
                self._kept.clear()
            self._kept[url] = kept
        if isinstance(kept, FetchError):
            raise FetchError(kept.message, code=kept.code)
        return kept


def add_cert_options(
    parser: argparse.ArgumentParser, certs_help: str, *, fetch_flag: bool = True
) -> None:
    """``--certs DIR``, ``--fetch`` (unless the command always fetches) and ``--fetch-policy``."""
    parser.add_argument("--certs", metavar="DIR", help=certs_help)
    if fetch_flag:
        parser.add_argument(
            "--fetch",
            action="store_true",
            help="fetch x5u chains not in --certs over HTTPS (guarded: 443/8443, public"
            " addresses, no redirects, 64 KiB, 5 s); offline without it",
        )
    parser.add_argument(
        "--fetch-policy",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a FetchPolicy field for fetching, repeatable: ports, allow_networks, schemes"
        " (comma-separated), connect_timeout, total_timeout (seconds), max_bytes",
    )
    parser.add_argument(
        "--keep-fetched",
        metavar="DIR",
        help="keep each fetched chain in DIR (a --certs folder for later runs), with a"
        " log of every fetch: URL, time, SHA-256 or error",
    )


def add_crl_option(parser: argparse.ArgumentParser) -> None:
    """``--fetch-crls``, for the commands that judge chains against ``--trust``."""
    parser.add_argument(
        "--fetch-crls",
        action="store_true",
        help="with --trust, fetch each certificate's CRL (its distribution points, http or"
        " https) and judge revocation on it",
    )
