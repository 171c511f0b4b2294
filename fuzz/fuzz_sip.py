"""parse_sip and every accessor of SipMessage: SipParseError or a value, never a crash.

``to_dict()`` must never raise (each malformed header is listed under ``errors``)
and must give data ``json.dumps`` accepts.
"""

from __future__ import annotations

import contextlib
import json

import atheris
from _harness import contract, main

with atheris.instrument_imports(include=["shakentrace"]):
    from shakentrace.errors import SipParseError
    from shakentrace.sip import SipMessage, parse_sip

ACCESSORS = tuple(
    name
    for name in dir(SipMessage)
    if not name.startswith("_") and isinstance(getattr(SipMessage, name), property)
)


def one_input(data: bytes) -> None:
    with contract():
        # The str form too: parse_sip encodes it, so a lone surrogate must be refused cleanly.
        source: bytes | str = (
            data[1:].decode("utf-8", "surrogateescape") if data[:1] == b"s" else data
        )
        message = parse_sip(source)
        for name in ACCESSORS:
            with contextlib.suppress(SipParseError):
                getattr(message, name)
        json.dumps(message.to_dict())
        for value in message.identities:
            assert isinstance(value, str)


if __name__ == "__main__":
    main(one_input)
