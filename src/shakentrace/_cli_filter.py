"""``--orig``, ``--dest``, ``--around``: the call a traceback request asks about.

A traceback request names one call: its calling and called numbers and when it
was made. These options keep only the INVITEs that match, in any command that
reads captures, so an analyst can point ``trace`` (or ``verify``, ``inspect``,
``campaigns``) at a day's capture and get that call. Hop records received with
``trace --hops`` are kept by their calling and called numbers
(:attr:`~shakentrace.hop.Hop.orig_tn`, :attr:`~shakentrace.hop.Hop.dest_tns`,
and those of the PASSporTs they carry) and receipt time.

* ``--orig TN``: From, a P-Asserted-Identity, or a PASSporT's ``orig`` names it;
* ``--dest TN``: To, the Request-URI, or a PASSporT's ``dest`` names it;
* ``--around TIME``: captured (else, for SIP text, dated by its Date header)
  within ``--window`` seconds of TIME (default 300).

Numbers are compared in canonical form (RFC 8224 §8.3; a 10-digit number is a
NANP one), so ``+1 (215) 555-1212``, ``2155551212`` and ``12155551212`` match
alike. A message that does not parse is left out when numbers are asked for.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from shakentrace._cli_views import quietly
from shakentrace.capture import CapturedMessage
from shakentrace.errors import ConfigurationError, ShakenTraceError
from shakentrace.hop import Hop
from shakentrace.identity import parse_identity
from shakentrace.passport import decode_passport
from shakentrace.sip import SipMessage, parse_sip
from shakentrace.tn import canonical_tn

__all__ = ["CallFilter", "add_filter_options"]

_WINDOW = 300.0
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class CallFilter:
    """Which INVITEs a command looks at (plain data: it travels to worker processes).

    Attributes:
        orig: Canonical calling TN, or ``None`` for any.
        dest: Canonical called TN, or ``None`` for any.
        start: Earliest capture (or Date) time, or ``None``.
        end: Latest capture (or Date) time, or ``None``.
    """

    orig: str | None = None
    dest: str | None = None
    start: datetime | None = None
    end: datetime | None = None

    @classmethod
    def from_args(
        cls, args: argparse.Namespace, moment: Callable[[str], datetime | None]
    ) -> CallFilter | None:
        """The filter the options ask for, ``None`` without any; checked at once.

        Args:
            args: The parsed command line.
            moment: Reads ``--around`` as ``--at`` is read.

        Raises:
            ConfigurationError: A number that is not one, or a bad time or window.
        """
        orig, dest, around = args.orig, args.dest, args.around
        if orig is None and dest is None and around is None:
            return None
        start = end = None
        if around is not None:
            middle, window = moment(around), timedelta(seconds=args.window)
            assert middle is not None  # moment() reads a given text or raises
            start, end = _shifted(middle, -window), _shifted(middle, window)
        return cls(_tn("--orig", orig), _tn("--dest", dest), start, end)

    def guard(
        self, work: Callable[[CapturedMessage], _T]
    ) -> Callable[[CapturedMessage], _T | None]:
        """``work`` for the messages this filter admits, ``None`` for the others (picklable)."""
        return functools.partial(_guarded, self, work)

    def in_window(self, captured: CapturedMessage) -> bool:
        """The cheap test, before any parsing: a capture time in the window (or none)."""
        return captured.time is None or self._within(captured.time)

    def admits(self, captured: CapturedMessage) -> bool:
        """Whether ``captured`` is an INVITE of the call asked about."""
        if not self.in_window(captured):
            return False  # before parsing: most of a day's capture ends here
        if self.orig is None and self.dest is None and captured.time is not None:
            return True
        try:
            message = parse_sip(captured.data)
        except ShakenTraceError:
            return False
        if captured.time is None and not self._within(quietly(lambda: message.date)):
            return False
        return self._numbers(message)

    def admits_hop(self, hop: Hop) -> bool:
        """Whether a hop record another provider sent (``trace --hops``) is of the call.

        Its numbers (:attr:`~shakentrace.hop.Hop.orig_tn`,
        :attr:`~shakentrace.hop.Hop.dest_tns`) and those of the PASSporTs in the
        Identity values it carries count, in canonical form whatever form the
        sender wrote them in.
        """
        if not self._within(hop.received_at):
            return False
        if self.orig is None and self.dest is None:
            return True
        claims = list(_passport_numbers(hop.identities))
        return self._among(claims, {_canonical(hop.orig_tn)}, set(map(_canonical, hop.dest_tns)))

    def _within(self, when: datetime | None) -> bool:
        if self.start is None or self.end is None:
            return True
        return when is not None and self.start <= when <= self.end

    def _numbers(self, message: SipMessage) -> bool:
        if self.orig is None and self.dest is None:
            return True
        claims = list(_passport_numbers(quietly(lambda: message.identities) or ()))
        origs = _tns(lambda: message.from_) | _tns(lambda: message.pai)
        dests = _tns(lambda: message.to) | _tns(lambda: message.request_uri)
        return self._among(claims, origs, dests)

    def _among(
        self,
        claims: list[tuple[str | None, set[str | None]]],
        origs: set[str | None],
        dests: set[str | None],
    ) -> bool:
        """Whether the numbers asked for are among those given and the PASSporTs' ``claims``."""
        if self.orig is not None and self.orig not in origs | {orig for orig, _ in claims}:
            return False
        return self.dest is None or self.dest in dests.union(*(tns for _, tns in claims))


def _guarded(
    keep: CallFilter, work: Callable[[CapturedMessage], _T], captured: CapturedMessage
) -> _T | None:
    return work(captured) if keep.admits(captured) else None


def _tn(flag: str, text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return canonical_tn(text)
    except ShakenTraceError:
        raise ConfigurationError(f"{flag} {text!r} is not a telephone number") from None


def _tns(read: Callable[[], Any]) -> set[str | None]:
    """The TNs of the address(es) ``read()`` gives; none when its header does not parse."""
    try:
        found = read()
        return {a.tn for a in (found if isinstance(found, tuple) else (found,)) if a is not None}
    except ShakenTraceError:
        return set()


def _canonical(tn: str | None) -> str | None:
    """``tn`` in canonical form, as written when it is not a number."""
    try:
        return None if tn is None else canonical_tn(tn)
    except ShakenTraceError:
        return tn


def _passport_numbers(identities: Iterable[str]) -> Iterator[tuple[str | None, set[str | None]]]:
    """``(orig, dests)`` of each Identity value's PASSporT that decodes."""
    for value in identities:
        try:
            passport = decode_passport(parse_identity(value).token)
        except ShakenTraceError:
            continue
        yield _canonical(passport.orig_tn), set(map(_canonical, passport.dest_tns))


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    """``--orig``, ``--dest``, ``--around`` and ``--window``."""
    parser.add_argument("--orig", metavar="TN", help="only calls from this number")
    parser.add_argument("--dest", metavar="TN", help="only calls to this number")
    parser.add_argument(
        "--around", metavar="TIME", help="only calls within --window of this time (ISO 8601)"
    )
    parser.add_argument(
        "--window",
        type=_seconds,
        default=_WINDOW,
        metavar="SECONDS",
        help=f"with --around (default: {_WINDOW:.0f})",
    )


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """``moment + by``, held at the first or last representable time (--around 0001-01-01)."""
    try:
        return moment + by
    except OverflowError:
        return (datetime.max if by > timedelta(0) else datetime.min).replace(tzinfo=UTC)


def _seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, at least 0 (at most a year)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 366 * 86400:  # nan fails this too
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to a year")
    return value
