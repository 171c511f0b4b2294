"""StiCert: an STI certificate with its key, and the PASSporTs it signs."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from shakentrace.testing._blob import Blob
from shakentrace.testing._jws import PrivateKey, encode_jws, format_identity, split_token

__all__ = ["PrivateKey", "StiCert"]

Dest = str | Sequence[str]


def _tn_list(dest: Dest) -> list[str]:
    return [dest] if isinstance(dest, str) else list(dest)


def _merge(base: dict[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Overlay ``extra`` on ``base``; a ``None`` value removes the key."""
    for name, value in (extra or {}).items():
        if value is None:
            base.pop(name, None)
        else:
            base[name] = value
    return base


@dataclass(frozen=True, slots=True, kw_only=True)
class StiCert:
    """An STI end-entity certificate issued by a :class:`~shakentrace.testing.StiCA`.

    Attributes:
        certificate: The end-entity certificate.
        private_key: Its private key (P-256 unless a deviation says otherwise).
        chain: The certificate then its issuing CA certificates, root excluded.
        x5u: The URL the chain is published at (``info``/``x5u`` of its PASSporTs).
        spc: The SPC in its TNAuthList, if any.
        tns: The single TNs in its TNAuthList.
        tn_ranges: The ``(start, count)`` ranges in its TNAuthList.
        deviations: The ATIS-1000080 rules broken on purpose.
        now: The issuing CA's fixed clock, or ``None`` for the wall clock.
        deterministic: Whether signatures are deterministic (seeded CA).
    """

    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...]
    x5u: str
    spc: str | None
    tns: tuple[str, ...] = ()
    tn_ranges: tuple[tuple[str, int], ...] = ()
    deviations: tuple[str, ...] = ()
    now: datetime | None = None
    deterministic: bool = False

    @property
    def cert_pem(self) -> Blob:
        """The end-entity certificate alone, PEM."""
        return Blob(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def chain_pem(self) -> Blob:
        """The end-entity certificate and its intermediates as PEM (what x5u serves)."""
        return Blob(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain))

    @property
    def private_key_pem(self) -> Blob:
        """The private key, unencrypted PKCS#8 PEM."""
        return Blob(
            self.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    @property
    def public_key_pem(self) -> Blob:
        """The public key, SubjectPublicKeyInfo PEM (what ``secsipidx -fpubkey`` reads)."""
        return Blob(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate, lowercase hex."""
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def _iat(self, iat: int | datetime | None) -> int:
        if isinstance(iat, int):
            return iat
        moment = iat or self.now or datetime.now(UTC)
        return int(moment.timestamp())

    def _origid(self, orig: str, dest: list[str], iat: int) -> str:
        # Reproducible UUID (RFC 8588 recommends a UUID) from what the call is.
        seed = f"{self.fingerprint}|{orig}|{','.join(dest)}|{iat}".encode()
        return str(uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4))

    def sign(self, header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
        """Sign arbitrary ``header`` and ``claims`` (canonical JSON) with this certificate's key."""
        return encode_jws(header, claims, self.private_key, deterministic=self.deterministic)

    def header(self, *, ppt: str | None = "shaken", x5u: str | None = None) -> dict[str, Any]:
        """Return the JOSE header this certificate signs with (RFC 8225 §4, RFC 8588)."""
        header: dict[str, Any] = {"alg": "ES256", "typ": "passport", "x5u": x5u or self.x5u}
        if ppt is not None:
            header["ppt"] = ppt
        return header

    def sign_passport(
        self,
        *,
        orig: str = "12155551212",
        dest: Dest = "12155551213",
        attest: str = "A",
        origid: str | None = None,
        iat: int | datetime | None = None,
        ppt: str | None = "shaken",
        x5u: str | None = None,
        rcd: Mapping[str, Any] | None = None,
        crn: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        header_extra: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign a PASSporT (RFC 8225), SHAKEN by default (RFC 8588).

        Args:
            orig: The calling TN (``orig.tn``), used as given.
            dest: The called TN or TNs (``dest.tn``), in the order given.
            attest: Attestation level (``shaken`` only).
            origid: Origination identifier; default a UUID derived from the call.
            iat: Issued-at, as seconds or an aware datetime; default the CA's ``now``.
            ppt: ``"shaken"``, ``"rcd"``, … or ``None`` for a base PASSporT
                (``attest``/``origid`` are only added for ``shaken``).
            x5u: Overrides the certificate's URL in the header.
            rcd: An RFC 9795 ``rcd`` claim, e.g. ``{"nam": "Example Bank"}``.
            crn: An RFC 9795 call reason.
            extra_claims: Claims to add or override; a ``None`` value removes one.
            header_extra: Header parameters to add or override; ``None`` removes one.

        Returns:
            The JWS compact serialisation, signed with raw R‖S.
        """
        dest_tns = _tn_list(dest)
        issued = self._iat(iat)
        claims: dict[str, Any] = {"dest": {"tn": dest_tns}, "iat": issued, "orig": {"tn": orig}}
        if ppt == "shaken":
            claims["attest"] = attest
            claims["origid"] = origid or self._origid(orig, dest_tns, issued)
        if rcd is not None:
            claims["rcd"] = dict(rcd)
        if crn is not None:
            claims["crn"] = crn
        header = _merge(self.header(ppt=ppt, x5u=x5u), header_extra)
        return self.sign(header, _merge(claims, extra_claims))

    def sign_div(
        self,
        *,
        orig: str,
        dest: Dest,
        div: str,
        iat: int | datetime | None = None,
        x5u: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign a ``div`` PASSporT (RFC 8946 §3): the call to ``div`` was retargeted to ``dest``."""
        claims: dict[str, Any] = {
            "dest": {"tn": _tn_list(dest)},
            "div": {"tn": div},
            "iat": self._iat(iat),
            "orig": {"tn": orig},
        }
        return self.sign(self.header(ppt="div", x5u=x5u), _merge(claims, extra_claims))

    def divert(self, token: str, *, to: str, iat: int | datetime | None = None) -> str:
        """Sign a ``div`` PASSporT chained to ``token``: same ``orig``, ``div`` = its first dest.

        Args:
            token: The SHAKEN PASSporT of the call being forwarded.
            to: The new destination TN.
            iat: Default: the ``iat`` of ``token``.
        """
        _, claims, _ = split_token(token)
        return self.sign_div(
            orig=claims["orig"]["tn"],
            dest=to,
            div=claims["dest"]["tn"][0],
            iat=claims["iat"] if iat is None else iat,
        )

    def identity_for(self, token: str, *, info: str | None = None, quote_ppt: bool = False) -> str:
        """Wrap ``token`` in an Identity value with ``info`` = this certificate's x5u.

        The ``ppt`` parameter is copied from the token's header.
        """
        ppt = split_token(token)[0].get("ppt")
        return format_identity(
            token,
            info=info or self.x5u,
            ppt=ppt if isinstance(ppt, str) else None,
            quote_ppt=quote_ppt,
        )

    def identity_header(
        self,
        *,
        orig: str = "12155551212",
        dest: Dest = "12155551213",
        attest: str = "A",
        origid: str | None = None,
        iat: int | datetime | None = None,
        ppt: str | None = "shaken",
        rcd: Mapping[str, Any] | None = None,
        crn: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        header_extra: Mapping[str, Any] | None = None,
        info: str | None = None,
    ) -> str:
        """Sign a PASSporT (see :meth:`sign_passport`) and return its Identity header value.

        Returns:
            ``"<token>;info=<x5u>;alg=ES256;ppt=shaken"`` (RFC 8224 §4, ATIS-1000074).
        """
        token = self.sign_passport(
            orig=orig,
            dest=dest,
            attest=attest,
            origid=origid,
            iat=iat,
            ppt=ppt,
            rcd=rcd,
            crn=crn,
            extra_claims=extra_claims,
            header_extra=header_extra,
        )
        return self.identity_for(token, info=info)
