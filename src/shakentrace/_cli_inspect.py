"""``shakentrace inspect FILE…``: decode SIP messages without verifying them.

Each INVITE (every message with ``--all``) of each input (text, pcap, pcapng;
``-`` for stdin): its parsed headers and numbers, each Identity header with its
PASSporT header and claims, and the signing certificate's facts when ``--certs``
holds the x5u chain. ``--json`` prints one object per message: the
:meth:`shakentrace.sip.SipMessage.to_dict` facts plus ``capture`` (file, frame,
time, addresses) and ``passports`` (each Identity decoded). A message that does
not parse is reported on stderr and makes the exit code 2; the others still print.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from shakentrace._cli_certs import CertSource, add_cert_options
from shakentrace._cli_filter import add_filter_options
from shakentrace._cli_io import (
    Console,
    add_jobs_option,
    identity_values,
    is_tty,
    json_line,
    mapped,
)
from shakentrace._cli_views import identity_view, identity_views, passport_text, quietly
from shakentrace._sipdict import FIELDS, message_to_dict
from shakentrace.capture import CapturedMessage
from shakentrace.errors import ConfigurationError, ShakenTraceError, SipParseError
from shakentrace.fetch import Fetcher
from shakentrace.sip import SipMessage, parse_sip
from shakentrace.uri import NameAddr

__all__ = ["JSON_KEYS", "register"]

_FETCHER: list[Fetcher | None] = [None]
_RUN = 256
_MODE: dict[str, bool] = {"every": False, "json": False}
_CONSOLE: list[Console] = []  # renders the text view (in a worker: with the parent's mark)
_FIELDS: list[frozenset[str] | None] = [None]
#: The keys of an ``inspect --json`` object, in order.
JSON_KEYS = (*FIELDS, "capture", "passports")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``inspect`` subcommand to the ``shakentrace`` command line."""
    parser = commands.add_parser(
        "inspect",
        help="decode SIP messages (headers, numbers, PASSporTs) without verifying",
        description="Decode the INVITEs of SIP text files and packet captures.",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="text, pcap or pcapng; '-' reads stdin"
    )
    parser.add_argument("--json", action="store_true", help="JSON lines: one object per message")
    parser.add_argument(
        "--fields",
        metavar="NAME,...",
        help="with --json, only these keys (e.g. call_id,from,to,passports,capture),"
        " computing nothing else",
    )
    parser.add_argument("--all", action="store_true", help="every message, not only INVITEs")
    parser.add_argument(
        "--identity",
        action="store_true",
        help="each input line is an Identity header value, decoded alone (no SIP message)",
    )
    add_cert_options(parser, "x5u chains (folder or bundle) for certificate facts")
    add_filter_options(parser)
    add_jobs_option(parser)
    parser.set_defaults(handler=_run)


def _init(
    certs: CertSource,
    every: bool,
    as_json: bool,
    style: tuple[bool, str],
    fields: frozenset[str] | None,
) -> None:
    _FETCHER[0] = certs.fetcher()
    _MODE.update(every=every, json=as_json)
    _CONSOLE[:] = [Console(colour=style[0], mark=style[1])]
    _FIELDS[0] = fields


def _fields(args: argparse.Namespace) -> frozenset[str] | None:
    """``--fields``: the JSON keys asked for, checked (``None``: every key).

    Raises:
        ConfigurationError: Without ``--json``, or a key no message has.
    """
    if args.fields is None:
        return None
    if not args.json:
        raise ConfigurationError("--fields selects JSON keys: give --json too")
    names = frozenset(name.strip() for name in args.fields.split(",") if name.strip())
    unknown = sorted(names - set(JSON_KEYS))
    if unknown or not names:
        wrong = ", ".join(unknown) or "no key"
        raise ConfigurationError(f"--fields {args.fields!r}: {wrong}; keys: {', '.join(JSON_KEYS)}")
    return names


def _one(captured: CapturedMessage) -> tuple[bool | None, str]:
    """Parse, decode and render one message (in a worker).

    Returns ``(True, output)``, ``(False, error line)``, or ``(None, "")`` for a
    message left out (not an INVITE, without ``--all``).
    """
    try:
        msg = parse_sip(captured.data)
    except SipParseError as exc:
        return False, f"{_where(captured)}: {exc}"
    if not _MODE["every"] and msg.method != "INVITE":
        return None, ""
    if _MODE["json"]:
        return True, json_line(_record(msg, captured, _FIELDS[0]))
    passports = identity_views(msg, _FETCHER[0])
    return True, _render(captured, _text(msg, msg.to_dict()["errors"]), passports, _CONSOLE[0])


def _record(
    msg: SipMessage, captured: CapturedMessage, fields: frozenset[str] | None
) -> dict[str, Any]:
    """The JSON object: every key, or those of ``--fields``, each computed only if asked."""
    out = message_to_dict(msg, fields)
    if fields is None or "capture" in fields:
        out["capture"] = captured.to_dict()
    if fields is None or "passports" in fields:
        out["passports"] = identity_views(msg, _FETCHER[0])
    return out


