"""``shakentrace verify`` and ``shakentrace campaigns``: verification over captures.

Each INVITE is verified as of its capture time (DESIGN §2 rule 6: time is
evidence), or ``--at``; certificates come from ``--certs`` (a folder or PEM
bundle, offline) and chains must lead to ``--trust``. ``--jobs`` processes share
the work (each with its own :class:`~shakentrace.verify.Verifier` and caches);
results keep the input order and memory stays bounded (batches).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from shakentrace._cli_certs import CertSource, add_cert_options, add_crl_option
from shakentrace._cli_filter import add_filter_options
from shakentrace._cli_io import (
    UNDATED,
    Console,
    add_jobs_option,
    at_least,
    identity_values,
    json_line,
    mapped,
)
from shakentrace._cli_options import replaced
from shakentrace._cli_summary import VerifySummary, call_facts
from shakentrace._cli_views import call_record, campaign_text, quietly, verify_text
from shakentrace.campaigns import CallRecord, find_campaigns
from shakentrace.capture import CapturedMessage
from shakentrace.errors import (
    CertificateParseError,
    ConfigurationError,
    FetchError,
    SipParseError,
)
from shakentrace.fetch import Fetcher
from shakentrace.providers import ProviderDirectory
from shakentrace.sip import SipMessage, parse_sip
from shakentrace.trust import TrustStore
from shakentrace.verify import Outcome, Policy, Verifier

__all__ = [
    "Unreadable",
    "add_campaign_options",
    "add_verifying_options",
    "make_verifier",
    "parse_moment",
    "parsed_invite",
    "register_campaigns",
    "register_verify",
    "reported",
    "show_campaigns",
    "trust_store",
]

EXIT_OK, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2


def trust_store(path: str | None, crl_fetcher: Fetcher | None = None) -> TrustStore | None:
    """``--trust PEM|DIR`` (CRLs also fetched by ``crl_fetcher``); a bad file is named."""
    if path is None:
        return None
    try:
        if os.path.isdir(path):
            return TrustStore.from_directory(path, crl_fetcher=crl_fetcher)
        with open(path, "rb") as handle:
            return TrustStore.from_pem(handle.read(), crl_fetcher=crl_fetcher)
    except CertificateParseError as exc:  # name the file: there are several options
        raise CertificateParseError(f"--trust {path}: {exc.message}", code=exc.code) from None


def parse_moment(text: str | None, flag: str = "--at") -> datetime | None:
    """``--at``: ISO 8601 (without a zone, UTC), or Unix seconds as a PASSporT's ``iat`` gives."""
    if text is None:
        return None
    try:
        if text.strip().isdigit():  # copied from a decoded PASSporT's iat
            return datetime.fromtimestamp(int(text), UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError) as exc:
        raise ConfigurationError(
            f"{flag} {text!r} is not an ISO 8601 time or Unix seconds"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Verification, optionally on several processes. Each worker builds its own
# Verifier (certificates and chains are cached per process).
_WORKER: dict[str, Any] = {}


def make_verifier(trust: str | None, certs: CertSource, policies: Sequence[str]) -> Verifier:
    fetcher = certs.fetcher()
    return Verifier(
        trust=trust_store(trust, certs.crl_fetcher()),
        fetcher=fetcher or _NoFetcher(),
        policy=replaced(Policy(), policies, "--policy"),
    )


class _NoFetcher:
    """Without ``--certs`` nothing is fetched: analysis is offline by default."""

    def fetch(self, url: str) -> bytes:
        raise FetchError(f"{url}: no --certs directory given (offline; --fetch fetches it)")


def _init(
    trust: str | None,
    certs: CertSource,
    policies: Sequence[str],
    at: datetime | None,
    output: str = "record",
    style: tuple[bool, str | None] = (False, None),
) -> None:
    """Worker set-up: a Verifier, the judging moment, and what to hand back.

    ``style``: the parent console's colour and mark, for the text it renders.
    """
    _WORKER.update(verifier=make_verifier(trust, certs, policies), at=at, output=output)
    _WORKER["console"] = Console(colour=style[0], mark=style[1])


@dataclasses.dataclass(frozen=True, slots=True)
class Unreadable:
    """An INVITE that does not parse: reported on stderr (exit 2), never silently left out."""

    text: str


def parsed_invite(captured: CapturedMessage) -> SipMessage | Unreadable | None:
    """The INVITE of ``captured``; :class:`Unreadable` if it is one that does not parse.

    ``None`` for other messages (and unparseable ones that are not INVITEs).
    """
    try:
        message = parse_sip(captured.data)
    except SipParseError as exc:
        if not captured.data.startswith(b"INVITE "):
            return None
        where = captured.frame or captured.line or captured.index + 1
        return Unreadable(f"{captured.source}:{where}: {exc}; INVITE not verified")
    return message if message.method == "INVITE" else None


def verified_invite(
    captured: CapturedMessage, verifier: Verifier, at: datetime | None
) -> tuple[SipMessage, Outcome] | Unreadable | None:
    """Parse one captured message and verify it as of ``at``, else its capture time.

    ``None`` unless it is an INVITE; :class:`Unreadable` for an INVITE that does not parse.
    """
    message = parsed_invite(captured)
    if message is None or isinstance(message, Unreadable):
        return message
    return message, verifier.verify(message, now=at or captured.time or datetime.now(UTC))


def reported(results: Iterable[Any], console: Console, seen: list[Unreadable]) -> Iterator[Any]:
    """``results`` without the :class:`Unreadable` ones, which go to stderr (and ``seen``)."""
    for result in results:
        item = result[1] if isinstance(result, tuple) else result
        if isinstance(item, Unreadable):
            console.error(item.text)
            seen.append(item)
        else:
            yield result


def _rendered(
    captured: CapturedMessage,
    outcome: Outcome,
    output: str,
    console: Console,
    call_id: str | None = None,
) -> Any:
    """One verified call as the parent writes it (``json``, ``text``, ``why``) or counts it
    (``summary``; ``call_id`` tells a retransmission)."""
    if output == "json":
        return json_line({**outcome.to_dict(), "capture": captured.to_dict()})
    if output == "summary":
        return call_facts(outcome, call_id)
    return verify_text(captured, outcome, console, why=output == "why")


def _verify_one(captured: CapturedMessage) -> tuple[bool, Any] | None:
    """Parse and verify one message (in a worker); ``None`` unless it is an INVITE.

    Returns ``(valid, result)``: the call as :func:`_rendered` gives it, so the
    parent only writes or counts, or its :class:`CallRecord` (``record``;
    ``claimed``: without a trust store, the signer the certificate names and no
    status).
    """
    verified = verified_invite(captured, _WORKER["verifier"], _WORKER["at"])
    if verified is None or isinstance(verified, Unreadable):
        return None if verified is None else (False, verified)
    message, outcome = verified
    valid = outcome.status == "valid"
    output = _WORKER["output"]
    if output in ("record", "claimed"):
        return valid, call_record(captured, message, outcome, judged=output == "record")
    call_id = quietly(lambda: message.call_id) if output == "summary" else None
    return valid, _rendered(captured, outcome, output, _WORKER["console"], call_id)


def _verified(
    args: argparse.Namespace, console: Console, output: str
) -> Iterator[tuple[bool, Any]]:
    """``(valid, output)`` for every INVITE of the inputs, in input order, bounded memory."""
    setup = (
        args.trust,
        CertSource.from_args(args),
        tuple(args.policy),
        parse_moment(args.at),
        output,
        (console.colour, console.mark),
    )
    make_verifier(*setup[:3])  # fail fast (exit 2) on bad --trust/--certs/--policy
    # "claimed": the signer is read, nothing judged, so no "judged as of now" warning.
    return mapped(args, console, _verify_one, _init, setup, judged=output != "claimed")


def _no_fetcher(_certs: str | None) -> None:
    """Worker initialiser for commands that fetch nothing."""


def _record_one(captured: CapturedMessage) -> CallRecord | Unreadable | None:
    message = parsed_invite(captured)
    if message is None or isinstance(message, Unreadable):
        return message
    return call_record(captured, message, None)


def _verify_values(
    args: argparse.Namespace, console: Console, output: str
) -> Iterator[tuple[bool, Any]]:
    """``verify --identity``: each value verified alone, as of ``--at`` or now."""
    if args.keep is not None:
        raise ConfigurationError("--orig, --dest and --around pick SIP messages, not --identity")
    verifier = make_verifier(args.trust, CertSource.from_args(args), args.policy)
    moment = parse_moment(args.at) or datetime.now(UTC)
    if args.at is None:
        console.warn(f"Identity values: {UNDATED}")
    for captured in identity_values(args.files, console):
        outcome = verifier.verify_identity(captured.data.decode(), now=moment)
        yield outcome.status == "valid", _rendered(captured, outcome, output, console)


def _cmd_verify(args: argparse.Namespace) -> int:
    console: Console = args.console
    failed = False
    unreadable: list[Unreadable] = []
    output = "summary" if args.summary else "json" if args.json else "why" if args.why else "text"
    verifying = _verify_values if args.identity else _verified
    summary = VerifySummary() if args.summary else None
    write = console.encoded if args.json else console.lines
    for valid, result in reported(verifying(args, console, output), console, unreadable):
        failed = failed or not valid
        if summary is None:
            write([result])
        else:
            summary.add(result)
    if summary is not None and args.json:
        console.json(summary.to_dict(len(unreadable)))
    elif summary is not None:
        console.line(summary.text(len(unreadable)))
    return EXIT_UNREADABLE if unreadable else EXIT_FAILED if failed else EXIT_OK


def _cmd_campaigns(args: argparse.Namespace) -> int:
    console: Console = args.console
    records: Iterator[CallRecord]
    if args.trust or args.certs or args.fetch:  # the certificates name the signers
        output = "record" if args.trust else "claimed"
        records = (record for _valid, record in _verified(args, console, output))
    else:
        records = mapped(args, console, _record_one, _no_fetcher, (None,))
    unreadable: list[Unreadable] = []
    directory = ProviderDirectory.load(args.directory) if args.directory else None
    show_campaigns(reported(records, console, unreadable), args, console, directory)
    return EXIT_UNREADABLE if unreadable else EXIT_OK


def show_campaigns(
    records: Iterable[CallRecord],
    args: argparse.Namespace,
    console: Console,
    directory: ProviderDirectory | None = None,
) -> None:
    """Group ``records`` (:func:`shakentrace.campaigns.find_campaigns`) and print the campaigns."""
    campaigns = find_campaigns(
        records, mask_digits=args.mask_digits, min_calls=args.min_calls, directory=directory
    )
    for campaign in campaigns[: args.top or None]:
        if args.json:
            console.json(campaign.to_dict())
        else:
            console.line(campaign_text(campaign, console))


def _common(parser: argparse.ArgumentParser, each: str) -> None:
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="text, pcap or pcapng; '-' reads stdin"
    )
    parser.add_argument("--json", action="store_true", help=f"JSON lines: one object per {each}")


