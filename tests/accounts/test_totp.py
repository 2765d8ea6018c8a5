"""TOTP codes (RFC 6238) at a fixed time: the current step, one step of drift, no replays."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from accounts.helpers import T0
from service.accounts.totp import TotpEnrolment, matching_step, new_secret, provisioning_uri

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
STEP = int(T0.timestamp()) // 30


def code_at(offset_steps: int) -> str:
    return pyotp.TOTP(SECRET).at(T0 + timedelta(seconds=30 * offset_steps))


def test_the_current_code_matches_its_step() -> None:
    assert matching_step(SECRET, code_at(0), T0, drift=1, last_step=None) == STEP


def test_one_step_of_clock_drift_either_way_is_accepted_two_are_not() -> None:
    assert matching_step(SECRET, code_at(-1), T0, drift=1, last_step=None) == STEP - 1
    assert matching_step(SECRET, code_at(1), T0, drift=1, last_step=None) == STEP + 1
    assert matching_step(SECRET, code_at(-2), T0, drift=1, last_step=None) is None
    assert matching_step(SECRET, code_at(2), T0, drift=1, last_step=None) is None


def test_a_code_is_used_once() -> None:
    assert matching_step(SECRET, code_at(0), T0, drift=1, last_step=STEP) is None
    # nor can an older code be played after a newer one
    assert matching_step(SECRET, code_at(-1), T0, drift=1, last_step=STEP) is None
    assert matching_step(SECRET, code_at(1), T0, drift=1, last_step=STEP) == STEP + 1


def test_spaces_are_ignored_and_non_codes_refused() -> None:
    code = code_at(0)
    assert matching_step(SECRET, f"{code[:3]} {code[3:]}", T0, drift=1, last_step=None) == STEP
    for bad in ("", "12345", "1234567", "abcdef", "１２３４５６"):
        assert matching_step(SECRET, bad, T0, drift=1, last_step=None) is None


def test_enrolment_link_names_the_issuer_and_account_and_hides_the_secret_in_repr() -> None:
    secret = new_secret()
    assert len(secret) == 32 and pyotp.TOTP(secret).now().isdigit()
    uri = provisioning_uri(secret, "giang.thi.mai")
    assert (
        uri.startswith("otpauth://totp/") and "giang.thi.mai" in uri and f"secret={secret}" in uri
    )
    enrolment = TotpEnrolment("giang.thi.mai", secret, uri)
    assert secret not in repr(enrolment) and "otpauth" not in repr(enrolment)
