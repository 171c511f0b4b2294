"""Faster construction of the frozen, slotted result dataclasses on the verify path.

A frozen dataclass's generated ``__init__`` sets every field through
``object.__setattr__`` (the way around its own ``__setattr__``), a global
look-up and a generic call per field; for the dozen result objects one
verification builds (a PASSporT has 23 fields) that is a measurable share of the
time. :func:`builder` makes a keyword-only function that fills the same slots
on an instance of a plain twin class (same slots, so the same layout: the
interpreter stores each field in a few instructions) and then makes it an
instance of the dataclass by assigning ``__class__``, which Python allows
between classes of the same layout. The object is the one ``__init__`` would
give: the builder is generated from the class's fields, so it cannot miss one;
a field left out of ``__init__`` gets what ``__init__`` gives it (a fresh
``default_factory()`` value, or its default), and classes whose ``__init__``
does more (a ``__post_init__``) are refused. The tests compare the two.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["builder"]

_T = TypeVar("_T")


def builder(cls: type[_T]) -> Callable[..., _T]:
    """A keyword-only constructor of ``cls`` that every field must be passed to.

    Raises:
        TypeError: ``cls`` is not a frozen slotted dataclass whose ``__init__``
            only stores its fields, or its slots are not all its own.
    """
    params = getattr(cls, "__dataclass_params__", None)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if params is None or not params.frozen or not hasattr(cls, "__slots__"):
        raise TypeError(f"{cls.__name__} is not a frozen slotted dataclass")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}.__init__ does more than store its fields")
    names = [f.name for f in fields if f.init]
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_twin": _twin(cls)}
    # Generated as dataclasses generates __init__ itself: one line per field.
    body = "".join(f"    self.{name} = {name}\n" for name in names)
    body += "".join(_left_out(f, namespace) for f in fields if not f.init)
    source = (
        f"def build(*, {', '.join(names)}):\n    self = _new(_twin)\n{body}"
        "    self.__class__ = _cls\n    return self\n"
    )
    exec(source, namespace)
    build: Callable[..., _T] = namespace["build"]
    build.__qualname__ = build.__name__ = f"build_{cls.__name__}"
    return build


def _left_out(field: dataclasses.Field[Any], namespace: dict[str, Any]) -> str:
    """The line setting a field ``__init__`` does not take, as a slotted ``__init__`` sets it."""
    if field.default_factory is not dataclasses.MISSING:
        namespace[f"_make_{field.name}"] = field.default_factory
        return f"    self.{field.name} = _make_{field.name}()\n"
    if field.default is not dataclasses.MISSING:
        namespace[f"_default_{field.name}"] = field.default
        return f"    self.{field.name} = _default_{field.name}\n"
    return ""  # __init__ leaves it unset too


def _twin(cls: type[Any]) -> type[Any]:
    """A plain class with ``cls``'s slots: filled by fast attribute stores, then made a ``cls``."""
    twin = type(f"_{cls.__name__}Slots", (), {"__slots__": cls.__slots__})
    probe: Any = object.__new__(twin)
    probe.__class__ = cls  # TypeError here if the layouts differ (a slotted base class)
    return twin
