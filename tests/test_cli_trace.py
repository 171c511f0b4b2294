"""``shakentrace trace`` links a call whose Identity was replaced at one hop.

A real capture set, written by text2pcap, in the layout of the bundled one
(``examples/capture/generate.py``, same providers and addresses): Harbor Gateway
signs a foreign call with C, Midwest Transit forwards it unaltered, and Prairie
Wholesale launders it, replacing Harbor's Identity with its own A-attested
PASSporT before handing it to Lakeside. The signature no longer links Lakeside's
capture to the others; the called number and the moments of capture still do.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from pcaptools import Packet, ip_frames, link, need_tools, udp, write_capture
from shakentrace.cli import main
from shakentrace.testing import StiCA, StiCert, build_invite, forward_invite

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
LAKESIDE_SBC, PRAIRIE_IN, MIDWEST_IN = "192.0.2.1", "198.51.100.21", "198.51.100.31"
PRAIRIE, MIDWEST, HARBOR = "198.51.100.20", "198.51.100.30", "203.0.113.40"
VICTIM, OTHER = "13125550143", "13125550178"


def _packet(src: str, dst: str, message: bytes, at: datetime) -> Packet:
    frame = ip_frames(src, dst, 17, udp(src, dst, 5060, 5060, message))[0]
    return Packet(data=link(frame), time=at)


def _gatewayed(harbor: StiCert, orig: str, dest: str, at: datetime) -> tuple[bytes, bytes]:
    """Harbor's INVITE as Midwest received it, and Midwest's as Prairie received it."""
    identity = harbor.identity_header(
        orig=orig, dest=dest, attest="C", origid="globex-ingress-3", iat=at
    )
    first = build_invite(identity=identity, orig=orig, dest=dest, via=(f"{HARBOR}:5060",))
    return first, forward_invite(first, by=f"{MIDWEST}:5060")


@pytest.fixture(scope="module")
def resigned(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """``trace`` arguments over the three captures, with Prairie re-signing one call."""
    need_tools()
    base = tmp_path_factory.mktemp("resign")
    ca = StiCA(seed=994, now=T0)
    harbor = ca.issue_cert(spc="991G", organization="Harbor Gateway LLC")
    prairie = ca.issue_cert(spc="993W", organization="Prairie Wholesale Voice")
    lakeside, prairie_cap, midwest_cap = [], [], []
    # 1. laundered: Prairie drops Harbor's C PASSporT and signs the call A itself
    first, second = _gatewayed(harbor, "13125550037", VICTIM, T0)
    laundered = build_invite(
        identity=prairie.identity_header(
            orig="13125550037", dest=VICTIM, attest="A", origid="prairie-cust-9", iat=T0
        ),
        orig="13125550037",
        dest=VICTIM,
        via=(f"{PRAIRIE}:5060",),
    )
    midwest_cap.append(_packet(HARBOR, MIDWEST_IN, first, T0 + timedelta(milliseconds=40)))
    prairie_cap.append(_packet(MIDWEST, PRAIRIE_IN, second, T0 + timedelta(milliseconds=90)))
    lakeside.append(_packet(PRAIRIE, LAKESIDE_SBC, laundered, T0 + timedelta(milliseconds=150)))
    # 2. a campaign call to another subscriber a second later, passed on unaltered
    at = T0 + timedelta(seconds=1)
    first, second = _gatewayed(harbor, "13125550074", OTHER, at)
    midwest_cap.append(_packet(HARBOR, MIDWEST_IN, first, at + timedelta(milliseconds=40)))
    prairie_cap.append(_packet(MIDWEST, PRAIRIE_IN, second, at + timedelta(milliseconds=90)))
    third = forward_invite(second, by=f"{PRAIRIE}:5060")
    lakeside.append(_packet(PRAIRIE, LAKESIDE_SBC, third, at + timedelta(milliseconds=150)))
    # 3. a genuine call from Prairie's own customer to the same victim, minutes later
    at = T0 + timedelta(minutes=3)
    own = prairie.identity_header(
        orig="14025550005", dest=VICTIM, attest="A", origid="prairie-cust-5", iat=at
    )
    invite = build_invite(identity=own, orig="14025550005", dest=VICTIM, via=(f"{PRAIRIE}:5060",))
    lakeside.append(_packet(PRAIRIE, LAKESIDE_SBC, invite, at + timedelta(milliseconds=150)))
    certs = base / "certs"
    certs.mkdir()
    for cert in (harbor, prairie):
        (certs / cert.x5u.rsplit("/", 1)[1]).write_bytes(bytes(cert.chain_pem))
    (base / "trust.pem").write_bytes(ca.trust_pem)
    files = [
        write_capture(base / "lakeside.pcap", lakeside),
        write_capture(base / "prairie.pcapng", prairie_cap, pcapng=True),
        write_capture(base / "midwest.pcap", midwest_cap),
    ]
    return [
        "trace",
        "--directory",
        str(ROOT / "examples" / "directory.toml"),
        "--trust",
        str(base / "trust.pem"),
        "--certs",
        str(certs),
        "--jobs",
        "1",
        *("--provider", "994L", "--provider", "993W", "--provider", "992T"),
        *map(str, files),
    ]


def _trace(argv: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """``main(argv + --json)``: the exit code and the JSON lines."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main([*argv, "--json"])
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_resigned_call_is_one_traceback_across_three_captures(resigned: list[str]) -> None:
    code, calls = _trace(resigned)
    assert code == 0
    assert len(calls) == 3
    hops = calls[0]["hops"]
    assert [h["provider"] for h in hops] == [
        "Lakeside Telephone Co",
        "Prairie Wholesale Voice",
        "Midwest Transit Inc",
    ]
    signers = [(h["signer"]["spc"], h["signer"]["attestation"]) for h in hops]
    assert signers == [("993W", "A"), ("991G", "C"), ("991G", "C")]
    assert hops[0]["passport_key"] != hops[1]["passport_key"]  # the signature does not link them
    events = [(e["code"], e["hop"], e["by"]) for e in calls[0]["events"]]
    assert events == [("resigned", 0, "Prairie Wholesale Voice")]
    assert "resigned" in [f["code"] for f in hops[0]["findings"]]
    assert calls[0]["signing_hop"] == 0
    assert calls[0]["entry_point"] == "Harbor Gateway LLC"
    request = calls[0]["next_request"]  # how to reach whom to ask, from --directory
    assert (request["target"], request["contact"], request["rmd"]) == (
        "Harbor Gateway LLC",
        "traceback@harbor-gw.example",
        "RMD0000991",
    )


