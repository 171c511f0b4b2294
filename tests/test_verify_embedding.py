"""What a provider's engineer trips over when embedding the Verifier in a service.

Misuse is refused where it is made (building a Policy or a Verifier), with a
message that says what to pass instead, not later from inside ``verify`` as an
AttributeError of some internal object; failures keep their types for mypy
--strict callers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shakentrace import (
    CachingFetcher,
    ConfigurationError,
    DirectoryFetcher,
    FetchPolicy,
    HttpsFetcher,
    LayeredFetcher,
    Outcome,
    Policy,
    StaticFetcher,
    TrustStore,
    VerificationError,
    Verifier,
    verify_many,
)
from shakentrace.evidence import RecordingFetcher
from shakentrace.testing import StiCA, build_invite

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CA = StiCA(seed="embedding", now=NOW)
CERT = CA.issue_cert(spc="1234")
INVITE = build_invite(identity=CERT.identity_header(iat=NOW), date=NOW)


def _fetcher() -> StaticFetcher:
    return StaticFetcher({CERT.x5u: bytes(CERT.chain_pem)})


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"max_age": 60}, "max_age must be a datetime.timedelta"),
        ({"future_skew": 5.0}, "future_skew must be a datetime.timedelta"),
        ({"ppts": "shaken"}, "ppts must be a tuple of strings"),
        ({"algorithms": "ES256"}, "algorithms must be a tuple of strings"),
        ({"max_identities": "3"}, "max_identities must be an int"),
        ({"max_identities": True}, "max_identities must be an int"),
        # limits=None passed, and every verify then raised AttributeError.
        ({"limits": None}, "limits must be a PassportLimits"),
        ({"limits": Policy()}, "limits must be a PassportLimits, not Policy"),
        ({"check_date": "no"}, "check_date must be True or False"),
        ({"require_ppt": 0}, "require_ppt must be True or False"),
    ],
)
def test_a_policy_of_the_wrong_types_is_refused_in_words(
    options: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says):
        Policy(**options)


def test_a_policy_with_a_string_of_ppts_does_not_accept_its_substrings() -> None:
    # "sha" in "shaken" is True: a str where a tuple belongs accepted ppt=sha.
    with pytest.raises(ConfigurationError):
        Policy(ppts="shaken")  # type: ignore[arg-type]
    assert Policy(ppts=("shaken",)).ppts == ("shaken",)


@pytest.mark.parametrize(
    ("parts", "says"),
    [
        ({"trust": CA.trust_pem, "fetcher": _fetcher()}, r"TrustStore\.from_pem"),
        ({"fetcher": {CERT.x5u: bytes(CERT.chain_pem)}}, "fetcher must be a Fetcher"),
        ({"fetcher": "certs/"}, r"not str; DirectoryFetcher\(path\) reads a folder"),
        ({"fetcher": StaticFetcher}, "an instance, not the class StaticFetcher"),
        ({"keys": {CERT.x5u: bytes(CERT.chain_pem)}}, "P-256 public keys"),
    ],
)
def test_a_verifier_of_the_wrong_parts_is_refused_when_built(
    parts: dict[str, Any], says: str
) -> None:
    # It used to be built, then raise AttributeError from inside verify() at the
    # first call that needed the part.
    with pytest.raises(ConfigurationError, match=says):
        Verifier(**parts)


def test_verify_call_names_what_it_takes() -> None:
    verifier = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=_fetcher())
    with pytest.raises(TypeError, match="CallFacts"):
        verifier.verify_call(INVITE, now=NOW)  # type: ignore[arg-type]


def test_a_failure_raised_carries_its_outcome_typed() -> None:
    verifier = Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=_fetcher())
    late = verifier.verify(INVITE, now=NOW + timedelta(minutes=5))
    with pytest.raises(VerificationError) as raised:
        late.raise_for_failure()
    # mypy --strict checks these lines: the attribute is an Outcome, not an object.
    outcome: Outcome = raised.value.outcome
    assert (outcome.sip_code, raised.value.code) == (403, "stale")
    assert outcome is late


def _no_verifier() -> Verifier:
    return Verifier()  # no fetcher and no keys: refused in each worker process


def test_verify_many_says_why_the_factory_failed_in_a_worker() -> None:
    # It raised BrokenProcessPool ("a process in the process pool was terminated
    # abruptly"), and the factory's own error went to stderr only.
    with pytest.raises(ConfigurationError, match="a Verifier needs a fetcher or pinned keys"):
        verify_many([INVITE, INVITE], _no_verifier, now=NOW, workers=2)


def test_a_trust_store_reads_pem_text_as_well_as_bytes(tmp_path: Path) -> None:
    # Path.read_text() gave "TypeError: 'in <string>' requires string as left operand".
    (tmp_path / "roots.pem").write_bytes(CA.trust_pem)
    store = TrustStore.from_pem((tmp_path / "roots.pem").read_text())
    assert store.roots == TrustStore.from_pem(CA.trust_pem).roots
    verifier = Verifier(trust=store, fetcher=_fetcher())
    assert verifier.verify(INVITE, now=NOW).status == "valid"


def _verifier() -> Verifier:
    return Verifier(trust=TrustStore.from_pem(CA.trust_pem), fetcher=_fetcher())


@pytest.mark.parametrize("workers", [1, 2])
def test_verify_many_judges_each_message_at_its_own_capture_time(workers: int) -> None:
    # A queue of captured INVITEs: each is judged when it was captured (DESIGN §2),
    # not all at one moment, which made every call but those of one minute stale.
    later = NOW + timedelta(minutes=10)
    second = build_invite(identity=CERT.identity_header(iat=later), date=later)
    calls = [INVITE, second, INVITE]
    outcomes = verify_many(calls, _verifier, times=[NOW, later, None], workers=workers)
    assert [o.now for o in outcomes[:2]] == [NOW, later]
    assert [o.status for o in outcomes[:2]] == ["valid", "valid"]
    assert outcomes[2].now > later  # None: the wall clock
    at_once = verify_many(calls[:2], _verifier, now=NOW, workers=workers)
    assert [o.status for o in at_once] == ["valid", "invalid"]


def test_verify_many_takes_one_time_per_message() -> None:
    with pytest.raises(ConfigurationError, match=r"2 message\(s\) and 1 time\(s\)"):
        verify_many([INVITE, INVITE], _verifier, times=[NOW])
    with pytest.raises(ConfigurationError, match="now or times, not both"):
        verify_many([INVITE], _verifier, now=NOW, times=[NOW])


@pytest.mark.parametrize(
    "build",
    [
        lambda folder: CachingFetcher(HttpsFetcher),  # type: ignore[arg-type]
        lambda folder: LayeredFetcher(DirectoryFetcher(folder), HttpsFetcher),  # type: ignore[arg-type]
        lambda folder: RecordingFetcher(HttpsFetcher, folder),  # type: ignore[arg-type]
        lambda folder: TrustStore.from_pem(CA.trust_pem, crl_fetcher=HttpsFetcher),
    ],
    ids=["caching", "layered", "recording", "crl-fetcher"],
)
def test_a_fetcher_class_in_place_of_a_fetcher_is_refused_when_wrapped(
    build: Callable[[Path], object], tmp_path: Path
) -> None:
    # CachingFetcher(HttpsFetcher) -- the parentheses forgotten -- was accepted, and
    # every call then raised TypeError out of Verifier.verify.
    with pytest.raises(ConfigurationError, match="not the class HttpsFetcher"):
        build(tmp_path)


def test_the_two_policies_are_not_taken_for_each_other() -> None:
    # Policy (the Verifier's) and FetchPolicy (the HttpsFetcher's): HttpsFetcher(Policy())
    # was accepted, and every fetch raised AttributeError out of Verifier.verify.
    with pytest.raises(ConfigurationError, match="HttpsFetcher takes a FetchPolicy, not Policy"):
        HttpsFetcher(Policy())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="FetchPolicy belongs to the HttpsFetcher"):
        Verifier(fetcher=_fetcher(), policy=FetchPolicy())  # type: ignore[arg-type]


def test_a_trust_store_of_pem_bytes_points_to_from_pem() -> None:
    # TrustStore(pem) said "'int' object is not an instance of 'Certificate'".
    with pytest.raises(ConfigurationError, match=r"TrustStore\.from_pem"):
        TrustStore(CA.trust_pem)  # type: ignore[arg-type]
