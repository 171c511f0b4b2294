"""trust: chain validation at a moment, under the STI profile, with CRLs and TN authority."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from conftest import VECTORS
from shakentrace import (
    CertificateParseError,
    ChainResult,
    ConfigurationError,
    StaticFetcher,
    TrustStore,
    load_chain,
)
from shakentrace._jose import b64url_encode, sign_es256
from shakentrace.testing import StiCA

PKI = VECTORS / "shaken-pki-reports"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
#: iat of the real Bandwidth PASSporT published with this certificate (2022-06-29).
BANDWIDTH_IAT = datetime.fromtimestamp(1656534336, UTC)


def _codes(result: ChainResult) -> list[str]:
    return [r.code for r in result.reasons if r.severity == "error"]


@pytest.fixture(scope="module")
def ca() -> StiCA:
    return StiCA(seed=7, now=NOW)


@pytest.fixture
def store(ca: StiCA) -> TrustStore:
    return TrustStore.from_pem(ca.trust_pem)


class TestRealBandwidthChain:
    def _chain(self) -> tuple[x509.Certificate, ...]:
        leaf = (PKI / "neustar_leaf_bandwidth_clean.pem").read_bytes()
        return load_chain(leaf + (PKI / "neustar_leaf_bandwidth_clean.chain.pem").read_bytes())

    def test_validates_at_the_tokens_iat_against_the_neustar_root(self) -> None:
        leaf, ca1, root = self._chain()
        result = TrustStore([root]).verify_chain([leaf, ca1], at=BANDWIDTH_IAT)
        assert result.trusted, result.reasons
        assert result.leaf is not None
        assert (result.leaf.spc, result.leaf.organization) == ("997E", "Bandwidth.com CLEC LLC")
        assert [c.subject for c in result.path] == [leaf.subject, ca1.subject, root.subject]
        assert isinstance(result.public_key, ec.EllipticCurvePublicKey)

    def test_expired_today(self) -> None:
        leaf, ca1, root = self._chain()
        result = TrustStore([root]).verify_chain([leaf, ca1], at=NOW)
        assert _codes(result) == ["cert-expired"]
        assert result.public_key is not None  # the signature can still be checked

    def test_untrusted_without_the_root(self, ca: StiCA) -> None:
        leaf, ca1, _ = self._chain()
        result = TrustStore([ca.root_cert]).verify_chain([leaf, ca1], at=BANDWIDTH_IAT)
        assert _codes(result) == ["cert-untrusted"]


# Chain files with their root; TransNexus 089K's holds only its issuing CA.
_REAL_CHAINS = sorted(
    p.name.removesuffix(".chain.pem")
    for p in PKI.glob("*.chain.pem")
    if p.stat().st_size and not p.name.startswith("transnexus_leaf_089K")
)


@pytest.mark.parametrize("name", _REAL_CHAINS)
def test_every_real_chain_with_its_root_validates(name: str) -> None:
    """Each real chain of the SHAKEN PKI reports that carries its root, at its leaf's midlife.

    Real encodings that cryptography alone refuses (NULL ECDSA parameters, critical
    CertificatePolicies) must not turn real carriers' calls untrusted. Metaswitch's
    chain file holds a newer re-issue of its issuing CA, not yet valid then.
    """
    leaf = load_chain((PKI / f"{name}.pem").read_bytes())[0]
    rest = load_chain((PKI / f"{name}.chain.pem").read_bytes())
    roots = [c for c in rest if c.subject == c.issuer]
    assert roots, f"{name}: the chain file holds no root"
    at = leaf.not_valid_before_utc + (leaf.not_valid_after_utc - leaf.not_valid_before_utc) / 2
    result = TrustStore(roots).verify_chain([leaf, *(c for c in rest if c not in roots)], at=at)
    expected = ["cert-not-yet-valid"] if name == "metaswitch_leaf_example" else []
    assert _codes(result) == expected, result.reasons


class TestRealNetNumberChain:
    """NetNumber's CAs and the leaves they issue mark CertificatePolicies critical."""

    def test_validates_with_the_critical_policies_reported(self) -> None:
        leaf = (PKI / "netnumber_leaf_example.pem").read_bytes()
        *chain, root = load_chain(leaf + (PKI / "netnumber_leaf_example.chain.pem").read_bytes())
        at = datetime(2025, 4, 1, tzinfo=UTC)  # inside the leaf's validity
        result = TrustStore([root]).verify_chain(chain, at=at)
        assert result.trusted, result.reasons
        assert result.leaf is not None
        assert result.leaf.spc == "490J"
        assert len(result.path) == 3
        lints = {r.message.split(":", 1)[0] for r in result.reasons}
        assert "e_atis_ext_certificate_policies" in lints  # reported, not fatal


