"""Sphinx configuration for shakentrace."""

from __future__ import annotations

project = "shakentrace"
author = "The shakentrace developers"
copyright = "2026, The shakentrace developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
]
html_theme = "furo"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "cryptography": ("https://cryptography.io/en/latest/", None),
}
# The docs build offline (CI has no network): intersphinx inventories are optional,
# and references to names they would resolve are not failures.
intersphinx_disabled_reftypes = ["*"]
nitpick_ignore_regex = [
    (r"py:.*", r"(datetime|ipaddress|collections\.abc|typing|pathlib)\..*"),
    (r"py:.*", r"cryptography\..*"),
    (r"py:class", r"(Path|Sequence|Iterable|Iterator|Mapping|Callable|Any|Literal|Self)"),
]
exclude_patterns = ["_build"]
