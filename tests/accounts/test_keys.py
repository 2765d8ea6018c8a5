"""The installation key: created once (0600), derived keys, TOTP secrets sealed per account."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from service.accounts.keys import InstallationKeys, KeyFileError, load_or_create_secret
from service.home import Home


def test_the_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    home = Home.open(tmp_path / "home")
    first = InstallationKeys.of(home)
    path = home.root / "secrets" / "installation.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(path.read_bytes()) == 32
    assert InstallationKeys.of(home) == first
    assert first.token_key != first.totp_key  # one purpose, one key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_a_damaged_key_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "installation.key"
    path.write_bytes(b"short")
    with pytest.raises(KeyFileError, match="bị hỏng"):
        load_or_create_secret(path)
    assert path.read_bytes() == b"short"


def test_totp_secrets_are_sealed_for_one_account() -> None:
    keys = InstallationKeys.from_secret(bytes(32))
    sealed = keys.seal_totp("JBSWY3DPEHPK3PXP", "giang.thi.mai")
    assert b"JBSWY3DPEHPK3PXP" not in sealed
    assert keys.open_totp(sealed, "giang.thi.mai") == "JBSWY3DPEHPK3PXP"
    assert keys.open_totp(sealed, "qt.banxeo") is None  # copied onto another row: useless
    assert InstallationKeys.from_secret(bytes([1]) * 32).open_totp(sealed, "giang.thi.mai") is None
    assert keys.open_totp(sealed[:-1] + bytes([sealed[-1] ^ 1]), "giang.thi.mai") is None


def test_keys_are_not_in_repr() -> None:
    keys = InstallationKeys.from_secret(bytes(32))
    assert keys.token_key.hex() not in repr(keys) and repr(keys.token_key) not in repr(keys)
