"""``NAME=VALUE`` command-line options onto frozen configuration dataclasses.

``--policy`` sets :class:`~shakentrace.verify.Policy` fields and ``--fetch-policy``
:class:`~shakentrace.fetch.FetchPolicy` fields, the same way: each value is read
as the type of the field's default (seconds for durations, comma-separated lists
for tuples), and a bad one is a one-line :class:`ConfigurationError` naming the flag.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from shakentrace.errors import ConfigurationError

__all__ = ["replaced"]

_Config = TypeVar("_Config")

_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS |= {"0": False, "false": False, "no": False, "off": False}
_KINDS = {
    bool: "true or false",
    timedelta: "a number of seconds",
    int: "a whole number",
    float: "a number",
    tuple: "a comma-separated list",
}


def replaced(config: _Config, pairs: Sequence[str], flag: str) -> _Config:
    """``config`` with each ``NAME=VALUE`` of ``pairs`` set (``dataclasses.replace``).

    Raises:
        ConfigurationError: Not ``NAME=VALUE``, no such public field, a value not
            of the field's type, or one the configuration itself refuses.
    """
    for pair in pairs:
        name, equals, text = pair.partition("=")
        settable = {f.name for f in dataclasses.fields(config) if f.init}  # type: ignore[arg-type]
        if not equals or name.startswith("_") or name not in settable:
            kind = type(config).__name__
            raise ConfigurationError(f"{flag} {pair!r}: expected NAME=VALUE with a {kind} field")
        current = getattr(config, name)
        try:
            value = _value(current, text)
        except (ValueError, OverflowError):
            raise ConfigurationError(
                f"{flag} {pair!r}: {name} takes {_KINDS[type(current)]}"
            ) from None
        if value is None:
            raise ConfigurationError(f"{flag} {name} cannot be set from the command line")
        try:
            config = dataclasses.replace(config, **{name: value})  # type: ignore[type-var]
        except ConfigurationError as exc:
            raise ConfigurationError(f"{flag} {pair!r}: {exc.message}") from None
    return config


def _value(current: object, text: str) -> Any:
    """``text`` as a value of ``current``'s type; ``None`` for types the command line cannot set.

    Raises:
        ValueError: ``text`` is not such a value.
        OverflowError: A duration too large for a :class:`~datetime.timedelta`.
    """
    if isinstance(current, bool):
        if text.lower() not in _BOOLEANS:
            raise ValueError(text)
        return _BOOLEANS[text.lower()]
    if isinstance(current, timedelta):
        return timedelta(seconds=float(text))
    if isinstance(current, int | float):
        number = type(current)(text)
        if not math.isfinite(number):  # nan or inf seconds would unbound a wait
            raise ValueError(text)
        return number
    if isinstance(current, tuple):
        items = tuple(item.strip() for item in text.split(",") if item.strip())
        # A tuple of numbers (FetchPolicy.ports) stays one.
        return tuple(int(i) for i in items) if current and isinstance(current[0], int) else items
    return None
