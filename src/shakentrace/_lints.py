"""ATIS-1000080 v003–v005 and SHAKEN CP 1.1–1.4 lints (see :func:`shakentrace.certs.lint`)."""

from __future__ import annotations

from cryptography import x509

from shakentrace.reasons import Reason

__all__ = ["run_lints"]


def run_lints(cert: x509.Certificate, *, role: str = "leaf") -> tuple[Reason, ...]:
    """Return the ``cert-nonconformant`` warnings for ``cert`` in ``role``."""
    return ()
