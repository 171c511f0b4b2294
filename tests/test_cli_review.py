"""The command line as an analyst meets it: awkward inputs and flags, on the bundled data."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, VECTORS
from shakentrace.cli import main
from shakentrace.errors import ConfigurationError
from shakentrace.testing import StiCA, build_invite
from shakentrace.verify import Policy

EXAMPLE = ROOT / "examples" / "capture"
LAKESIDE = str(EXAMPLE / "lakeside.pcap")
OFFLINE = ["--trust", str(EXAMPLE / "trust.pem"), "--certs", str(EXAMPLE / "certs")]
RFC8224 = str(ROOT / "examples" / "invites" / "rfc8224-5.1.sip")
NUL_INVITE = str(VECTORS / "sip" / "error-nul-in-header.sip")
X5U_991G = "https://sti.harbor-gw.example/991G.pem"
SIGNED_8224 = "2015-09-25T19:12:25Z"  # its Date and iat
DIRECTORY = ["--directory", str(ROOT / "examples" / "directory.toml")]


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_verify_reports_an_invite_it_cannot_parse_instead_of_leaving_it_out() -> None:
    code, out, err = _run(["verify", "--jobs", "1", "--at", SIGNED_8224, RFC8224, NUL_INVITE])
    assert code == 2
    assert out.count("\n") == 1
    assert err == (
        f"shakentrace: error: {NUL_INVITE}:1: [sip-control-char] control character"
        " '\\x00' in the header (line 3); INVITE not verified\n"
    )


def test_campaigns_and_trace_report_an_unparseable_invite_too() -> None:
    code, out, err = _run(["campaigns", "--jobs", "1", *OFFLINE, LAKESIDE, NUL_INVITE])
    assert (code, out.count("#"), err.count("INVITE not verified")) == (2, 3, 1)
    trace = ["trace", *DIRECTORY, "--provider", "994L", "--jobs", "1", *OFFLINE]
    code, out, err = _run([*trace, LAKESIDE, NUL_INVITE])
    assert (code, out.count("\ncall ") + 1, err.count("INVITE not verified")) == (2, 8, 1)


def test_a_missing_x5u_is_named_once_with_where_it_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "993W.pem").write_bytes((EXAMPLE / "certs" / "993W.pem").read_bytes())
    argv = ["verify", "--json", "--trust", str(EXAMPLE / "trust.pem"), "--certs", str(tmp_path)]
    code, out, _err = _run([*argv, LAKESIDE])
    first = json.loads(out.splitlines()[0])
    assert code == 1
    assert [r["message"] for r in first["reasons"] if r["code"] == "cert-unavailable"] == [
        f"{X5U_991G} is not in the certificate folder {tmp_path}: no file 991G.pem"
    ]
    code, out, _err = _run(["verify", "--json", LAKESIDE])
    messages = [r["message"] for r in json.loads(out.splitlines()[0])["reasons"]]
    assert f"{X5U_991G}: no --certs directory given (offline; --fetch fetches it)" in messages


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("max_age=abc", "--policy 'max_age=abc': max_age takes a number of seconds"),
        ("max_age=inf", "--policy 'max_age=inf': max_age takes a number of seconds"),
        ("require_ppt=ture", "--policy 'require_ppt=ture': require_ppt takes true or false"),
        ("max_identities=2.5", "max_identities takes a whole number"),
    ],
)
def test_a_policy_value_of_the_wrong_kind_is_a_usage_error_naming_the_flag(
    pair: str, message: str
) -> None:
    code, out, err = _run(["verify", "--policy", pair, RFC8224])
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert message in err


def test_every_policy_field_the_help_names_can_be_set() -> None:
    fields = {f.name for f in dataclasses.fields(Policy)} - {"limits"}
    code, out, _err = _run(["verify", "--help"])
    text = " ".join(out.split())
    assert code == 0
    assert all(name in text for name in fields)
    values = {"max_age": "600", "future_skew": "10", "algorithms": "ES256", "ppts": "shaken"}
    values |= {"max_identities": "4", "require_alg": "yes", "require_ppt": "off"}
    values |= {"check_date": "false", "accept_last10": "true"}
    argv = [arg for name in sorted(fields) for arg in ("--policy", f"{name}={values[name]}")]
    code, _out, err = _run(["verify", *argv, *OFFLINE, LAKESIDE])
    assert (code, err) == (0, "")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--top", "-1"], "argument --top: '-1' is not a whole number >= 0"),
        (["--mask-digits", "-3"], "argument --mask-digits: '-3' is not a whole number >= 0"),
        (["--min-calls", "0"], "argument --min-calls: '0' is not a whole number >= 1"),
        (["--jobs", "0"], "argument --jobs: '0' is not a whole number >= 1"),
        (["--jobs", "two"], "argument --jobs: 'two' is not a whole number >= 1"),
    ],
)
def test_campaign_options_out_of_range_are_usage_errors(option: list[str], message: str) -> None:
    code, out, err = _run(["campaigns", *option, LAKESIDE])
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"shakentrace campaigns: error: {message}"


def test_top_shows_the_largest_campaigns_and_zero_shows_all() -> None:
    _code, every, _err = _run(["campaigns", *OFFLINE, "--top", "0", LAKESIDE])
    _code, top, _err = _run(["campaigns", *OFFLINE, "--top", "1", LAKESIDE])
    assert (every.count("\n#"), top.count("\n#")) == (2, 0)  # three campaigns, then one
    assert every.startswith(top)


UNDATED = "no capture time, so judged as of now; --at TIME judges as of when the call arrived"
BANDWIDTH = VECTORS / "bandwidth"
REAL = ["--trust", str(BANDWIDTH / "neustar_root_ca.pem"), "--certs", str(BANDWIDTH / "x5u")]


def test_a_pasted_invite_without_at_warns_that_it_is_judged_as_of_now() -> None:
    _code, out, err = _run(["verify", RFC8224, RFC8224, LAKESIDE])
    assert "stale" in out.splitlines()[0]
    assert err == f"shakentrace: warning: {RFC8224}: {UNDATED}\n"  # once per file; pcaps are dated
    _code, out, err = _run(["verify", "--at", SIGNED_8224, RFC8224])
    assert "stale" not in out
    assert err == ""


def test_an_identity_value_without_at_warns_that_it_is_judged_as_of_now() -> None:
    ticket = str(BANDWIDTH / "ticket.txt")
    code, out, err = _run(["verify", "--identity", *REAL, ticket])
    assert code == 1
    assert "reasons=cert-expired,stale" in out
    assert err == f"shakentrace: warning: Identity values: {UNDATED}\n"
    code, out, err = _run(["verify", "--identity", *REAL, "--at", "2022-06-29T20:25:36Z", ticket])
    assert (code, err) == (0, "")


README = str(ROOT / "README.md")
LEAF = str(EXAMPLE / "certs" / "991G.pem")
HOW = "each chain after an 'X5U: <url>' line, or give a folder of chains named like the URLs"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--trust", README],
            f"[cert-invalid] --trust {README}: no certificate: neither a PEM block"
            " (-----BEGIN CERTIFICATE-----) nor DER",
        ),
        (["--certs", README], f"[configuration] {README}: not a certificate bundle ({HOW})"),
        (
            ["--certs", LEAF],
            f"[configuration] {LEAF}: PEM block before any 'X5U: <url>' line in the bundle ({HOW})",
        ),
    ],
)
def test_a_wrong_trust_or_certs_file_is_named_with_what_is_wrong(
    option: list[str], message: str
) -> None:
    code, out, err = _run(["verify", *option, LAKESIDE])
    assert (code, out) == (2, "")
    assert err == f"shakentrace: error: {message}\n"


def test_trace_warns_of_a_capturing_provider_the_directory_does_not_know() -> None:
    trace = ["trace", *DIRECTORY, *OFFLINE, "--provider", "Nobody", "--provider", "994l"]
    code, out, err = _run([*trace, LAKESIDE, str(EXAMPLE / "prairie.pcapng")])
    assert code == 0
    assert "#0 Nobody  received" in out
    directory = DIRECTORY[1]
    assert err == (
        f"shakentrace: warning: --provider 'Nobody' is not in {directory} (by name or OCN);"
        " its hops name it as given\n"
    )


def _assert_reads_as(folder: Path, name: str, original: bytes) -> None:
    """``folder/ticket.txt`` gives the facts of ``original`` (saved as ``name``)."""
    (folder / name).write_bytes(original)
    outputs = [_run(["inspect", "--json", str(folder / file)]) for file in (name, "ticket.txt")]
    (code, got, err), (_, want, _) = outputs[1], outputs[0]
    assert (code, err) == (0, "")
    facts = [json.loads(line) for line in (got, want)]
    for fact in facts:
        del fact["capture"]
    assert facts[0] == facts[1]


@pytest.mark.parametrize("indent", ["    ", "\t", "> ", "> > "])
@pytest.mark.parametrize("name", ["folded.sip", "compact-form.sip", "bare-lf.sip"])
def test_an_invite_pasted_with_an_indent_reads_as_the_message_itself(
    tmp_path: Path, indent: str, name: str
) -> None:
    original = (VECTORS / "sip" / name).read_bytes()
    lines = original.decode().splitlines()
    pasted = "Ticket 4711, the INVITE we received:\n\n"
    pasted += "".join(f"{indent}{line}".rstrip() + "\n" for line in lines)
    (tmp_path / "ticket.txt").write_text(pasted + "\nThanks, the NOC\n")
    _assert_reads_as(tmp_path, name, original)


@pytest.mark.parametrize("name", ["folded.sip", "compact-form.sip", "rfc8224-5.1-signed.sip"])
def test_an_invite_copied_out_of_a_web_ticket_with_html_escapes_reads_as_itself(
    tmp_path: Path, name: str
) -> None:
    original = (VECTORS / "sip" / name).read_bytes()
    head, _, body = original.partition(b"\r\n\r\n")
    escaped = head.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;")
    escaped = escaped.replace(b'"', b"&quot;")
    (tmp_path / "ticket.txt").write_bytes(escaped + b"\r\n\r\n" + body)
    _assert_reads_as(tmp_path, name, original)


def test_a_head_with_real_angle_brackets_keeps_its_ampersand_escapes(tmp_path: Path) -> None:
    raw = build_invite(from_display="Tom &lt;&amp;&gt; Jerry")
    (tmp_path / "call.sip").write_bytes(raw)
    code, out, _ = _run(["inspect", "--json", str(tmp_path / "call.sip")])
    assert code == 0
    assert json.loads(out)["from"]["display_name"] == "Tom &lt;&amp;&gt; Jerry"


def test_an_identity_value_pasted_with_html_escapes_and_an_indent_verifies(
    tmp_path: Path,
) -> None:
    value = (BANDWIDTH / "ticket.txt").read_text().strip()
    escaped = value.replace("<", "&lt;").replace(">", "&#62;").replace(";", "&#59;", 1)
    (tmp_path / "ticket.txt").write_text(f"   {escaped}\n")
    argv = ["verify", "--identity", *REAL, "--at", "2022-06-29T20:25:36Z"]
    code, out, err = _run([*argv, str(tmp_path / "ticket.txt")])
    assert (code, err) == (0, "")
    assert "valid       attest=A 19194442683 -> 19842820280  signer=SPC 997E" in out


def test_a_call_without_a_known_signer_names_the_x5u_to_chase(tmp_path: Path) -> None:
    (tmp_path / "993W.pem").write_bytes((EXAMPLE / "certs" / "993W.pem").read_bytes())
    argv = ["verify", "--trust", str(EXAMPLE / "trust.pem"), "--certs", str(tmp_path)]
    code, out, _err = _run([*argv, LAKESIDE])
    lines = out.splitlines()
    assert code == 1
    assert f"signer=- x5u={X5U_991G}  origid=globex-ingress-3  reasons=cert-unavailable" in lines[0]
    assert "signer=SPC 993W (Prairie Wholesale Voice)  origid=prairie-cust-2  reasons=-" in lines[2]


@pytest.mark.parametrize("command", ["inspect", "verify", "trace", "campaigns", "mint"])
def test_every_command_help_says_what_it_does(command: str) -> None:
    code, out, _err = _run([command, "--help"])
    assert code == 0
    description = out.split("\n\n")[1]
    assert not description.startswith(("positional arguments", "options")), description


def test_mint_with_an_empty_spc_is_a_one_line_error(tmp_path: Path) -> None:
    code, out, err = _run(["mint", str(tmp_path / "sti"), "--spc", ""])
    assert (code, out) == (2, "")
    assert err == (
        "shakentrace: error: [configuration] a TNAuthList needs an SPC, a TN or a range"
        " (RFC 8226); the 'empty-tnauthlist' deviation makes an empty one\n"
    )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"spc": "é"}, "TNAuthList spcs ['é']: SPCs are ASCII"),
        ({"tns": ["215-555"]}, "TNAuthList one '215-555': a TN is 1 to 15 of 0-9, # and *"),
        ({"tn_ranges": [("1215555", "x")]}, "TNAuthList count 'x': a range count is a whole"),
    ],
)
def test_sti_ca_refuses_a_tnauthlist_it_cannot_encode_with_our_error(
    entries: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        StiCA(seed=1).issue_cert(**entries)
    assert message in str(caught.value)


def test_mint_help_is_plain_text_and_a_bad_now_names_the_flag(tmp_path: Path) -> None:
    _code, out, _err = _run(["mint", "--help"])
    assert "``" not in out
    assert "\nWrite a test STI-CA, a certificate and a signed INVITE to files.\n" in out
    code, _out, err = _run(["mint", str(tmp_path / "sti"), "--now", "yesterday"])
    assert code == 2
    assert err.splitlines()[-1] == (
        "shakentrace mint: error: argument --now: 'yesterday' is not an ISO 8601 time"
    )
