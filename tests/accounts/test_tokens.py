"""Access tokens: genuine, unexpired tokens only; altered or foreign ones refused."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from accounts.helpers import T0
from service.accounts.tokens import PREFIX, BadToken, issue, verify

KEY = bytes(range(32))
LIFE = timedelta(minutes=15)


def test_a_token_carries_the_account_and_its_generation_until_it_expires() -> None:
    token = issue(KEY, "giang.thi.mai", 3, T0, LIFE)
    assert token.value.startswith(f"{PREFIX}.") and token.expires_at == T0 + LIFE
    claims = verify(KEY, token.value, T0 + LIFE - timedelta(seconds=1))
    assert (claims.username, claims.generation, claims.issued_at) == ("giang.thi.mai", 3, T0)
    with pytest.raises(BadToken, match="hết hạn"):
        verify(KEY, token.value, T0 + LIFE)


def test_two_tokens_for_the_same_sign_in_differ() -> None:
    assert issue(KEY, "a.b", 0, T0, LIFE).value != issue(KEY, "a.b", 0, T0, LIFE).value


def _tampered(value: str, **changes: object) -> str:
    prefix, body, mac = value.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims.update(changes)
    new_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{prefix}.{new_body}.{mac}"


@pytest.mark.parametrize(
    "change",
    [{"sub": "qt.so.laocai"}, {"exp": 2_000_000_000}, {"gen": 0}],
    ids=["another-account", "longer-life", "old-generation"],
)
def test_altered_claims_are_refused(change: dict[str, object]) -> None:
    token = issue(KEY, "giang.thi.mai", 1, T0, LIFE)
    with pytest.raises(BadToken, match="sửa đổi"):
        verify(KEY, _tampered(token.value, **change), T0)


def test_a_token_from_another_installation_is_refused() -> None:
    token = issue(bytes(32), "giang.thi.mai", 0, T0, LIFE)
    with pytest.raises(BadToken):
        verify(KEY, token.value, T0)


@pytest.mark.parametrize(
    "garbage", ["", "abc", "hsdt1.a.b.c", "hsdt1..", "jwt.eyJ.x", "hsdt1.ÿ.ÿ", "hsdt1.e30.!!!"]
)
def test_garbage_is_refused_not_crashed_on(garbage: str) -> None:
    with pytest.raises(BadToken):
        verify(KEY, garbage, T0)


def test_the_token_value_is_not_in_its_repr() -> None:
    token = issue(KEY, "giang.thi.mai", 0, T0, LIFE)
    assert token.value not in repr(token) and "giang.thi.mai" in repr(token)
