"""Loaders behind :class:`shakentrace.trust.TrustStore`'s ``from_*`` constructors.

Three sources of STI-CA roots: a PEM bundle, a directory of certificate and CRL
files, and the STI-PA trust list — a JWS whose payload is
``{"trustList": [<PEM or base64 DER certificate>, …]}`` (served at
``{STI-PA API}/ca-list``), verified with the STI-PA signer certificate when given.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace import _crl
from shakentrace._jose import b64url_decode, verify_es256
from shakentrace._x509 import public_key
from shakentrace.certs import load_chain
from shakentrace.errors import CertificateParseError, PassportParseError

__all__ = ["roots_from_directory", "roots_from_pem", "roots_from_trust_list"]

_MAX_ROOTS = 512
_MAX_FILE = 1024 * 1024
_CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
_CRL_SUFFIXES = {".crl"}
_HASHED_CERT = re.compile(r"[0-9a-f]{8}\.[0-9]{1,3}")
_HASHED_CRL = re.compile(r"[0-9a-f]{8}\.r[0-9]{1,3}")

Loaded = tuple[tuple[x509.Certificate, ...], tuple[x509.CertificateRevocationList, ...]]


def roots_from_pem(data: bytes) -> Loaded:
    """Return the certificates and CRLs of a PEM bundle.

    Raises:
        CertificateParseError: No certificate in ``data``.
    """
    crls = _crl.load_crls(data) if b"-----BEGIN X509 CRL-----" in data else ()
    roots = load_chain(data, max_certs=_MAX_ROOTS, max_bytes=_MAX_FILE)
    return roots, crls


def roots_from_directory(path: str | os.PathLike[str]) -> Loaded:
    """Return the certificates (``*.pem``, ``*.crt``, ``*.cer``, ``*.der``) and CRLs (``*.crl``).

    OpenSSL hashed directories (``c_rehash``: ``<hash>.0`` certificates,
    ``<hash>.r0`` CRLs) load as they are.

    Files are read in name order; PEM files may hold several certificates.

    Raises:
        CertificateParseError: A file does not parse, or the directory holds no certificate.
    """
    roots: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    for file in sorted(Path(path).iterdir()):
        suffix = _kind(file.name)
        if not file.is_file() or suffix is None:
            continue
        data = file.read_bytes()[: _MAX_FILE + 1]
        try:
            if suffix == ".crl":
                crls.extend(_crl.load_crls(data))
            else:
                got, more = roots_from_pem(data)
                roots.extend(got)
                crls.extend(more)
        except CertificateParseError as exc:
            raise CertificateParseError(f"{file.name}: {exc.message}", code=exc.code) from None
    if not roots:
        raise CertificateParseError(f"no certificate in directory {path}")
    return tuple(roots), tuple(crls)


def _kind(name: str) -> str | None:
    """Classify a file name: ``".crl"``, ``".pem"`` (any certificate) or ``None``.

    OpenSSL hashed names (``1a2b3c4d.0``, ``1a2b3c4d.r0``, as ``c_rehash`` makes
    them for Asterisk/OpenSIPS CA directories) count too.
    """
    suffix = Path(name).suffix.lower()
    if suffix in _CRL_SUFFIXES or _HASHED_CRL.fullmatch(name):
        return ".crl"
    if suffix in _CERT_SUFFIXES or _HASHED_CERT.fullmatch(name):
        return ".pem"
    return None


def roots_from_trust_list(jws: str | bytes, signer: x509.Certificate | None) -> Loaded:
    """Return the certificates of an STI-PA trust list JWS.

    Args:
        jws: The compact JWS as served by the STI-PA ``ca-list`` endpoint.
        signer: The STI-PA signer certificate; when given, the ES256 signature
            must verify with its key (otherwise the list is taken as is).

    Raises:
        CertificateParseError: Malformed JWS, bad signature, or a bad certificate.
    """
    text = jws.decode("ascii", "replace") if isinstance(jws, bytes) else jws
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise CertificateParseError("trust list is not a compact JWS (three segments)")
    try:
        header = json.loads(b64url_decode(parts[0], what="trust list header"))
        payload = json.loads(b64url_decode(parts[1], what="trust list payload"))
        signature = b64url_decode(parts[2], what="trust list signature")
    except (PassportParseError, ValueError, RecursionError) as exc:  # nested past the decoder
        raise CertificateParseError(f"trust list does not decode: {exc}") from None
    if signer is not None:
        _check_signature(header, f"{parts[0]}.{parts[1]}".encode("ascii"), signature, signer)
    entries = payload.get("trustList") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CertificateParseError("trust list payload has no 'trustList' array")
    roots = tuple(_entry_cert(e) for e in entries[:_MAX_ROOTS])
    return roots, ()


def _check_signature(
    header: object, signing_input: bytes, signature: bytes, signer: x509.Certificate
) -> None:
    alg = header.get("alg") if isinstance(header, dict) else None
    key = public_key(signer)
    if alg != "ES256" or not isinstance(key, ec.EllipticCurvePublicKey):
        raise CertificateParseError(f"trust list alg {alg!r} with this signer is not supported")
    if not verify_es256(key, signing_input, signature):
        raise CertificateParseError("trust list signature does not verify with the signer")


def _entry_cert(entry: object) -> x509.Certificate:
    if not isinstance(entry, str):
        raise CertificateParseError("trust list entry is not a string")
    if "-----BEGIN" in entry:
        return load_chain(entry.encode("ascii", "replace"))[0]
    try:
        der = base64.b64decode(entry, validate=True)
    except (binascii.Error, ValueError):
        raise CertificateParseError("trust list entry is neither PEM nor base64 DER") from None
    return load_chain(der)[0]