def test_calls_around_the_resigned_one_stay_apart(resigned: list[str]) -> None:
    _, calls = _trace(resigned)
    other, own = calls[1], calls[2]
    assert [h["provider"] for h in other["hops"]] == [
        "Lakeside Telephone Co",
        "Prairie Wholesale Voice",
        "Midwest Transit Inc",
    ]
    assert other["events"] == []
    assert [h["provider"] for h in own["hops"]] == ["Lakeside Telephone Co"]
    assert own["hops"][0]["signer"]["origid"] == "prairie-cust-5"


def test_the_resigned_call_counts_in_the_campaign_of_its_first_signer(resigned: list[str]) -> None:
    code, campaigns = _trace([*resigned, "--campaigns"])
    assert code == 0
    keys = [(c["signer"], c["origid"], c["attestation"], c["calls"]) for c in campaigns]
    assert keys == [
        ("SPC 991G", "globex-ingress-3", "C", 2),
        ("SPC 993W", "prairie-cust-5", "A", 1),
    ]
    assert campaigns[0]["next_request"]["party"] == "Harbor Gateway LLC"


EXAMPLE = ROOT / "examples" / "capture"
BUNDLED = [
    "--trust",
    str(EXAMPLE / "trust.pem"),
    "--certs",
    str(EXAMPLE / "certs"),
    "--jobs",
    "1",
]
#: All but the times, upstream peers and Call-IDs, which each capture sees differently.
SAME = (
    *("rank", "signer", "signer_name", "origid", "attestation", "orig_pattern", "calls"),
    *("statuses", "orig_samples", "dest_count", "next_request"),
)


def test_trace_and_campaigns_commands_give_the_same_campaigns() -> None:
    """One grouping: traced calls (three captures) and the terminating capture alone agree."""
    captures = [str(EXAMPLE / n) for n in ("lakeside.pcap", "prairie.pcapng", "midwest.pcap")]
    providers = ["--provider", "994L", "--provider", "993W", "--provider", "992T"]
    directory = ["--directory", str(ROOT / "examples" / "directory.toml")]
    _, traced = _trace(["trace", "--campaigns", *directory, *BUNDLED, *providers, *captures])
    _, captured = _trace(["campaigns", *directory, *BUNDLED, captures[0]])
    assert len(traced) == len(captured) == 3
    for ours, theirs in zip(traced, captured, strict=True):
        assert {k: ours[k] for k in SAME} == {k: theirs[k] for k in SAME}
    assert traced[0]["calls"] == 6
    assert traced[0]["next_request"]["contact"] == "traceback@harbor-gw.example"


