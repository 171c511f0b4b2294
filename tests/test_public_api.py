"""The public surface: __all__ is exactly the public names, each documented."""

from __future__ import annotations

import inspect

import pytest

import shakentrace


def test_all_lists_exactly_the_public_names() -> None:
    """``dir()``, not ``vars()``: a public name is in the module's dict only once used."""
    public = {
        name
        for name in dir(shakentrace)
        if not name.startswith("_") and not inspect.ismodule(getattr(shakentrace, name))
    }
    assert sorted(shakentrace.__all__) == sorted(public | {"__version__"})


@pytest.mark.parametrize("name", [n for n in shakentrace.__all__ if not n.startswith("__")])
def test_every_public_name_has_a_docstring(name: str) -> None:
    value = getattr(shakentrace, name)
    if isinstance(value, (dict, str)):
        return  # data: documented in the module (autodata)
    assert inspect.getdoc(value), f"{name} has no docstring"