def add_verifying_options(parser: argparse.ArgumentParser, *, trust_required: bool = False) -> None:
    parser.add_argument(
        "--trust", metavar="PEM|DIR", required=trust_required, help="STI-CA roots (and CRLs)"
    )
    add_cert_options(parser, "x5u chains by URL file name, or a PEM bundle")
    add_crl_option(parser)
    parser.add_argument(
        "--at",
        metavar="TIME",
        help="judge at this ISO 8601 time or Unix time, e.g. an iat (default: capture time)",
    )
    parser.add_argument(
        "--policy",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a Policy field, repeatable: max_age, future_skew (seconds), algorithms, ppts"
        " (comma-separated), require_alg, require_ppt, check_date, accept_last10 (true or"
        " false), max_identities",
    )
    add_filter_options(parser)
    add_jobs_option(parser)


def register_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``verify`` subcommand."""
    verify = commands.add_parser(
        "verify",
        help="verify each INVITE; one line (or JSON object) per call",
        description="Verify the Identity of each INVITE of SIP text files and packet captures,"
        " as of its capture time (or --at): certificates from --certs (and with --fetch"
        " from their x5u), chained to the roots of --trust. Exit 0: every call valid;"
        " 1: some call not; 2: bad usage or an unreadable input.",
    )
    _common(verify, "message")
    add_verifying_options(verify)
    verify.add_argument(
        "--identity",
        action="store_true",
        help="each input line is an Identity header value, verified alone (no SIP message)",
    )
    shown = verify.add_mutually_exclusive_group()
    shown.add_argument(
        "--why",
        action="store_true",
        help="under each call, every reason: severity, code, SIP code and message",
    )
    shown.add_argument(
        "--summary",
        action="store_true",
        help="no line per call: the counts of statuses, attestations and reasons"
        " (with --json, one object)",
    )
    verify.set_defaults(handler=_cmd_verify)


def register_campaigns(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``campaigns`` subcommand."""
    campaigns = commands.add_parser(
        "campaigns",
        help="group calls into campaigns, rank, next request",
        description="Group the INVITEs into campaigns (signer, origid, attestation;"
        " without an origid, calling-number pattern), largest first, each with the next"
        " traceback request."
        " With --trust the calls are verified first; with only --certs or --fetch the"
        " certificates name the signers, unverified.",
    )
    _common(campaigns, "campaign")
    add_verifying_options(campaigns)
    add_campaign_options(campaigns)
    campaigns.add_argument(
        "--directory",
        metavar="FILE",
        help="provider directory: names whom to ask as it does, with contact and RMD number",
    )
    campaigns.set_defaults(handler=_cmd_campaigns)


def add_campaign_options(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`show_campaigns`."""
    parser.add_argument(
        "--mask-digits",
        type=at_least(0),
        default=4,
        metavar="N",
        help="last calling-number digits masked (XXXX) when grouping calls without an origid "
        "(default: 4)",
    )
    parser.add_argument(
        "--min-calls",
        type=at_least(1),
        default=1,
        metavar="N",
        help="smallest campaign shown (default: 1)",
    )
    parser.add_argument(
        "--top",
        type=at_least(0),
        default=0,
        metavar="N",
        help="show only the N largest (default: 0, all)",
    )
