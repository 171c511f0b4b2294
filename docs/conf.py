"""Sphinx configuration for shakentrace."""

from __future__ import annotations

import sys
from pathlib import Path

# Document the source next to this file (each git worktree builds its own code).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
# Local extensions (reasontable: the reason-code table generated from the code).
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "shakentrace"
author = "The shakentrace developers"
copyright = "2026, The shakentrace developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "reasontable",
]
html_theme = "furo"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
nitpick_ignore_regex = [
    (r"py:.*", r"(datetime|ipaddress|collections\.abc|typing|pathlib|enum|ssl|socket|http)\..*"),
    (r"py:.*", r"cryptography\..*"),
    (r"py:class", r"(x509|ec|verification)\..*"),
    (r"py:class", r"(Path|Sequence|Iterable|Iterator|Mapping|Callable|Any|Literal|Self)"),
    (r"py:class", r"(datetime|timedelta|os\.PathLike)"),
]
exclude_patterns = ["_build"]
