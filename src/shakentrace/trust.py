"""Trust in STI certificates: a :class:`TrustStore` of STI-CA roots, CRLs, and chain checks.

:meth:`TrustStore.verify_chain` validates an x5u chain with
:mod:`cryptography.x509.verification` under an STI profile (no SAN needed; the
leaf must carry a usable TNAuthList and a P-256 key) at the moment the caller
gives — for forensics, the PASSporT's ``iat``, so that a year-old capture is
judged by the certificates that were valid when the call was made. It reports
every finding at once as :class:`shakentrace.reasons.Reason` objects:

* ``cert-untrusted`` — no path to a trusted root;
* ``cert-expired`` / ``cert-not-yet-valid`` — a certificate's validity misses ``at``;
* ``cert-revoked`` — listed on a CRL (direct, or indirect through cRLIssuer);
* ``cert-invalid`` — not usable for signing PASSporTs;
* ``tn-not-authorized`` — a TN-based TNAuthList that does not cover ``orig``;
* ``cert-nonconformant`` warnings from :func:`shakentrace.certs.lint`.

Time-independent work (path building, lints, CRL look-ups) is cached per chain,
so repeated verifications of calls signed with one certificate are cheap; so is
the whole verdict, for the interval it holds (no validity or revocation boundary
inside it, and an SPC-based TNAuthList).
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import verification

from shakentrace import _crl, _nullparams, _quiet, _truststore
from shakentrace._fetchcache import check_fetcher
from shakentrace._quiet import QuietVerdicts
from shakentrace._x509 import public_key
from shakentrace.certs import CertFacts, cert_facts, crl_distribution_points, lint
from shakentrace.errors import CertificateParseError, ConfigurationError, FetchError
from shakentrace.fetch import Fetcher
from shakentrace.reasons import Reason

__all__ = ["ChainResult", "TrustStore"]

_MAX_DEPTH = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainResult:
    """The verdict on an x5u chain at one moment.

    Attributes:
        trusted: ``True`` exactly when no error-severity reason was found.
        reasons: Every finding (errors and ``cert-nonconformant`` warnings).
        leaf: Facts about the signing certificate, or ``None`` for an empty chain.
        public_key: The leaf's P-256 key, to check the PASSporT signature with even
            when the chain is not trusted; ``None`` if the leaf has no P-256 key.
        path: The validated path (leaf … root) when one was built.
    """

    trusted: bool
    reasons: tuple[Reason, ...]
    leaf: CertFacts | None
    public_key: ec.EllipticCurvePublicKey | None
    path: tuple[x509.Certificate, ...] = field(default=(), compare=False)

    @classmethod
    def unchecked(cls, chain: Sequence[x509.Certificate]) -> ChainResult:
        """The verdict without a :class:`TrustStore`: ``cert-untrusted``, with the leaf's facts.

        Who the certificate names as the signer is still evidence to a forensic
        reader (marked unverified), and its key still checks the signature.

        Args:
            chain: A non-empty chain, leaf first, as :func:`~shakentrace.certs.load_chain` gives.
        """
        return _unchecked(tuple(chain))

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-safe data (``path`` as subject DNs)."""
        return {
            "trusted": self.trusted,
            "reasons": [r.to_dict() for r in self.reasons],
            "leaf": self.leaf.to_dict() if self.leaf else None,
            "path": [c.subject.rfc4514_string() for c in self.path],
        }


