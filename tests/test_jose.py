"""The JOSE adapter: strict base64url, raw R‖S ES256 only."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from shakentrace import PassportParseError
from shakentrace._jose import b64url_decode, b64url_encode, sign_es256, verify_es256

KEY = ec.generate_private_key(ec.SECP256R1())


@given(st.binary(max_size=200))
def test_b64url_round_trip(data: bytes) -> None:
    assert b64url_decode(b64url_encode(data)) == data


@pytest.mark.parametrize("segment", ["eyJh,bGci", "eyJhbGci=", "ab cd", "a", "é"])
def test_b64url_decode_is_strict(segment: str) -> None:
    with pytest.raises(PassportParseError):
        b64url_decode(segment)


def _reference_decode(segment: str) -> bytes | str:
    """b64url_decode as first written: the alphabet by regex, then the length, then decoding."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", segment):
        bad = next(c for c in segment if not (c.isascii() and (c.isalnum() or c in "-_")))
        return f"segment is not base64url: character {bad!r}"
    if len(segment) % 4 == 1:
        return f"segment has an impossible base64url length {len(segment)}"
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


_B64_TEXT = st.text(
    st.sampled_from("AQgw_-zZ09+/= \n,.é\x00\U0001f600") | st.characters(), max_size=12
)


@given(_B64_TEXT | st.binary(max_size=40).map(b64url_encode))
def test_b64url_decode_is_the_reference_decode(segment: str) -> None:
    """The strict-mode shortcut decodes, and refuses with the same message, as the regex path."""
    try:
        got: bytes | str = b64url_decode(segment)
    except PassportParseError as exc:
        got = exc.message
    assert got == _reference_decode(segment)


def test_es256_signature_is_raw_r_s_and_verifies() -> None:
    sig = sign_es256(KEY, b"header.payload")
    assert len(sig) == 64
    assert verify_es256(KEY.public_key(), b"header.payload", sig)
    assert not verify_es256(KEY.public_key(), b"header.payloaD", sig)


def test_der_signature_is_rejected() -> None:
    der = KEY.sign(b"header.payload", ec.ECDSA(hashes.SHA256()))
    assert not verify_es256(KEY.public_key(), b"header.payload", der)


def test_key_on_another_curve_is_rejected() -> None:
    other = ec.generate_private_key(ec.SECP384R1())
    assert not verify_es256(other.public_key(), b"x", sign_es256(KEY, b"x"))
