"""report: JSON, terminal text and a self-contained HTML page with an SVG call path."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from scenario_verify import real_verifier
from shakentrace.linking import Traceback
from shakentrace.report import call_path_svg, to_html, to_json, to_text
from shakentrace.testing import NetworkGenerator
from traceback_accuracy import trace_scenario


@pytest.fixture(scope="module")
def trace() -> Traceback:
    generator = NetworkGenerator(seed=11)
    scenario = next(
        s
        for s in (generator.scenario(n, "foreign-gateway") for n in range(40))
        if s.truth.gaps and len(s.hops) >= 3
    )
    return trace_scenario(scenario, real_verifier())[1]


def test_json_is_the_traceback_record(trace: Traceback) -> None:
    data = json.loads(to_json(trace))
    assert data == json.loads(json.dumps(trace.to_dict()))
    assert json.loads(to_json(trace.hops[0], indent=None))["provider"] == trace.hops[0].provider


def test_text_names_every_hop_gap_and_the_next_request(trace: Traceback) -> None:
    text = to_text(trace)
    for i, hop in enumerate(trace.hops):
        assert f"#{i} {hop.provider}" in text
    for gap in trace.gaps:
        assert f"gap: {gap.provider or 'unknown provider'}" in text
    assert "Next request:" in text
    assert f"Entry point: {trace.entry_point or 'not determined'}" in text


def test_svg_is_well_formed_and_shows_the_path(trace: Traceback) -> None:
    svg = call_path_svg(trace)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for hop in trace.hops:
        assert hop.provider[:26] in texts
    groups = [g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    assert groups.count("node gap") == len(trace.gaps)
    assert "next" in groups
    assert any(t and t.startswith("next request") for t in texts)


def test_html_is_self_contained_and_escaped(trace: Traceback) -> None:
    hostile = replace(trace.hops[0], provider='<script>alert("x")</script>')
    page = to_html(replace(trace, hops=(hostile, *trace.hops[1:])), title="T & <b>")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "T &amp; &lt;b&gt;" in page
    # no external assets: the only URL is the SVG namespace
    assert re.findall(r"(?:src|href)=", page) == []
    assert set(re.findall(r"https?://[^\"' ]+", page)) <= {"http://www.w3.org/2000/svg"}


def test_a_hop_another_provider_reported_says_where_it_came_from(trace: Traceback) -> None:
    reported = replace(trace.hops[1], reported_in="answers/<prairie>.jsonl:3")
    marked = replace(trace, hops=(trace.hops[0], reported, *trace.hops[2:]))
    lines = [line for line in to_text(marked).splitlines() if line.startswith("#")]
    assert [line.endswith("  reported in answers/<prairie>.jsonl:3") for line in lines[:2]] == [
        False,
        True,
    ]
    assert "reported in answers/&lt;prairie&gt;.jsonl:3" in to_html(marked)
    assert "reported in" not in to_html(trace)


def test_empty_traceback_renders() -> None:
    empty = Traceback(hops=())
    assert "0 captured hop(s)" in to_text(empty)
    ET.fromstring(call_path_svg(empty))
    assert "<svg" in to_html(empty)


def test_an_unnamed_signer_is_shown_by_its_spc_else_its_x5u(trace: Traceback) -> None:
    hop = next(h for h in trace.hops if h.signer is not None)
    assert hop.signer is not None
    signer = replace(hop.signer, organization=None, verified=False)

    def text(spc: str | None, x5u: str | None) -> str:
        shown = replace(signer, spc=spc, x5u=x5u)
        return to_text(replace(trace, hops=(replace(hop, signer=shown),)))

    by_spc = text(spc="1234", x5u=None)
    assert f"identity    claimed {signer.attestation} by SPC 1234 (NOT verified)" in by_spc
    x5u = "https://cr.example/sp.pem"
    by_x5u = text(spc=None, x5u=x5u)
    assert f"by the holder of x5u {x5u} (NOT verified)" in by_x5u
    unknown = text(spc=None, x5u=None)
    assert f"identity    claimed {signer.attestation} by ? (NOT verified)" in unknown


def test_the_call_path_labels_an_unnamed_signer_by_spc_else_x5u_host(trace: Traceback) -> None:
    hop = next(h for h in trace.hops if h.signer is not None)
    assert hop.signer is not None
    unnamed = replace(hop.signer, organization=None, spc=None, x5u="https://cr.gw.example/a.pem")
    hops = tuple(replace(h, signer=unnamed) for h in trace.hops)  # labels sit between boxes
    svg = call_path_svg(replace(trace, hops=hops))
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any(text.endswith("· cr.gw.example") for text in texts)
    by_spc = tuple(replace(h, signer=replace(unnamed, spc="1234")) for h in trace.hops)
    svg = call_path_svg(replace(trace, hops=by_spc))
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any(text.endswith("· SPC 1234") for text in texts)


@pytest.mark.parametrize(
    ("x5u", "shown"),
    [
        ("https://cr.sti.ex[ample/1234/1.pem", "cr.sti.ex[ample"),
        ("https://[2001:db8::1/a", "[2001:db8::1"),
    ],
)
def test_an_x5u_that_urlsplit_refuses_is_still_drawn(
    trace: Traceback, x5u: str, shown: str
) -> None:
    # Found by fuzz/fuzz_verify.py: a signed PASSporT whose x5u holds an unclosed "["
    # (cert-unavailable, so the signer is known by its x5u only) made to_html and
    # call_path_svg raise urlsplit's ValueError ("Invalid IPv6 URL").
    hop = next(h for h in trace.hops if h.signer is not None)
    assert hop.signer is not None
    unnamed = replace(hop.signer, organization=None, spc=None, x5u=x5u)
    hops = tuple(replace(h, signer=unnamed) for h in trace.hops)
    texts = [t.text or "" for t in ET.fromstring(call_path_svg(replace(trace, hops=hops))).iter()]
    assert any(text.endswith(f"· {shown}") for text in texts)
    assert f"the holder of x5u {x5u}" in to_text(replace(trace, hops=hops))
    to_html(replace(trace, hops=hops))


def test_a_line_break_in_a_value_cannot_forge_a_line_of_the_text(trace: Traceback) -> None:
    """A hop record another provider sent, or a PASSporT claim, may hold a line feed:
    it is written as an escape, so every line of the report is the report's own."""
    forged = "\n    identity    A by Trusted Inc (verified)\nNext request: nobody"
    hop = trace.hops[0]
    assert hop.signer is not None
    hostile = replace(
        hop,
        provider="Evil Co" + forged,
        signer=replace(hop.signer, origid="x\r\ny"),
    )
    text = to_text(replace(trace, hops=(hostile, *trace.hops[1:])))
    assert "Evil Co\\n    identity    A by Trusted Inc (verified)\\nNext request: nobody" in text
    assert "x\\x0d\\ny" in text
    assert [line for line in text.splitlines() if "Trusted Inc" in line or "nobody" in line] == [
        next(line for line in text.splitlines() if line.startswith("#0 "))
    ]
