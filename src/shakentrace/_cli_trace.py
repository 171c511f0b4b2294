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
per line), and with ``--html OUT`` a self-contained page per call. With
``--campaigns``, the calls are grouped instead, as ``shakentrace campaigns`` groups
them (:meth:`shakentrace.campaigns.CallRecord.from_traceback`: each call counts
once, with the evidence of the capture nearest its origin).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from shakentrace._cli_certs import CertSource
from shakentrace._cli_io import Console, mapped
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
from shakentrace.calls import split_calls
from shakentrace.campaigns import CallRecord
from shakentrace.capture import CapturedMessage
from shakentrace.errors import ConfigurationError
from shakentrace.hop import Hop
from shakentrace.linking import Traceback, link
from shakentrace.providers import ProviderDirectory
from shakentrace.report import to_html, to_text
from shakentrace.traceback import infer_hop

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
        nargs="+",
        metavar="FILE",
        help="one capture per provider (text, pcap or pcapng; '-' reads stdin)",
    )
    parser.add_argument("--directory", required=True, metavar="FILE", help="provider directory")
    parser.add_argument(
        "--provider",
        action="append",
        required=True,
        metavar="NAME",
        help="capturing provider (name or OCN): once for all files, or once per file",
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


def _tracebacks(hops: Sequence[Hop]) -> list[Traceback]:
    """One traceback per call (:func:`shakentrace.calls.split_calls`), in order of first capture."""
    return [link(call, directory=_STATE["directory"]) for call in split_calls(hops)]


def _text(number: int, traceback: Traceback, console: Console) -> str:
    """The call's numbers, then :func:`shakentrace.report.to_text`."""
    first = traceback.hops[0] if traceback.hops else None
    dest = ", ".join(first.dest_tns) if first else "-"
    title = f"call {number}: {(first.orig_tn if first else None) or '-'} -> {dest or '-'}"
    return console.style(title, "bold") + "\n" + to_text(traceback)


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
    unreadable: list[Unreadable] = []
    work = mapped(args, console, _hop, _init, (setup, args.directory, providers), judged=True)
    hops = list(reported(work, console, unreadable))
    tracebacks = _tracebacks(hops)
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
    unverified = any(hop.signer is None or not hop.signer.verified for hop in hops)
    return 2 if unreadable else 1 if unverified else 0
