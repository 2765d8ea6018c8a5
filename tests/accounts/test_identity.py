"""Accounts name people: usernames, personal identification numbers."""

from __future__ import annotations

import pytest

from service.accounts import InvalidAccountData
from service.accounts.identity import check_national_id, mask_national_id, normalise_username


def test_usernames_are_normalised() -> None:
    assert normalise_username("  Giang.Thi.Mai ") == "giang.thi.mai"


@pytest.mark.parametrize("name", ["vanthu", "Van-Thu", "admin", "hieutruong2", "gvcn.8a1", "qtv"])
def test_function_names_are_refused_as_shared_logins(name: str) -> None:
    with pytest.raises(InvalidAccountData, match="dùng chung"):
        normalise_username(name)


@pytest.mark.parametrize("name", ["mai", "truong.van.phong", "phong", "lo.van.penh"])
def test_personal_names_pass(name: str) -> None:
    assert normalise_username(name) == name


@pytest.mark.parametrize("name", ["ab", "giàng.mai", "mai nguyen", ".mai", "x" * 65])
def test_malformed_usernames_are_refused(name: str) -> None:
    with pytest.raises(InvalidAccountData, match="không hợp lệ"):
        normalise_username(name)


@pytest.mark.parametrize("nid", ["12345678901", "1234567890123", "01020304050a", ""])
def test_national_ids_have_twelve_digits(nid: str) -> None:
    with pytest.raises(InvalidAccountData, match="12 chữ số"):
        check_national_id(nid)


def test_national_ids_are_masked_in_messages() -> None:
    assert mask_national_id("010203040508") == "********0508"
