"""Measure how often infer_hop and link recover the truth of generated traceback scenarios.

Run as a script for the table in docs/traceback.rst::

    PYTHONPATH=src:tests python tests/traceback_accuracy.py --count 3000

Each scenario's captures go through parse_sip, the verifier and infer_hop (with a
PTR resolver), then link. "Expected" is what the evidence in the captures
determines (:mod:`shakentrace.testing._truth`); the "real" rows compare the path's
conclusion with who really originated the call, counting answers that name a
wrong provider.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shakentrace.hop import Hop
from shakentrace.linking import Traceback, link
from shakentrace.sip import SipMessage, parse_sip
from shakentrace.testing._network import NetworkGenerator, NetworkHop, Scenario
from shakentrace.traceback import infer_hop
from shakentrace.verify import Outcome

Verify = Callable[[Scenario, NetworkHop, SipMessage], Outcome]

HOP_METRICS = ("upstream", "signer", "originator kind", "next request", "hop findings")
PATH_METRICS = ("order", "gaps", "signing hop", "entry point", "path originator", "path next")


@dataclass(slots=True)
class Tally:
    """Right answers per metric, and misses for the report."""

    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    undetermined: Counter[str] = field(default_factory=Counter)
    real: Counter[str] = field(default_factory=Counter)
    real_hops: Counter[str] = field(default_factory=Counter)
    misses: list[tuple[Any, ...]] = field(default_factory=list)

    def add(self, metric: str, got: object, want: object, where: tuple[Any, ...]) -> None:
        """Count one comparison (``want is None`` counts as an undetermined case)."""
        self.total[metric] += 1
        self.undetermined[metric] += want is None
        if got == want:
            self.right[metric] += 1
        else:
            self.misses.append((*where, metric, got, want))

    def rows(self) -> list[tuple[str, int, int, int]]:
        """``(metric, right, total, undetermined)`` in a stable order."""
        return [(m, self.right[m], self.total[m], self.undetermined[m]) for m in self.total]


def trace_scenario(scenario: Scenario, verify: Verify) -> tuple[list[Hop], Traceback]:
    """Run the library on one scenario's captures."""
    hops = []
    for capture in scenario.hops:
        message = parse_sip(capture.invite)
        hops.append(
            infer_hop(
                message,
                verify(scenario, capture, message),
                scenario.directory,
                provider=capture.provider,
                peer=capture.peer,
                received_at=capture.received_at,
                resolver=scenario.resolver,
            )
        )
    return hops, link(hops)


def score(scenario: Scenario, hops: list[Hop], trace: Traceback, tally: Tally) -> None:
    """Compare one scenario's results with its truth."""
    for capture, hop in zip(scenario.hops, hops, strict=True):
        t, where = capture.truth, (scenario.number, scenario.kind, capture.provider)
        tally.add("upstream", hop.upstream.name, t.upstream, where)
        tally.add("signer", hop.signer.spc if hop.signer else None, t.signer, where)
        tally.add("originator kind", hop.likely_originator.kind, t.originator_kind, where)
        tally.add("next request", hop.next_request.target, t.next_target, where)
        tally.add("hop findings", frozenset(hop.finding_codes), t.findings, where)
        # Against who really sent the call, independent of the evidence weights.
        if hop.upstream.name is None:
            tally.real_hops["upstream left open"] += 1
        elif hop.upstream.name == t.true_upstream:
            tally.real_hops["names the real upstream"] += 1
        else:
            tally.real_hops["names another provider"] += 1
    truth, where = scenario.truth, (scenario.number, scenario.kind, "path")
    assert trace.originator is not None
    assert trace.next_request is not None
    tally.add("order", trace.providers, truth.providers, where)
    tally.add("gaps", tuple(g.provider for g in trace.gaps), truth.gaps, where)
    tally.add("signing hop", trace.signing_hop, truth.signing_hop, where)
    tally.add("entry point", trace.entry_point, truth.entry_point, where)
    tally.add("path originator", trace.originator.kind, truth.originator_kind, where)
    tally.add("path next", trace.next_request.target, truth.next_target, where)
    events = frozenset((e.code, e.hop) for e in trace.events)
    tally.add("identity events", events, truth.events, where)
    if any(code == "downstream-signed" for code, _ in events):
        tally.real["laundering flagged (downstream-signed)"] += 1
    named = trace.originator.provider
    if named is None:
        tally.real["provider left open (ask next)"] += 1
    elif named in (truth.real_originator, truth.real_entry_point):
        tally.real["names the real originator or entry point"] += 1
    else:  # evidence-consistent, but a launderer or downstream signer hid the origin
        tally.real["names a signer that is not the origin"] += 1


def measure(count: int, verify: Verify, *, seed: int = 0) -> Tally:
    """Generate ``count`` scenarios and score them."""
    tally = Tally()
    for scenario in NetworkGenerator(seed=seed).scenarios(count):
        hops, trace = trace_scenario(scenario, verify)
        score(scenario, hops, trace, tally)
    return tally


def table(tally: Tally) -> str:
    """The accuracy table as reStructuredText."""
    rule = "=" * 18 + " " + "=" * 12 + " " + "=" * 22
    lines = [rule, f"{'measure':18} {'correct':>12} {'expected none/unknown':>22}", rule]
    for metric, right, total, undetermined in tally.rows():
        lines.append(f"{metric:18} {f'{right}/{total}':>12} {undetermined:>22}")
    lines.append(rule)
    return "\n".join(lines)


def real_table(tally: Tally) -> str:
    """How the conclusions compare with reality: each hop's upstream, each path's origin."""
    rule = "=" * 42 + " " + "=" * 9
    lines = [rule, f"{'hop upstream vs. who really sent the call':42} {'captures':>9}", rule]
    lines += [f"{name:42} {count:>9}" for name, count in sorted(tally.real_hops.items())]
    lines += [rule, f"{'path conclusion vs. reality':42} {'scenarios':>9}", rule]
    lines += [f"{name:42} {count:>9}" for name, count in sorted(tally.real.items())]
    return "\n".join([*lines, rule])


def main(argv: Iterable[str] | None = None) -> None:
    """Print the accuracy table (and the first misses)."""
    from scenario_verify import real_verifier

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args(list(argv) if argv is not None else None)
    tally = measure(args.count, real_verifier())
    print(table(tally))
    print(real_table(tally))
    for miss in tally.misses[:20]:
        print(miss)


if __name__ == "__main__":
    main()
