"""certs: chain loading, TNAuthList decoding (clean and real-world malformed), facts."""

from __future__ import annotations

import base64
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.der.decoder import decode as der_decode
from pyasn1.codec.der.encoder import encode as der_encode
from pyasn1_modules import rfc5280

from conftest import VECTORS
from shakentrace import CertificateParseError, TNAuthList, TNRange, cert_facts, load_chain
from shakentrace._asn1 import tbs_with_null_ecdsa_params, without_null_ecdsa_params
from shakentrace.certs import null_ecdsa_params
from shakentrace.testing import StiCA, encode_tn_auth_list

PKI = VECTORS / "shaken-pki-reports"
MANIFEST: dict[str, dict[str, Any]] = json.loads((PKI / "manifest.json").read_text())
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _pem(name: str) -> bytes:
    return (PKI / f"{name}.pem").read_bytes()


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed=4, now=NOW)


class TestLoadChain:
    def test_pem_chain_keeps_order(self, ca: StiCA) -> None:
        cert = ca.issue_cert(spc="1234")
        chain = load_chain(cert.chain_pem.data)
        assert chain == cert.chain

    def test_der_single_certificate(self, ca: StiCA) -> None:
        cert = ca.issue_cert(spc="1234")
        der = cert.certificate.public_bytes(serialization.Encoding.DER)
        assert load_chain(der) == (cert.certificate,)

    def test_too_many_certificates(self, ca: StiCA) -> None:
        pem = ca.issue_cert().cert_pem.data
        with pytest.raises(CertificateParseError, match="over the 3 limit"):
            load_chain(pem * 4, max_certs=3)

    def test_too_large(self) -> None:
        with pytest.raises(CertificateParseError, match="over the 10 limit"):
            load_chain(b"x" * 11, max_bytes=10)

    @pytest.mark.parametrize(
        "data", [b"", b"hello", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]
    )
    def test_garbage_raises_our_error(self, data: bytes) -> None:
        with pytest.raises(CertificateParseError) as info:
            load_chain(data)
        assert info.value.code == "cert-invalid"

    @given(st.binary(max_size=300))
    def test_any_bytes_give_chain_or_our_error(self, data: bytes) -> None:
        with contextlib.suppress(CertificateParseError):
            load_chain(data)

    def test_null_ecdsa_parameters_are_reencoded(self) -> None:
        # T-Mobile's issuing and root CAs encode NULL ECDSA parameters (RFC 5758 §3.2
        # forbids them). cryptography 50 refuses such certificates; load_chain reads
        # them re-encoded, so the x5u chain and a trust list holding them still load.
        data = _pem("t-mobile_leaf_example") + _pem("t-mobile_leaf_example.chain")
        chain = load_chain(data)
        assert [c.subject.rfc4514_string() for c in chain] == [
            MANIFEST["t-mobile_leaf_example"]["subject"],
            "CN=TMOBILE-PROD-SUB-STIRSHAKEN-EC,O=TMOBILE-USA,C=US",
            "CN=TMOBILE-PROD-ROOT-STIRSHAKEN-EC,O=TMOBILE-USA,C=US",
        ]
        assert null_ecdsa_params(data) == (1, 2)
        assert cert_facts(chain[0]).spc == "6529"
        # The re-encoding drops exactly the two NULLs (4 bytes) and keeps the rest.
        for der, cert in zip(_ders(data)[1:], chain[1:], strict=True):
            reencoded = cert.public_bytes(serialization.Encoding.DER)
            assert len(reencoded) == len(der) - 4
            assert cert.signature == _outer_signature(der)
            assert tbs_with_null_ecdsa_params(cert.tbs_certificate_bytes) == _tbs(der)
            assert reencoded.count(_BARE_ECDSA) == 2
            assert der.count(_NULL_ECDSA) == 2

    def test_clean_chains_have_no_null_parameters(self, ca: StiCA) -> None:
        assert null_ecdsa_params(ca.issue_cert().chain_pem.data) == ()
        assert null_ecdsa_params(_pem("comcast_leaf_example.chain")) == ()
        assert null_ecdsa_params(b"not a chain") == ()

    @given(st.binary(max_size=300))
    def test_reencoding_is_total(self, data: bytes) -> None:
        # Each is total, and applying it twice finds nothing more to change.
        reencoded = without_null_ecdsa_params(data)
        assert reencoded is None or without_null_ecdsa_params(reencoded) is None
        restored = tbs_with_null_ecdsa_params(data)
        assert restored is None or tbs_with_null_ecdsa_params(restored) is None
        assert null_ecdsa_params(data) in ((), (0,))


