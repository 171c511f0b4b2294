"""Real STI certificates: who they name, how they break the rules, whether they chain.

Reads the 19 real certificates of ``test_vectors/shaken-pki-reports`` (public STI
certificates from the SHAKEN PKI reports), prints each one's SPC (OCN),
organization, validity, TNAuthList encoding and ATIS-1000080 / SHAKEN CP lint ids,
then validates the real Bandwidth chain at the ``iat`` of the PASSporT it signed
(2022-06-29) against the Neustar root — and again today, when it has expired —
and the real T-Mobile and NetNumber chains, whose CAs encode NULL ECDSA
parameters and a critical CertificatePolicies extension.

Run from the repository root: ``python examples/real_certificates.py``.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from shakentrace import TrustStore, cert_facts, load_chain
from shakentrace.certs import lint

PKI = Path(__file__).resolve().parent.parent / "test_vectors" / "shaken-pki-reports"
BANDWIDTH_IAT = datetime.fromtimestamp(1656534336, UTC)
TMOBILE_MOMENT = datetime(2023, 1, 1, tzinfo=UTC)  # inside the T-Mobile leaf's validity
NETNUMBER_MOMENT = datetime(2025, 4, 1, tzinfo=UTC)  # inside the Dish Wireless leaf's validity


def describe(path: Path) -> str:
    """One line per certificate: SPC, O, validity, TNAuthList encoding, lint ids."""
    leaf = load_chain(path.read_bytes())[0]
    facts = cert_facts(leaf)
    encoding = facts.tn_auth.encoding if facts.tn_auth else "absent"
    lints = sorted({r.message.split(":", 1)[0] for r in lint(leaf, facts=facts)})
    return (
        f"{facts.spc or '-':5} {(facts.organization or '-')[:34]:34} "
        f"{facts.not_before:%Y-%m-%d}..{facts.not_after:%Y-%m-%d} {encoding:15} "
        f"{', '.join(lints) or 'clean'}"
    )


def main() -> int:
    """Print the table and the Bandwidth, T-Mobile and NetNumber chain verdicts."""
    leaves = sorted(p for p in PKI.glob("*.pem") if not p.name.endswith(".chain.pem"))
    for path in leaves:
        print(describe(path))
    for name, label, moments in (
        ("neustar_leaf_bandwidth_clean", "Bandwidth 997E", (BANDWIDTH_IAT, datetime.now(UTC))),
        # T-Mobile's CAs encode NULL ECDSA parameters; the link is checked as issued.
        ("t-mobile_leaf_example", "T-Mobile 6529", (TMOBILE_MOMENT,)),
        # NetNumber marks CertificatePolicies critical (a lint warning, not a failure).
        ("netnumber_leaf_example", "Dish Wireless 490J (NetNumber)", (NETNUMBER_MOMENT,)),
    ):
        chain = load_chain(
            (PKI / f"{name}.pem").read_bytes() + (PKI / f"{name}.chain.pem").read_bytes()
        )
        trust = TrustStore([chain[-1]])  # the chain's root
        for moment in moments:
            result = trust.verify_chain(chain[:-1], at=moment)
            codes = [r.code for r in result.reasons if r.severity == "error"] or ["trusted"]
            print(f"{label} chain at {moment:%Y-%m-%d}: {', '.join(codes)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
