"""An input without any SIP message is unreadable input: an error line and exit code 2.

Exit 0 says every call verified; for a wrong file (a web page, an RTP-only capture)
it would let a script carry on as if all were well. The other inputs still print.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from shakentrace.cli import main

CAPTURE = ROOT / "examples" / "capture"
TRACE = ["trace", "--directory", str(ROOT / "examples" / "directory.toml"), "--provider", "994L"]
COMMANDS = {
    "inspect": ["inspect"],
    "verify": ["verify", "--trust", str(CAPTURE / "trust.pem"), "--certs", str(CAPTURE / "certs")],
    "campaigns": ["campaigns"],
    "trace": TRACE,
}


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _rtp_only_pcap(path: Path) -> Path:
    """A real-looking capture holding one UDP datagram that is not SIP."""
    payload = b"\x80\x00" + bytes(170)
    udp = struct.pack("!HHHH", 40000, 40002, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2]))  # fmt: skip
    frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    path.write_bytes(header + struct.pack("<IIII", 1, 0, len(frame), len(frame)) + frame)
    return path


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_file_without_sip_exits_2_with_one_error_line(command: str, tmp_path: Path) -> None:
    page = tmp_path / "ticket.html"
    page.write_text("<html><body>Call from +1 215 555 1212</body></html>\n")
    code, out, err = _run([*COMMANDS[command], str(page)])
    assert (code, out) == (2, "")
    hint = "(Identity values alone: verify or inspect --identity)"
    assert err == f"shakentrace: error: {page}: no SIP message found {hint}\n"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_other_inputs_still_print(command: str, tmp_path: Path) -> None:
    rtp = _rtp_only_pcap(tmp_path / "rtp.pcap")
    code, out, err = _run([*COMMANDS[command], str(CAPTURE / "lakeside.pcap"), str(rtp)])
    assert code == 2
    assert out  # lakeside's calls
    assert f"error: {rtp}: no SIP message found in 1 packet (1 without SIP: RTP, DNS" in err


def test_an_input_with_sip_but_no_invite_is_readable(tmp_path: Path) -> None:
    options = tmp_path / "options.txt"
    options.write_bytes(
        b"OPTIONS sip:sbc.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1\r\n"
        b"Call-ID: ping-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    code, out, err = _run(["inspect", str(options)])
    assert (code, out) == (0, "")
    assert "none an INVITE" in err


def _pcap_header() -> bytes:
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def test_a_capture_without_packets_says_so_in_one_line(tmp_path: Path) -> None:
    # "no SIP message found in 0 packets (0 without SIP: RTP, DNS...)" told the
    # analyst to look for RTP in a file that holds no packet at all.
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(_pcap_header())
    code, out, err = _run(["inspect", str(empty)])
    assert (code, out) == (2, "")
    assert err == f"shakentrace: error: {empty}: no packet in the capture (only its file header)\n"


def test_a_capture_cut_in_its_first_packet_is_one_error_line(tmp_path: Path) -> None:
    whole = _rtp_only_pcap(tmp_path / "rtp.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(whole[:-5])
    code, out, err = _run(["inspect", str(cut)])
    assert (code, out) == (2, "")
    assert err == (
        f"shakentrace: error: {cut}: no complete packet in the capture"
        " (capture truncated in a packet; stopped reading)\n"
    )


def test_a_truncated_capture_warns_once_from_a_process() -> None:
    # The library's own log line ("...: capture truncated; read 7 messages") reached
    # the terminal through logging's last-resort handler, unprefixed, above the
    # command's warning; a process is needed, pytest installs logging handlers.
    cut = (CAPTURE / "lakeside.pcap").read_bytes()[:-30]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "shakentrace", "inspect", "-"],
        input=cut,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0
    assert result.stderr.decode() == (
        "shakentrace: warning: -: capture truncated in a packet; stopped reading\n"
    )