def test_campaigns_directory_gives_the_contact_line_and_a_bad_one_is_a_usage_error(
    tmp_path: Path,
) -> None:
    capture = str(EXAMPLE / "lakeside.pcap")
    directory = ["--directory", str(ROOT / "examples" / "directory.toml")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["campaigns", *directory, *BUNDLED, capture]) == 0
        (tmp_path / "bad.toml").write_text("x = [")
        assert main(["campaigns", "--directory", str(tmp_path / "bad.toml"), capture]) == 2
    lines = out.getvalue().splitlines()
    reach = "traceback@harbor-gw.example (Robocall Mitigation Database: RMD0000991)"
    assert lines[3] == f"    contact: {reach}"
    assert err.getvalue().startswith("shakentrace: error: [directory-malformed] not TOML")


def _each_provider_alone(argv: list[str], tmp: Path) -> tuple[list[str], list[Path]]:
    """Each provider's own ``trace --json`` of its own capture, as it would answer.

    Returns the options without providers and files, and the answers' files.
    """
    start = argv.index("--provider")
    options, providers, files = argv[:start], argv[start + 1 : -3 : 2], argv[-3:]
    answers = []
    for provider, capture in zip(providers, files, strict=True):
        code, calls = _trace([*options, "--provider", provider, capture])
        assert code == 0
        answers.append(tmp / f"{provider}.jsonl")
        answers[-1].write_text("".join(json.dumps(c) + "\n" for c in calls))
    return options, answers


def _reported_in(calls: list[dict[str, Any]]) -> list[list[tuple[str | None, bool | None]]]:
    """Each call's hops' ``reported_in`` and ``reverified``, taken out of the hop records."""
    return [
        [(h.pop("reported_in"), h.pop("reverified")) for h in c["hops"] + c["unlinked"]]
        for c in calls
    ]


def test_other_providers_answers_link_as_their_captures_would(
    resigned: list[str], tmp_path: Path
) -> None:
    """Lakeside holds only its capture and the hop records Prairie and Midwest sent: the
    tracebacks equal those of all three captures, re-signed call and all."""
    options, (_, *theirs) = _each_provider_alone(resigned, tmp_path)
    hops = [a for path in theirs for a in ("--hops", str(path))]
    linked = _trace([*options, "--provider", "994L", resigned[-3], *hops])
    together = _trace(resigned)
    reported, _ = (_reported_in(calls) for _, calls in (linked, together))
    assert linked == together  # the same, but for where each hop came from
    # Their hops are verified again here, from the Identity values their records carry.
    assert reported[0] == [(None, None), (f"{theirs[0]}:1", True), (f"{theirs[1]}:1", True)]
    received_only = [*options[: options.index("--jobs")], *hops]  # no capture at all
    code, calls = _trace(received_only)
    assert code == 0
    assert [[h["provider"] for h in c["hops"]] for c in calls][:1] == [
        ["Prairie Wholesale Voice", "Midwest Transit Inc"]
    ]


def test_received_hops_are_verified_again_here(resigned: list[str], tmp_path: Path) -> None:
    """Each reported PASSporT is verified again with our trust anchors: a record that
    names another signer is caught, and one our trust does not confirm fails here."""
    options, (_, prairie, midwest) = _each_provider_alone(resigned, tmp_path)
    received_only = options[: options.index("--jobs")]
    lying = tmp_path / "lying.jsonl"
    calls = [json.loads(line) for line in midwest.read_text().splitlines()]
    for hop in calls[0]["hops"]:
        hop["signer"]["spc"] = "000X"  # Midwest names a signer the certificate does not
    lying.write_text("".join(json.dumps(c) + "\n" for c in calls))
    code, traced = _trace([*received_only, "--hops", str(prairie), "--hops", str(lying)])
    assert code == 0  # every PASSporT verifies here: only the report differs
    differs = [
        f["message"]
        for h in traced[0]["hops"]
        for f in h["findings"]
        if f["code"] == "verdict-differs"
    ]
    assert differs == ["reported signer SPC 000X, its certificate names 991G"]
    assert [h["reverified"] for h in traced[0]["hops"]] == [True, True]
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(StiCA(seed=7).trust_pem)
    trusting = received_only.index("--trust") + 1
    received_only[trusting] = str(stranger)
    code, traced = _trace([*received_only, "--hops", str(prairie), "--hops", str(midwest)])
    assert code == 1  # their verdicts are not ours
    assert [h["reverified"] for h in traced[0]["hops"]] == [False, False]
    assert all("verdict-differs" in [f["code"] for f in h["findings"]] for h in traced[0]["hops"])


def test_received_hops_answer_to_orig_dest_and_around(resigned: list[str], tmp_path: Path) -> None:
    """``--dest`` picks the call to OTHER out of the received records too, and
    ``--around`` keeps only records received near the moment asked about."""
    options, (_, *theirs) = _each_provider_alone(resigned, tmp_path)
    hops = [a for path in theirs for a in ("--hops", str(path))]
    received_only = [*options[: options.index("--jobs")], *hops]
    _, calls = _trace([*received_only, "--dest", OTHER])
    assert [c["hops"][0]["dest_tns"] for c in calls] == [[OTHER]]
    assert len(calls[0]["hops"]) == 2
    _, calls = _trace([*received_only, "--around", (T0 + timedelta(hours=1)).isoformat()])
    assert calls == []


