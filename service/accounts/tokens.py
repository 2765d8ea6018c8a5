"""Short-lived access tokens: ``hsdt1.<claims>.<mac>``, HMAC-SHA256 under the installation key.

Claims (base64url JSON): ``sub`` the username, ``gen`` the account's generation (bumped to
revoke every token at once), ``iat``/``exp`` in Unix seconds, ``jti`` random. The token carries no
permissions: grants are read from the database on every request, so a revoked role takes effect
at once. Pure: the caller passes the key and the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PREFIX = "hsdt1"


@dataclass(frozen=True)
class AccessToken:
    value: str = field(repr=False)
    username: str
    expires_at: datetime


@dataclass(frozen=True)
class TokenClaims:
    username: str
    generation: int
    issued_at: datetime
    expires_at: datetime


class BadToken(ValueError):
    """Why a token was refused, in Vietnamese (for ``TokenRejected``)."""


def issue(
    key: bytes, username: str, generation: int, now: datetime, lifetime: timedelta
) -> AccessToken:
    iat = int(now.timestamp())
    exp = iat + int(lifetime.total_seconds())
    claims = {"sub": username, "gen": generation, "iat": iat, "exp": exp}
    claims["jti"] = secrets.token_hex(8)
    body = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode())
    signed = f"{PREFIX}.{body}"
    value = f"{signed}.{_b64(_mac(key, signed))}"
    return AccessToken(value, username, datetime.fromtimestamp(exp, UTC))


def verify(key: bytes, value: str, now: datetime) -> TokenClaims:
    """The claims of a genuine, unexpired token; ``BadToken`` otherwise."""
    parts = value.strip().split(".")
    if not value.isascii() or len(parts) != 3 or parts[0] != PREFIX:
        raise BadToken("không phải mã phiên của hệ thống")
    signed = f"{parts[0]}.{parts[1]}"
    try:
        given = _unb64(parts[2])
    except ValueError:
        raise BadToken("mã phiên bị sửa đổi") from None
    if not hmac.compare_digest(given, _mac(key, signed)):
        raise BadToken("mã phiên bị sửa đổi hoặc do cài đặt khác cấp")
    try:
        claims = json.loads(_unb64(parts[1]))
        username, generation = str(claims["sub"]), int(claims["gen"])
        iat, exp = int(claims["iat"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError):
        raise BadToken("nội dung mã phiên không đọc được") from None
    if now.timestamp() >= exp:
        raise BadToken("mã phiên đã hết hạn")
    return TokenClaims(
        username, generation, datetime.fromtimestamp(iat, UTC), datetime.fromtimestamp(exp, UTC)
    )


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
