"""parse_identity then decode_passport of its token, with every accessor and to_dict()."""

from __future__ import annotations

import base64
import json

import atheris
from _harness import contract, main

with atheris.instrument_imports(include=["shakentrace"]):
    from shakentrace.identity import parse_identity
    from shakentrace.passport import decode_passport


def _token(data: bytes) -> str:
    """``header-json`` newline ``claims-json`` as a PASSporT (fixed signature)."""
    header, _, claims = data.partition(b"\n")
    parts = (base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in (header, claims))
    return ".".join((*parts, "c2ln"))


def one_input(data: bytes) -> None:
    # JSON (first byte "{") is base64url-encoded here: a fuzzer cannot do it itself.
    text = _token(data) if data[:1] == b"{" else data.decode("utf-8", "surrogateescape")
    with contract():
        header = parse_identity(text)
        json.dumps(header.to_dict())
        passport = decode_passport(header.token)
        json.dumps(passport.to_dict())
        _ = (passport.attest, passport.origid, passport.orig_tn, passport.dest_tns)
        _ = (passport.iat, passport.x5u, passport.ppt, passport.issued_at)
        _ = (passport.warnings, passport.fingerprint)
    with contract():
        # The token alone, as decode_passport is also called on bare tokens.
        json.dumps(decode_passport(text).to_dict())


if __name__ == "__main__":
    main(one_input)
