"""Many calls' hops: one group per call, for :func:`shakentrace.linking.link`.

A provider's captures hold many calls. :func:`split_calls` sorts hop records into
calls, by the PASSporT they carry (the cross-carrier key, DESIGN §6) and, where it
was stripped, replaced or never there, by the next capture upstream of the same
called number. Calls that share signer, ``origid`` and attestation (and, without an
origid, calling-number pattern) form a campaign, which one traceback request answers:
:meth:`shakentrace.campaigns.CallRecord.from_traceback` of each linked call, then
:func:`shakentrace.campaigns.find_campaigns`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from shakentrace.hop import Hop
from shakentrace.linking import _upstream_of

__all__ = ["split_calls"]


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
    # The latest few before it: a burst of calls to one number (a replayed PASSporT)
    # must not make every hop weigh every other one.
    nearest = entries[max(low, high - _CANDIDATES) : high]
    fits = sorted(
        (hop.received_at - at, j)
        for at, j in nearest
        if j != i and hops[j].provider != hop.provider  # upstream is another's capture
    )
    named = [j for _, j in fits if _upstream_of(hop, [hops[j]]) is hops[j]]
    return named[0] if named else (fits[0][1] if fits else None)


# Captures of the same called number weighed as the one upstream of a hop.
_CANDIDATES = 64


def _first_of_each(hops: Iterable[Hop]) -> list[Hop]:
    """Each provider's hops less retransmissions: one hop per Call-ID, the first received.

    Over UDP an INVITE is sent again until answered (RFC 3261 §17.1.1.2), so a
    capture holds the same request several times; it crossed the provider once.
    """
    seen: set[tuple[str, str]] = set()
    kept = []
    for hop in hops:
        if hop.call_id is not None:
            key = (hop.provider, hop.call_id)
            if key in seen:
                continue
            seen.add(key)
        kept.append(hop)
    return kept


def split_calls(
    hops: Iterable[Hop], *, window: timedelta = timedelta(seconds=3)
) -> tuple[tuple[Hop, ...], ...]:
    """Split the hops of many calls into one group per call, for :func:`shakentrace.linking.link`.

    Hops carrying the same PASSporT (any of their SHAKEN PASSporTs: the key
    survives B2BUAs, 47 CFR 64.6302) are one call, unless one provider captured
    it on several calls (a replayed PASSporT): those are joined by timing alone.
    Each hop also joins the call of the next capture upstream, another provider's:
    the same called number, received at most ``window`` earlier (a call crosses
    each hop in well under a second), preferring the capture of the provider it
    names as upstream. That is how a PASSporT that was stripped, replaced or never
    there still ends up in one traceback; two calls to the same number within
    ``window`` of each other may be merged, so keep ``window`` short. Captures of
    a call that no PASSporT links, by clocks that disagree by more than
    ``window``, are not joined (the called number and the time are all that link
    them). A retransmitted INVITE (the same Call-ID captured by the same provider
    again) counts once. Groups come in the order of their first hop.
    """
    hops = _first_of_each(hops)
    sets = _Sets(len(hops))
    with_key: dict[str, list[int]] = {}
    for i, hop in enumerate(hops):
        for key in hop.passport_keys:
            with_key.setdefault(key, []).append(i)
    for members in with_key.values():
        providers = [hops[i].provider for i in members]
        if len(set(providers)) == len(providers):  # else a replay: left to the timing
            for i in members[1:]:
                sets.join(i, members[0])
    index = _by_number(hops)
    for i in range(len(hops)):
        up = _upstream_capture(i, hops, index, window)
        if up is not None:
            sets.join(i, up)
    groups: dict[int, list[Hop]] = {}
    for i, hop in enumerate(hops):
        groups.setdefault(sets.find(i), []).append(hop)
    return tuple(tuple(group) for group in groups.values())
