"""The verifier the scenario tests run: the real shakentrace Verifier, offline.

Certificates come from the scenario's own STI-CA through a static fetcher; each
capture is verified at the moment it was received (DESIGN §2, rule 6).
"""

from __future__ import annotations

from collections.abc import Callable

from shakentrace.errors import FetchError
from shakentrace.sip import SipMessage
from shakentrace.testing._network import NetworkHop, Scenario
from shakentrace.trust import TrustStore
from shakentrace.verify import Outcome, Verifier


class ScenarioFetcher:
    """x5u → chain, from every scenario seen so far (URLs are unique per certificate)."""

    def __init__(self) -> None:
        self.chains: dict[str, bytes] = {}

    def fetch(self, url: str) -> bytes:
        """Return the chain published at ``url``."""
        try:
            return self.chains[url]
        except KeyError:
            raise FetchError(f"no chain at {url}", code="cert-unavailable") from None


def real_verifier() -> Callable[[Scenario, NetworkHop, SipMessage], Outcome]:
    """A ``(scenario, capture, message) -> Outcome`` function around shakentrace.Verifier."""
    fetcher = ScenarioFetcher()
    verifiers: dict[bytes, Verifier] = {}

    def verify(scenario: Scenario, capture: NetworkHop, message: SipMessage) -> Outcome:
        fetcher.chains.update(scenario.chains)
        if scenario.trust_pem not in verifiers:
            trust = TrustStore.from_pem(scenario.trust_pem)
            verifiers[scenario.trust_pem] = Verifier(trust=trust, fetcher=fetcher)
        return verifiers[scenario.trust_pem].verify(message, now=capture.received_at)

    return verify
