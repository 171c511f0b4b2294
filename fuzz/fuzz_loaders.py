"""Loaders: trust bundles (PEM, trust-list JWS), x5u chains, provider directories.

The first input byte picks the loader; the rest is its input. Each must give
a value or its documented error (CertificateParseError, DirectoryError).
"""

from __future__ import annotations

import atheris
from _harness import contract, main

with atheris.instrument_imports(include=["shakentrace"]):
    from shakentrace.certs import cert_facts, lint, load_chain
    from shakentrace.providers import ProviderDirectory
    from shakentrace.trust import TrustStore


def _chain(data: bytes) -> None:
    for cert in load_chain(data):
        cert_facts(cert).to_dict()
        lint(cert)


LOADERS = (
    TrustStore.from_pem,
    TrustStore.from_trust_list,
    _chain,
    lambda data: ProviderDirectory.from_toml(data.decode("utf-8", "replace")).to_dict(),
    lambda data: ProviderDirectory.from_json(data.decode("utf-8", "replace")).to_dict(),
    lambda data: ProviderDirectory.from_ocn_csv(data.decode("utf-8", "replace")).to_dict(),
)


def one_input(data: bytes) -> None:
    if not data:
        return
    with contract():
        LOADERS[data[0] % len(LOADERS)](data[1:])


if __name__ == "__main__":
    main(one_input)
