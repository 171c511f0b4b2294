"""Traceback reports: JSON, terminal text, and a self-contained HTML page.

The HTML page needs nothing but itself (inline CSS and an inline SVG call-path
diagram, no scripts, no external assets), so it can be attached to a traceback
referral. The diagram runs from the origin (left) to the terminating provider
(right): one box per captured provider, a dashed box per gap, and on each link
the Identity the downstream provider received (signer, attestation, verified or
not) with a marker where it first appeared (★), was replaced (↻) or vanished (✕).
The next request is drawn as an arrow to the provider it goes to.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from shakentrace._printable import one_line, printable
from shakentrace.hop import Diverter, Hop, Signer, iso
from shakentrace.linking import Gap, Traceback
from shakentrace.providers import reach_text

__all__ = ["call_path_svg", "to_html", "to_json", "to_text"]

_MARKS = {"first-signed": "★", "resigned": "↻", "identity-stripped": "✕", "downstream-signed": "⚠"}
_BOX_W, _BOX_H, _STEP, _TOP = 190, 70, 250, 70


def to_json(trace: Traceback | Hop, *, indent: int | None = 2) -> str:
    """The traceback (or one hop) as JSON text."""
    return json.dumps(trace.to_dict(), indent=indent, ensure_ascii=False)


def _identity(hop: Hop) -> str:
    signer = hop.signer
    if signer is None:
        return "no Identity" if hop.identity_count == 0 else "Identity without a SHAKEN PASSporT"
    said = f"{signer.attestation or '?'} by {_signer_name(signer, long=True)}"
    # An unverified PASSporT is nobody's word (RFC 8224 §6.2): only what it claims.
    return f"{said} (verified)" if signer.verified else f"claimed {said} (NOT verified)"


def _diversion(diversion: Diverter) -> str:
    """Who retargeted the call, from which number to which; unverified, only a claim."""
    said = (
        f"from {diversion.div or '?'} to {diversion.dest or '?'} "
        f"by {_signer_name(diversion, long=True)}"
    )
    return f"{said} (verified)" if diversion.verified else f"claimed {said} (NOT verified)"


def _signer_name(signer: Signer | Diverter, *, long: bool) -> str:
    """The company, else ``SPC …``, else the x5u's host (the lead to chase), else ``?``."""
    if signer.organization or signer.spc:
        return signer.organization or f"SPC {signer.spc}"
    if signer.x5u:
        return f"the holder of x5u {signer.x5u}" if long else _host(signer.x5u)
    return "?"


def _host(x5u: str) -> str:
    """The x5u's host (as written), else ``?``; the x5u is the sender's, any text."""
    try:
        return urlsplit(x5u).netloc or "?"
    except ValueError:  # an unclosed "[" (IPv6 literal), e.g. "https://cr.ex[ample/a.pem"
        return x5u.partition("//")[2].partition("/")[0] or "?"


def _who(name: str | None, ocn: str | None) -> str:
    if name is None:
        return "unknown"
    return f"{name} ({ocn})" if ocn else name


def _reported(hop: Hop) -> str:
    """Where a reported hop was read, and whether its PASSporT verified here too."""
    where = hop.reported_in or ""
    if hop.reverified is None:
        return where
    return f"{where}, PASSporT {'' if hop.reverified else 'not '}verified here"


def _hop_lines(index: int, hop: Hop) -> Iterator[str]:
    when = iso(hop.received_at) or "time unknown"
    forwards = f"  max-forwards {hop.max_forwards}" if hop.max_forwards is not None else ""
    reported = f"  reported in {_reported(hop)}" if hop.reported_in else ""
    yield f"#{index} {_who(hop.provider, hop.provider_ocn)}  received {when}{forwards}{reported}"
    up = hop.upstream
    evidence = ", ".join(
        f"{e.source} {e.value}" + ("" if e.provider else " (?)") for e in up.evidence
    )
    yield f"    upstream    {_who(up.name, up.ocn)}  confidence {up.confidence:.2f}  [{evidence}]"
    yield f"    identity    {_identity(hop)}"
    for diversion in hop.diversions:
        yield f"    diverted    {_diversion(diversion)}"
    if hop.signer is not None:
        yield f"    origid      {hop.signer.origid}  iat {iso(hop.signer.iat)}"
    origin = hop.likely_originator
    yield f"    originator  {origin.kind}: {origin.provider or '-'}  ({origin.rule})"
    yield f"    next        {hop.next_request.target or 'our own records'}: {hop.next_request.ask}"
    if hop.findings:
        yield f"    findings    {', '.join(hop.finding_codes)}"
    for finding in hop.findings:  # what our verification of a reported hop found otherwise
        if finding.code == "verdict-differs":
            yield f"    differs     {finding.message}"


