"""Time-based one-time passwords (RFC 6238) with pyotp: secrets, enrolment links, verification.

A code is accepted once: verification returns the 30-second time step it matched and the caller
stores it, so the same code cannot be replayed within its validity window.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

import pyotp

ISSUER = "HSĐT"
INTERVAL = 30


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// link an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret, interval=INTERVAL).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(
    secret: str, code: str, at: datetime, *, drift: int, last_step: int | None
) -> int | None:
    """The time step ``code`` is valid for around ``at`` (± ``drift`` steps), newer than
    ``last_step``; None when it matches none."""
    code = "".join(code.split())
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, interval=INTERVAL)
    now_step = int(at.timestamp()) // INTERVAL
    found: int | None = None
    for step in range(now_step - drift, now_step + drift + 1):
        # compare every candidate, so the time taken does not say which one matched
        if hmac.compare_digest(totp.at(step * INTERVAL), code) and (
            last_step is None or step > last_step
        ):
            found = step
    return found


@dataclass(frozen=True)
class TotpEnrolment:
    """What the user needs to set up their authenticator app. Shown once, never logged."""

    username: str
    secret: str = field(repr=False)
    uri: str = field(repr=False)
