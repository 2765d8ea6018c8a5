"""Personal accounts (Điều 10): argon2id passwords, lockout, optional TOTP, short-lived tokens,
role grants for ``service.authz`` and the signing certificates each account holds.

What the API calls:

    login(ctx, username, password, totp_code=None) -> AccessToken
    authenticate_token(ctx, bearer_value) -> Principal           # every request
    require(principal, action, resource)                         # service.authz
    certificate_belongs_to(ctx, username, certificate) -> bool   # before accepting a signature

Administration takes the acting Principal and checks ``account.manage`` itself.
"""

from service.accounts.admin import (
    NewAccount,
    add_grant,
    bind_certificate,
    bootstrap_admin,
    create_account,
    disable_account,
    reset_password,
    reset_second_factor,
    revoke_grant,
    unbind_certificate,
    unlock_account,
)
from service.accounts.certificate_binding import (
    BoundCertificate,
    account_of_certificate,
    certificate_belongs_to,
    certificates_of,
)
from service.accounts.certificates import CertificateInfo, certificate_info, fingerprint
from service.accounts.errors import (
    AccountDisabled,
    AccountError,
    AccountLocked,
    CertificateBindingError,
    DuplicateAccount,
    InvalidAccountData,
    LoginFailed,
    SecondFactorFailed,
    SecondFactorRequired,
    TokenRejected,
    UnknownAccount,
)
from service.accounts.login import authenticate_token, login
from service.accounts.policy import DEFAULT_POLICY, AccountPolicy
from service.accounts.self_service import (
    begin_totp_enrolment,
    change_password,
    confirm_totp_enrolment,
)
from service.accounts.tokens import AccessToken
from service.accounts.totp import TotpEnrolment

__all__ = [
    "DEFAULT_POLICY",
    "AccessToken",
    "AccountDisabled",
    "AccountError",
    "AccountLocked",
    "AccountPolicy",
    "BoundCertificate",
    "CertificateBindingError",
    "CertificateInfo",
    "DuplicateAccount",
    "InvalidAccountData",
    "LoginFailed",
    "NewAccount",
    "SecondFactorFailed",
    "SecondFactorRequired",
    "TokenRejected",
    "TotpEnrolment",
    "UnknownAccount",
    "account_of_certificate",
    "add_grant",
    "authenticate_token",
    "begin_totp_enrolment",
    "bind_certificate",
    "bootstrap_admin",
    "certificate_belongs_to",
    "certificate_info",
    "certificates_of",
    "change_password",
    "confirm_totp_enrolment",
    "create_account",
    "disable_account",
    "fingerprint",
    "login",
    "reset_password",
    "reset_second_factor",
    "revoke_grant",
    "unbind_certificate",
    "unlock_account",
]