def _h(text: str) -> str:
    """``text`` for HTML: escaped, and a control character or bidi override shown as text."""
    return html.escape(printable(text))


def to_text(trace: Traceback) -> str:
    """The traceback as plain text for a terminal, terminating provider first.

    A control character in a value from the calls (an origid, a certificate's
    name, a field of a hop record another provider sent) is written as an escape
    (``\\x1b``, a line feed as ``\\n``), so that it cannot steer the terminal or
    add a line of its own to the report.
    """
    lines = [f"Traceback: {len(trace.hops)} captured hop(s), terminating provider first", ""]
    for i, hop in enumerate(trace.hops):
        lines.extend(_hop_lines(i, hop))
        lines += [
            f"    -- gap: {g.provider or 'unknown provider'} (no capture)" for g in _gaps(trace, i)
        ]
    lines.append("")
    for event in trace.events:
        lines.append(f"{event.code} at #{event.hop} ({event.by or '?'}): {event.message}")
    signing = f"#{trace.signing_hop}" if trace.signing_hop is not None else "none captured"
    lines.append(f"Signing hop: {signing}   Entry point: {trace.entry_point or 'not determined'}")
    if trace.originator is not None:
        origin = trace.originator
        lines.append(f"Originator: {origin.kind}: {origin.provider or '-'} ({origin.reason})")
    if trace.next_request is not None:
        ask = trace.next_request
        lines.append(f"Next request: {ask.target or 'our own records'}: {ask.ask}")
        if reach := reach_text(ask.contact, ask.rmd):
            lines.append(f"Contact: {reach}")
    return printable("\n".join(map(one_line, lines)) + "\n")


def _gaps(trace: Traceback, after: int) -> list[Gap]:
    return [g for g in trace.gaps if g.after == after]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Node:
    """A box of the diagram: a captured hop, or a gap."""

    label: str
    sub: str
    hop: Hop | None
    index: int | None


def _nodes(trace: Traceback) -> list[_Node]:
    """Diagram boxes, origin first."""
    nodes = []
    for i, hop in enumerate(trace.hops):
        nodes.append(
            _Node(label=hop.provider, sub=f"#{i} {hop.provider_ocn or ''}", hop=hop, index=i)
        )
        for gap in _gaps(trace, i):
            nodes.append(
                _Node(label=gap.provider or "unknown", sub="no capture", hop=None, index=None)
            )
    return nodes[::-1]


def _link_label(trace: Traceback, node: _Node) -> tuple[str, str]:
    """What the downstream box received: text and colour class."""
    if node.hop is None:
        return "?", "unknown"
    marks = "".join(_MARKS.get(e.code, "") for e in trace.events if e.hop == node.index)
    signer = node.hop.signer
    if signer is None:
        return f"{marks} no Identity".strip(), "none"
    text = f"{marks} {signer.attestation or '?'} · {_signer_name(signer, long=False)}"
    return text.strip(), "valid" if signer.verified else "invalid"


def _box(x: int, node: _Node) -> str:
    cls = "node" if node.hop is not None else "node gap"
    middle, name, sub = x + _BOX_W // 2, _h(node.label[:26]), _h(node.sub)
    return (
        f'<g class="{cls}"><rect x="{x}" y="{_TOP}" width="{_BOX_W}" height="{_BOX_H}" rx="8"/>'
        f'<text x="{middle}" y="{_TOP + 30}" class="name">{name}</text>'
        f'<text x="{middle}" y="{_TOP + 52}" class="sub">{sub}</text></g>'
    )


def _arrow(x1: int, x2: int, y: int, text: str, cls: str) -> str:
    mid, label = (x1 + x2) // 2, _h(text[:30])
    return (
        f'<g class="link {cls}"><line x1="{x1}" y1="{y}" x2="{x2 - 4}" y2="{y}" '
        f'marker-end="url(#arrow)"/><text x="{mid}" y="{_TOP - 14}">{label}</text></g>'
    )


