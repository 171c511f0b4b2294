"""Text that is safe to show on a terminal, whatever the capture held.

Captures come from whoever sent the call. A PASSporT claim, a certificate's
subject or a SIP header can hold ESC (``\\x1b``), the 8-bit CSI (``U+009B``), a
carriage return or a bidirectional override: shown raw, such a value could clear
the analyst's screen, move the cursor over a finding, hide the text after it, set
the window title or reorder what is read. :func:`printable` writes each of those
characters as an escape (``\\x1b``, ``\\u202e``) instead; line feeds and tabs stay.
"""

from __future__ import annotations

import re

__all__ = ["one_line", "printable"]

# C0 controls but tab and line feed, DEL and the C1 controls, the bidirectional
# marks, embeddings, overrides and isolates, the line and paragraph separators,
# and lone surrogates (a JSON "\\ud800" escape: no terminal encoding can write one).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could steer a terminal written as an escape.

    >>> printable("origid \\x1b[2J\\u202eevil")
    'origid \\\\x1b[2J\\\\u202eevil'
    """
    return _UNSAFE.sub(_escape, text)


def one_line(text: str) -> str:
    """``text`` as one line of a report: its line feeds written as ``\\n``.

    A value from the calls or from another provider's hop record may hold a line
    feed; obeyed, it would add a line of the sender's own to the report.
    """
    return text.replace("\n", "\\n")
