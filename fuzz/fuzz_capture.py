"""open_capture over fuzzed pcap, pcapng, HEP and text bytes, read to the end.

A capture is read message by message; problems are counted in ``stats``, and
only a file that cannot be read at all raises :class:`CaptureError`. The time
budget of ``_harness`` flags superlinear work (reassembly, framing, HEP).
The first input byte picks the format given to ``open_capture`` (auto, text,
pcap, pcapng), so that a fuzzed pcap header does not send every input to text.
"""

from __future__ import annotations

import json

import atheris
from _harness import contract, main

with atheris.instrument_imports(include=["shakentrace"]):
    from shakentrace.capture import open_capture

FORMATS = ("auto", "text", "pcap", "pcapng")


def one_input(data: bytes) -> None:
    if not data:
        return
    kind = FORMATS[data[0] % len(FORMATS)]
    with contract(), open_capture(data[1:], format=kind) as capture:  # type: ignore[arg-type]
        for message in capture:
            json.dumps(message.to_dict())
        json.dumps(capture.stats.to_dict())


if __name__ == "__main__":
    main(one_input)
