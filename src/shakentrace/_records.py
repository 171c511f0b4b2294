"""Records back from their JSON data: the reader behind the hop types' ``from_dict``.

A hop record travels between providers as the JSON of ``to_dict()``. The reader
follows each dataclass field's annotation (``str | None``, ``tuple[Finding, ...]``,
a nested record…), so the record types and their readers cannot drift apart. Keys
are a contract that only grows (never renamed or removed): a key the reader does
not know is ignored (a newer sender, or a derived value such as ``conflicting``),
and a missing key takes the field's default, so records of older and newer
versions read alike. Anything else, a wrong type or a missing required key, is a
:class:`~shakentrace.errors.HopRecordError` naming the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from datetime import datetime
from typing import Any, TypeVar

from shakentrace.errors import HopRecordError

__all__ = ["MAX_ITEMS", "MAX_TEXT", "Readers", "choice", "items", "read_record", "text"]

#: Longest text value read (a URL, a reason in words).
MAX_TEXT = 4096
#: Most items read in one list (evidence, findings, keys, diversions).
MAX_ITEMS = 256

_R = TypeVar("_R")


def _fail(where: str, expected: str, value: Any) -> HopRecordError:
    return HopRecordError(f"{where}: expected {expected}, got {_shown(value)}")


def _shown(value: Any) -> str:
    """A short repr, or the type's name (a huge integer has no repr in CPython 3.11+)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return "a large integer"
    text = repr(value) if isinstance(value, str | int | float | None) else ""
    return text if 0 < len(text) <= 40 else f"a {type(value).__name__}"


def text(limit: int) -> Callable[[Any, str], str]:
    """A reader of a string of at most ``limit`` characters (a longer kind of text)."""

    def read(value: Any, where: str) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise _fail(where, f"a string of at most {limit} characters", value)
        return value

    return read


_text = text(MAX_TEXT)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, "a number", value)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise _fail(where, "a finite number", value)
    return number


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value.bit_length() > 63:
        raise _fail(where, "an integer of at most 64 bits", value)
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(where, "true or false", value)
    return value


def _moment(value: Any, where: str) -> datetime:
    text = _text(value, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise _fail(where, "an ISO 8601 time with a zone (…Z)", value)
    return moment


_SCALARS: dict[str, Callable[[Any, str], Any]] = {
    "str": _text,
    "float": _number,
    "int": _integer,
    "bool": _flag,
    "datetime": _moment,
}


Readers = Mapping[str, "type | Callable[[Any, str], Any]"]


def _reader(annotation: str, records: Readers) -> Callable[[Any, str], Any]:
    """A function reading a value of ``annotation`` (a field's annotation text)."""
    if annotation.endswith(" | None"):
        inner = _reader(annotation.removesuffix(" | None"), records)
        return lambda value, where: None if value is None else inner(value, where)
    found = records.get(annotation)
    if isinstance(found, type):
        return lambda value, where: read_record(found, value, records, where)
    if found is not None:
        return found
    if annotation.startswith("tuple[") and annotation.endswith(", ...]"):
        return items(_reader(annotation[6:-6], records))
    return _SCALARS[annotation]


def items(
    item: Callable[[Any, str], Any], most: int = MAX_ITEMS
) -> Callable[[Any, str], tuple[Any, ...]]:
    """A reader of a list of at most ``most`` values ``item`` reads (a ``tuple[…, ...]`` field)."""

    def read(value: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(value, list) or len(value) > most:
            raise _fail(where, f"a list of at most {most} items", value)
        return tuple(item(v, f"{where}[{i}]") for i, v in enumerate(value))

    return read


def choice(*allowed: str) -> Callable[[Any, str], str]:
    """A reader of one of ``allowed`` strings (a ``Literal`` field)."""

    def read(value: Any, where: str) -> str:
        if value not in allowed:
            raise _fail(where, "one of " + ", ".join(allowed), value)
        return str(value)

    return read


def read_record(kind: type[_R], data: Any, records: Readers, where: str) -> _R:
    """Build a ``kind`` dataclass from its ``to_dict()`` data.

    Args:
        kind: The record type (a dataclass whose fields are annotated as text).
        data: The decoded JSON object.
        records: By annotation text, the record types that may nest, and readers
            of other named types (a ``Literal`` alias: :func:`choice`) or of a
            whole annotation (a shorter list: :func:`items`).
        where: The key path so far, for messages (``Hop``, ``Hop.upstream``…).

    Raises:
        HopRecordError: A wrong type, a missing required key, a value too large.
    """
    if not isinstance(data, Mapping):
        raise _fail(where, "an object", data)
    values = {}
    for f in fields(kind):  # type: ignore[arg-type]
        key = f"{where}.{f.name}"
        if f.name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise HopRecordError(f"{key}: missing")
            continue
        values[f.name] = _reader(str(f.type), records)(data[f.name], key)
    return kind(**values)
