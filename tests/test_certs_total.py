"""Damaged certificates: our own error or a reason code, never another exception.

cryptography parses a certificate's serial number, names and extensions when
they are first read, so a certificate that loads could still raise (or warn)
later, in facts, lints, chain validation or a verification: an x5u that serves
such a certificate must not crash a verifier. :func:`~shakentrace.certs.load_chain`
reads them once and refuses the certificates that cannot be read.
"""

from __future__ import annotations

import base64
import contextlib
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given
from hypothesis import strategies as st

from shakentrace import StaticFetcher, TrustStore, Verifier
from shakentrace.certs import (
    cert_facts,
    claim_constraints,
    crl_distribution_points,
    lint,
    load_chain,
)
from shakentrace.errors import CertificateParseError
from shakentrace.testing import StiCA, build_invite
from test_trust import REAL

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="damaged-certs", now=NOW)
CERT = CA.issue_cert(spc="1234")
LEAF = CERT.certificate.public_bytes(Encoding.DER)
REAL_DER = [cert.public_bytes(Encoding.DER) for cert in REAL]


def _pem(der: bytes) -> bytes:
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n".encode()


def _damaged(old: str, new: str) -> bytes:
    """The leaf with its first DER octets ``old`` (hex) replaced by ``new``."""
    before, after = bytes.fromhex(old), bytes.fromhex(new)
    assert before in LEAF
    return LEAF.replace(before, after, 1)


def _negative_serial() -> bytes:
    at = LEAF.index(bytes.fromhex("a003020102")) + 7  # version, INTEGER tag and length
    return LEAF[:at] + b"\x80" + LEAF[at + 1 :]  # the sign bit set, still minimal DER


UNREADABLE = {
    # The AKI's OID made a second SubjectKeyIdentifier (RFC 5280 §4.2: at most one).
    "duplicate-extension": _damaged("0603551d23", "0603551d0e"),
    # countryName as a BIT STRING: the subject does not parse.
    "undecodable-name": _damaged("06035504061302", "06035504060302"),
    # RFC 5280 §4.1.2.2: the serial number is positive (cryptography warns, then refuses).
    "negative-serial": _negative_serial(),
}


@pytest.mark.parametrize("der", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_certificate_is_refused_when_loaded(der: bytes) -> None:
    with pytest.raises(CertificateParseError, match="certificate 0 cannot be read"):
        load_chain(_pem(der) + bytes(CERT.chain_pem))


def _served(leaf_der: bytes) -> Verifier:
    intermediates = b"".join(_pem(c.public_bytes(Encoding.DER)) for c in CERT.chain[1:])
    fetcher = StaticFetcher({CERT.x5u: _pem(leaf_der) + intermediates})
    return Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=fetcher)


@pytest.mark.parametrize("der", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_x5u_serving_an_unreadable_certificate_is_cert_unavailable(der: bytes) -> None:
    invite = build_invite(identity=CERT.identity_header(iat=NOW), date=NOW)
    out = _served(der).verify(invite, now=NOW)
    assert (out.status, out.sip_code) == ("invalid", 436)
    assert "cert-unavailable" in {r.code for r in out.reasons}


@pytest.mark.parametrize("tag", [0xA3, 0xA5], ids=["x400Address", "ediPartyName"])
def test_general_name_cryptography_does_not_support_is_read_raw(tag: int) -> None:
    """The CRL distribution point as an x400Address or ediPartyName: cryptography
    raises UnsupportedGeneralNameType for every extension; the certificate is kept,
    its extensions read from the raw DER and linted."""
    url = LEAF.index(b"http://crl.sti-pa.example/crl.der")
    der = LEAF[: url - 2] + bytes([tag]) + LEAF[url - 1 :]
    (leaf,) = load_chain(der)
    assert cert_facts(leaf).to_dict()["tn_auth"] is not None
    assert crl_distribution_points(leaf) == ()
    lint(leaf)
    invite = build_invite(identity=CERT.identity_header(iat=NOW), date=NOW)
    assert _served(der).verify(invite, now=NOW).status == "invalid"


def test_unknown_key_type_is_a_finding_not_a_crash() -> None:
    der = _damaged("2a8648ce3d0201", "2a8648ce3d0209")  # not id-ecPublicKey
    (leaf,) = load_chain(der)
    assert cert_facts(leaf).key_type.startswith("unsupported")
    assert any("not id-ecPublicKey P-256" in r.message for r in lint(leaf))
    invite = build_invite(identity=CERT.identity_header(iat=NOW), date=NOW)
    out = _served(der).verify(invite, now=NOW)
    assert out.status == "invalid"


def test_intermediate_with_an_unknown_signature_algorithm_is_untrusted() -> None:
    """cryptography raises UnsupportedAlgorithm for the hash of an unknown
    signature algorithm; the NULL-parameters path check asked for it and crashed."""
    intermediate = CERT.chain[1].public_bytes(Encoding.DER)
    unknown = intermediate.replace(
        bytes.fromhex("2a8648ce3d040302"), bytes.fromhex("2a8648ce3d040309")
    )
    fetcher = StaticFetcher({CERT.x5u: _pem(LEAF) + _pem(unknown)})
    verifier = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=fetcher)
    out = verifier.verify(build_invite(identity=CERT.identity_header(iat=NOW), date=NOW), now=NOW)
    assert out.status == "invalid"
    assert "cert-untrusted" in {r.code for r in out.reasons}