@functools.lru_cache(maxsize=64)
def _unchecked(chain: tuple[x509.Certificate, ...]) -> ChainResult:
    key = public_key(chain[0])
    return ChainResult(
        trusted=False,
        reasons=(Reason.of("cert-untrusted", "no TrustStore configured; chain not checked"),),
        leaf=cert_facts(chain[0]),
        public_key=key if isinstance(key, ec.EllipticCurvePublicKey) else None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Static:
    """The part of a chain verdict that does not depend on the time or on orig."""

    facts: CertFacts
    key: ec.EllipticCurvePublicKey | None
    reasons: tuple[Reason, ...]
    path: tuple[x509.Certificate, ...]
    revocations: tuple[tuple[x509.Certificate, _crl.Revocation], ...]


class TrustStore:
    """STI-CA trust anchors and CRLs, and chain validation against them.

    Safe to share between threads, and :meth:`add_crls` may run while they verify:
    verdicts begun before it are not kept.

    Args:
        roots: The trusted STI-CA root certificates.
        crls: CRLs to consult (verified against the roots, ``crl_signers`` and the
            chain being checked before use).
        crl_signers: Extra certificates allowed to sign CRLs (e.g. the STI-PA CRL signer).
        crl_fetcher: When given, CRLs are also fetched from each certificate's CRL
            Distribution Point through it.
        lint: Add :func:`shakentrace.certs.lint` warnings for the leaf.
        cache_size: How many chains to remember.

    Raises:
        ConfigurationError: No roots given, or roots that are not certificates.
    """

    def __init__(
        self,
        roots: Iterable[x509.Certificate],
        *,
        crls: Iterable[x509.CertificateRevocationList] = (),
        crl_signers: Iterable[x509.Certificate] = (),
        crl_fetcher: Fetcher | None = None,
        lint: bool = True,
        cache_size: int = 1024,
    ) -> None:
        self.roots: tuple[x509.Certificate, ...] = tuple(roots)
        if not self.roots:
            raise ConfigurationError("a TrustStore needs at least one root certificate")
        if not all(isinstance(root, x509.Certificate) for root in self.roots):
            raise ConfigurationError(
                "roots must be x509.Certificate objects; TrustStore.from_pem reads a PEM"
                " bundle, TrustStore.from_directory a folder"
            )
        self._store = verification.Store(list(self.roots))
        self._crls: tuple[x509.CertificateRevocationList, ...] = tuple(crls)
        self._crl_signers = tuple(crl_signers)
        if crl_fetcher is not None:
            check_fetcher(crl_fetcher, "crl_fetcher")
        self._crl_fetcher = crl_fetcher
        self._lint = lint
        self._cache_size = cache_size
        self._cache: OrderedDict[tuple[x509.Certificate, ...], _Static] = OrderedDict()
        self._quiet: QuietVerdicts[ChainResult] = QuietVerdicts(cache_size)
        self._lock = threading.Lock()
        # Counts add_crls calls: a verdict computed with older CRLs is not kept.
        self._generation = 0

    @classmethod
    def from_pem(cls, data: bytes | str | os.PathLike[str], **options: Any) -> TrustStore:
        """Build a store from a PEM bundle of root certificates (and optionally CRLs).

        Args:
            data: Concatenated PEM certificates (bytes, or text as read from a file
                in text mode), or the path of the bundle's file as a
                :class:`~pathlib.Path` (a ``str`` is the text, not a file name);
                ``X509 CRL`` blocks are loaded as CRLs.
            **options: Passed to :class:`TrustStore`.

        Raises:
            CertificateParseError: The bundle holds no certificate.
            OSError: The file of a path cannot be read.
        """
        if isinstance(data, os.PathLike):
            with open(data, "rb") as file:
                data = file.read(_truststore._MAX_FILE + 1)  # load_chain refuses more
        elif isinstance(data, str) and "-----BEGIN" not in data and "\n" not in data.strip():
            raise CertificateParseError(
                f"no PEM block in {data[:80]!r}: from_pem takes the bundle's text or bytes,"
                " or a Path to its file (a str is read as the text, not as a file name)"
            )
        text = data.encode() if isinstance(data, str) else data
        roots, crls = _truststore.roots_from_pem(text)
        return cls(roots, crls=(*crls, *options.pop("crls", ())), **options)

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], **options: Any) -> TrustStore:
        """Build a store from a directory of root certificates and CRLs.

        Certificates: ``*.pem``, ``*.crt``, ``*.cer``, ``*.der`` (PEM or DER);
        CRLs: ``*.crl``; OpenSSL hashed names (``<hash>.0``, ``<hash>.r0``) as
        ``c_rehash`` makes them. Other files are ignored.

        Args:
            path: The directory.
            **options: Passed to :class:`TrustStore`.

        Raises:
            CertificateParseError: A file does not parse, or there is no certificate.
            ConfigurationError: ``path`` is a file (:meth:`from_pem` reads a bundle).
            OSError: The directory cannot be read.
        """
        if os.path.isfile(path):
            raise ConfigurationError(
                f"{os.fspath(path)}: not a directory; for a PEM bundle file use"
                " TrustStore.from_pem(Path(...))"
            )
        roots, crls = _truststore.roots_from_directory(path)
        return cls(roots, crls=(*crls, *options.pop("crls", ())), **options)

    @classmethod
    def from_trust_list(
        cls, jws: str | bytes, signer_cert: x509.Certificate | None = None, **options: Any
    ) -> TrustStore:
        """Build a store from the STI-PA trust list (a JWS with a ``trustList`` payload).

        Args:
            jws: The compact JWS served by the STI-PA ``ca-list`` endpoint.
            signer_cert: The STI-PA signer certificate. When given, the JWS
                signature (ES256) must verify with it; without it the list is
                trusted as delivered (e.g. read from a file you already vetted).
            **options: Passed to :class:`TrustStore`.

        Raises:
            CertificateParseError: Malformed list or a signature that does not verify.
        """
        roots, _ = _truststore.roots_from_trust_list(jws, signer_cert)
        return cls(roots, **options)

    @property
    def crls(self) -> tuple[x509.CertificateRevocationList, ...]:
        """The CRLs the store holds (not counting fetched ones)."""
        return self._crls

    def add_crls(self, crls: Iterable[x509.CertificateRevocationList]) -> None:
        """Add CRLs (e.g. a fresh STI-PA CRL) and forget cached chain verdicts."""
        with self._lock:
            self._crls = (*self._crls, *crls)
            self._generation += 1
            self._cache.clear()
            self._quiet.clear()

    def verify_chain(
        self,
        chain: Sequence[x509.Certificate],
        *,
        at: datetime,
        orig_tn: str | None = None,
    ) -> ChainResult:
        """Validate ``chain`` (leaf first) at the moment ``at``; never raises on bad chains.

        Args:
            chain: The x5u chain: the signing certificate then intermediates.
            at: When to judge validity (aware; usually the PASSporT's ``iat``).
            orig_tn: The PASSporT's ``orig`` TN, checked against TN-based TNAuthLists.

        Raises:
            ConfigurationError: ``at`` is naive.
        """
        if at.tzinfo is None:
            raise ConfigurationError("verify_chain needs an aware datetime for 'at'")
        if not chain:
            reason = Reason.of("cert-invalid", "the x5u chain holds no certificate")
            return ChainResult(trusted=False, reasons=(reason,), leaf=None, public_key=None)
        quiet = self._quiet.get(chain, at)
        if quiet is not None:
            return quiet
        generation = self._generation
        static = self._static(tuple(chain), generation)
        path = static.path or tuple(chain)
        moment = (
            *_quiet.validity(path, at),
            *_quiet.revoked(static.revocations, at),
            *_quiet.tn_authority(static.facts, orig_tn),
        )
        reasons = (*moment, *static.reasons)
        result = ChainResult(
            trusted=not any(r.severity == "error" for r in reasons),
            reasons=reasons,
            leaf=static.facts,
            public_key=static.key,
            path=static.path,
        )
        tn_auth = static.facts.tn_auth
        if not moment and (tn_auth is None or not tn_auth.has_numbers):
            revoked = [hit.revoked_at for _, hit in static.revocations]
            with self._lock:
                if generation == self._generation:
                    self._quiet.put(chain, path, revoked, result)
        return result

    def _static(self, chain: tuple[x509.Certificate, ...], generation: int) -> _Static:
        key = chain  # certificates hash and compare by their DER
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        static = self._compute(chain)
        with self._lock:
            if generation != self._generation:  # add_crls ran meanwhile
                return static
            self._cache[key] = static
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return static

    def _compute(self, chain: tuple[x509.Certificate, ...]) -> _Static:
        leaf = chain[0]
        facts = cert_facts(leaf)
        pub = public_key(leaf)
        key = pub if isinstance(pub, ec.EllipticCurvePublicKey) else None
        reasons = [*_usable(facts, key)]
        path, why = self._build_path(chain)
        if why is not None:
            reasons.append(Reason.of("cert-untrusted", why) if isinstance(why, str) else why)
        revocations, crl_notes = self._revocations(path)
        reasons.extend(crl_notes)
        if self._lint:
            reasons.extend(lint(leaf, facts=facts))
        return _Static(
            facts=facts,
            key=key if key is not None and isinstance(key.curve, ec.SECP256R1) else None,
            reasons=tuple(reasons),
            path=path,
            revocations=revocations,
        )

    def _build_path(
        self, chain: tuple[x509.Certificate, ...]
    ) -> tuple[tuple[x509.Certificate, ...], str | Reason | None]:
        """The validated path, and why there is none or a note on how it was found."""
        try:
            return self._verified(chain, self._store), None
        except (verification.VerificationError, ValueError, TypeError) as exc:
            failure = f"no path to a trusted STI-CA root: {exc}"
        # An intermediate that encodes NULL ECDSA parameters was loaded re-encoded and
        # no longer matches its root's signature: anchor the path at it if the root
        # signed the bytes as issued (see _nullparams).
        vouched = _nullparams.vouched(chain[1:], self.roots)
        if not vouched:
            return (), failure
        try:
            path = self._verified(chain, verification.Store([*self.roots, *vouched]))
        except (verification.VerificationError, ValueError, TypeError):
            return (), failure
        if path[-1] not in vouched:
            return path, None
        return (*path, vouched[path[-1]]), _null_parameters(path[-1], vouched[path[-1]])

    def _verified(
        self, chain: tuple[x509.Certificate, ...], store: verification.Store
    ) -> tuple[x509.Certificate, ...]:
        # Validity is judged separately (against `at`), so build the path at a moment
        # inside every supplied certificate's validity when there is one.
        builder = (
            verification.PolicyBuilder()
            .store(store)
            .time(_inside(chain))
            .max_chain_depth(_MAX_DEPTH)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_EE_POLICY)
        )
        return tuple(builder.build_client_verifier().verify(chain[0], list(chain[1:])).chain)

    def _revocations(
        self, path: tuple[x509.Certificate, ...]
    ) -> tuple[tuple[tuple[x509.Certificate, _crl.Revocation], ...], list[Reason]]:
        if not path:
            return (), []
        crls, notes = self._usable_crls(path)
        found = []
        for cert in path[:-1]:
            hit = _crl.find_revocation(cert, crls)
            if hit is not None:
                found.append((cert, hit))
        return tuple(found), notes

    def _usable_crls(
        self, path: tuple[x509.Certificate, ...]
    ) -> tuple[list[x509.CertificateRevocationList], list[Reason]]:
        notes: list[Reason] = []
        candidates = list(self._crls)
        if self._crl_fetcher is not None:
            for cert in path[:-1]:
                got, note = self._fetch_crls(cert)
                candidates.extend(got)
                notes.extend(note)
        signers = (*path, *self.roots, *self._crl_signers)
        usable = [c for c in candidates if any(_crl.signature_valid(c, s) for s in signers)]
        if len(usable) < len(candidates):
            notes.append(
                Reason.of(
                    "crl-unavailable",
                    f"{len(candidates) - len(usable)} CRL(s) ignored: no trusted signer"
                    " verifies them",
                )
            )
        return usable, notes

    def _fetch_crls(
        self, cert: x509.Certificate
    ) -> tuple[list[x509.CertificateRevocationList], list[Reason]]:
        assert self._crl_fetcher is not None
        got: list[x509.CertificateRevocationList] = []
        notes: list[Reason] = []
        for url in (u for dp in crl_distribution_points(cert) for u in dp.urls):
            try:
                got.extend(_crl.load_crls(self._crl_fetcher.fetch(url)))
            except (FetchError, CertificateParseError) as exc:
                notes.append(Reason.of("crl-unavailable", f"CRL {url}: {exc}"))
        return got, notes