def call_path_svg(trace: Traceback) -> str:
    """The call path as an inline SVG element (origin left, terminating provider right)."""
    nodes = _nodes(trace)
    width = max(len(nodes), 1) * _STEP + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="260" '
        f'viewBox="0 0 {width} 260" role="img" aria-label="call path">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/>'
        "</marker></defs>",
    ]
    for k, node in enumerate(nodes):
        x = 20 + k * _STEP
        parts.append(_box(x, node))
        if k + 1 < len(nodes):
            text, cls = _link_label(trace, nodes[k + 1])
            parts.append(_arrow(x + _BOX_W, x + _STEP, _TOP + _BOX_H // 2, text, cls))
    parts.append(_next_request_mark(trace, nodes))
    parts.append("</svg>")
    return "".join(parts)


def _next_request_mark(trace: Traceback, nodes: list[_Node]) -> str:
    ask = trace.next_request
    if ask is None:
        return ""
    target = next((k for k, n in enumerate(nodes) if ask.target and n.label == ask.target), None)
    x = 20 + (target if target is not None else 0) * _STEP + _BOX_W // 2
    label = f"next request → {ask.target or 'own records'}"
    return (
        f'<g class="next"><line x1="{x}" y1="{_TOP + _BOX_H + 60}" x2="{x}" '
        f'y2="{_TOP + _BOX_H + 6}" marker-end="url(#arrow)"/>'
        f'<text x="{x}" y="{_TOP + _BOX_H + 78}">{_h(label)}</text></g>'
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em} table{border-collapse:collapse;margin:1em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top;text-align:left}
.node rect{fill:#eef3fb;stroke:#345} .gap rect{fill:#fff;stroke:#999;stroke-dasharray:6 4}
svg text{text-anchor:middle;font-size:12px} .name{font-weight:bold}
.link line,.next line{stroke:#555;stroke-width:2} .link.valid text{fill:#17692c}
.link.invalid text{fill:#b35900} .link.none text,.link.unknown text{fill:#777}
.next line{stroke:#7a2ca0;stroke-dasharray:4 3} .next text{fill:#7a2ca0}
.finding{color:#b00020;font-weight:bold} code{font-size:.85em}
"""


def _cells(hop: Hop) -> str:
    up = hop.upstream
    evidence = "<br>".join(
        _h(f"{e.source}: {e.value} → {e.provider or '?'} ({e.weight})") for e in up.evidence
    )
    origin, ask = hop.likely_originator, hop.next_request
    origid = f"<br><code>{_h(hop.signer.origid or '')}</code>" if hop.signer else ""
    origid += "".join(f"<br>diverted {_h(_diversion(d))}" for d in hop.diversions)
    forwards = (
        f"<br><small>max-forwards {hop.max_forwards}</small>"
        if hop.max_forwards is not None
        else ""
    )
    if hop.reported_in:
        forwards += f"<br><small>reported in {_h(_reported(hop))}</small>"
    cells = (
        _h(hop.provider) + forwards,
        f"{_h(_who(up.name, up.ocn))} ({up.confidence:.2f})<br><small>{evidence}</small>",
        _h(_identity(hop)) + origid,
        _h(f"{origin.kind}: {origin.provider or '-'}"),
        _h(f"{ask.target or 'own records'}: {ask.ask}"),
        "".join(
            f'<span class="finding" title="{_h(f.message)}">{_h(f.code)}</span> '
            for f in hop.findings
        ),
    )
    return "".join(f"<td>{c}</td>" for c in cells)


def to_html(trace: Traceback, *, title: str = "Traceback report") -> str:
    """A self-contained HTML page: summary, call-path diagram, hop table."""
    rows = "".join(f"<tr><td>#{i}</td>{_cells(h)}</tr>" for i, h in enumerate(trace.hops))
    header = "<tr><th></th><th>provider</th><th>upstream</th><th>identity</th>"
    header += "<th>likely originator</th><th>next request</th><th>findings</th></tr>"
    origin, ask = trace.originator, trace.next_request
    summary = [
        f"Entry point: {trace.entry_point or 'not determined'}",
        f"Originator: {origin.kind}: {origin.provider or '-'}" if origin else "",
        f"Next request: {ask.target or 'own records'}: {ask.ask}" if ask else "",
        f"Contact: {reach_text(ask.contact, ask.rmd)}" if ask and (ask.contact or ask.rmd) else "",
    ]
    items = "".join(f"<li>{_h(s)}</li>" for s in summary if s)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_h(title)}'
        f"</title><style>{_CSS}</style></head><body><h1>{_h(title)}</h1><ul>{items}</ul>"
        f"{call_path_svg(trace)}<table>{header}{rows}</table>"
        f"<pre>{_h(to_text(trace))}</pre></body></html>\n"
    )
