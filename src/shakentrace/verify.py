"""Verification: :class:`Policy`, the pure :func:`evaluate` core and the :class:`Verifier` shell.

:func:`evaluate` decides from data alone: the call's SIP facts, the Identity
values, and a :class:`Credential` (public key and chain verdict) per value. The
:class:`Verifier` does the I/O around it: parsing, fetching x5u through the
injected :class:`~shakentrace.fetch.Fetcher`, and judging the chain with the
:class:`~shakentrace.trust.TrustStore` at the PASSporT's ``iat``
(time is evidence, DESIGN §2). :func:`verify_many` spreads a batch over processes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from shakentrace._batch import verify_many
from shakentrace._fetchcache import check_fetcher
from shakentrace._frozen import builder
from shakentrace._outcome import (
    IdentityResult,
    Outcome,
    SignerInfo,
    TnPairing,
    compact_ppi,
    verdict,
)
from shakentrace._policy import DEFAULT_POLICY, Policy
from shakentrace._policy import KNOWN_PPTS as KNOWN_PPTS  # kept importable from here
from shakentrace._rebuild import (
    CallFacts,
    Credential,
    Decoded,
    call_reasons,
    decode_identity,
    evaluate_identity,
    link_div,
    retargeted,
)
from shakentrace.certs import load_chain
from shakentrace.errors import ConfigurationError, FetchError, ShakenTraceError, SipParseError
from shakentrace.fetch import Fetcher
from shakentrace.reasons import Reason
from shakentrace.sip import SipMessage, parse_sip
from shakentrace.trust import ChainResult, TrustStore

__all__ = [
    "CallFacts",
    "Credential",
    "Decoded",
    "IdentityResult",
    "Outcome",
    "Policy",
    "SignerInfo",
    "TnPairing",
    "Verifier",
    "decode_identity",
    "evaluate",
    "verify_many",
]

for _cls in (
    Policy,
    IdentityResult,
    Outcome,
    SignerInfo,
    TnPairing,
    CallFacts,
    Credential,
    Decoded,
):
    _cls.__module__ = __name__  # documented and pickled as shakentrace.verify.*
verify_many.__module__ = __name__

#: Entries kept by a Verifier's decode and chain-parse caches (cleared when full).
_CACHE_SIZE = 1024


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _primary(results: Sequence[IdentityResult]) -> IdentityResult:
    for wanted in ("shaken", None):
        for result in results:
            if result.ppt == wanted:
                return result
    return results[0]


def evaluate(
    call: CallFacts,
    credentials: Sequence[Credential | None] = (),
    *,
    policy: Policy = DEFAULT_POLICY,
    now: datetime,
    decoded: Sequence[Decoded] | None = None,
) -> Outcome:
    """Decide a call's verification from data alone (no I/O).

    Args:
        call: The SIP facts and Identity values of the call.
        credentials: For each Identity value (same order), its certificate
            evidence, or ``None`` when none was obtained.
        policy: The policy.
        now: The moment to judge freshness at (aware).
        decoded: The Identity values already decoded (the shell's work), if any.

    Returns:
        The outcome; the SHAKEN PASSporT's reasons decide its status.
    """
    if now.tzinfo is None:
        raise ConfigurationError("evaluate needs an aware datetime for 'now'")
    values = call.identities[: policy.max_identities]
    if not values:
        reason = Reason.of("no-identity", "no Identity header (RFC 8224 §6.2.2: 428)")
        return _outcome((reason, *call.problems), (), None, None, now, has_identity=False)
    items = decoded or [decode_identity(v, policy.limits) for v in values]
    creds = list(credentials) + [None] * (len(items) - len(credentials))
    results = [evaluate_identity(i, d, creds[i], call, policy, now) for i, d in enumerate(items)]
    primary = _primary(results)
    broken: tuple[Reason, ...] = ()
    if len(results) > 1:  # div PASSporTs to link (one value is its own primary)
        results = [link_div(r, primary, results, policy) for r in results]
        primary = retargeted(results[primary.index], results)
        results[primary.index] = primary
        # A div PASSporT that does not chain breaks the call's identity chain (DESIGN §5).
        broken = tuple(
            r
            for res in results
            if res is not primary
            for r in res.reasons
            if r.code == "div-broken"
        )
    reasons = (
        primary.reasons + broken + call_reasons(call, primary, policy, now, len(call.identities))
    )
    return _outcome(reasons, tuple(results), primary, creds[primary.index], now, has_identity=True)


_OUTCOME = builder(Outcome)


def _outcome(
    reasons: tuple[Reason, ...],
    results: tuple[IdentityResult, ...],
    primary: IdentityResult | None,
    credential: Credential | None,
    now: datetime,
    *,
    has_identity: bool,
) -> Outcome:
    # RFC 9410 §3: with several Identity headers, name the one that failed.
    named = primary.header if primary and len(results) > 1 else None
    ppi = compact_ppi(named.token) if named else None
    status, verstat, code, phrase, header = verdict(reasons, has_identity=has_identity, ppi=ppi)
    passport = primary.passport if primary else None
    return _OUTCOME(
        status=status,
        verstat=verstat,
        sip_code=code,
        sip_reason=phrase,
        reason_header=header,
        attestation=passport.attest if passport else None,
        origid=passport.origid if passport else None,
        orig_tn=passport.orig_tn if passport else None,
        dest_tns=passport.dest_tns if passport else (),
        iat=passport.issued_at if passport else None,
        signer=primary.signer if primary else None,
        reasons=reasons,
        identities=results,
        passport=passport,
        now=now,
    )


class Verifier:
    """Verify SIP INVITEs (or Identity values): the I/O shell around :func:`evaluate`.

    Build one and share it: a verifier is safe to use from many threads at once
    (a service's thread pool, ``asyncio.to_thread``), and every thread gets the
    outcome a lone thread would. Its caches (decoded PASSporTs, parsed chains, and
    the :class:`~shakentrace.trust.TrustStore`'s chain verdicts) are shared; the
    fetcher and clock you give it must be thread-safe too, as every fetcher of
    :mod:`shakentrace.fetch` and :mod:`shakentrace.evidence` is. It does not cache
    what it fetches: give it a :class:`~shakentrace.fetch.CachingFetcher`, which
    also makes threads that ask for the same cold x5u at once share one download.

    Args:
        trust: STI-CA roots and CRLs the certificate chain must lead to. Without
            one, no chain is checked: every call is ``cert-untrusted``, and
            ``signer`` is what the certificate claims (``verified=False``).
        fetcher: Gets the x5u chain (HTTPS, cache, static map, directory).
        policy: The verification policy.
        keys: Public keys pinned by x5u URL, used instead of fetching (for
            published test vectors that come with a bare key).
        clock: Gives "now" when :meth:`verify` is not told (live verification);
            the wall clock by default.

    Attributes:
        trust: The trust store given (``add_crls`` on it is seen by later calls).
        fetcher: The fetcher given.
        policy: The policy given.
        clock: The clock given.

    Raises:
        ConfigurationError: Neither a fetcher nor pinned keys were given, or a
            part is of the wrong type (e.g. PEM bytes for ``trust``).
    """

    def __init__(
        self,
        trust: TrustStore | None = None,
        fetcher: Fetcher | None = None,
        policy: Policy = DEFAULT_POLICY,
        *,
        keys: Mapping[str, ec.EllipticCurvePublicKey] | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        _check_parts(trust, fetcher, policy, keys)
        self.trust = trust
        self.fetcher = fetcher
        self.policy = policy
        self._keys = dict(keys or {})
        self.clock = clock
        self._chains: dict[bytes, Any] = {}
        self._decoded: dict[str, Decoded] = {}
        self._credentials: dict[str, Credential] = {}

    def verify(self, message: bytes | str | SipMessage, now: datetime | None = None) -> Outcome:
        """Verify a SIP message; never raises for bad input.

        Args:
            message: Raw SIP text or bytes, or a parsed :class:`~shakentrace.sip.SipMessage`.
            now: The moment to judge at (capture time for a capture); default
                the verifier's ``clock`` (the wall clock unless one was given).

        Raises:
            TypeError: ``message`` is of another type.
            ConfigurationError: ``now`` is naive.
        """
        moment = _moment(now, self.clock)
        if isinstance(message, SipMessage):
            parsed = message
        elif isinstance(message, bytes | str):
            try:
                parsed = parse_sip(message)
            except SipParseError as exc:
                reason = Reason.of("sip-malformed", f"SIP message does not parse: {exc}")
                return _outcome((reason,), (), None, None, moment, has_identity=False)
        else:
            raise TypeError(
                f"verify() takes bytes, str or SipMessage, not {type(message).__name__}"
            )
        return self.verify_call(CallFacts.from_message(parsed), now=moment)

    def verify_identity(self, value: str, now: datetime | None = None) -> Outcome:
        """Verify one Identity header value alone (no SIP headers to compare with).

        Args:
            value: The header value, without the ``Identity:`` name.
            now: The moment to judge at; default the verifier's ``clock``.

        Raises:
            TypeError: ``value`` is not a ``str``.
            ConfigurationError: ``now`` is naive.
        """
        if not isinstance(value, str):
            raise TypeError("verify_identity() takes a str")
        return self.verify_call(CallFacts(identities=(value,)), now=now)

    def verify_call(self, call: CallFacts, now: datetime | None = None) -> Outcome:
        """Verify already-extracted call facts (fetching certificates as needed).

        Raises:
            TypeError: ``call`` is not a :class:`CallFacts`.
            ConfigurationError: ``now`` is naive.
        """
        if not isinstance(call, CallFacts):
            raise TypeError(f"verify_call() takes CallFacts, not {type(call).__name__}")
        moment = _moment(now, self.clock)
        decoded = [self._decode(v) for v in call.identities[: self.policy.max_identities]]
        credentials = [self._credential(d, moment) for d in decoded]
        return evaluate(call, credentials, policy=self.policy, now=moment, decoded=decoded)

    def _decode(self, value: str) -> Decoded:
        # Decoding is pure and its result immutable: a PASSporT seen again (UDP
        # retransmissions, the same call captured at several hops) is reused.
        found = self._decoded.get(value)
        if found is None:
            found = decode_identity(value, self.policy.limits)
            if len(self._decoded) >= _CACHE_SIZE:
                self._decoded.clear()
            self._decoded[value] = found
        return found

    def _credential(self, decoded: Decoded, now: datetime) -> Credential | None:
        passport, header = decoded.passport, decoded.header
        if passport is None or header is None:
            return None
        url = passport.x5u or header.info
        if url is None:
            return Credential(
                url=None, reasons=(Reason.of("cert-unavailable", "no x5u or info URL"),)
            )
        if url in self._keys:
            return Credential(url=url, public_key=self._keys[url], pinned=True)
        if header.info is not None and passport.x5u is not None and header.info != passport.x5u:
            return None  # refused before any fetch (436): neither URL is vouched for
        return self._fetched(url, self._validity_moment(passport.iat, now), passport.orig_tn)

    def _validity_moment(self, iat: int | None, now: datetime) -> datetime:
        """Certificates are judged at a fresh ``iat`` (DESIGN §2 rule 6), else at ``now``."""
        if iat is None:
            return now
        # check_freshness finds something exactly outside [now - max_age, now + skew].
        age = now.timestamp() - iat
        policy = self.policy
        if age > policy.max_age.total_seconds() or -age > policy.future_skew.total_seconds():
            return now
        return datetime.fromtimestamp(iat, UTC)

    def _fetched(self, url: str, at: datetime, orig_tn: str | None) -> Credential:
        if self.fetcher is None:
            return Credential(
                url=url, reasons=(Reason.of("cert-unavailable", f"no fetcher for {url}"),)
            )
        try:
            data = self.fetcher.fetch(url)
            chain = self._load(data)
        except FetchError as exc:
            code = (
                exc.code
                if exc.code in ("x5u-forbidden", "cert-unavailable")
                else "cert-unavailable"
            )
            # Fetchers that name the URL themselves are not prefixed with it twice.
            message = exc.message if url in exc.message else f"{url}: {exc.message}"
            return Credential(url=url, reasons=(Reason.of(code, message),))
        except ShakenTraceError as exc:
            reason = Reason.of(
                "cert-unavailable", f"{url} holds no certificate chain: {exc.message}"
            )
            return Credential(url=url, reasons=(reason,))
        if self.trust is None:
            unchecked = ChainResult.unchecked(chain)
            return Credential(url=url, public_key=unchecked.public_key, chain=unchecked)
        result = self.trust.verify_chain(chain, at=at, orig_tn=orig_tn)
        # The same verdict (kept by the TrustStore while it holds) gives the same
        # Credential, and so one SignerInfo.
        kept = self._credentials.get(url)
        if kept is not None and kept.chain is result:
            return kept
        credential = Credential(url=url, public_key=result.public_key, chain=result)
        if len(self._credentials) >= _CACHE_SIZE:
            self._credentials.clear()
        self._credentials[url] = credential
        return credential

    def _load(self, data: bytes) -> Any:
        chain = self._chains.get(data)
        if chain is None:
            chain = load_chain(data)
            if len(self._chains) >= _CACHE_SIZE:
                self._chains.clear()
            self._chains[data] = chain
        return chain


def _check_parts(
    trust: object, fetcher: object, policy: object, keys: Mapping[str, object] | None
) -> None:
    """Refuse a wrong part when the Verifier is built, not from inside a later verify()."""
    if fetcher is None and not keys:
        raise ConfigurationError("a Verifier needs a fetcher or pinned keys")
    if trust is not None and not isinstance(trust, TrustStore):
        raise ConfigurationError(
            f"trust must be a TrustStore, not {type(trust).__name__}"
            " (TrustStore.from_pem reads a PEM bundle of STI-CA roots)"
        )
    if fetcher is not None:
        check_fetcher(fetcher, "fetcher")
    if not isinstance(policy, Policy):
        raise ConfigurationError(
            f"policy must be a shakentrace.verify.Policy, not {type(policy).__name__}"
            " (a FetchPolicy belongs to the HttpsFetcher)"
        )
    if any(not isinstance(k, ec.EllipticCurvePublicKey) for k in (keys or {}).values()):
        raise ConfigurationError("keys must map x5u URLs to P-256 public keys")


def _moment(now: datetime | None, clock: Callable[[], datetime] = _utc_now) -> datetime:
    moment = clock() if now is None else now
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ConfigurationError("now (or the clock) must give an aware datetime")
    return moment
