"""uri.parse_uri / parse_name_addr / parse_params and tn normalisation and matching."""

from __future__ import annotations

import json

import atheris
from _harness import contract, main

with atheris.instrument_imports(include=["shakentrace"]):
    from shakentrace.tn import canonical_tn, compare_tns, is_anonymous, tn_from_uri
    from shakentrace.uri import parse_name_addr, parse_params, parse_uri


def one_input(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    half = text[: len(text) // 2], text[len(text) // 2 :]
    with contract():
        uri = parse_uri(text)
        json.dumps(uri.to_dict())
        _ = (uri.tn, uri.get_param("user"), tn_from_uri(uri), is_anonymous(uri))
    with contract():
        addr = parse_name_addr(text)
        json.dumps(addr.to_dict())
        _ = (addr.tn, addr.tag, tn_from_uri(addr), is_anonymous(addr))
    with contract():
        json.dumps(parse_params(text).to_dict())
    with contract():
        canonical_tn(text)
    with contract():
        canonical_tn(text, national=None)
    with contract():
        tn_from_uri(text)
    with contract():
        is_anonymous(text)
    with contract():
        compare_tns(*half)


if __name__ == "__main__":
    main(one_input)