class TestRealTMobileChain:
    """T-Mobile's CAs encode NULL ECDSA parameters, which cryptography 50 refuses to load."""

    AT = datetime(2023, 1, 1, tzinfo=UTC)  # within the leaf's validity

    def _pems(self) -> tuple[bytes, bytes, bytes]:
        chain = (PKI / "t-mobile_leaf_example.chain.pem").read_bytes()
        cut = chain.index(b"-----BEGIN CERTIFICATE-----", 1)
        return (PKI / "t-mobile_leaf_example.pem").read_bytes(), chain[:cut], chain[cut:]

    def test_a_trust_list_holding_the_root_still_loads(self) -> None:
        _, _, root = self._pems()
        bandwidth = (PKI / "neustar_leaf_bandwidth_clean.chain.pem").read_bytes()
        store = TrustStore.from_pem(bandwidth + root)
        assert [c.subject.rfc4514_string() for c in store.roots][-1] == (
            "CN=TMOBILE-PROD-ROOT-STIRSHAKEN-EC,O=TMOBILE-USA,C=US"
        )
        leaf, ca1, _ = TestRealBandwidthChain()._chain()
        assert store.verify_chain([leaf, ca1], at=BANDWIDTH_IAT).trusted

    def test_validates_through_the_null_parameter_issuing_ca(self) -> None:
        leaf, sub, root = self._pems()
        result = TrustStore.from_pem(root).verify_chain(load_chain(leaf + sub), at=self.AT)
        assert result.trusted, result.reasons
        assert result.leaf is not None
        assert result.leaf.spc == "6529"
        assert [c.subject.rfc4514_string() for c in result.path][1:] == [
            "CN=TMOBILE-PROD-SUB-STIRSHAKEN-EC,O=TMOBILE-USA,C=US",
            "CN=TMOBILE-PROD-ROOT-STIRSHAKEN-EC,O=TMOBILE-USA,C=US",
        ]
        notes = [r.message for r in result.reasons if "NULL ECDSA" in r.message]
        assert len(notes) == 1
        assert "TMOBILE-PROD-SUB" in notes[0]
        # Validity is still judged over the whole path.
        later = TrustStore.from_pem(root).verify_chain(load_chain(leaf + sub), at=NOW)
        assert _codes(later) == ["cert-expired"]

    def test_a_root_of_the_same_name_but_another_key_vouches_for_nothing(self) -> None:
        leaf, sub, root = self._pems()
        name = load_chain(root)[0].subject
        key = ec.generate_private_key(ec.SECP256R1())
        impostor = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2040, 1, 1, tzinfo=UTC))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        result = TrustStore([impostor]).verify_chain(load_chain(leaf + sub), at=self.AT)
        assert _codes(result) == ["cert-untrusted"]
        assert result.leaf is not None
        assert result.leaf.spc == "6529"  # the signer is still named
        assert not any("NULL ECDSA" in r.message for r in result.reasons)


