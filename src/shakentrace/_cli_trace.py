"""``shakentrace trace FILE… --provider NAME --directory FILE``: captures to a traceback.

Each file is one provider's capture of the INVITEs it received (``--provider``
once for all files, or once per file in order). Every INVITE is verified as of
its capture time and turned into a hop record
(:func:`shakentrace.traceback.infer_hop`, with the packet's source address as the
upstream peer evidence). The hops are split into calls
(:func:`shakentrace.calls.split_calls`: by PASSporT, and where a hop stripped or
re-signed it, by the capture upstream of the same called number moments earlier)
and each call's hops are linked into one path (:func:`shakentrace.linking.link`). Output:
the :mod:`shakentrace.report` text per call, ``--json`` (one traceback object
per line), and with ``--html OUT`` a self-contained page per call. ``--hops
FILE`` adds the hop records other providers sent (the JSON lines of their own
``trace --json``, or single hop records: :meth:`shakentrace.hop.Hop.from_dict`),
which are linked with ours as if we held their captures; the PASSporT of each
is verified again here (:func:`shakentrace.traceback.reverify_hop`). With
``--campaigns``, the calls are grouped instead, as ``shakentrace campaigns`` groups
them (:meth:`shakentrace.campaigns.CallRecord.from_traceback`: each call counts
once, with the evidence of the capture nearest its origin).
"""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from shakentrace._cli_certs import CertSource
from shakentrace._cli_io import Console, mapped, open_input
from shakentrace._cli_verify import (
    Unreadable,
    add_campaign_options,
    add_verifying_options,
    make_verifier,
    parse_moment,
    reported,
    show_campaigns,
    verified_invite,
)
from shakentrace._printable import one_line
from shakentrace.calls import split_calls
from shakentrace.campaigns import CallRecord
from shakentrace.capture import CapturedMessage
from shakentrace.errors import ConfigurationError, HopRecordError
from shakentrace.hop import Hop
from shakentrace.linking import Traceback, link
from shakentrace.providers import ProviderDirectory
from shakentrace.report import to_html, to_text
from shakentrace.traceback import infer_hop, reverify_hop

__all__ = ["register"]

_STATE: dict[str, Any] = {}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``trace`` subcommand."""
    parser = commands.add_parser(
        "trace",
        help="hop records and the linked traceback of each call",
        description="Turn providers' captures into hop records and linked tracebacks.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="one capture per provider (text, pcap or pcapng; '-' reads stdin)",
    )
    parser.add_argument(
        "--directory",
        required=True,
        metavar="FILE",
        help="provider directory: providers by OCN and peers by address, trunk group and"
        " domain (TOML or JSON, as examples/directory.toml; or an OCN CSV)",
    )
    parser.add_argument(
        "--provider",
        action="append",
        default=[],
        metavar="NAME",
        help="capturing provider (name or OCN): once for all files, or once per file",
    )
    parser.add_argument(
        "--hops",
        action="append",
        default=[],
        metavar="FILE",
        help="hop records other providers sent: JSON lines of their trace --json, repeatable",
    )
    parser.add_argument("--json", action="store_true", help="JSON lines: one traceback per call")
    parser.add_argument("--html", metavar="OUT", help="also write an HTML report (OUT-N per call)")
    parser.add_argument(
        "--campaigns",
        action="store_true",
        help="group the traced calls into campaigns instead (as the campaigns command shows them)",
    )
    add_verifying_options(parser)
    add_campaign_options(parser)
    parser.set_defaults(handler=_run)


def _providers(files: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    if not files:
        if names:  # it names who captured a FILE: without one it would mean nothing
            raise ConfigurationError(
                "--provider names who captured a FILE: leave it out with --hops alone"
            )
        return {}
    if len(names) == 1:
        return dict.fromkeys(files, names[0])
    if len(names) != len(files):
        raise ConfigurationError("give --provider once, or once per FILE")
    return dict(zip(files, names, strict=True))


def _init(
    setup: tuple[str | None, CertSource, tuple[str, ...], datetime | None],
    directory: str,
    providers: dict[str, str],
) -> None:
    trust, certs, policies, at = setup
    _STATE.update(
        verifier=make_verifier(trust, certs, policies),
        at=at,
        directory=ProviderDirectory.load(directory),
        providers=providers,
    )


def _hop(captured: CapturedMessage) -> Hop | Unreadable | None:
    """Verify one INVITE and infer its hop record (in a worker)."""
    verified = verified_invite(captured, _STATE["verifier"], _STATE["at"])
    if verified is None or isinstance(verified, Unreadable):
        return verified
    message, outcome = verified
    return infer_hop(
        message,
        outcome,
        _STATE["directory"],
        provider=_STATE["providers"][captured.source],
        peer=captured.src.address if captured.src else None,
        received_at=captured.time,
    )


# A line of a hop file: a traceback record of a few hops is some KiB; this is generous.
_MAX_LINE = 4 << 20


def _received(paths: Sequence[str]) -> Iterator[Hop]:
    """The hop records in ``paths`` (``--hops``), in order.

    Raises:
        HopRecordError: A line that is no hop or traceback record, named by file and line.
        OSError: A file cannot be read.
    """
    for path in paths:
        stream, _, owned = open_input(path)
        try:
            for number, line in enumerate(
                iter(functools.partial(stream.readline, _MAX_LINE + 1), b""), 1
            ):
                if line.strip():
                    yield from _hops_of(line, f"{path}:{number}")
        finally:
            if owned:
                stream.close()


def _hops_of(line: bytes, where: str) -> list[Hop]:
    """The hops of one JSON line: a hop record, or a traceback record (its hops)."""
    try:
        if len(line) > _MAX_LINE:
            raise HopRecordError(f"a line longer than {_MAX_LINE} bytes")
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise HopRecordError(f"not JSON ({exc})") from None
        is_traceback = isinstance(data, dict) and "hops" in data
        records = _list(data, "hops") + _list(data, "unlinked") if is_traceback else [data]
        return [replace(Hop.from_dict(record), reported_in=where) for record in records]
    except HopRecordError as exc:
        raise HopRecordError(f"{where}: {exc.message}") from None


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise HopRecordError(f"Traceback.{key}: expected a list of hop records")
    return value


def _tracebacks(hops: Sequence[Hop]) -> list[Traceback]:
    """One traceback per call (:func:`shakentrace.calls.split_calls`), in order of first capture."""
    return [link(call, directory=_STATE["directory"]) for call in split_calls(hops)]


def _text(number: int, traceback: Traceback, console: Console) -> str:
    """The call's numbers, then :func:`shakentrace.report.to_text`."""
    first = traceback.hops[0] if traceback.hops else None
    dest = ", ".join(first.dest_tns) if first else "-"
    title = f"call {number}: {(first.orig_tn if first else None) or '-'} -> {dest or '-'}"
    return console.style(one_line(title), "bold") + "\n" + to_text(traceback)


