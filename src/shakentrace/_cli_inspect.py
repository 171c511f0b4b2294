"""``shakentrace inspect FILE``: the parsed headers and numbers of one SIP message."""

from __future__ import annotations

import argparse
import json
import sys

from shakentrace.sip import SipMessage, parse_sip
from shakentrace.uri import NameAddr

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inspect`` subcommand to the ``shakentrace`` command line."""
    parser = commands.add_parser(
        "inspect",
        help="print the parsed headers and numbers of a SIP message",
        description="Parse one SIP message (a text file, '-' for stdin) and print what it says.",
    )
    parser.add_argument("file", help="the SIP message; '-' reads stdin")
    parser.add_argument("--json", action="store_true", help="print JSON facts instead of text")
    parser.set_defaults(handler=_run)


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as stream:
        return stream.read()


def _run(args: argparse.Namespace) -> int:
    data = _read(args.file)
    msg = parse_sip(data)
    if args.json:
        print(json.dumps(msg.to_dict(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(_text(msg)))
    return 0


def _tn(address: NameAddr | None) -> str:
    if address is None:
        return "-"
    return f"{address.tn or '-'}  ({address.uri})"


def _numbers(msg: SipMessage) -> list[str]:
    # From, To and P-Asserted-Identity were checked by parse_sip, so these cannot raise.
    ruri = msg.request_uri
    lines = [
        f"  Request-URI  {ruri.tn or '-'}  ({ruri})" if ruri else "",
        f"  From         {_tn(msg.from_)}",
        f"  To           {_tn(msg.to)}",
        *(f"  PAI          {_tn(p)}" for p in msg.pai),
        f"  verstat      {msg.verstat}" if msg.verstat else "",
    ]
    return [line for line in lines if line]


def _text(msg: SipMessage) -> list[str]:
    start = (
        f"{msg.method} {msg.request_uri}"
        if msg.is_request
        else f"{msg.status_code} {msg.reason_phrase}"
    )
    lines = [start, "", "Headers:"]
    lines += [f"  {name}: {value}" for name, value in msg.headers]
    lines += ["", "Numbers:", *_numbers(msg)]
    lines += ["", f"Identity headers: {len(msg.identities)}"]
    lines += [f"  [{i}] {value}" for i, value in enumerate(msg.identities, 1)]
    problems = msg.to_dict()["errors"]
    if problems:
        lines += ["", "Malformed headers:"]
        lines += [f"  line {p['line']}: {p['field']} ({p['code']})" for p in problems]
    return lines
