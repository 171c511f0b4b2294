"""``shakentrace cert SOURCE…``: who a certificate names, and whether its chain holds.

An analyst chasing a signer has its x5u URL (from a PASSporT) or the chain file
it served. For each chain (leaf first): every certificate's STI facts (SPC from
the TNAuthList, subject, issuer, validity, key, CRL distribution points) with its
ATIS-1000080 / SHAKEN CP lints for its role, and with ``--trust`` the verdict of
:meth:`shakentrace.trust.TrustStore.verify_chain` as of ``--at`` (default: now),
for ``--orig`` too when given. A URL is fetched as ``--fetch`` fetches an x5u
(guarded HTTPS; ``--fetch-policy``), after ``--certs`` is looked in.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509

from shakentrace._cli_certs import CertSource, add_cert_options, add_crl_option
from shakentrace._cli_io import Console, open_input
from shakentrace._cli_verify import parse_moment, trust_store
from shakentrace._printable import one_line
from shakentrace.certs import CertFacts, cert_facts, lint, load_chain
from shakentrace.errors import ShakenTraceError
from shakentrace.reasons import Reason
from shakentrace.trust import ChainResult

__all__ = ["register"]

EXIT_OK, EXIT_UNTRUSTED, EXIT_UNREADABLE = 0, 1, 2
_MAX_FILE = 1024 * 1024
_PAD = " " * 16


@dataclass(frozen=True, slots=True)
class _Link:
    """One certificate of a chain: its role, facts and lints."""

    role: str
    facts: CertFacts
    lints: tuple[Reason, ...]

    def to_dict(self) -> dict[str, Any]:
        lints = [r.to_dict() for r in self.lints]
        return {"role": self.role, **self.facts.to_dict(), "lints": lints}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``cert`` subcommand."""
    parser = commands.add_parser(
        "cert",
        help="a certificate chain's STI facts, lints and trust verdict",
        description="Show who an STI certificate chain (a PEM or DER file, or an x5u URL)"
        " names as the signer, its lints, and with --trust whether it holds at --at"
        " (default: now). Exit 0: every chain read (and trusted, with --trust); 1: some"
        " chain not trusted; 2: bad usage or an unreadable chain.",
    )
    parser.add_argument("sources", nargs="+", metavar="SOURCE", help="chain file, or https URL")
    parser.add_argument("--trust", metavar="PEM|DIR", help="STI-CA roots (and CRLs)")
    parser.add_argument(
        "--at", metavar="TIME", help="judge at this ISO 8601 time or Unix time (default: now)"
    )
    parser.add_argument("--orig", metavar="TN", help="check a TN-based TNAuthList covers it")
    parser.add_argument("--json", action="store_true", help="one JSON object per chain")
    add_cert_options(
        parser, "x5u chains by URL file name, or a PEM bundle, for URL sources", fetch_flag=False
    )
    add_crl_option(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    console: Console = args.console
    certs = CertSource.from_args(args, online=True)
    trust = trust_store(args.trust, certs.crl_fetcher())
    at = parse_moment(args.at) or datetime.now(UTC).replace(microsecond=0)
    fetcher = certs.fetcher()
    assert fetcher is not None  # online: never None
    codes = [EXIT_OK]
    for source in args.sources:
        try:
            data = fetcher.fetch(source) if "://" in source else _read(source)
            chain = load_chain(data)
        except (ShakenTraceError, OSError) as exc:  # the other sources still print
            why = exc.message if isinstance(exc, ShakenTraceError) else exc.strerror or str(exc)
            console.error(f"{source}: {why}")
            codes.append(EXIT_UNREADABLE)
            continue
        links = _links(chain)
        verdict = trust.verify_chain(chain, at=at, orig_tn=args.orig) if trust else None
        codes.append(EXIT_UNTRUSTED if verdict and not verdict.trusted else EXIT_OK)
        if args.json:
            console.json(_record(source, links, verdict, at))
        else:
            console.lines(_text(source, links, verdict, at, console))
    return max(codes)


def _read(path: str) -> bytes:
    stream, _size, owned = open_input(path)
    try:
        return stream.read(_MAX_FILE)
    finally:
        if owned:
            stream.close()


def _links(chain: Sequence[x509.Certificate]) -> list[_Link]:
    links = []
    for index, cert in enumerate(chain):
        facts = cert_facts(cert)
        # The first is the signing certificate, unless it is a CA's (a trust anchor file).
        role = "leaf" if index == 0 and not facts.is_ca else "intermediate"
        if (index or facts.is_ca) and index == len(chain) - 1 and cert.subject == cert.issuer:
            role = "root"
        links.append(_Link(role, facts, lint(cert, role=role, facts=facts)))
    return links


def _verdict_reasons(verdict: ChainResult) -> list[Reason]:
    """The verdict's own findings; the leaf's lints are shown with the leaf."""
    return [r for r in verdict.reasons if r.code != "cert-nonconformant"]


def _record(
    source: str, links: list[_Link], verdict: ChainResult | None, at: datetime
) -> dict[str, Any]:
    judged = None
    if verdict is not None:
        judged = {
            "at": at.isoformat(),
            "trusted": verdict.trusted,
            "reasons": [r.to_dict() for r in _verdict_reasons(verdict)],
            "path": [c.subject.rfc4514_string() for c in verdict.path],
        }
    return {"source": source, "certificates": [link.to_dict() for link in links], "verdict": judged}


def _text(
    source: str, links: list[_Link], verdict: ChainResult | None, at: datetime, console: Console
) -> list[str]:
    lines = [console.style(source, "bold")]
    for link in links:
        lines += _link_text(link, console)
    if verdict is None:
        return [*lines, "  verdict       not judged (no --trust)"]
    state, colour = ("trusted", "green") if verdict.trusted else ("NOT trusted", "red")
    lines.append(console.style(f"  verdict       {state} at {at.isoformat()}", colour))
    return lines + [f"{_PAD}{r.code}: {r.message}" for r in _verdict_reasons(verdict)]


def _link_text(link: _Link, console: Console) -> list[str]:
    facts, pad = link.facts, _PAD
    who = [f"SPC {facts.spc}"] if facts.spc else []
    who += [f"O={facts.organization}"] if facts.organization else []
    who += [f"CN={facts.common_name}"] if facts.common_name else []
    lines = [
        f"  {link.role:<13} {'  '.join(who) or facts.subject}",
        f"{pad}issuer {facts.issuer}",
        f"{pad}valid {facts.not_before.isoformat()} .. {facts.not_after.isoformat()}",
        f"{pad}key {facts.key_type}  sha256 {facts.fingerprint}",
    ]
    if facts.tn_auth is not None and facts.tn_auth.tns:
        lines.append(f"{pad}TNs {', '.join(facts.tn_auth.tns)}")
    crls = [url for point in facts.crl_distribution_points for url in point.urls]
    lines += [f"{pad}CRL {url}" for url in crls]
    lines += [console.style(f"{pad}lint {r.message}", "yellow") for r in link.lints]
    return list(map(one_line, lines))  # a subject's line feed cannot add a line
