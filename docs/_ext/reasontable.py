"""Sphinx directive ``reason-codes``: the reason-code table, generated from the code.

The table is built from :data:`shakentrace.reasons.REASON_CODES` at build time,
so the documentation cannot drift from the registry.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from shakentrace.reasons import REASON_CODES, SIP_REASON_PHRASES

_HEADERS = ("code", "severity", "SIP response", "meaning")


def _row(cells: tuple[str, ...]) -> nodes.row:
    row = nodes.row()
    for text in cells:
        entry = nodes.entry()
        entry += nodes.paragraph(text=text)
        row += entry
    return row


class ReasonCodes(SphinxDirective):
    """Insert a table of every registered reason code."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Build the table node."""
        group = nodes.tgroup(cols=len(_HEADERS))
        for width in (18, 8, 26, 48):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        head += _row(_HEADERS)
        body = nodes.tbody()
        for entry in REASON_CODES.values():
            sip = (
                f"{entry.sip_code} {SIP_REASON_PHRASES.get(entry.sip_code, '')}".strip()
                if entry.sip_code
                else "—"
            )
            body += _row((entry.code, entry.severity, sip, entry.meaning))
        group += head
        group += body
        table = nodes.table(classes=["reason-codes"])
        table += group
        return [table]


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directive."""
    app.add_directive("reason-codes", ReasonCodes)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
