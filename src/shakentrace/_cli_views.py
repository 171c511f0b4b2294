"""What the commands show: JSON-safe views and one-line renderings.

Kept apart from :mod:`shakentrace.cli` (argument handling) so both stay short.
Every view carries the capture metadata (file, frame or line, time, addresses).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from shakentrace._observe import shaken_passports
from shakentrace._printable import one_line
from shakentrace.campaigns import CallRecord, Campaign
from shakentrace.certs import cert_facts, load_chain
from shakentrace.errors import ShakenTraceError
from shakentrace.identity import parse_identity
from shakentrace.passport import Passport, decode_passport
from shakentrace.providers import reach_text
from shakentrace.tn import tn_from_uri

if TYPE_CHECKING:
    from shakentrace._cli_io import Console
    from shakentrace.capture import CapturedMessage
    from shakentrace.fetch import Fetcher
    from shakentrace.reasons import Reason
    from shakentrace.sip import SipMessage
    from shakentrace.verify import Outcome

__all__ = [
    "call_record",
    "campaign_text",
    "identity_view",
    "identity_views",
    "passport_text",
    "quietly",
    "shaken_passport",
    "verify_text",
]

_T = TypeVar("_T")
_STATUS_COLOUR = {"valid": "green", "invalid": "red", "no-identity": "yellow"}
_SEVERITY_COLOUR = {"error": "red", "warning": "yellow"}


def _error(exc: ShakenTraceError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message}


def _tn(value: Any) -> str | None:
    try:
        return tn_from_uri(value) if value is not None else None
    except ShakenTraceError:
        return None


def _certificate(passport: Passport, fetcher: Fetcher | None) -> dict[str, Any] | None:
    url = passport.x5u
    if fetcher is None or url is None:
        return None
    try:
        chain = load_chain(fetcher.fetch(url))
    except ShakenTraceError as exc:
        return {"error": _error(exc)}
    return cert_facts(chain[0]).to_dict()


def identity_view(raw: str, fetcher: Fetcher | None) -> dict[str, Any]:
    """One Identity header value decoded: parameters, PASSporT, certificate (or the error)."""
    view: dict[str, Any] = {"raw": raw}
    try:
        header = parse_identity(raw)
        view["header"] = header.to_dict()
        passport = decode_passport(header.token)
    except ShakenTraceError as exc:
        view["error"] = _error(exc)
        return view
    view["passport"] = passport.to_dict()
    view["certificate"] = _certificate(passport, fetcher)
    return view


def quietly(read: Callable[[], _T]) -> _T | None:
    """``read()``, or ``None`` when the header it reads does not parse."""
    try:
        return read()
    except ShakenTraceError:
        return None


def shaken_passport(message: SipMessage) -> Passport | None:
    """The first SHAKEN PASSporT that decodes (no signature check), if any."""
    for raw in quietly(lambda: message.identities) or ():
        try:
            passport = decode_passport(parse_identity(raw).token)
        except ShakenTraceError:
            continue
        if passport.ppt in (None, "shaken"):
            return passport
    return None


def identity_views(message: SipMessage, fetcher: Fetcher | None) -> list[dict[str, Any]]:
    """Each Identity header decoded: parameters, PASSporT header and claims, certificate."""
    # Identity values that do not parse (too many of them) are in to_dict()'s "errors".
    return [identity_view(raw, fetcher) for raw in quietly(lambda: message.identities) or ()]


def passport_text(number: int, view: dict[str, Any], console: Console) -> list[str]:
    """A few lines on one decoded Identity header."""
    lines = ["", f"PASSporT [{number}]"]
    if "error" in view:
        error = view["error"]
        return [*lines, console.style(f"  {error['code']}: {error['message']}", "red")]
    passport = view["passport"]
    if passport.get("compact"):  # RFC 8225 §7: only the signature travels
        lines.append("  compact form: header and claims not sent (rebuilt from SIP to verify)")
    else:
        lines.append(f"  header  {json.dumps(passport.get('header'), sort_keys=True)}")
        lines.append(f"  claims  {json.dumps(passport.get('claims'), sort_keys=True)}")
    if passport.get("issued_at"):
        lines.append(f"  iat     {passport['iat']} = {passport['issued_at']}")
    return lines + _cert_text(view.get("certificate"), console)


def _cert_text(cert: dict[str, Any] | None, console: Console) -> list[str]:
    if not cert:
        return []
    if "error" in cert:
        return [console.style(f"  cert    {cert['error']['message']}", "yellow")]
    subject = f"O={cert.get('organization')}  CN={cert.get('common_name')}"
    return [one_line(f"  cert    SPC {cert.get('spc')}  {subject}  issuer {cert.get('issuer')}")]


def verify_text(
    captured: CapturedMessage, outcome: Outcome, console: Console, *, why: bool = False
) -> str:
    """One line per verified call; with ``why``, each reason's message on a line below."""
    line = _verify_line(captured, outcome, console)
    return "\n".join([line, *_why(outcome, console)]) if why else line


def _why(outcome: Outcome, console: Console) -> list[str]:
    """The call's reasons, then those of its other (div, rcd…) Identity headers."""
    lines = [_reason_line("", r, console) for r in outcome.reasons]
    for result in outcome.identities:
        if result.passport is not outcome.passport or outcome.passport is None:
            label = f"[{result.index + 1} {result.ppt or '?'}] "
            lines += [_reason_line(label, r, console) for r in result.reasons]
    return lines


