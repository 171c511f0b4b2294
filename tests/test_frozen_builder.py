"""The fast builders of the verify path's result dataclasses give what __init__ gives."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shakentrace._frozen import builder
from shakentrace._outcome import IdentityResult, Outcome, TnPairing
from shakentrace._rebuild import CallFacts, Credential, Decoded
from shakentrace.claims import FrozenMap
from shakentrace.identity import IdentityHeader
from shakentrace.passport import Passport
from shakentrace.sip import SipMessage
from shakentrace.uri import Uri
from shakentrace.verify import Policy

BUILT = (
    TnPairing, IdentityResult, Outcome, CallFacts, Decoded, IdentityHeader, Passport, Uri,
    SipMessage, Credential,
)  # fmt: skip
_VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=3), st.tuples(st.integers()))


@pytest.mark.parametrize("cls", BUILT, ids=lambda c: c.__name__)
@given(data=st.data())
def test_builder_gives_what_init_gives(cls: type[Any], data: st.DataObject) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    values = {f.name: data.draw(_VALUES, label=f.name) for f in dataclasses.fields(cls) if f.init}
    built, made = builder(cls)(**values), cls(**values)
    assert type(built) is cls
    assert built == made
    # Fields left out of __init__ too (SipMessage._cache, Credential._signer).
    assert [getattr(built, n) for n in names] == [getattr(made, n) for n in names]
    assert pickle.loads(pickle.dumps(built)) == made
    assert repr(built) == repr(made)
    assert hash(built) == hash(made)
    assert dataclasses.replace(built) == made
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.__setattr__(names[0], None)


@pytest.mark.parametrize("cls", BUILT, ids=lambda c: c.__name__)
def test_builder_wants_every_field(cls: type[Any]) -> None:
    with pytest.raises(TypeError):
        builder(cls)()


def test_fields_left_out_of_init_get_fresh_defaults() -> None:
    build = builder(SipMessage)
    values = {f.name: None for f in dataclasses.fields(SipMessage) if f.init}
    first, second = build(**values), build(**values)
    assert first._cache == {}
    assert first._cache is not second._cache
    assert (
        builder(Credential)(url=None, public_key=None, chain=None, reasons=(), pinned=False)._signer
        is None
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Base:
    a: int


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Derived(_Base):
    b: int


def test_builder_refuses_slots_spread_over_base_classes() -> None:
    with pytest.raises(TypeError):
        builder(_Derived)


@pytest.mark.parametrize("cls", [Policy, datetime], ids=lambda c: c.__name__)
def test_builder_refuses_classes_whose_init_does_more(cls: type[Any]) -> None:
    with pytest.raises(TypeError):
        builder(cls)


@given(st.dictionaries(st.text(max_size=3), _VALUES, max_size=4))
def test_owning_frozen_map_is_the_copying_one(data: dict[str, Any]) -> None:
    owning, copying = FrozenMap._owning(dict(data)), FrozenMap(data)
    assert type(owning) is FrozenMap
    assert owning == copying
    assert list(owning.items()) == list(copying.items())
    assert repr(owning) == repr(copying)
    assert pickle.loads(pickle.dumps(owning)) == copying
