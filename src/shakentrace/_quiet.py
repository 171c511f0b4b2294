"""Chain verdicts that hold for an interval, behind :meth:`TrustStore.verify_chain`.

A chain's verdict depends on the moment only through its certificates' validity
(every ``notBefore`` ≤ at ≤ ``notAfter``) and its revocations (``revocationDate``
≤ at), and on ``orig`` only when the TNAuthList names TNs. Between those
boundaries, with an SPC-based TNAuthList, the verdict is the same object every
time: it is kept with the interval and handed out without recomputing — or even
hashing — the chain (hashing certificates means hashing their DER).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from cryptography import x509

__all__ = ["QuietVerdicts"]

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
        held = entry.chain
        if len(held) != len(chain) or any(a is not b for a, b in zip(held, chain, strict=True)):
            return None
        return entry.result

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
