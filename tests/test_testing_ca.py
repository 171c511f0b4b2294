"""shakentrace.testing: StiCA certificates are real, ATIS-1000080 shaped, and reproducible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyasn1.codec.der.decoder import decode
from pyasn1_modules import rfc8226

from shakentrace import ConfigurationError
from shakentrace.testing import DEVIATIONS, SHAKEN_CP_OID, StiCA, encode_tn_auth_list

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TN_AUTH = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26")


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed="tests", now=NOW)


def _tn_auth(cert: x509.Certificate) -> rfc8226.TNAuthorizationList:
    value = cert.extensions.get_extension_for_oid(TN_AUTH).value
    assert isinstance(value, x509.UnrecognizedExtension)
    decoded, rest = decode(value.value, asn1Spec=rfc8226.TNAuthorizationList())
    assert rest == b""
    return decoded


def test_default_certificate_is_atis_shaped(ca: StiCA) -> None:
    cert = ca.issue_cert(spc="1234").certificate
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.ECDSA_WITH_SHA256
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical
    assert not bc.value.ca
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert not ku.value.key_cert_sign
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [SHAKEN_CP_OID]
    (point,) = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert point.full_name == [x509.UniformResourceIdentifier(ca.crl_url)]
    assert point.crl_issuer == [x509.DirectoryName(ca.intermediate_cert.subject)]
    cn = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    assert cn == "SHAKEN 1234"
    assert cert.serial_number.bit_length() >= 64


def test_tn_auth_list_is_rfc8226_der(ca: StiCA) -> None:
    cert = ca.issue_cert(spc="1234", tns=("12155551212",))
    decoded = _tn_auth(cert.certificate)
    assert str(decoded[0]["spc"]) == "1234"
    assert str(decoded[1]["one"]) == "12155551212"
    value = cert.certificate.extensions.get_extension_for_oid(TN_AUTH).value
    assert isinstance(value, x509.UnrecognizedExtension)
    assert value.value.startswith(bytes.fromhex("3017a006160431323334a20d160b"))


def test_single_spc_der_matches_real_certificates() -> None:
    # Every real STI cert seen uses exactly 30 08 A0 06 16 04 <SPC> (vectors/peers NOTES §6).
    assert encode_tn_auth_list(spcs=["123A"]) == bytes.fromhex("3008a0061604") + b"123A"


def test_delegate_certificate_lists_ranges(ca: StiCA) -> None:
    cert = ca.issue_cert(spc=None, tn_ranges=[("12155551000", 100)], tns=["12155559999"])
    decoded = _tn_auth(cert.certificate)
    assert str(decoded[0]["range"]["start"]) == "12155551000"
    assert int(decoded[0]["range"]["count"]) == 100
    assert str(decoded[1]["one"]) == "12155559999"
    assert cert.spc is None


def test_chain_verifies_with_cryptography(ca: StiCA) -> None:
    cert = ca.issue_cert()
    leaf, intermediate = cert.chain
    leaf.verify_directly_issued_by(intermediate)
    intermediate.verify_directly_issued_by(ca.root_cert)
    ca.root_cert.verify_directly_issued_by(ca.root_cert)
    assert x509.load_pem_x509_certificates(cert.chain_pem.data) == [leaf, intermediate]
    assert x509.load_pem_x509_certificate(ca.trust_pem) == ca.root_cert


def test_root_and_intermediate_shape(ca: StiCA) -> None:
    for ca_cert in (ca.root_cert, ca.intermediate_cert):
        bc = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical
        assert bc.value.ca
    with pytest.raises(x509.ExtensionNotFound):
        ca.root_cert.extensions.get_extension_for_class(x509.CertificatePolicies)
    ca.intermediate_cert.extensions.get_extension_for_class(x509.CertificatePolicies)


def test_validity_is_chosen_and_defaults_from_now(ca: StiCA) -> None:
    cert = ca.issue_cert().certificate
    assert cert.not_valid_before_utc == NOW - timedelta(days=1)
    start, end = NOW - timedelta(days=400), NOW - timedelta(days=30)
    expired = ca.issue_cert(not_before=start, not_after=end).certificate
    assert (expired.not_valid_before_utc, expired.not_valid_after_utc) == (start, end)


def test_seeded_ca_is_reproducible() -> None:
    one, two = StiCA(seed=7, now=NOW), StiCA(seed=7, now=NOW)
    a, b = one.issue_cert(), two.issue_cert()
    assert a.chain_pem == b.chain_pem
    assert a.private_key_pem == b.private_key_pem
    assert a.identity_header() == b.identity_header()
    assert StiCA(seed=8, now=NOW).issue_cert().chain_pem != a.chain_pem


def test_unseeded_ca_is_random() -> None:
    assert StiCA(now=NOW).issue_cert().chain_pem != StiCA(now=NOW).issue_cert().chain_pem


@pytest.mark.parametrize("deviation", sorted(DEVIATIONS))
def test_every_deviation_makes_a_parseable_certificate(ca: StiCA, deviation: str) -> None:
    cert = ca.issue_cert(deviations=[deviation])  # type: ignore[list-item]
    assert x509.load_pem_x509_certificates(cert.chain_pem.data)
    assert cert.deviations == (deviation,)


def test_deviations_break_what_they_name(ca: StiCA) -> None:
    def ext(dev: str, cls: type[x509.ExtensionType]) -> x509.ExtensionType | None:
        cert = ca.issue_cert(deviations=[dev]).certificate  # type: ignore[list-item]
        try:
            return cert.extensions.get_extension_for_class(cls).value
        except x509.ExtensionNotFound:
            return None

    bc = ext("ca-leaf", x509.BasicConstraints)
    assert isinstance(bc, x509.BasicConstraints)
    assert bc.ca
    assert ext("no-basic-constraints", x509.BasicConstraints) is None
    assert ext("no-policy", x509.CertificatePolicies) is None
    assert ext("no-crl-dp", x509.CRLDistributionPoints) is None
    rsa_cert = ca.issue_cert(deviations=["rsa-key"]).certificate
    assert isinstance(rsa_cert.public_key(), rsa.RSAPublicKey)
    no_tn = ca.issue_cert(deviations=["no-tnauthlist"]).certificate
    with pytest.raises(x509.ExtensionNotFound):
        no_tn.extensions.get_extension_for_oid(TN_AUTH)
    selfie = ca.issue_cert(deviations=["self-signed"])
    assert selfie.chain == (selfie.certificate,)
    assert selfie.certificate.issuer == selfie.certificate.subject
    by_root = ca.issue_cert(deviations=["issued-by-root"])
    by_root.certificate.verify_directly_issued_by(ca.root_cert)


def test_unknown_deviation_and_naive_time_are_refused(ca: StiCA) -> None:
    with pytest.raises(ConfigurationError):
        ca.issue_cert(deviations=["nope"])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError):
        StiCA(now=datetime(2026, 1, 1))


def test_revoked_certificate_is_on_the_crl(ca: StiCA) -> None:
    local = StiCA(seed="crl", now=NOW)
    good, bad = local.issue_cert(), local.issue_cert()
    local.revoke(bad)
    crl = x509.load_pem_x509_crl(local.crl().data)
    assert crl.is_signature_valid(local.intermediate_key.public_key())
    assert crl.get_revoked_certificate_by_serial_number(bad.certificate.serial_number)
    assert crl.get_revoked_certificate_by_serial_number(good.certificate.serial_number) is None


def test_blob_writes_files(ca: StiCA, tmp_path: Path) -> None:
    cert = ca.issue_cert()
    path = cert.chain_pem.write_to_path(tmp_path / "chain.pem")
    cert.cert_pem.write_to_path(tmp_path / "leaf.pem", append=True)
    assert path.read_bytes() == bytes(cert.chain_pem)
    with cert.private_key_pem.tempfile() as key_path:
        assert key_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert not key_path.exists()
