"""Verifier.verify over fuzzed INVITEs, Identity values, certificate chains and CRLs.

The first input byte picks what is fuzzed (the rest of the input is it); every
other part is a valid call signed by a :class:`~shakentrace.testing.StiCA`:

* ``0`` a whole SIP message;
* ``1`` the Identity header value (in a valid INVITE, and alone);
* ``2`` the leaf certificate's DER (the chain served at x5u is it plus the intermediate);
* ``3`` the body served at x5u, as is (PEM or DER);
* ``4`` the CRL served at the leaf's CRL Distribution Point (DER);
* ``5`` the PASSporT's JSON: ``header`` newline ``claims`` (or the claims alone),
  signed with the certificate's key, so that the claims checks run past the
  signature.

For modes 0, 1 and 5, the message and its outcome then go through
``traceback.infer_hop``, ``link`` and the JSON, text and HTML reports.

``verify`` must return an :class:`~shakentrace.verify.Outcome` whose ``to_dict()``
is JSON: it documents no exception for bad input, so even our own is a finding.
"""

from __future__ import annotations

import base64
import json
import textwrap
from datetime import datetime

import atheris
from _harness import main

with atheris.instrument_imports(include=["shakentrace"]):
    from cryptography.hazmat.primitives.serialization import Encoding

    from shakentrace.errors import SipParseError
    from shakentrace.fetch import StaticFetcher
    from shakentrace.linking import link
    from shakentrace.providers import ProviderDirectory
    from shakentrace.report import to_html, to_json, to_text
    from shakentrace.sip import parse_sip
    from shakentrace.testing import StiCA, build_invite, encode_jws, format_identity
    from shakentrace.traceback import infer_hop
    from shakentrace.trust import TrustStore
    from shakentrace.verify import Outcome, Verifier

CA = StiCA(seed=1, now=datetime.fromisoformat("2026-03-01T12:00:00+00:00"))
CERT = CA.issue_cert(spc="1234")
IDENTITY = CERT.identity_header(orig="12155551212", dest="12155551213")
INVITE = build_invite(identity=IDENTITY)
LEAF_DER = CERT.certificate.public_bytes(Encoding.DER)
INTERMEDIATE_PEM = CA.intermediate_cert.public_bytes(Encoding.PEM)
CRL_URL = CA.crl_url
KEY = CERT.private_key
_PARTS = [base64.urlsafe_b64decode(p + "==") for p in IDENTITY.split(";")[0].split(".")[:2]]
HEADER_JSON, CLAIMS_JSON = _PARTS
NOW = CA.now()


def _pem(der: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()


def _verifier(chain: bytes = bytes(CERT.chain_pem), crl: bytes | None = None) -> Verifier:
    bodies = {CERT.x5u: chain}
    crl_fetcher = None
    if crl is not None:
        bodies[CRL_URL] = crl
        crl_fetcher = StaticFetcher(bodies)
    trust = TrustStore.from_pem(CA.trust_pem, crl_fetcher=crl_fetcher)
    return Verifier(trust=trust, fetcher=StaticFetcher(bodies))


DIRECTORY = ProviderDirectory.from_mapping(
    {
        "providers": [{"name": "Signer Co", "ocns": ["1234"]}, {"name": "Us", "ocns": ["9999"]}],
        "peers": [{"provider": "Signer Co", "addresses": ["192.0.2.0/24"]}],
    }
)


def _check(outcome: object, raw: bytes | None = None) -> None:
    assert isinstance(outcome, Outcome), type(outcome)
    json.dumps(outcome.to_dict())
    if raw is None:
        return
    try:
        message = parse_sip(raw)
    except SipParseError:
        return
    # infer_hop "never raises on what the message or outcome contain"; nor do the reports.
    hop = infer_hop(message, outcome, DIRECTORY, provider="9999", peer="192.0.2.7")
    trace = link([hop])
    to_json(hop), to_text(trace), to_html(trace)


def one_input(data: bytes) -> None:
    if not data:
        return
    mode, rest = data[0] % 6, data[1:]
    if mode == 0:
        _check(_verifier().verify(rest, now=NOW), rest)
    elif mode == 1:
        value = rest.decode("utf-8", "replace")
        invite = INVITE.replace(IDENTITY.encode(), value.encode())
        _check(_verifier().verify(invite, now=NOW), invite)
        _check(_verifier().verify_identity(value, now=NOW))
    elif mode == 2:
        _check(_verifier(_pem(rest) + INTERMEDIATE_PEM).verify(INVITE, now=NOW))
    elif mode == 3:
        _check(_verifier(rest).verify(INVITE, now=NOW))
    elif mode == 4:
        _check(_verifier(crl=rest).verify(INVITE, now=NOW))
    else:
        header, newline, claims = rest.partition(b"\n")
        token = encode_jws(header if newline else HEADER_JSON, claims if newline else rest, KEY)
        value = format_identity(token, info=CERT.x5u)
        invite = INVITE.replace(IDENTITY.encode(), value.encode())
        _check(_verifier().verify(invite, now=NOW), invite)


def seeds() -> dict[str, bytes]:
    """Valid inputs of each mode (see fuzz/seed.py)."""
    from cryptography import x509

    crl_der = x509.load_pem_x509_crl(bytes(CA.crl())).public_bytes(Encoding.DER)
    return {
        "invite": b"\0" + INVITE,
        "identity": b"\1" + IDENTITY.encode(),
        "leaf": b"\2" + LEAF_DER,
        "chain-pem": b"\3" + bytes(CERT.chain_pem),
        "chain-der": b"\3" + LEAF_DER,
        "crl": b"\4" + crl_der,
        "passport": b"\5" + HEADER_JSON + b"\n" + CLAIMS_JSON,
    }


if __name__ == "__main__":
    main(one_input)
