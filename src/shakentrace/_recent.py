"""Recognising a retransmitted INVITE: the Call-IDs seen lately, in bounded memory.

Over UDP an INVITE is sent again until answered (RFC 3261 §17.1.1.2, Timer B is
32 s), so one capture holds the same request several times; it is one call.
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["RecentKeys"]

# Keys remembered (retransmissions come within seconds, among few other calls).
_SIZE = 65_536


class RecentKeys:
    """The last ``size`` distinct keys seen (e.g. Call-IDs)."""

    def __init__(self, size: int = _SIZE) -> None:
        self._size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str | None) -> bool:
        """Whether ``key`` is not among the recent ones (then it is remembered).

        ``None`` (no key to compare) is always new.
        """
        if key is None:
            return True
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True
