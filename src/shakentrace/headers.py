"""Header fields of a SIP message: a case-insensitive, order-keeping multi-map.

:class:`Headers` resolves compact names (RFC 3261 §7.3.3 and extensions, see
:data:`COMPACT_NAMES`), keeps every field with its line number, and splits list
headers at commas outside quotes and angle brackets (RFC 3261 §7.3.1). Over a
head without folding it looks single headers up with one regular-expression
search each and splits the whole head only when iterated or asked for many
names, which keeps :func:`shakentrace.sip.parse_sip` cheap.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shakentrace._sipframe import unfolded_fields
from shakentrace.errors import SipParseError
from shakentrace.sipheaders import split_list

__all__ = ["COMPACT_NAMES", "HeaderField", "Headers"]

#: The compact header names of RFC 3261 §7.3.3 (``i m e l c f s k t v``), RFC 6665
#: (``o u``), RFC 3515 (``r``), RFC 3892 (``b``), RFC 4028 (``x``), RFC 3841
#: (``j a d``), RFC 4474 (``n``) and RFC 8224 §4 (``y`` = Identity).
COMPACT_NAMES: dict[str, str] = {
    "a": "accept-contact", "b": "referred-by", "c": "content-type",
    "d": "request-disposition", "e": "content-encoding", "f": "from", "i": "call-id",
    "j": "reject-contact", "k": "supported", "l": "content-length", "m": "contact",
    "n": "identity-info", "o": "event", "r": "refer-to", "s": "subject", "t": "to",
    "u": "allow-events", "v": "via", "x": "session-expires", "y": "identity",
}  # fmt: skip

_SPELLING = {"call-id": "Call-ID", "cseq": "CSeq", "www-authenticate": "WWW-Authenticate",
             "mime-version": "MIME-Version", "rack": "RAck", "rseq": "RSeq"}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class HeaderField:
    """One header field as received.

    Attributes:
        name: The name as received (compact names kept).
        key: The lower-case full name (compact names resolved), used for lookup.
        value: The value, unfolded (each fold becomes one space) and trimmed.
        line: The 1-based line it starts on.
    """

    name: str
    key: str
    value: str
    line: int

    @property
    def canonical_name(self) -> str:
        """The full name in its usual spelling, e.g. ``"Call-ID"`` for ``i``."""
        return _SPELLING.get(self.key) or "-".join(p.capitalize() for p in self.key.split("-"))


def _key(name: str) -> str:
    lower = name.lower()
    return COMPACT_NAMES.get(lower, lower) if len(lower) == 1 else lower


_SCANS_BEFORE_INDEX = 8
# What a scanned value is trimmed of: SP and HTAB (HCOLON, RFC 3261 §7.3.1) and the
# CR of a CRLF line end.
_TRIM = " \t\r"


@functools.cache
def _scanner(key: str) -> re.Pattern[str]:
    names = [key, *(short for short, full in COMPACT_NAMES.items() if full == key)]
    # Explicit [Aa] classes rather than re.IGNORECASE keep "\n" a literal prefix,
    # which lets the engine skip straight from line to line.
    alternatives = "|".join("".join(_either_case(c) for c in name) for name in names)
    # ".*" runs to the line end much faster than [^\r\n]*; in the validated head a
    # CR only ever ends a line, so the value is the match less _TRIM.
    return re.compile(rf"\n({alternatives})[ \t]*:(.*)")


def _either_case(char: str) -> str:
    return f"[{char.upper()}{char.lower()}]" if char.isalpha() else re.escape(char)


def _field(entry: tuple[str, str, int]) -> HeaderField:
    return HeaderField(name=entry[0], key=_key(entry[0]), value=entry[1], line=entry[2])


class Headers:
    """Case-insensitive, order-keeping, read-only multi-map of header fields.

    Lookup accepts full or compact names (``headers.get("f")`` is From).
    Iteration yields ``(name, value)`` pairs in message order.

    Args:
        entries: ``(name, value, line)`` for each field, in message order.
        max_elements: Bound on the elements of one list header.
    """

    __slots__ = ("_by_key", "_entries", "_fields", "_first", "_max_elements", "_scans", "_text")

    def __init__(self, entries: Iterable[tuple[str, str, int]], *, max_elements: int = 64) -> None:
        self._text, self._first, self._scans = "", 0, 0
        self._max_elements = max_elements
        self._fields: tuple[HeaderField, ...] | None = None
        self._entries: tuple[tuple[str, str, int], ...] = ()
        self._by_key: dict[str, list[tuple[str, str, int]]] | None = None
        self._index(tuple(entries))

    @classmethod
    def _deferred(cls, text: str, first: int, max_elements: int) -> Headers:
        """Headers over a validated head without folding, split only when needed."""
        self = cls.__new__(cls)
        self._text, self._first, self._max_elements = "\n" + text, first, max_elements
        self._by_key, self._entries, self._fields, self._scans = None, (), None, 0
        return self

    def _index(self, entries: tuple[tuple[str, str, int], ...] | None = None) -> None:
        self._entries = entries if entries is not None else unfolded_fields(self._text, self._first)
        by_key: dict[str, list[tuple[str, str, int]]] = {}
        for entry in self._entries:
            key = _key(entry[0])
            found = by_key.get(key)
            if found is None:
                by_key[key] = [entry]
            else:
                found.append(entry)
        self._by_key = by_key

    def _named(self, name: str) -> list[tuple[str, str, int]]:
        if self._by_key is None and self._scans < _SCANS_BEFORE_INDEX:
            self._scans += 1
            return self._scan(_key(name))
        if self._by_key is None:
            self._index()
        assert self._by_key is not None
        return self._by_key.get(_key(name), [])

    def _scan(self, key: str) -> list[tuple[str, str, int]]:
        # One C-level search for one header instead of splitting the whole head.
        text, first = self._text, self._first
        return [
            (m[1], m[2].strip(_TRIM), first + text.count("\n", 0, m.start()))
            for m in _scanner(key).finditer(text)
        ]

    def _all(self) -> tuple[tuple[str, str, int], ...]:
        if self._by_key is None:
            self._index()
        return self._entries

    @property
    def fields(self) -> tuple[HeaderField, ...]:
        """Every field, in order."""
        if self._fields is None:
            self._fields = tuple(_field(e) for e in self._all())
        return self._fields

    def fields_named(self, name: str) -> tuple[HeaderField, ...]:
        """The fields with this name, in order."""
        return tuple(_field(e) for e in self._named(name))

    def get(self, name: str) -> str | None:
        """The first value of a header, or ``None``."""
        if self._by_key is None:  # one search, no line numbers needed
            match = _scanner(_key(name)).search(self._text)
            return match[2].strip(_TRIM) if match else None
        found = self._named(name)
        return found[0][1] if found else None

    def _keys(self) -> set[str]:
        """The lower-case full names present (splits the head)."""
        if self._by_key is None:
            self._index()
        assert self._by_key is not None
        return set(self._by_key)

    def _values(self, key: str) -> list[str]:
        """The values of a header given by its lower-case full name (the hot path)."""
        if self._by_key is None:
            return [m[2].strip(_TRIM) for m in _scanner(key).finditer(self._text)]
        return [e[1] for e in self._by_key.get(key, ())]

    def get_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header, one per header field, in order."""
        return tuple(e[1] for e in self._named(name))

    def get_list(self, name: str) -> tuple[tuple[str, int], ...]:
        """The elements of a list header with their line numbers.

        Each field is split at commas outside quotes and angle brackets.

        Raises:
            SipParseError: ``sip-unterminated``, or ``sip-too-many-elements``.
        """
        entries = self._named(name)
        out = [(v, line) for _, value, line in entries for v in split_list(value, line=line)]
        if len(out) > self._max_elements:
            raise SipParseError(
                f"{name} has {len(out)} elements, limit {self._max_elements}",
                code="sip-too-many-elements",
                line=entries[0][2],
            )
        return tuple(out)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._named(name))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((name, value) for name, value, _ in self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return f"Headers({list(self)!r})"