def _write_html(path: str, tracebacks: Sequence[Traceback], console: Console) -> None:
    """One self-contained page per call: OUT, or OUT-1, OUT-2... for several calls."""
    target = Path(path)
    for number, traceback in enumerate(tracebacks, start=1):
        out = (
            target
            if len(tracebacks) == 1
            else target.with_name(f"{target.stem}-{number}{target.suffix}")
        )
        title = f"Traceback of call {number}"
        out.write_text(to_html(traceback, title=title), encoding="utf-8")
    console.note(
        f"wrote {len(tracebacks)} HTML report(s) to {target.parent / target.stem}*{target.suffix}"
    )


def _run(args: argparse.Namespace) -> int:
    console: Console = args.console
    if not args.files and not args.hops:
        raise ConfigurationError("give a capture FILE, or --hops FILE")
    if args.files and not args.provider:
        raise ConfigurationError("give --provider: who captured each FILE")
    providers = _providers(args.files, args.provider)
    setup = (args.trust, CertSource.from_args(args), tuple(args.policy), parse_moment(args.at))
    _init(setup, args.directory, providers)  # bad options fail before reading (exit 2)
    if args.html and not Path(args.html).resolve().parent.is_dir():
        raise ConfigurationError(f"--html {args.html}: no such folder to write it in")
    for name in dict.fromkeys(providers.values()):
        if _STATE["directory"].provider(name) is None:
            console.warn(
                f"--provider {name!r} is not in {args.directory} (by name or OCN);"
                " its hops name it as given"
            )
    keep = args.keep  # --orig/--dest/--around (shakentrace._cli_filter)
    received = [
        reverify_hop(hop, _STATE["verifier"])
        for hop in _received(args.hops)
        if keep is None or keep.admits_hop(hop)
    ]
    unreadable: list[Unreadable] = []
    work = mapped(args, console, _hop, _init, (setup, args.directory, providers), judged=True)
    hops = list(reported(work, console, unreadable))
    tracebacks = _tracebacks(hops + received)
    if args.campaigns:
        records = map(CallRecord.from_traceback, tracebacks)
        show_campaigns(records, args, console, _STATE["directory"])
    else:
        for number, traceback in enumerate(tracebacks, start=1):
            if args.json:
                console.json(traceback.to_dict())
            else:
                console.line(_text(number, traceback, console))
    if args.html:
        _write_html(args.html, tracebacks, console)
    # Our own verdicts only: a received hop's signer was judged by its sender, and
    # counts only where we verified its PASSporT again and it failed here.
    unverified = any(hop.signer is None or not hop.signer.verified for hop in hops) or any(
        hop.reverified is False for hop in received
    )
    return 2 if unreadable else 1 if unverified else 0
