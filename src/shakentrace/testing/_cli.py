"""``shakentrace mint``: write a test STI-CA, a certificate and a signed INVITE to files.

For people testing systems not written in Python (SBCs, SIPp scenarios): serve
``chain.pem`` at the x5u URL, trust ``root.pem``, and send ``invite.sip`` (or paste
``identity.txt`` into a scenario). Like ``trustme``'s command line.
"""

from __future__ import annotations

import argparse
import json
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shakentrace.testing._ca import StiCA
from shakentrace.testing._invite import build_invite
from shakentrace.testing._profile import DEVIATIONS

__all__ = ["mint", "register"]

# The files of the printed command that verifies the minted INVITE.
_CHECKED = ("root.pem", "certs.pem", "invite.sip")

# What ``mint --help`` says: the docstring, without its reStructuredText markup.
_DESCRIPTION = __doc__.replace("``", "").split(": ", 1)[1]
_DESCRIPTION = _DESCRIPTION[:1].upper() + _DESCRIPTION[1:]


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time") from None
    if not 1980 <= moment.year <= 9000:  # the CA's ten years, and --days, stay before 9999
        raise argparse.ArgumentTypeError(f"{text!r}: a year from 1980 to 9000, please")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= 36_500:  # a century: past it, dates overflow (year 9999)
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 1 to 36500")
    return days


def register(subparsers: Any) -> None:
    """Add the ``mint`` subcommand to the ``shakentrace`` command line."""
    p = subparsers.add_parser(
        "mint",
        help="write a test STI-CA, an STI certificate and a signed INVITE to files",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("directory", type=Path, help="where to write the files (created)")
    p.add_argument("--spc", default="1234", help="SPC (OCN) in the TNAuthList [1234]")
    p.add_argument("--orig", default="12155551212", help="calling TN [12155551212]")
    p.add_argument("--dest", action="append", help="called TN; repeat for several")
    p.add_argument("--attest", default="A", choices=("A", "B", "C"), help="attestation [A]")
    p.add_argument("--origid", help="origination identifier [derived UUID]")
    p.add_argument("--x5u", help="URL chain.pem will be served at")
    p.add_argument("--seed", help="make every key, certificate and signature reproducible")
    p.add_argument("--now", type=_moment, help="CA clock and iat, ISO 8601 [now]")
    p.add_argument(
        "--days", type=_days, default=90, help="certificate lifetime in days, 1 to 36500 [90]"
    )
    p.add_argument("--deviation", action="append", choices=sorted(DEVIATIONS), default=[],
                   help="break an ATIS-1000080 rule on purpose; repeatable")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(handler=_run)


def mint(
    directory: Path,
    *,
    spc: str = "1234",
    orig: str = "12155551212",
    dest: tuple[str, ...] = ("12155551213",),
    attest: str = "A",
    origid: str | None = None,
    x5u: str | None = None,
    seed: str | None = None,
    now: datetime | None = None,
    days: int = 90,
    deviations: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Write the files of ``shakentrace mint`` into ``directory``; return a summary.

    Files: ``root.pem`` (trust anchor), ``intermediate.pem``, ``cert.pem``,
    ``chain.pem`` (serve at x5u), ``certs.pem`` (the chain after an ``X5U:`` line,
    a ``--certs`` bundle), ``key.pem``, ``public-key.pem``, ``crl.pem``,
    ``passport.jwt``, ``identity.txt`` and ``invite.sip``.
    """
    ca = StiCA(seed=seed, now=now)
    moment = ca.now()
    cert = ca.issue_cert(
        spc=spc,
        x5u=x5u,
        not_after=moment + timedelta(days=days),
        deviations=deviations,  # type: ignore[arg-type]
    )
    token = cert.sign_passport(orig=orig, dest=list(dest), attest=attest, origid=origid)
    identity = cert.identity_for(token)
    directory.mkdir(parents=True, exist_ok=True)
    blobs = {
        "root.pem": ca.root_pem.data,
        "intermediate.pem": ca.intermediate_pem.data,
        "cert.pem": cert.cert_pem.data,
        "chain.pem": cert.chain_pem.data,
        "certs.pem": f"X5U: {cert.x5u}\n".encode() + cert.chain_pem.data,
        "key.pem": cert.private_key_pem.data,
        "public-key.pem": cert.public_key_pem.data,
        "crl.pem": ca.crl().data,
        "passport.jwt": token.encode() + b"\n",
        "identity.txt": identity.encode() + b"\n",
        "invite.sip": build_invite(identity=identity, orig=orig, dest=dest[0]),
    }
    for name, data in blobs.items():
        (directory / name).write_bytes(data)
    return {
        "directory": str(directory),
        "files": sorted(blobs),
        "x5u": cert.x5u,
        "spc": spc,
        "iat": int(moment.timestamp()),
        "fingerprint": cert.fingerprint,
    }


def _run(args: argparse.Namespace) -> int:
    summary = mint(
        args.directory,
        spc=args.spc,
        orig=args.orig,
        dest=tuple(args.dest or ("12155551213",)),
        attest=args.attest,
        origid=args.origid,
        x5u=args.x5u,
        seed=args.seed,
        now=args.now,
        days=args.days,
        deviations=tuple(args.deviation),
    )
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {len(summary['files'])} files to {summary['directory']}")
        print(f"serve chain.pem at {summary['x5u']} and trust root.pem")
        at = datetime.fromtimestamp(summary["iat"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        trust, certs, invite = (shlex.quote(str(args.directory / n)) for n in _CHECKED)
        print(f"check it: shakentrace verify --trust {trust} --certs {certs} --at {at} {invite}")
    return 0
