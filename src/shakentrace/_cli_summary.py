"""``shakentrace verify --summary``: the verdicts of a whole capture, counted.

What a provider asks of a day's capture before any one call: how many calls
verified, with what attestation, and which findings, how often. Each INVITE adds
its :func:`call_facts` (small enough to come back from a worker process), and
:class:`VerifySummary` counts them: a retransmitted INVITE (a recent Call-ID)
once, and a call once per distinct finding.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shakentrace._recent import RecentKeys
from shakentrace.verify import Outcome

__all__ = ["CallFacts", "VerifySummary", "call_facts"]

_STATUSES = ("valid", "invalid", "no-identity")
_NO_ATTESTATION = "none"
#: A finding: the PASSporT it is on (``""``: the call's; else the ``ppt`` of a
#: div/rcd header, ``"?"`` if unknown), its code, severity and SIP code.
_Finding = tuple[str, str, str, int | None]
#: What one INVITE adds: its Call-ID, status, attestation, and its distinct findings.
CallFacts = tuple[str | None, str, str | None, frozenset[_Finding]]


def call_facts(outcome: Outcome, call_id: str | None) -> CallFacts:
    """What :class:`VerifySummary` counts of one verified INVITE (``call_id``: its Call-ID)."""
    found = {("", r.code, r.severity, r.sip_code) for r in outcome.reasons}
    for result in outcome.identities:
        if result.passport is not outcome.passport or outcome.passport is None:
            label = result.ppt or "?"
            found |= {(label, r.code, r.severity, r.sip_code) for r in result.reasons}
    return call_id, outcome.status, outcome.attestation, frozenset(found)


class VerifySummary:
    """Counts of statuses, attestations and findings over the verified calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.retransmissions = 0
        self._recent = RecentKeys()
        self.statuses: Counter[str] = Counter()
        self.attestations: Counter[str] = Counter()
        self.findings: Counter[_Finding] = Counter()

    def add(self, facts: CallFacts) -> None:
        """Count one call, unless it is a retransmission of a recent one."""
        call_id, status, attestation, findings = facts
        if not self._recent.first_time(call_id):
            self.retransmissions += 1
            return
        self.calls += 1
        self.statuses[status] += 1
        self.attestations[attestation or _NO_ATTESTATION] += 1
        self.findings.update(findings)

    def _ranked(self) -> list[tuple[_Finding, int]]:
        """Findings by calls (most first), then errors before the rest, then code."""
        return sorted(
            self.findings.items(),
            key=lambda item: (-item[1], item[0][2] != "error", item[0][0], item[0][1]),
        )

    def to_dict(self, unreadable: int = 0) -> dict[str, Any]:
        """The summary as JSON-safe data (``unreadable``: INVITEs that did not parse)."""
        return {
            "calls": self.calls,
            "retransmissions": self.retransmissions,
            "unreadable": unreadable,
            "status": {status: self.statuses[status] for status in _STATUSES},
            "attestation": dict(sorted(self.attestations.items())),
            "reasons": [
                {"ppt": ppt or None, "code": code, "severity": sev, "sip_code": sip, "calls": n}
                for (ppt, code, sev, sip), n in self._ranked()
            ],
        }

    def text(self, unreadable: int = 0) -> str:
        """The summary as lines of text."""
        counts = ", ".join(f"{self.statuses[s]} {s}" for s in _STATUSES)
        lines = [f"{self.calls} calls: {counts}"]
        if self.retransmissions:
            lines.append(f"{self.retransmissions} retransmitted INVITE(s) counted once")
        if unreadable:
            lines.append(f"{unreadable} INVITE(s) did not parse (not counted)")
        attested = ", ".join(f"{a} {n}" for a, n in sorted(self.attestations.items()))
        lines.append(f"attestation: {attested or '-'}")
        if self.findings:
            lines.append("reasons (calls with each):")
        for (ppt, code, severity, sip), n in self._ranked():
            label = f"[{ppt}] " if ppt else ""
            lines.append(f"  {n:>8}  {severity:<7}  {label}{code}{f' ({sip})' if sip else ''}")
        return "\n".join(lines)
