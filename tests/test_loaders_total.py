"""Totality of the loaders of configuration and PKI files: a result or our own error.

The provider directory (TOML, JSON, OCN.csv), PEM trust bundles and CRLs come
from files an analyst points shakentrace at; whatever they hold, the loader
gives a result or a :class:`~shakentrace.errors.ShakenTraceError`, never
another exception.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, VECTORS
from shakentrace import ProviderDirectory, TrustStore
from shakentrace._crl import load_crls
from shakentrace.errors import DirectoryError, ShakenTraceError
from strategies import mutated

_DIRECTORY = (ROOT / "examples" / "directory.toml").read_bytes()
_CRL = (VECTORS / "corpus" / "crl" / "corpus-intermediate.pem").read_bytes()
_TRUST = (ROOT / "examples" / "capture" / "trust.pem").read_bytes()
_CSV = b"OCN,Org Name,CN,Cert\n123A,Example Co,SHAKEN 123A,https://cr.example/a.crt\n"

_JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=25,
)
_DIRECTORY_KEYS = st.sampled_from(
    ["providers", "peers", "ocn", "name", "addresses", "trunk_groups", "domains", "provider"]
)
_DIRECTORIES = st.dictionaries(
    _DIRECTORY_KEYS,
    st.lists(st.dictionaries(_DIRECTORY_KEYS | st.text(max_size=8), _JSON_LIKE), max_size=3)
    | _JSON_LIKE,
)


def _total(load: Callable[[Any], object], data: Any) -> None:
    with contextlib.suppress(ShakenTraceError):
        load(data)


@pytest.mark.parametrize(
    ("load", "seed"),
    [
        (lambda b: ProviderDirectory.from_toml(b.decode("utf-8", "replace")), _DIRECTORY),
        (lambda b: ProviderDirectory.from_ocn_csv(b.decode("utf-8", "replace")), _CSV),
        (load_crls, _CRL),
        (TrustStore.from_pem, _TRUST),
    ],
    ids=["toml", "ocn-csv", "crl", "trust-pem"],
)
@given(data=st.data())
def test_mutated_files(load: Callable[[bytes], object], seed: bytes, data: st.DataObject) -> None:
    _total(load, data.draw(mutated((seed,)) | st.binary(max_size=300)))


@given(_DIRECTORIES)
def test_any_json_directory(value: dict[str, Any]) -> None:
    _total(ProviderDirectory.from_json, json.dumps(value))
    _total(ProviderDirectory.from_mapping, value)


@given(st.text(max_size=300))
def test_any_text_directory(text: str) -> None:
    for load in (
        ProviderDirectory.from_toml,
        ProviderDirectory.from_json,
        ProviderDirectory.from_ocn_csv,
    ):
        _total(load, text)


@pytest.mark.parametrize(
    ("load", "text"),
    [
        (ProviderDirectory.from_json, "[" * 100_000 + "]" * 100_000),
        (ProviderDirectory.from_toml, "a = " + "[" * 100_000 + "]" * 100_000),
    ],
    ids=["json", "toml"],
)
def test_deeply_nested_directory_is_a_directory_error(
    load: Callable[[str], object], text: str
) -> None:
    with pytest.raises(DirectoryError, match=r"not (JSON|TOML)"):
        load(text)


def test_csv_with_old_mac_line_ends_reads() -> None:
    directory = ProviderDirectory.from_ocn_csv(_CSV.decode().replace("\n", "\r"))
    assert [p.ocn for p in directory.providers] == ["123A"]
