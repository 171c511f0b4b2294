"""The verification policy (documented as :class:`shakentrace.verify.Policy`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from shakentrace import _jose
from shakentrace.claims import DEFAULT_LIMITS, PassportLimits
from shakentrace.errors import ConfigurationError

__all__ = ["DEFAULT_POLICY", "KNOWN_PPTS", "Policy"]

#: The PASSporT types shakentrace understands (IANA PASSporT Extensions registry).
KNOWN_PPTS: tuple[str, ...] = ("shaken", "div", "rcd", "rph")


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """How strict a verification is. Immutable; make variants with ``dataclasses.replace``.

    Attributes:
        max_age: Oldest acceptable ``iat`` (and Date header) before now (60 s is
            common practice: OpenSIPS, FreeSWITCH, vesper, vermouth).
        future_skew: How far ahead of now an ``iat`` may be (clock skew).
        algorithms: Allowed ``alg`` values; a subset of ``("ES256",)``.
        ppts: PASSporT types accepted.
        require_alg: A missing ``alg`` Identity parameter is an error
            (ATIS-1000074) rather than a warning (RFC 8224 §4 makes it optional).
        require_ppt: A missing ``ppt`` Identity parameter is an error (a SHAKEN
            PASSporT needs ``ppt=shaken``, RFC 8588 §3) rather than a warning.
        check_date: Judge the SIP Date header against now (RFC 8224 §6.2).
        accept_last10: Count a last-10-digits TN match as a match.
        max_identities: Identity values examined per message.
        limits: Size bounds of the decoder.
    """

    max_age: timedelta = timedelta(seconds=60)
    future_skew: timedelta = timedelta(seconds=5)
    algorithms: tuple[str, ...] = ("ES256",)
    ppts: tuple[str, ...] = KNOWN_PPTS
    require_alg: bool = False
    require_ppt: bool = True
    check_date: bool = True
    accept_last10: bool = False
    max_identities: int = 16
    limits: PassportLimits = field(default=DEFAULT_LIMITS)

    def __post_init__(self) -> None:
        _check_types(self)
        if self.max_age < timedelta(0) or self.future_skew < timedelta(0):
            raise ConfigurationError("max_age and future_skew must not be negative")
        if not self.algorithms or not set(self.algorithms) <= set(_jose.ALGORITHMS):
            raise ConfigurationError(f"algorithms must be a subset of {_jose.ALGORITHMS}")
        if self.max_identities < 1:
            raise ConfigurationError("max_identities must be at least 1")

    @property
    def accepted_matches(self) -> frozenset[str]:
        """The TN match levels that count as agreeing."""
        return _ACCEPTED[self.accept_last10]


def _check_types(policy: Policy) -> None:
    """Refuse values of the wrong type in words, before comparing them fails in others.

    A ``str`` where a tuple belongs would be searched by substring (``"sha"`` in
    ``"shaken"``).
    """
    for name in ("max_age", "future_skew"):
        if not isinstance(getattr(policy, name), timedelta):
            raise ConfigurationError(
                f"{name} must be a datetime.timedelta, e.g. timedelta(seconds=60),"
                f" not {type(getattr(policy, name)).__name__}"
            )
    for name in ("algorithms", "ppts"):
        value = getattr(policy, name)
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigurationError(
                f"{name} must be a tuple of strings, not {type(value).__name__}"
            )
    if isinstance(policy.max_identities, bool) or not isinstance(policy.max_identities, int):
        raise ConfigurationError("max_identities must be an int")
    for name in ("require_alg", "require_ppt", "check_date", "accept_last10"):
        if not isinstance(getattr(policy, name), bool):  # "no" would count as true
            raise ConfigurationError(
                f"{name} must be True or False, not {type(getattr(policy, name)).__name__}"
            )
    if not isinstance(policy.limits, PassportLimits):
        raise ConfigurationError(
            f"limits must be a PassportLimits, not {type(policy.limits).__name__}"
        )


_ACCEPTED = {
    False: frozenset({"equal", "canonical-equal"}),
    True: frozenset({"equal", "canonical-equal", "last10"}),
}


DEFAULT_POLICY = Policy()
