"""parse_identity then decode_passport of its token, with every accessor and to_dict()."""

from __future__ import annotations

import json

import atheris
from _harness import contract, main

with atheris.instrument_imports(include=["shakentrace"]):
    from shakentrace.identity import parse_identity
    from shakentrace.passport import decode_passport


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
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