_NULL_ECDSA = bytes.fromhex("300c06082a8648ce3d0403020500")
_BARE_ECDSA = bytes.fromhex("300a06082a8648ce3d040302")


def _ders(pem: bytes) -> list[bytes]:
    blocks = pem.split(b"-----BEGIN CERTIFICATE-----")[1:]
    return [base64.b64decode(b.split(b"-----END CERTIFICATE-----")[0]) for b in blocks]


def _tbs(der: bytes) -> bytes:
    cert, _ = der_decode(der, asn1Spec=rfc5280.Certificate())
    return bytes(der_encode(cert["tbsCertificate"]))


def _outer_signature(der: bytes) -> bytes:
    """The signature BIT STRING's value (after its unused-bits octet), read with pyasn1."""
    cert, _ = der_decode(der, asn1Spec=rfc5280.Certificate())
    return bytes(cert["signature"].asOctets())


class TestTNAuthList:
    def test_pyasn1_modules_vector(self) -> None:
        der = base64.b64decode("MCugBxYFYm9ndXOhEjAQFgo1NzE1NTUxMjEyAgIDFKIMFgo3MDM1NTUxMjEy")
        got = TNAuthList.from_der(der)
        assert got.spcs == ("bogus",)
        assert got.ranges == (TNRange(start="5715551212", count=788),)
        assert got.tns == ("7035551212",)
        assert got.well_formed
        assert not got.findings

    def test_single_spc(self) -> None:
        got = TNAuthList.from_der(bytes.fromhex("3008a006160431323341"))
        assert (got.spcs, got.well_formed) == (("123A",), True)

    def test_telonium_printablestring_without_tag(self) -> None:
        got = TNAuthList.from_der(bytes.fromhex("300613043735354a"))
        assert got.spcs == ("755J",)
        assert not got.well_formed
        assert any("PrintableString without the [0] tag" in f for f in got.findings)

    def test_gbsdtech_missing_length_byte(self) -> None:
        got = TNAuthList.from_der(bytes.fromhex("3008a006163836374a"))
        assert got.spcs == ("867J",)
        assert not got.well_formed
        assert any("length byte missing" in f for f in got.findings)

    def test_libstirshaken_bare_ia5string(self) -> None:
        cert = load_chain((VECTORS / "libstirshaken" / "test__ref__sp__sp.pem").read_bytes())[0]
        facts = cert_facts(cert)
        assert facts.tn_auth is not None
        assert facts.tn_auth.spcs == ()
        assert facts.spc is None
        assert any("bare IA5String" in f for f in facts.tn_auth.findings)

    def test_empty_sequence(self) -> None:
        got = TNAuthList.from_der(b"\x30\x00")
        assert not got.well_formed
        assert got.findings

    @given(st.binary(max_size=64))
    def test_any_bytes_decode_to_findings_never_raise(self, data: bytes) -> None:
        got = TNAuthList.from_der(data)
        assert got.well_formed or got.findings

    def test_round_trip_with_testing_encoder(self) -> None:
        der = encode_tn_auth_list(spcs=("9Z9Z",), tns=("12155551212",))
        got = TNAuthList.from_der(der)
        assert (got.spcs, got.tns) == (("9Z9Z",), ("12155551212",))

    @pytest.mark.parametrize(
        ("tn", "covered"),
        [
            ("12155551212", True),
            ("+1 (215) 555-1212", True),
            ("12155550000", True),
            ("12155550099", True),
            ("12155550100", False),
            ("1215555009", False),
            ("", False),
        ],
    )
    def test_covers(self, tn: str, covered: bool) -> None:
        der = encode_tn_auth_list(tns=("12155551212",), ranges=(("12155550000", 100),))
        assert TNAuthList.from_der(der).covers(tn) is covered


