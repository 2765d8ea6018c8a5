"""argon2id hashing: the parameters recorded in each hash, Vietnamese input, what is refused."""

from __future__ import annotations

import unicodedata

import pytest
from argon2 import extract_parameters, profiles
from argon2.low_level import Type

from accounts.helpers import FAST
from service.accounts import DEFAULT_POLICY, InvalidAccountData
from service.accounts.passwords import (
    check_new_password,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_production_hashes_are_argon2id_with_the_rfc9106_parameters() -> None:
    stored = hash_password("cô giáo Mai dạy Toán", DEFAULT_POLICY)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    params = extract_parameters(stored)
    assert (params.type, params.time_cost, params.memory_cost, params.parallelism) == (
        Type.ID,
        3,
        64 * 1024,
        4,
    )
    assert (params.salt_len, params.hash_len) == (16, 32)
    assert params == profiles.RFC_9106_LOW_MEMORY
    assert verify_password(stored, "cô giáo Mai dạy Toán", DEFAULT_POLICY)
    assert not verify_password(stored, "cô giáo Mai dạy toán", DEFAULT_POLICY)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("một mật khẩu dài", FAST) != hash_password("một mật khẩu dài", FAST)


def test_the_same_vietnamese_password_typed_precomposed_or_decomposed_matches() -> None:
    typed_with_unikey = unicodedata.normalize("NFC", "Lào Cai quê hương tôi")
    typed_on_a_mac = unicodedata.normalize("NFD", "Lào Cai quê hương tôi")
    assert typed_with_unikey != typed_on_a_mac
    stored = hash_password(typed_with_unikey, FAST)
    assert verify_password(stored, typed_on_a_mac, FAST)


def test_a_damaged_hash_is_a_mismatch_not_a_crash() -> None:
    assert not verify_password("$argon2id$v=19$m=1024,t=1,p=1$broken", "x" * 12, FAST)
    assert not verify_password("", "x" * 12, FAST)


def test_hashes_made_with_other_parameters_are_upgraded() -> None:
    old = hash_password("mật khẩu từ năm ngoái", FAST)
    assert needs_rehash(old, DEFAULT_POLICY) and not needs_rehash(old, FAST)
    # and still verify under the new policy: the parameters travel with the hash
    assert verify_password(old, "mật khẩu từ năm ngoái", DEFAULT_POLICY)


def test_unknown_accounts_cost_the_same_work_as_known_ones() -> None:
    # login verifies against this hash when the username is unknown: same parameters, same time
    params = extract_parameters(dummy_hash(DEFAULT_POLICY.hashing))
    assert params == DEFAULT_POLICY.hashing.to_argon2()


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("ngắn quá", "quá ngắn"),
        ("x" * 257, "quá dài"),
        ("giang.thi.mai", "trùng tên đăng nhập"),
        ("010203040508", "trùng tên đăng nhập, mã định danh"),
        (" " * 12, "để trống"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, says: str) -> None:
    with pytest.raises(InvalidAccountData) as caught:
        check_new_password(password, FAST, forbidden=("giang.thi.mai", "010203040508"))
    assert says in str(caught.value)