def _reason_line(label: str, reason: Reason, console: Console) -> str:
    sip = f" ({reason.sip_code})" if reason.sip_code else ""
    severity = console.style(f"{reason.severity:<7}", _SEVERITY_COLOUR.get(reason.severity, "bold"))
    return one_line(f"    {label}{severity} {reason.code}{sip}: {reason.message}")


def _verify_line(captured: CapturedMessage, outcome: Outcome, console: Console) -> str:
    who = _signer_text(outcome)
    status = console.style(f"{outcome.status:<11}", _STATUS_COLOUR.get(outcome.status, "bold"))
    codes = ",".join(sorted({r.code for r in outcome.reasons if r.severity == "error"})) or "-"
    where = f"{captured.source}:{captured.frame or captured.line or captured.index}"
    dest = ",".join(outcome.dest_tns) or "-"
    return one_line(
        f"{where}  {status} attest={outcome.attestation or '-'} {outcome.orig_tn or '-'} -> {dest}"
        f"  signer={who}  origid={outcome.origid or '-'}  reasons={codes}"
    )


def _signer_text(outcome: Outcome) -> str:
    signer = outcome.signer
    if signer is None or not signer.spc:
        if outcome.passport is not None and outcome.passport.x5u:
            return f"- x5u={outcome.passport.x5u}"  # no known signer: whose certificate it names
        return "-"
    about = [signer.organization] if signer.organization else []
    if not signer.verified:  # the certificate's claim, not vouched for by a trusted STI-CA
        about.append("unverified")
    return f"SPC {signer.spc} ({', '.join(about)})" if about else f"SPC {signer.spc}"


def call_record(
    captured: CapturedMessage, message: SipMessage, outcome: Outcome | None, *, judged: bool = True
) -> CallRecord:
    """What one INVITE contributes to campaign grouping.

    ``judged=False``: ``outcome`` came without a trust store, so it names the
    signer its certificate claims and its status is ``None`` (unverified), unless
    the signature itself fails: a forged PASSporT is ``invalid`` whoever it names.
    """
    passport = outcome.passport if outcome is not None else shaken_passport(message)
    # PASSporTs from several signers: none is attributed, as the hop names no
    # originator (rule O6-several-signers); the first header's would be a guess.
    several = outcome is not None and len({s for _, s in shaken_passports(outcome)}) > 1
    signer = outcome.signer if outcome is not None and not several else None
    signed = None if several else passport
    # The numbers as Hop.orig_tn and Hop.dest_tns have them: verified ones, else what
    # the network asserted and where the call was sent (an unverified PASSporT's
    # numbers are claims: a replay names others).
    verified = outcome is not None and outcome.status == "valid"
    asserted = _asserted_tn(message)
    orig_tn = passport.orig_tn if passport and (verified or not asserted) else asserted
    sent_to = _tn(message.request_uri) or _tn(quietly(lambda: message.to))
    dest_tns = passport.dest_tns if passport and (verified or not sent_to) else ()
    return CallRecord(
        signer_spc=signer.spc if signer else None,
        signer_name=signer.organization if signer else None,
        x5u=signed.x5u if signed else None,
        origid=signed.origid if signed else None,
        attestation=signed.attest if signed else None,
        orig_tn=orig_tn,
        dest_tns=dest_tns or tuple(filter(None, [sent_to])),
        iat=passport.issued_at if passport else None,
        time=captured.time,
        status=_status(outcome, judged),
        upstream=str(captured.src) if captured.src else None,
        call_id=quietly(lambda: message.call_id),
        several_signers=several,
    )


def _asserted_tn(message: SipMessage) -> str | None:
    """The first P-Asserted-Identity number, else From's (RFC 8224 §5.2)."""
    pai = quietly(lambda: message.pai) or ()
    return next(filter(None, map(_tn, pai)), None) or _tn(quietly(lambda: message.from_))


def _status(outcome: Outcome | None, judged: bool) -> str | None:
    if outcome is None:
        return None
    if judged:
        return outcome.status
    return "invalid" if any(r.code == "bad-signature" for r in outcome.reasons) else None


def _calls(count: int) -> str:
    return f"{count} call" if count == 1 else f"{count} calls"


def _orig(campaign: Campaign) -> str:
    """The key's calling-number pattern; for ``*``, the one pattern seen if there is one."""
    seen = campaign.orig_patterns
    return (
        seen[0][0]
        if campaign.key.orig_pattern == "*" and len(seen) == 1
        else campaign.key.orig_pattern
    )


def campaign_text(campaign: Campaign, console: Console) -> str:
    """A campaign and its next traceback request, a few lines."""
    key, request = campaign.key, campaign.next_request
    statuses = " ".join(f"{name}={count}" for name, count in campaign.statuses)
    signer = f"{key.signer} ({campaign.signer_name})" if campaign.signer_name else key.signer
    reach = reach_text(request.contact, request.rmd)
    lines = [
        console.style(f"#{campaign.rank}  {_calls(campaign.calls)}  {signer}", "bold"),
        f"    origid={key.origid}  attest={key.attestation}  orig={_orig(campaign)}  {statuses}",
        f"    next: ask {request.party} to {request.ask}  [{request.rule}]",
        *([f"    contact: {reach}"] if reach else []),
    ]
    return "\n".join(map(one_line, lines))