def _ca_basic_constraints(
    policy: verification.Policy, cert: x509.Certificate, ext: x509.BasicConstraints | None
) -> None:
    # RFC 5280 §4.2.1.9: only a CA certificate may issue; ATIS-1000080 requires the extension.
    if ext is None or not ext.ca:
        raise ValueError("issuer is not a CA (BasicConstraints cA is not TRUE)")


# Issuers: any extension, but BasicConstraints cA=TRUE. End entities: any extension
# (STI leaves carry no SAN and a non-standard TNAuthList, checked by _usable).
# CertificatePolicies may be critical (RFC 5280 §4.2.1.4) and is judged by the lints
# (SHAKEN CP OIDs, ATIS-1000080 wants it non-critical): accounted for here, as
# OpenSSL-based verifiers do, so a critical one (NetNumber's CAs) does not break
# the path.
_POLICIES: tuple[type[x509.ExtensionType], verification.Criticality, None] = (
    x509.CertificatePolicies,
    verification.Criticality.AGNOSTIC,
    None,
)
_CA_POLICY = (
    verification.ExtensionPolicy.permit_all()
    .require_present(
        x509.BasicConstraints, verification.Criticality.AGNOSTIC, _ca_basic_constraints
    )
    .may_be_present(*_POLICIES)
)
_EE_POLICY = verification.ExtensionPolicy.permit_all().may_be_present(*_POLICIES)


