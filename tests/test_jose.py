"""The JOSE adapter: strict base64url, raw R‖S ES256 only."""

from __future__ import annotations

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
