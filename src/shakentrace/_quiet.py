"""The moment-dependent part of a chain verdict, and verdicts kept for the interval they hold.

:func:`validity`, :func:`revoked` and :func:`tn_authority` are the findings of
:meth:`TrustStore.verify_chain` that depend on the moment or on ``orig``.

A chain's verdict depends on the moment only through its certificates' validity
(every ``notBefore`` ≤ at ≤ ``notAfter``) and its revocations (``revocationDate``
≤ at), and on ``orig`` only when the TNAuthList names TNs. Between those
boundaries, with an SPC-based TNAuthList, the verdict is the same object every
time: it is kept with the interval and handed out without recomputing — or even
hashing — the chain (hashing certificates means hashing their DER).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from cryptography import x509

from shakentrace import _crl
from shakentrace.certs import CertFacts
from shakentrace.reasons import Reason

__all__ = ["QuietVerdicts", "revoked", "tn_authority", "validity"]

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class _Entry(Generic[_R]):
    chain: tuple[x509.Certificate, ...]  # held, so the ids in the key stay these objects'
    start: datetime
    end: datetime
    revoked_from: datetime | None
    result: _R


class QuietVerdicts(Generic[_R]):
    """Verdicts by chain identity, each valid for ``start <= at <= end`` and before any revocation.

    Args:
        size: How many chains to remember (cleared when full).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[int, _Entry[_R]] = {}
        self._lock = threading.Lock()

    def get(self, chain: Sequence[x509.Certificate], at: datetime) -> _R | None:
        """The verdict kept for these very certificate objects, if it holds at ``at``."""
        entry = self._entries.get(id(chain))
        if entry is None or not entry.start <= at <= entry.end:
            return None
        if entry.revoked_from is not None and at >= entry.revoked_from:
            return None
        # The same certificate objects (tuple equality tries identity first); equal
        # certificates in other objects would give the same verdict anyway.
        return entry.result if entry.chain == tuple(chain) else None

    def put(
        self,
        chain: Sequence[x509.Certificate],
        path: Sequence[x509.Certificate],
        revoked: Sequence[datetime],
        result: _R,
    ) -> None:
        """Keep ``result`` for ``chain``: it holds while ``path`` is valid and nothing revoked."""
        start = max(c.not_valid_before_utc for c in path)
        end = min(c.not_valid_after_utc for c in path)
        entry = _Entry(tuple(chain), start, end, min(revoked, default=None), result)
        with self._lock:
            if len(self._entries) >= self._size:
                self._entries.clear()
            self._entries[id(chain)] = entry

    def clear(self) -> None:
        """Forget every verdict (the CRLs changed)."""
        with self._lock:
            self._entries.clear()


def validity(path: Sequence[x509.Certificate], at: datetime) -> Iterable[Reason]:
    for index, cert in enumerate(path):
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        if start <= at <= end:
            continue
        role = "signing certificate" if index == 0 else f"CA certificate {index}"
        who = f"{role} {cert.subject.rfc4514_string()!r}"
        if at < start:
            yield Reason.of(
                "cert-not-yet-valid", f"{who} is valid from {start.isoformat()}, after {_iso(at)}"
            )
        else:
            yield Reason.of("cert-expired", f"{who} expired {end.isoformat()}, before {_iso(at)}")


def revoked(
    revocations: Sequence[tuple[x509.Certificate, _crl.Revocation]], at: datetime
) -> Iterable[Reason]:
    for cert, hit in revocations:
        # Forensics: a certificate revoked after the call was still good when it was made.
        if hit.revoked_at <= at:
            yield Reason.of(
                "cert-revoked",
                f"{cert.subject.rfc4514_string()!r} (serial {hit.serial}) revoked "
                f"{hit.revoked_at.isoformat()} by the CRL of {hit.crl_issuer!r}",
            )


def tn_authority(facts: CertFacts, orig_tn: str | None) -> Iterable[Reason]:
    # RFC 9060 §4 / ATIS-1000092: a delegate certificate authorizes only its TNs.
    tn_auth = facts.tn_auth
    if orig_tn is None or tn_auth is None or not tn_auth.has_numbers:
        return
    if not tn_auth.covers(orig_tn):
        yield Reason.of("tn-not-authorized", f"orig {orig_tn} is outside the TNAuthList")


def _iso(moment: datetime) -> str:
    return moment.isoformat()
