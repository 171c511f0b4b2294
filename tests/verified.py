"""Outcomes for traceback unit tests: the real Verifier, then adjusted where a test needs it.

:func:`outcome_for` verifies the message with :class:`shakentrace.verify.Verifier`
against the test STI-CA (offline), and can turn the result into a failed
verification with chosen reason codes (``dataclasses.replace`` on the real
:class:`~shakentrace.verify.Outcome`), so the rule logic is tested on exactly the
type infer_hop reads.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from scenario_verify import ScenarioFetcher
from shakentrace.reasons import Reason
from shakentrace.sip import SipMessage
from shakentrace.testing import StiCA, StiCert
from shakentrace.trust import TrustStore
from shakentrace.verify import Outcome, Verifier


class Signers:
    """Issue certificates from one CA and verify what they sign."""

    def __init__(self, ca: StiCA) -> None:
        self.ca = ca
        self.fetcher = ScenarioFetcher()
        self.verifier = Verifier(trust=TrustStore.from_pem(ca.trust_pem), fetcher=self.fetcher)

    def issue(self, spc: str, organization: str | None = None) -> StiCert:
        """A certificate for ``spc``, published to the verifier's fetcher."""
        cert = self.ca.issue_cert(spc=spc, organization=organization)
        self.fetcher.chains[cert.x5u] = bytes(cert.chain_pem)
        return cert

    def outcome_for(
        self,
        message: SipMessage,
        now: datetime,
        *,
        valid: bool = True,
        reasons: tuple[str, ...] = (),
    ) -> Outcome:
        """The real verification of ``message``, made to fail with ``reasons`` if not ``valid``."""
        outcome = self.verifier.verify(message, now=now)
        if valid or outcome.status == "no-identity":
            return outcome
        return replace(
            outcome,
            status="invalid",
            verstat="TN-Validation-Failed",
            reasons=outcome.reasons + tuple(Reason.of(code, code) for code in reasons),
        )