class TestStiProfile:
    def test_good_chain(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert(spc="1234")
        result = store.verify_chain(cert.chain, at=NOW)
        assert result.trusted
        assert {r.code for r in result.reasons} <= {"cert-nonconformant"}
        assert result.leaf is not None
        assert result.leaf.spc == "1234"
        json.dumps(result.to_dict())

    def test_empty_chain(self, store: TrustStore) -> None:
        result = store.verify_chain([], at=NOW)
        assert (result.trusted, _codes(result)) == (False, ["cert-invalid"])

    def test_naive_time_is_misuse(self, ca: StiCA, store: TrustStore) -> None:
        with pytest.raises(ConfigurationError):
            store.verify_chain(ca.issue_cert().chain, at=datetime(2026, 1, 1))

    @pytest.mark.parametrize(
        ("moment", "code"),
        [
            (NOW - timedelta(days=1, seconds=1), "cert-not-yet-valid"),
            (NOW + timedelta(days=90, seconds=1), "cert-expired"),
        ],
    )
    def test_validity_boundaries(
        self, ca: StiCA, store: TrustStore, moment: datetime, code: str
    ) -> None:
        cert = ca.issue_cert()
        assert _codes(store.verify_chain(cert.chain, at=moment)) == [code]

    @pytest.mark.parametrize("moment", [NOW - timedelta(days=1), NOW + timedelta(days=90)])
    def test_validity_is_inclusive(self, ca: StiCA, store: TrustStore, moment: datetime) -> None:
        assert store.verify_chain(ca.issue_cert().chain, at=moment).trusted

    @pytest.mark.parametrize(
        ("deviation", "code"),
        [
            ("no-tnauthlist", "cert-invalid"),
            ("tnauthlist-ia5string", "cert-invalid"),
            ("empty-tnauthlist", "cert-invalid"),
            ("ca-leaf", "cert-invalid"),
            ("p384-key", "cert-invalid"),
            ("rsa-key", "cert-invalid"),
            ("self-signed", "cert-untrusted"),
        ],
    )
    def test_unusable_signing_certificates(
        self, ca: StiCA, store: TrustStore, deviation: str, code: str
    ) -> None:
        cert = ca.issue_cert(deviations=[deviation])  # type: ignore[list-item]
        assert code in _codes(store.verify_chain(cert.chain, at=NOW))

    def test_p384_key_is_not_handed_out(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert(deviations=["p384-key"])
        assert store.verify_chain(cert.chain, at=NOW).public_key is None

    def test_issued_by_root(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert(deviations=["issued-by-root"])
        assert store.verify_chain(cert.chain, at=NOW).trusted

    def test_missing_intermediate_is_untrusted(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert()
        assert _codes(store.verify_chain(cert.chain[:1], at=NOW)) == ["cert-untrusted"]

    def test_every_finding_is_reported_at_once(self, ca: StiCA) -> None:
        other = StiCA(seed=8, now=NOW)
        cert = ca.issue_cert(deviations=["no-tnauthlist"])
        result = TrustStore([other.root_cert]).verify_chain(cert.chain, at=NOW + timedelta(days=99))
        assert sorted(_codes(result)) == ["cert-expired", "cert-invalid", "cert-untrusted"]


class TestTnAuthority:
    def test_delegate_certificate_covers_orig(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert(spc=None, tns=["12155551212"], tn_ranges=[("12155550000", 100)])
        for orig in ("12155551212", "+1-215-555-0042"):
            assert store.verify_chain(cert.chain, at=NOW, orig_tn=orig).trusted

    def test_delegate_certificate_outside_orig(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert(spc=None, tns=["12155551212"])
        result = store.verify_chain(cert.chain, at=NOW, orig_tn="12155551213")
        assert _codes(result) == ["tn-not-authorized"]
        assert result.reasons[0].sip_code == 438

    def test_spc_certificate_authorizes_any_orig(self, ca: StiCA, store: TrustStore) -> None:
        cert = ca.issue_cert(spc="1234")
        assert store.verify_chain(cert.chain, at=NOW, orig_tn="19995550000").trusted


class TestRevocation:
    def test_revoked_on_a_crl_file(self, tmp_path: Path) -> None:
        ca = StiCA(seed=9, now=NOW)
        cert = ca.issue_cert()
        ca.revoke(cert, at=NOW)
        (tmp_path / "root.pem").write_bytes(ca.trust_pem)
        (tmp_path / "sti.crl").write_bytes(ca.crl().data)
        store = TrustStore.from_directory(tmp_path)
        assert _codes(store.verify_chain(cert.chain, at=NOW)) == ["cert-revoked"]
        # A call made before the revocation was good when it was made.
        assert store.verify_chain(cert.chain, at=NOW - timedelta(hours=1)).trusted

    def test_crl_fetched_from_the_distribution_point(self) -> None:
        ca = StiCA(seed=10, now=NOW)
        cert = ca.issue_cert()
        ca.revoke(cert, at=NOW - timedelta(hours=2))
        fetcher = StaticFetcher({ca.crl_url: ca.crl().data})
        store = TrustStore([ca.root_cert], crl_fetcher=fetcher)
        assert _codes(store.verify_chain(cert.chain, at=NOW)) == ["cert-revoked"]
        assert fetcher.calls == [ca.crl_url]

    def test_unreachable_crl_is_a_warning(self) -> None:
        ca = StiCA(seed=11, now=NOW)
        store = TrustStore([ca.root_cert], crl_fetcher=StaticFetcher({}))
        result = store.verify_chain(ca.issue_cert().chain, at=NOW)
        assert result.trusted
        assert "crl-unavailable" in [r.code for r in result.reasons if r.severity == "warning"]

    def test_crl_signed_by_a_stranger_is_ignored(self) -> None:
        ca = StiCA(seed=12, now=NOW)
        stranger = StiCA(seed=13, now=NOW)
        cert = ca.issue_cert()
        ca.revoke(cert)
        forged = x509.load_pem_x509_crl(ca.crl().data)
        store = TrustStore([ca.root_cert])
        store.add_crls([x509.load_pem_x509_crl(stranger.crl().data)])
        assert store.verify_chain(cert.chain, at=NOW).trusted
        store.add_crls([forged])
        assert _codes(store.verify_chain(cert.chain, at=NOW)) == ["cert-revoked"]


class TestCache:
    def test_repeated_verifications_reuse_the_path(self, ca: StiCA) -> None:
        fetcher = StaticFetcher({ca.crl_url: ca.crl().data})
        store = TrustStore([ca.root_cert], crl_fetcher=fetcher)
        cert = ca.issue_cert()
        first = store.verify_chain(cert.chain, at=NOW)
        for _ in range(5):
            assert store.verify_chain(cert.chain, at=NOW) == first
        assert len(fetcher.calls) == 1
        # Time-dependent findings are still computed per call.
        assert _codes(store.verify_chain(cert.chain, at=NOW + timedelta(days=91))) == [
            "cert-expired"
        ]

    def test_cache_is_bounded(self, ca: StiCA) -> None:
        store = TrustStore([ca.root_cert], cache_size=2)
        for _ in range(4):
            store.verify_chain(ca.issue_cert().chain, at=NOW)
        assert len(store._cache) == 2


class TestLoaders:
    def test_from_pem_needs_a_certificate(self) -> None:
        with pytest.raises(CertificateParseError):
            TrustStore.from_pem(b"nothing here")

    def test_from_pem_reads_a_path_to_the_bundle(self, tmp_path: Path) -> None:
        # from_directory takes a path, so a user gives from_pem one too: a Path
        # raised "argument of type 'PosixPath' is not iterable".
        ca = StiCA(seed="loader", now=NOW)
        (tmp_path / "roots.pem").write_bytes(ca.trust_pem)
        store = TrustStore.from_pem(tmp_path / "roots.pem")
        assert store.roots == (ca.root_cert,)

    def test_from_pem_given_a_file_name_says_it_takes_the_text(self, tmp_path: Path) -> None:
        # A str is the bundle's text; a file name there said only "no certificate:
        # neither a PEM block nor DER", of a file that holds one.
        name = str(tmp_path / "roots.pem")
        with pytest.raises(CertificateParseError, match=r"roots\.pem.*a Path"):
            TrustStore.from_pem(name)

    def test_from_directory_of_a_file_names_from_pem(self, tmp_path: Path) -> None:
        bundle = tmp_path / "roots.pem"
        bundle.write_bytes(StiCA(seed="loader", now=NOW).trust_pem)
        with pytest.raises(ConfigurationError, match=r"not a directory.*from_pem"):
            TrustStore.from_directory(bundle)

    def test_from_directory_reports_the_bad_file(self, tmp_path: Path) -> None:
        bad = b"-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n"
        (tmp_path / "bad.pem").write_bytes(bad)
        with pytest.raises(CertificateParseError, match=r"bad\.pem"):
            TrustStore.from_directory(tmp_path)

    def test_needs_roots(self) -> None:
        with pytest.raises(ConfigurationError):
            TrustStore([])


def _trust_list(roots: list[x509.Certificate], key: ec.EllipticCurvePrivateKey) -> str:
    header = b64url_encode(json.dumps({"alg": "ES256", "typ": "JWT"}).encode())
    pems = [c.public_bytes(serialization.Encoding.PEM).decode() for c in roots]
    payload = b64url_encode(json.dumps({"trustList": pems}).encode())
    signature = sign_es256(key, f"{header}.{payload}".encode())
    return f"{header}.{payload}.{b64url_encode(signature)}"


class TestTrustList:
    def test_signed_list_verified_with_its_signer(self, ca: StiCA) -> None:
        signer = StiCA(seed=14, now=NOW)
        jws = _trust_list([ca.root_cert], signer.intermediate_key)
        store = TrustStore.from_trust_list(jws, signer.intermediate_cert)
        assert store.roots == (ca.root_cert,)
        assert store.verify_chain(ca.issue_cert().chain, at=NOW).trusted

    def test_wrong_signer_is_refused(self, ca: StiCA) -> None:
        signer = StiCA(seed=15, now=NOW)
        jws = _trust_list([ca.root_cert], signer.intermediate_key)
        with pytest.raises(CertificateParseError, match="does not verify"):
            TrustStore.from_trust_list(jws, ca.intermediate_cert)

    def test_unsigned_use_without_signer(self, ca: StiCA) -> None:
        jws = _trust_list([ca.root_cert], ca.intermediate_key)
        assert TrustStore.from_trust_list(jws.encode()).roots == (ca.root_cert,)

    @pytest.mark.parametrize(
        "jws",
        [
            "",
            "a.b",
            "e30.e30.",
            "e30.W10.AA",
            # found by fuzzing: JSON nested past the decoder's limit raised RecursionError
            "e30." + b64url_encode(b"[" * 5000 + b"]" * 5000) + ".AA",
        ],
    )
    def test_malformed_lists(self, jws: str) -> None:
        with pytest.raises(CertificateParseError):
            TrustStore.from_trust_list(jws)


def _leaf_with_indirect_dp(ca: StiCA, crl_issuer: x509.Name) -> x509.Certificate:
    """An STI leaf whose CRL DP names another CRL issuer (ATIS-1000080 v004: the STI-PA)."""
    from cryptography.hazmat.primitives import hashes

    from shakentrace.testing import encode_tn_auth_list

    key = ec.generate_private_key(ec.SECP256R1())
    point = x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier("https://sti-pa.example/crl")],
        relative_name=None,
        reasons=None,
        crl_issuer=[x509.DirectoryName(crl_issuer)],
    )
    tn_auth = x509.UnrecognizedExtension(
        x509.ObjectIdentifier("1.3.6.1.5.5.7.1.26"), encode_tn_auth_list(spcs=("1234",))
    )
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=SHAKEN 1234,O=Indirect Tel,C=US"))
        .issuer_name(ca.intermediate_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(x509.CRLDistributionPoints([point]), False)
        .add_extension(tn_auth, False)
        .sign(ca.intermediate_key, hashes.SHA256())
    )


class TestIndirectCrl:
    def test_sti_pa_crl_revokes_through_crl_issuer(self, ca: StiCA) -> None:
        from cryptography.hazmat.primitives import hashes

        sti_pa = StiCA(seed=16, now=NOW)  # stands in for the STI-PA CRL signer
        signer = sti_pa.intermediate_cert
        leaf = _leaf_with_indirect_dp(ca, signer.subject)
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(leaf.serial_number)
            .revocation_date(NOW - timedelta(hours=1))
            .add_extension(
                x509.CertificateIssuer([x509.DirectoryName(ca.intermediate_cert.subject)]), True
            )
            .build()
        )
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(signer.subject)
            .last_update(NOW - timedelta(hours=1))
            .next_update(NOW + timedelta(days=1))
            .add_revoked_certificate(entry)
            .sign(sti_pa.intermediate_key, hashes.SHA256())
        )
        chain = [leaf, ca.intermediate_cert]
        without_signer = TrustStore([ca.root_cert], crls=[crl])
        result = without_signer.verify_chain(chain, at=NOW)
        assert "cert-revoked" not in _codes(result)  # unverifiable CRL: ignored, warned
        assert "crl-unavailable" in [r.code for r in result.reasons]
        store = TrustStore([ca.root_cert], crls=[crl], crl_signers=[signer])
        assert _codes(store.verify_chain(chain, at=NOW)) == ["cert-revoked"]

    def test_entry_for_another_issuer_does_not_revoke(self, ca: StiCA) -> None:
        from cryptography.hazmat.primitives import hashes

        sti_pa = StiCA(seed=17, now=NOW)
        signer = sti_pa.intermediate_cert
        leaf = _leaf_with_indirect_dp(ca, signer.subject)
        other = x509.Name.from_rfc4514_string("CN=Some Other CA,C=US")
        entry = (
            x509.RevokedCertificateBuilder()
            .serial_number(leaf.serial_number)
            .revocation_date(NOW - timedelta(hours=1))
            .add_extension(x509.CertificateIssuer([x509.DirectoryName(other)]), True)
            .build()
        )
        crl = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(signer.subject)
            .last_update(NOW - timedelta(hours=1))
            .next_update(NOW + timedelta(days=1))
            .add_revoked_certificate(entry)
            .sign(sti_pa.intermediate_key, hashes.SHA256())
        )
        store = TrustStore([ca.root_cert], crls=[crl], crl_signers=[signer])
        assert store.verify_chain([leaf, ca.intermediate_cert], at=NOW).trusted


def _real_certs() -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for path in sorted(VECTORS.glob("*/*.pem")):
        try:
            found.extend(load_chain(path.read_bytes()))
        except CertificateParseError:
            continue
    return found


REAL = _real_certs()


@given(
    chain=st.lists(st.sampled_from(REAL), min_size=1, max_size=3),
    roots=st.lists(st.sampled_from(REAL), min_size=1, max_size=2),
    moment=st.datetimes(
        min_value=datetime(2019, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_any_chain_of_real_certificates_gives_a_verdict(
    chain: list[x509.Certificate], roots: list[x509.Certificate], moment: datetime
) -> None:
    result = TrustStore(roots).verify_chain(chain, at=moment, orig_tn="12155551212")
    assert result.trusted == (not any(r.severity == "error" for r in result.reasons))
    json.dumps(result.to_dict())


def test_openssl_hashed_directory(tmp_path: Path) -> None:
    ca = StiCA(seed=18, now=NOW)
    cert = ca.issue_cert()
    ca.revoke(cert, at=NOW - timedelta(minutes=1))
    (tmp_path / "5f3a8b21.0").write_bytes(ca.trust_pem)
    (tmp_path / "9c0d1e2f.r0").write_bytes(ca.crl().data)
    (tmp_path / "README").write_text("ignored")
    store = TrustStore.from_directory(tmp_path)
    assert store.roots == (ca.root_cert,)
    assert _codes(store.verify_chain(cert.chain, at=NOW)) == ["cert-revoked"]
