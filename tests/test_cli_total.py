"""The command line over values no terminal encoding can write: found by mutation fuzzing.

A PASSporT is JSON, and JSON may escape a lone surrogate (``"\\ud800"``): Python
decodes it to a ``str`` that has no UTF-8 form, so writing it to a real standard
output raised ``UnicodeEncodeError`` and stopped the whole command with exit 2 at
that one call. These tests write to a strict UTF-8 stream, as a terminal or a
pipe is, not to a ``StringIO`` that takes anything.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shakentrace._cli_io import Console
from shakentrace._json import dumps_line
from shakentrace._printable import printable
from shakentrace.cli import _main
from shakentrace.testing import StiCA, build_invite, encode_jws

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="surrogates", now=NOW)
CERT = CA.issue_cert(spc="1234")


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lone surrogate in ``origid`` and ``rcd.nam``, then a good call."""
    claims = {
        "attest": "A",
        "dest": {"tn": ["12155551213"]},
        "iat": int(NOW.timestamp()),
        "orig": {"tn": "12155551212"},
        "origid": "ab\ud800cd",
        "rcd": {"nam": "\udc00Bank"},
    }
    raw = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()  # \ud800 escaped
    token = encode_jws(CERT.header(), raw, CERT.private_key)
    bad = build_invite(identity=CERT.identity_for(token), date=NOW, call_id="bad")
    good = build_invite(identity=CERT.identity_header(iat=NOW), date=NOW, call_id="good")
    path = tmp_path_factory.mktemp("surrogates") / "calls.sip"
    path.write_bytes(bad + b"\r\n" + good)
    return path


def _run(argv: list[str]) -> tuple[int, str, str]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.StringIO()
    code = _main(argv, Console(out=out, err=err))
    out.flush()
    buffer = out.buffer
    assert isinstance(buffer, io.BytesIO)
    return code, buffer.getvalue().decode("utf-8"), err.getvalue()


@pytest.mark.parametrize(
    "command",
    [
        ["inspect"],
        ["inspect", "--json"],
        ["verify", "--at", NOW.isoformat()],
        ["verify", "--json", "--at", NOW.isoformat()],
        ["verify", "--why", "--at", NOW.isoformat()],
        ["verify", "--summary", "--at", NOW.isoformat()],
        ["campaigns"],
    ],
    ids=["inspect", "inspect-json", "verify", "verify-json", "why", "summary", "campaigns"],
)
def test_a_lone_surrogate_in_a_claim_is_shown_escaped(capture: Path, command: list[str]) -> None:
    code, out, err = _run([*command, "--jobs", "1", str(capture)])
    assert code in (0, 1), err
    assert "surrogates not allowed" not in err
    if "--json" in command:
        lines = [json.loads(line) for line in out.splitlines()]
        assert len(lines) == 2
        assert "ab\ud800cd" in json.dumps(lines, ensure_ascii=False)  # the exact value


def test_json_lines_and_text_escape_lone_surrogates() -> None:
    line = dumps_line({"origid": "ab\ud800cd"})
    assert line == '{"origid":"ab\\ud800cd"}'
    assert json.loads(line) == {"origid": "ab\ud800cd"}
    assert printable("ab\ud800cd\udfff") == "ab\\ud800cd\\udfff"