def _where(captured: CapturedMessage) -> str:
    return f"{captured.source}:{captured.frame or captured.line or captured.index + 1}"


def _run(args: argparse.Namespace) -> int:
    console: Console = args.console
    setup = (
        CertSource.from_args(args),
        bool(args.all),
        bool(args.json),
        (console.colour, console.mark),
        _fields(args),
    )
    _init(*setup)  # a bad --certs fails before reading
    if args.identity:
        return _identities(args, console)
    failed, shown, left_out = False, 0, 0
    pending: list[str] = []  # written in runs (one write for many lines), not on a terminal
    run = 1 if is_tty(console.out) or console.live else _RUN
    write = console.encoded if args.json else console.lines
    for ok, output in mapped(args, console, _one, _init, setup):
        if ok:
            pending.append(output)
            shown += 1
            if len(pending) < run:
                continue
        elif ok is None:
            left_out += 1
            continue
        write(pending)
        pending.clear()
        if ok is False:
            console.error(output)
            failed = True
    write(pending)
    if left_out and not shown:
        console.note(f"{left_out} SIP message(s), none an INVITE; --all shows every message")
    return 2 if failed else 0


def _identities(args: argparse.Namespace, console: Console) -> int:
    """``inspect --identity``: each value's parameters, PASSporT and certificate facts.

    JSON: ``capture`` (file and line) and ``passports`` (the one value decoded),
    as ``inspect --json`` gives them for a message. A value that does not decode
    is shown with its error and makes the exit code 2, as a message that does
    not parse does.
    """
    if args.keep is not None or args.all:
        raise ConfigurationError("--all, --orig, --dest and --around pick SIP messages")
    fields = _FIELDS[0]
    if fields is not None and not fields <= {"capture", "passports"}:
        raise ConfigurationError("with --identity, --fields takes capture and passports")
    undecoded = False
    for captured in identity_values(args.files, console):
        view = identity_view(captured.data.decode(), _FETCHER[0])
        undecoded = undecoded or "error" in view
        if args.json:
            record = {"capture": captured.to_dict(), "passports": [view]}
            console.json({k: v for k, v in record.items() if fields is None or k in fields})
        else:
            params = (view.get("header") or {}).get("params") or {}
            shown = "  ".join(f"{name}={value}" for name, value in params.items()) or "-"
            lines = [console.style(f"== {_where(captured)}", "bold"), f"  params  {shown}"]
            view_lines = passport_text(1, view, console)[2:]  # less its blank line and title
            console.line("\n".join(lines + view_lines))
    return 2 if undecoded else 0


def _render(
    captured: CapturedMessage, text: list[str], passports: list[dict[str, Any]], console: Console
) -> str:
    lines = []
    if captured.frame is not None or captured.time is not None:
        where = f"{_where(captured)}  {captured.time.isoformat() if captured.time else '-'}"
        lines.append(console.style(f"== {where}  {captured.src} -> {captured.dst}", "bold"))
    lines += text
    for n, view in enumerate(passports, start=1):
        lines += passport_text(n, view, console)
    return "\n".join(lines) + ("\n" if captured.frame is not None else "")


def _tn(address: NameAddr | None) -> str:
    if address is None:
        return "-"
    return f"{address.tn or '-'}  ({address.uri})"


def _addresses(label: str, read: Callable[[], NameAddr | tuple[NameAddr, ...] | None]) -> list[str]:
    """One line per address ``read()`` gives; a header that does not parse says so."""
    try:
        found = read()
    except ShakenTraceError as exc:
        return [f"  {label:<12} -  (malformed: {exc.code})"]
    if isinstance(found, tuple):  # P-Asserted-Identity: a line each, none if absent
        return [f"  {label:<12} {_tn(address)}" for address in found]
    return [f"  {label:<12} {_tn(found)}"]


def _numbers(msg: SipMessage) -> list[str]:
    ruri = msg.request_uri  # checked by parse_sip: never raises
    verstat = quietly(lambda: msg.verstat)
    return [
        *([f"  Request-URI  {ruri.tn or '-'}  ({ruri})"] if ruri else []),
        *_addresses("From", lambda: msg.from_),
        *_addresses("To", lambda: msg.to),
        *_addresses("PAI", lambda: msg.pai),
        *([f"  verstat      {verstat}"] if verstat else []),
    ]


def _text(msg: SipMessage, problems: list[dict[str, Any]]) -> list[str]:
    start = (
        f"{msg.method} {msg.request_uri}"
        if msg.is_request
        else f"{msg.status_code} {msg.reason_phrase}"
    )
    lines = [start, "", "Headers:"]
    lines += [f"  {name}: {value}" for name, value in msg.headers]
    lines += ["", "Numbers:", *_numbers(msg)]
    identities = quietly(lambda: msg.identities) or ()  # too many: under Malformed headers
    lines += ["", f"Identity headers: {len(identities)}"]
    lines += [f"  [{i}] {value}" for i, value in enumerate(identities, 1)]
    if problems:
        lines += ["", "Malformed headers:"]
        lines += [f"  line {p['line']}: {p['field']} ({p['code']})" for p in problems]
    return lines