def _usable(facts: CertFacts, key: ec.EllipticCurvePublicKey | None) -> Iterable[Reason]:
    """ATIS-1000080 §6.4.1 / RFC 8226 hard requirements on the signing certificate."""
    if facts.tn_auth is None:
        yield Reason.of("cert-invalid", "the certificate has no TNAuthList (RFC 8226 §9)")
    elif not (facts.tn_auth.spcs or facts.tn_auth.has_numbers):
        detail = "; ".join(facts.tn_auth.findings) or "no entries"
        yield Reason.of("cert-invalid", f"the TNAuthList names no SPC and no TN ({detail})")
    if facts.is_ca:
        yield Reason.of("cert-invalid", "the signing certificate is a CA certificate")
    if key is None or not isinstance(key.curve, ec.SECP256R1):
        yield Reason.of("cert-invalid", f"the key is {facts.key_type}, ES256 needs P-256")


def _null_parameters(cert: x509.Certificate, root: x509.Certificate) -> Reason:
    return Reason.of(
        "cert-nonconformant",
        f"CA certificate {cert.subject.rfc4514_string()!r} encodes NULL ECDSA parameters"
        f" (RFC 5758 §3.2); its signature by {root.subject.rfc4514_string()!r} was checked"
        " over the bytes as issued",
    )


def _inside(chain: Sequence[x509.Certificate]) -> datetime:
    start = max(c.not_valid_before_utc for c in chain)
    end = min(c.not_valid_after_utc for c in chain)
    return start + (end - start) / 2 if start <= end else chain[0].not_valid_before_utc
