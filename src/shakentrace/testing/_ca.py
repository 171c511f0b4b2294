"""StiCA and StiCert: real STI certificates for tests, after trustme.

The defaults follow ATIS-1000080 §6.4.1 (v004/v005) and the US SHAKEN Certificate
Policy: P-256 keys, ``ecdsa-with-SHA256``, critical BasicConstraints and KeyUsage,
the SHAKEN CP OID on intermediate and end-entity certificates (not on the root), a
CRL Distribution Point with a cRLIssuer on end-entity certificates (the intermediate
has none, so a CRL-fetching verifier makes exactly one fetch per chain; ATIS-1000080
would want one there too), AKI/SKI, subject ``C``/``O``/``CN`` with
``CN=SHAKEN <SPC>``, and an RFC 8226 TNAuthList on the end-entity certificate.
``deviations`` break these rules on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from shakentrace.certs import (
    ENHANCED_JWT_CLAIM_CONSTRAINTS_OID,
    JWT_CLAIM_CONSTRAINTS_OID,
    ClaimConstraints,
)
from shakentrace.errors import ConfigurationError
from shakentrace.testing._asn1 import (
    TN_AUTH_LIST_OID,
    encode_claim_constraints,
    encode_ia5string,
    encode_tn_auth_list,
)
from shakentrace.testing._blob import Blob
from shakentrace.testing._cert import PrivateKey, StiCert
from shakentrace.testing._profile import (
    DEVIATIONS,
    OLD_CP_OID,
    SHAKEN_CP_OID,
    Deviation,
    Seeder,
    key_usage,
    name,
    policies,
    utc,
)

__all__ = ["StiCA"]


class StiCA:
    """A test STI-CA: a root and an intermediate that issues STI certificates.

    Like trustme's ``CA``, it is cheap to make and needs no network. With a
    ``seed`` every key and serial number is derived from it and signatures are
    deterministic (RFC 6979), so with a fixed ``now`` the same calls produce the
    same bytes.

    Args:
        seed: Makes keys, serials, certificates and signatures reproducible.
        now: The CA's clock, also the default ``iat`` of PASSporTs its
            certificates sign; the wall clock when ``None``.
        organization: Subject ``O`` of the CA certificates.
        crl_url: The HTTP URL put in CRL Distribution Points.
        x5u_base: Prefix of the default ``x5u`` of issued certificates.

    Raises:
        ConfigurationError: ``now`` is naive.
    """

    def __init__(
        self,
        *,
        seed: int | str | bytes | None = None,
        now: datetime | None = None,
        organization: str = "shakentrace Test STI-CA",
        crl_url: str = "http://crl.sti-pa.example/crl.der",
        x5u_base: str = "https://cr.sti.example/",
    ) -> None:
        self._seeder = Seeder(seed)
        self._now = utc(now, "now") if now is not None else None
        self.organization = organization
        self.crl_url = crl_url
        self.x5u_base = x5u_base
        self._issued = 0
        self._revoked: dict[int, datetime] = {}
        start = self.now() - timedelta(days=365)
        end = start + timedelta(days=3650)
        self.root_key = self._seeder.ec_key("root", ec.SECP256R1())
        root_name = name(organization, f"{organization} Root")
        self.root_cert = self._ca_cert(
            root_name, self.root_key, root_name, self.root_key, start, end
        )
        self.intermediate_key = self._seeder.ec_key("intermediate", ec.SECP256R1())
        self.intermediate_cert = self._ca_cert(
            name(organization, f"{organization} Intermediate"),
            self.intermediate_key,
            root_name,
            self.root_key,
            start,
            end,
        )

    def now(self) -> datetime:
        """Return the CA's clock: the fixed ``now`` or the wall clock (whole seconds, UTC)."""
        return self._now or datetime.now(UTC).replace(microsecond=0)

    @property
    def deterministic(self) -> bool:
        """Whether the CA was seeded (reproducible keys, serials and signatures)."""
        return self._seeder.deterministic

    @property
    def root_pem(self) -> Blob:
        """The root certificate (the trust anchor) as PEM."""
        return Blob(self.root_cert.public_bytes(serialization.Encoding.PEM))

    @property
    def intermediate_pem(self) -> Blob:
        """The intermediate certificate as PEM."""
        return Blob(self.intermediate_cert.public_bytes(serialization.Encoding.PEM))

    @property
    def trust_pem(self) -> bytes:
        """The root certificate PEM, for ``TrustStore.from_pem``."""
        return self.root_pem.data

    def _ca_cert(
        self,
        subject: x509.Name,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
        start: datetime,
        end: datetime,
    ) -> x509.Certificate:
        is_root = subject == issuer
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(self._seeder.serial(subject.rfc4514_string()))
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None if is_root else 0), True)
            .add_extension(key_usage(cert_sign=True, crl_sign=True), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        if not is_root:
            # ATIS-1000080 §6.4.1: roots carry neither the CP OID, a CRL DP nor an AKI need.
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            ).add_extension(policies(SHAKEN_CP_OID), False)
        return self._sign(builder, issuer_key)

    def _sign(
        self, builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey
    ) -> x509.Certificate:
        return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=self.deterministic or None)

    def issue_cert(
        self,
        *,
        spc: str | None = "1234",
        tns: Sequence[str] = (),
        tn_ranges: Sequence[tuple[str, int]] = (),
        organization: str | None = None,
        common_name: str | None = None,
        country: str = "US",
        x5u: str | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        deviations: Iterable[Deviation] = (),
        key: PrivateKey | None = None,
        claim_constraints: Sequence[ClaimConstraints] = (),
    ) -> StiCert:
        """Issue an STI end-entity certificate.

        Args:
            spc: The service provider code (OCN) of the TNAuthList, or ``None``
                for a delegate certificate (RFC 9060) listing only TNs/ranges.
            tns: Telephone numbers for ``one`` TNEntries.
            tn_ranges: ``(start, count)`` pairs for ``range`` TNEntries.
            organization: Subject ``O``; default ``"Test Carrier <spc>"``.
            common_name: Subject ``CN``; default ``"SHAKEN <spc>"``.
            country: Subject ``C``.
            x5u: The URL the certificate is published at; default under ``x5u_base``.
            not_before: Start of validity; default one day before the CA's ``now``.
            not_after: End of validity; default 90 days after the CA's ``now``.
            deviations: Names from :data:`~shakentrace.testing.DEVIATIONS`, to break
                ATIS-1000080 rules on purpose.
            key: The subject's private key; default a new P-256 key (or as a
                key deviation says). Lets a fixed RSA key make reproducible files.
            claim_constraints: JWT Claim Constraints extensions to add (RFC 8226
                §8, or RFC 9118 §3 when ``enhanced``), e.g. for an RCD or
                delegate certificate that may only sign certain claims.

        Returns:
            The certificate with its key, chain and PEM blobs.

        Raises:
            ConfigurationError: An unknown deviation, a naive datetime, or a
                TNAuthList without entries or with a value RFC 8226 cannot hold.
        """
        devs = frozenset(deviations)
        unknown = sorted(devs - DEVIATIONS.keys())
        if unknown:
            raise ConfigurationError(f"unknown deviations: {', '.join(unknown)}")
        self._issued += 1
        label = spc or "delegate"
        key = key or self._leaf_key(devs, f"leaf:{self._issued}")
        now = self.now()
        start = utc(not_before, "not_before") if not_before else now - timedelta(days=1)
        end = utc(not_after, "not_after") if not_after else now + timedelta(days=90)
        subject = name(
            organization or f"Test Carrier {label}",
            common_name or (f"SHAKEN-{label}" if "cn-format" in devs else f"SHAKEN {label}"),
            country,
            serial=f"{label}-{self._issued}",
        )
        issuer_cert, issuer_key = self._issuer(devs, subject, key)
        serial = 1 if "short-serial" in devs else self._seeder.serial(f"leaf:{self._issued}")
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject if issuer_cert else subject)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(start)
            .not_valid_after(end)
        )
        for ext, critical in self._leaf_extensions(
            devs, key, issuer_cert, issuer_key, spc, tns, tn_ranges
        ):
            builder = builder.add_extension(ext, critical)
        for rule in claim_constraints:
            oid = ENHANCED_JWT_CLAIM_CONSTRAINTS_OID if rule.enhanced else JWT_CLAIM_CONSTRAINTS_OID
            constraint = x509.UnrecognizedExtension(oid, encode_claim_constraints(rule))
            builder = builder.add_extension(constraint, False)
        cert = self._sign(builder, issuer_key)
        chain: tuple[x509.Certificate, ...] = (cert,)
        if issuer_cert is self.intermediate_cert:
            chain = (cert, self.intermediate_cert)
        return StiCert(
            certificate=cert,
            private_key=key,
            chain=chain,
            x5u=x5u or f"{self.x5u_base}{label}/{self._issued}.pem",
            spc=spc,
            tns=tuple(tns),
            tn_ranges=tuple(tn_ranges),
            deviations=tuple(sorted(devs)),
            now=self._now,
            deterministic=self.deterministic,
        )

    def _leaf_key(self, devs: frozenset[str], label: str) -> PrivateKey:
        if "rsa-key" in devs:
            return rsa.generate_private_key(public_exponent=65537, key_size=2048)
        curve: ec.EllipticCurve = ec.SECP384R1() if "p384-key" in devs else ec.SECP256R1()
        return self._seeder.ec_key(label, curve)

    def _issuer(
        self, devs: frozenset[str], subject: x509.Name, key: PrivateKey
    ) -> tuple[x509.Certificate | None, ec.EllipticCurvePrivateKey]:
        if "self-signed" in devs:
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ConfigurationError("self-signed needs an EC key")
            return None, key
        if "issued-by-root" in devs:
            return self.root_cert, self.root_key
        return self.intermediate_cert, self.intermediate_key

    def _leaf_extensions(
        self,
        devs: frozenset[str],
        key: PrivateKey,
        issuer_cert: x509.Certificate | None,
        issuer_key: ec.EllipticCurvePrivateKey,
        spc: str | None,
        tns: Sequence[str],
        tn_ranges: Sequence[tuple[str, int]],
    ) -> list[tuple[x509.ExtensionType, bool]]:
        exts: list[tuple[x509.ExtensionType, bool]] = []
        if "no-basic-constraints" not in devs:
            exts.append((x509.BasicConstraints(ca="ca-leaf" in devs, path_length=None), True))
        if "no-key-usage" not in devs:
            usage = key_usage(cert_sign=True) if "key-cert-sign" in devs else key_usage(sign=True)
            exts.append((usage, True))
        exts.append((x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
        exts.append(
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
        )
        if "no-policy" not in devs:
            exts.append((policies(OLD_CP_OID if "old-policy" in devs else SHAKEN_CP_OID), False))
        if "no-crl-dp" not in devs and issuer_cert is not None:
            exts.append((self._crl_dp(issuer_cert.subject), False))
        tn_auth = self._tn_auth(devs, spc, tns, tn_ranges)
        if tn_auth is not None:
            ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(TN_AUTH_LIST_OID), tn_auth)
            exts.append((ext, "tnauthlist-critical" in devs))
        return exts

    def _crl_dp(self, issuer: x509.Name) -> x509.CRLDistributionPoints:
        # ATIS-1000080 v004+: one DistributionPoint, an HTTP URL plus a cRLIssuer DN.
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(self.crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=[x509.DirectoryName(issuer)],
        )
        return x509.CRLDistributionPoints([point])

    @staticmethod
    def _tn_auth(
        devs: frozenset[str],
        spc: str | None,
        tns: Sequence[str],
        tn_ranges: Sequence[tuple[str, int]],
    ) -> bytes | None:
        if "no-tnauthlist" in devs:
            return None
        if "empty-tnauthlist" in devs:
            return b"\x30\x00"
        if "tnauthlist-ia5string" in devs:
            return encode_ia5string("https://sti-ca.example/acme/TNAuthList")
        return encode_tn_auth_list(spcs=(spc,) if spc else (), tns=tns, ranges=tn_ranges)

    def revoke(self, cert: StiCert, *, at: datetime | None = None) -> None:
        """Put ``cert`` on the CA's CRL, revoked at ``at`` (default: the CA's ``now``)."""
        when = utc(at, "at") if at is not None else self.now()
        self._revoked[cert.certificate.serial_number] = when

    def crl(
        self, *, this_update: datetime | None = None, next_update: datetime | None = None
    ) -> Blob:
        """Return the intermediate's CRL (PEM) listing every revoked certificate.

        Args:
            this_update: Default: the CA's ``now``.
            next_update: Default: seven days after ``this_update``.
        """
        start = utc(this_update, "this_update") if this_update else self.now()
        end = utc(next_update, "next_update") if next_update else start + timedelta(days=7)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.intermediate_cert.subject)
            .last_update(start)
            .next_update(end)
            .add_extension(x509.CRLNumber(len(self._revoked) + 1), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate_key.public_key()
                ),
                False,
            )
        )
        for serial, when in sorted(self._revoked.items()):
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            builder = builder.add_revoked_certificate(entry.build())
        crl = builder.sign(
            self.intermediate_key, hashes.SHA256(), ecdsa_deterministic=self.deterministic or None
        )
        return Blob(crl.public_bytes(serialization.Encoding.PEM))