class TestCertFacts:
    def test_testing_ca_leaf(self, ca: StiCA) -> None:
        cert = ca.issue_cert(spc="1234", organization="Acme Tel")
        facts = cert_facts(cert.certificate)
        assert facts.spc == "1234"
        assert facts.organization == "Acme Tel"
        assert facts.common_name == "SHAKEN 1234"
        assert facts.country == "US"
        assert facts.key_type == "ec:secp256r1"
        assert facts.fingerprint == cert.fingerprint
        assert facts.policy_oids == ("2.16.840.1.114569.1.1.3",)
        (dp,) = facts.crl_distribution_points
        assert dp.urls == (ca.crl_url,)
        assert dp.crl_issuer == ca.intermediate_cert.subject.rfc4514_string()
        assert not facts.is_ca
        json.dumps(facts.to_dict())

    @pytest.mark.parametrize("name", sorted(MANIFEST))
    def test_every_real_certificate_parses(self, name: str) -> None:
        entry = MANIFEST[name]
        facts = cert_facts(load_chain(_pem(name))[0])
        assert facts.not_before.isoformat(sep=" ") == entry["not_before"]
        expected_hex = entry["tnauthlist_der_hex"]
        if expected_hex is None:
            assert facts.tn_auth is None
        else:
            assert facts.tn_auth is not None
            assert facts.tn_auth.raw.hex() == expected_hex
            # Every real SPC is recovered, even from the malformed encodings.
            assert facts.spc is not None
            assert facts.common_name is not None
        json.dumps(facts.to_dict())

    def test_real_serial_number_rdn(self) -> None:
        facts = cert_facts(load_chain(_pem("martini_leaf_clean"))[0])
        assert facts.serial_number == "76D0A9D59C1DDAE1058F3C442303BC90"
        assert facts.organization == "BCM One Cloud Communications, LLC"
        assert facts.spc == "683G"


def test_vectors_dir_exists() -> None:
    assert Path(PKI).is_dir()


class TestRawExtensions:
    @pytest.mark.parametrize("name", sorted(MANIFEST))
    def test_agree_with_cryptography(self, name: str) -> None:
        from shakentrace._asn1 import extension_values

        cert = load_chain(_pem(name))[0]
        raw = extension_values(cert.tbs_certificate_bytes)
        seen = {e.oid.dotted_string: e.critical for e in cert.extensions}
        assert {oid: critical for oid, (critical, _) in raw.items()} == seen

    @given(st.binary(max_size=200))
    def test_garbage_gives_nothing_or_something_never_raises(self, data: bytes) -> None:
        from shakentrace._asn1 import extension_values

        assert isinstance(extension_values(data), dict)


class TestClaimConstraints:
    def _cert_with(self, ca: StiCA, oid: str, der: bytes) -> Any:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name.from_rfc4514_string("CN=SHAKEN 1234,O=T,C=US")
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(ca.intermediate_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW)
            .not_valid_after(NOW.replace(year=2027))
            .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), der), False)
            .sign(ca.intermediate_key, hashes.SHA256())
        )

    def test_rfc8226_jwt_claim_constraints(self, ca: StiCA) -> None:
        # mustInclude {orig}, permittedValues {attest: [A, B]} (RFC 8226 §8, EXPLICIT tags)
        der = bytes.fromhex("3020a008300616046f726967a11430123010160661747465737430060c01410c0142")
        (got,) = cert_facts(self._cert_with(ca, "1.3.6.1.5.5.7.1.27", der)).jwt_claim_constraints
        assert (got.enhanced, got.must_include) == (False, ("orig",))
        assert got.permitted_values == (("attest", ("A", "B")),)

    def test_rfc9118_enhanced_constraints(self, ca: StiCA) -> None:
        # mustInclude {orig}, mustExclude {rcd} (RFC 9118 §3)
        der = bytes.fromhex("3013a008300616046f726967a20730051603726364")
        (got,) = cert_facts(self._cert_with(ca, "1.3.6.1.5.5.7.1.33", der)).jwt_claim_constraints
        assert (got.enhanced, got.must_include, got.must_exclude) == (True, ("orig",), ("rcd",))

    def test_undecodable_constraints_are_a_finding(self, ca: StiCA) -> None:
        (got,) = cert_facts(
            self._cert_with(ca, "1.3.6.1.5.5.7.1.27", b"\x04\x00")
        ).jwt_claim_constraints
        assert got.findings
        assert got.must_include == ()