# cryptography warns (UserWarning) whenever it reads a name attribute of the wrong
# length; shown once by default, not a failure: only this run makes warnings errors.
@pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")
@given(
    seeds=st.lists(st.sampled_from(REAL_DER), min_size=1, max_size=3),
    flips=st.lists(st.tuples(st.integers(0, 12000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_damaged_real_certificates_never_crash(
    seeds: list[bytes], flips: list[tuple[int, int]]
) -> None:
    data = bytearray(b"".join(_pem(seed) for seed in seeds))
    for at, value in flips:  # in the base64 too, so the damage lands in any certificate
        data[at % len(data)] = value
    try:
        chain = load_chain(bytes(data))
    except CertificateParseError:
        return
    leaf = chain[0]
    cert_facts(leaf).to_dict()
    lint(leaf)
    crl_distribution_points(leaf)
    with contextlib.suppress(x509.ExtensionNotFound):
        claim_constraints(leaf)
    TrustStore(REAL[:4]).verify_chain(chain, at=NOW)


def _crl_der(ca: StiCA) -> bytes:
    return x509.load_pem_x509_crl(ca.crl().data).public_bytes(Encoding.DER)


def test_crl_with_an_unknown_version_is_crl_unavailable() -> None:
    ca = StiCA(seed="damaged-crl", now=NOW)
    cert = ca.issue_cert()
    ca.revoke(cert)
    der = _crl_der(ca)
    at = der.index(b"\x02\x01\x01")  # version v2 (1), the TBSCertList's first field
    damaged = der[:at] + b"\x02\x01\x1e" + der[at + 3 :]
    store = TrustStore([ca.root_cert], crl_fetcher=StaticFetcher({ca.crl_url: damaged}))
    result = store.verify_chain(cert.chain, at=NOW)
    assert [r.code for r in result.reasons] == ["crl-unavailable"]
    assert "not a CRL" in result.reasons[0].message


_REVOKING = StiCA(seed="revoking", now=NOW)
_REVOKED = [_REVOKING.issue_cert() for _ in range(3)]
for _cert in _REVOKED:
    _REVOKING.revoke(_cert)
_CRL = _crl_der(_REVOKING)


@given(flips=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=4))
def test_damaged_crls_never_crash(flips: list[tuple[int, int]]) -> None:
    data = bytearray(_CRL)
    for at, value in flips:
        data[at % len(data)] = value
    store = TrustStore(
        [_REVOKING.root_cert], crl_fetcher=StaticFetcher({_REVOKING.crl_url: bytes(data)})
    )
    result = store.verify_chain(_REVOKED[0].chain, at=NOW)
    assert result.trusted or {r.code for r in result.reasons} & {"cert-revoked", "crl-unavailable"}


def test_begin_line_without_a_block_is_no_chain() -> None:
    """A BEGIN line whose base64 does not follow (here a NUL) gave an empty chain."""
    pem = bytes(CERT.chain_pem).replace(b"CERTIFICATE-----\n", b"CERTIFICATE-----\x00")
    with pytest.raises(CertificateParseError, match="no complete PEM certificate block"):
        load_chain(pem)
