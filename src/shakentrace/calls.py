"""Many calls' hops: one group per call (for :func:`shakentrace.linking.link`) and campaigns.

A provider's captures hold many calls. :func:`split_calls` sorts hop records into
calls, by the PASSporT they carry (the cross-carrier key, DESIGN §6) and, where it
was stripped, replaced or never there, by the next capture upstream of the same
called number. :func:`group_campaigns` groups calls whose PASSporTs share signer
and ``origid`` (the signer's key for one customer or ingress trunk), so one
traceback request answers them all (traceback-domain §2.6).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shakentrace.hop import Hop
from shakentrace.linking import _upstream_of

__all__ = ["HopCampaign", "group_campaigns", "split_calls"]


class _Sets:
    """Union-find over hop indexes."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def _by_number(hops: Sequence[Hop]) -> dict[str, list[tuple[datetime, int]]]:
    """Timed hops by first called number, in order of receipt."""
    index: dict[str, list[tuple[datetime, int]]] = {}
    for i, hop in enumerate(hops):
        if hop.received_at is not None and hop.dest_tns:
            index.setdefault(hop.dest_tns[0], []).append((hop.received_at, i))
    for entries in index.values():
        entries.sort()
    return index


def _upstream_capture(
    i: int, hops: Sequence[Hop], index: dict[str, list[tuple[datetime, int]]], window: timedelta
) -> int | None:
    """Index of the next capture upstream of ``hops[i]`` for the same call, if one fits.

    Candidates: the same called number, received before ``hops[i]`` and within
    ``window``. The capture of the provider ``hops[i]`` names as upstream wins; if
    that provider has no such capture (a gap), the closest candidate in time.
    """
    hop = hops[i]
    if hop.received_at is None or not hop.dest_tns:
        return None
    entries = index[hop.dest_tns[0]]
    low = bisect_left(entries, (hop.received_at - window, -1))
    high = bisect_right(entries, (hop.received_at, len(hops)))
    fits = sorted((hop.received_at - at, j) for at, j in entries[low:high] if j != i)
    named = [j for _, j in fits if _upstream_of(hop, [hops[j]]) is hops[j]]
    return named[0] if named else (fits[0][1] if fits else None)


def split_calls(
    hops: Iterable[Hop], *, window: timedelta = timedelta(seconds=3)
) -> tuple[tuple[Hop, ...], ...]:
    """Split the hops of many calls into one group per call, for :func:`shakentrace.linking.link`.

    Hops carrying the same PASSporT (any of their SHAKEN PASSporTs: the key
    survives B2BUAs, 47 CFR 64.6302) are one call. Each hop also joins the call of
    the next capture upstream: the same called number, received at most
    ``window`` earlier (a call crosses each hop in well under a second), preferring
    the capture of the provider it names as upstream. That is how a PASSporT that
    was stripped, replaced or never there still ends up in one traceback; two
    calls to the same number within ``window`` of each other may be merged, so
    keep ``window`` short. Groups come in the order of their first hop.
    """
    hops = list(hops)
    sets = _Sets(len(hops))
    first_with: dict[str, int] = {}
    for i, hop in enumerate(hops):
        for key in hop.passport_keys:
            sets.join(i, first_with.setdefault(key, i))
    index = _by_number(hops)
    for i in range(len(hops)):
        up = _upstream_capture(i, hops, index, window)
        if up is not None:
            sets.join(i, up)
    groups: dict[int, list[Hop]] = {}
    for i, hop in enumerate(hops):
        groups.setdefault(sets.find(i), []).append(hop)
    return tuple(tuple(group) for group in groups.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class HopCampaign:
    """Calls whose PASSporTs share signer and origid: one traceback answers them all.

    Attributes:
        signer: The signer's SPC (or organization).
        origid: The shared origination identifier.
        hops: Every hop record of those calls.
        calls: Distinct PASSporT keys (one per call).
    """

    signer: str
    origid: str
    hops: tuple[Hop, ...]
    calls: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-safe data."""
        return {
            "signer": self.signer,
            "origid": self.origid,
            "calls": list(self.calls),
            "hops": [h.to_dict() for h in self.hops],
        }


def group_campaigns(hops: Iterable[Hop]) -> tuple[HopCampaign, ...]:
    """Group hops by (signer SPC, origid), largest group first (traceback-domain §2.6).

    origid is only meaningful within its signer's namespace, so the pair is the key;
    hops without a signed origid are left out.
    """
    groups: dict[tuple[str, str], list[Hop]] = {}
    for hop in hops:
        if hop.signer and hop.signer.origid and (hop.signer.spc or hop.signer.organization):
            key = (str(hop.signer.spc or hop.signer.organization), hop.signer.origid)
            groups.setdefault(key, []).append(hop)
    campaigns = [
        HopCampaign(
            signer=signer,
            origid=origid,
            hops=tuple(group),
            calls=tuple(dict.fromkeys(h.passport_key for h in group if h.passport_key)),
        )
        for (signer, origid), group in groups.items()
    ]
    return tuple(sorted(campaigns, key=lambda c: (-len(c.calls), c.signer, c.origid)))
