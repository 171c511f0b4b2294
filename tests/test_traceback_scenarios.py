"""Generated robocall networks: infer_hop and link recover what the evidence determines.

Every metric must be 100 %: where the captures determine an answer it must be
found, and where they do not, the library must say ``None``/``unknown`` (the
ground truth says so too). See docs/traceback.rst for the full table.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenario_verify import real_verifier
from shakentrace.calls import split_calls
from shakentrace.linking import link
from shakentrace.rules import NEXT_REQUEST_RULES, ORIGINATOR_RULES, PATH_RULES
from shakentrace.testing._network import SCENARIO_KINDS, NetworkGenerator
from traceback_accuracy import measure, real_table, table, trace_scenario

COUNT = int(os.environ.get("SHAKENTRACE_SCENARIOS", "140"))
GENERATORS = [NetworkGenerator(seed=s) for s in range(4)]
VERIFY = real_verifier()


def test_every_metric_is_exact_over_generated_scenarios() -> None:
    tally = measure(COUNT, real_verifier())
    assert not tally.misses, table(tally) + "\n" + "\n".join(map(str, tally.misses[:10]))
    assert tally.total["upstream"] > 3 * COUNT
    assert tally.undetermined["upstream"] > 0  # unlisted peers and rival evidence occur
    # Independent of the evidence weights: a named upstream is who really sent the call.
    assert tally.real_hops["names another provider"] == 0, real_table(tally)
    assert tally.real_hops["names the real upstream"] > 2 * COUNT


@pytest.mark.parametrize("kind", SCENARIO_KINDS)
def test_each_kind_produces_json_safe_records(kind: str) -> None:
    scenario = NetworkGenerator(seed=7).scenario(1, kind)
    hops, trace = trace_scenario(scenario, real_verifier())
    assert len(hops) == len(scenario.hops) >= 1
    json.dumps(trace.to_dict())
    assert trace.providers[0] == scenario.path[-1].name  # the terminating provider first


def test_generator_is_reproducible() -> None:
    first = NetworkGenerator(seed=3).scenario(5)
    again = NetworkGenerator(seed=3).scenario(5)
    assert [h.invite for h in first.hops] == [h.invite for h in again.hops]
    assert first.truth == again.truth
    with pytest.raises(ValueError, match="unknown scenario kind"):
        NetworkGenerator().scenario(0, "nonsense")


@settings(max_examples=25, deadline=None)
@given(number=st.integers(min_value=0, max_value=400), seed=st.integers(min_value=0, max_value=3))
def test_link_does_not_depend_on_the_order_hops_arrive_in(number: int, seed: int) -> None:
    scenario = GENERATORS[seed].scenario(number)
    hops, trace = trace_scenario(scenario, VERIFY)
    shuffled = link(random.Random(number).sample(hops, len(hops)))
    assert shuffled == trace
    assert link(reversed(hops)) == trace


def test_every_hop_record_is_json_safe_and_names_its_rules() -> None:
    rule_ids = {r.id for r in (*ORIGINATOR_RULES, *NEXT_REQUEST_RULES, *PATH_RULES)}
    for scenario in GENERATORS[0].scenarios(len(SCENARIO_KINDS) * 3):
        _, trace = trace_scenario(scenario, VERIFY)
        json.loads(json.dumps(trace.to_dict()))
        for hop in trace.hops:
            assert hop.likely_originator.rule in rule_ids
            assert hop.next_request.rule in rule_ids
        assert trace.originator is not None
        assert trace.originator.rule in rule_ids


def test_split_calls_recovers_each_call_from_a_mixed_pile() -> None:
    pile, expected = [], []
    for scenario in GENERATORS[1].scenarios(60):
        hops, trace = trace_scenario(scenario, VERIFY)
        pile += hops
        expected.append(trace)
    calls = split_calls(random.Random(1).sample(pile, len(pile)))
    traces = sorted((link(call) for call in calls), key=lambda t: t.hops[0].received_at or 0)
    assert traces == expected


def test_split_calls_keeps_calls_to_other_numbers_apart() -> None:
    scenario = GENERATORS[2].scenario(3, "tdm-strip")
    hops, _ = trace_scenario(scenario, VERIFY)
    other = [  # other calls: their own number and Call-ID
        replace(
            h,
            dest_tns=("19995550100",),
            passport_keys=(),
            passport_key=None,
            call_id=f"other-{h.call_id}",
        )
        for h in hops
    ]
    assert len(split_calls([*hops, *other])) >= 2


def test_split_calls_counts_a_retransmitted_invite_once() -> None:
    scenario = GENERATORS[0].scenario(5, "signed-origin")
    hops, expected = trace_scenario(scenario, VERIFY)
    # UDP retransmissions: the same INVITE captured again a little later.
    again = [replace(h, received_at=h.received_at + timedelta(milliseconds=500)) for h in hops
             if h.received_at is not None]  # fmt: skip
    (call,) = split_calls([*hops, *again])
    assert link(call) == expected


def test_split_calls_keeps_a_replayed_passport_as_separate_calls() -> None:
    # One PASSporT on many calls captured by one provider: replays, each its own
    # call. They were one "call" of thousands of hops, linked in quadratic time.
    hop = next(h for h in trace_scenario(GENERATORS[0].scenario(5, "signed-origin"), VERIFY)[0]
               if h.passport_key and h.received_at)  # fmt: skip
    assert hop.received_at is not None
    replays = [
        replace(
            hop, call_id=f"replay-{n}", received_at=hop.received_at + timedelta(seconds=n / 1000)
        )
        for n in range(3000)
    ]
    began = time.perf_counter()
    calls = split_calls(replays)
    traces = [link(call) for call in calls]
    assert time.perf_counter() - began < 10.0  # a hang guard: quadratic took minutes
    assert len(calls) == 3000
    assert all(len(trace.hops) == 1 for trace in traces)