def test_hop_files_as_a_process_over_the_bundled_example(tmp_path: Path) -> None:
    """The README's traceback from Lakeside's capture and the others' answers alone."""
    example = ROOT / "examples"
    common = [
        *("--directory", str(example / "directory.toml")),
        *("--trust", str(example / "capture" / "trust.pem")),
        *("--certs", str(example / "capture" / "certs")),
    ]
    captures = {"994L": "lakeside.pcap", "993W": "prairie.pcapng", "992T": "midwest.pcap"}
    together = [*common, "--jobs", "1"]
    for provider in captures:
        together += ["--provider", provider]
    together += [str(example / "capture" / name) for name in captures.values()]
    _, answers = _each_provider_alone(["trace", *together], tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "shakentrace", "trace", *common, "--provider", "994L"]
    argv += [str(example / "capture" / "lakeside.pcap")]
    argv += ["--hops", str(answers[1]), "--hops", "-"]  # Midwest's answer on stdin
    result = subprocess.run(
        argv,
        input=answers[2].read_text(),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    first_call = result.stdout.split("\ncall 2:")[0]
    assert f"max-forwards 69  reported in {answers[1]}:1, PASSporT verified here\n" in first_call
    assert "max-forwards 70  reported in -:1, PASSporT verified here\n" in first_call
    readme = (ROOT / "README.md").read_text()
    unmarked = re.sub(r"  reported in .+", "", first_call)
    assert unmarked.strip() in readme  # otherwise the README's, from the three captures


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"hops": [{"provider": 5}]}\n', "bad.jsonl:1: Hop.provider: expected a string"),
        ("\n[[[[\n", "bad.jsonl:2: not JSON"),
        ('{"hops": "all of them"}\n', "bad.jsonl:1: Traceback.hops: expected a list"),
        ("x" * (4 << 20) + "\n", "bad.jsonl:1: a line longer than 4194304 bytes"),
    ],
    ids=["wrong-type", "not-json", "hops-not-a-list", "line-too-long"],
)
def test_a_bad_hop_file_is_a_usage_error_naming_file_and_line(
    tmp_path: Path, text: str, said: str
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(text)
    directory = str(ROOT / "examples" / "directory.toml")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["trace", "--directory", directory, "--hops", str(bad)])
    assert (code, out.getvalue()) == (2, "")
    assert said in err.getvalue()
    assert err.getvalue().count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "give a capture FILE, or --hops FILE"),
        (["x.pcap"], "give --provider: who captured each FILE"),
        (["--provider", "994L", "--hops", "-"], "--provider names who captured a FILE"),
        (["--provider", "994L", "-", "--hops", "-"], "'-' (stdin) given twice"),
    ],
)
def test_trace_needs_something_to_trace(argv: list[str], said: str) -> None:
    directory = str(ROOT / "examples" / "directory.toml")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["trace", "--directory", directory, *argv])
    assert code == 2
    assert said in err.getvalue()


def test_a_line_feed_in_a_received_record_cannot_add_a_line_to_the_output(
    tmp_path: Path,
) -> None:
    """A hop record is the sender's text: a line feed in a value is shown as ``\\n``, in
    the call's title, the traceback and the campaigns alike."""
    forged = "\nNext request: nobody"
    record = {
        "provider": "Evil Co" + forged,
        "received_at": "2026-03-02T14:00:00Z",
        "orig_tn": "13125550037" + forged,
        "dest_tns": [VICTIM + forged],
        "signer": {
            "spc": "991G" + forged,
            "organization": "Harbor" + forged,
            "attestation": "C",
            "origid": "o" + forged,
            "verified": True,
            "iat": "2026-03-02T14:00:00Z",
            "certificate_fingerprint": None,
        },
        "likely_originator": {
            "kind": "unknown",
            "provider": None,
            "origid": None,
            "reason": "r" + forged,
            "rule": "O0",
        },
        "next_request": {"target": "T" + forged, "ocn": None, "ask": "a" + forged, "rule": "N4"},
    }
    hops = tmp_path / "evil.jsonl"
    hops.write_text(json.dumps(record) + "\n")
    directory = str(ROOT / "examples" / "directory.toml")
    for extra in ([], ["--campaigns"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            main(["trace", "--directory", directory, "--hops", str(hops), *extra])
        lines = out.getvalue().splitlines()
        assert lines
        assert not [line for line in lines if line.startswith("Next request: nobody")]
