"""Errors of the account use cases. Each has a stable ``code`` (for the API's problem responses)
and a Vietnamese message that never contains a password, key, token or TOTP code."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from service.errors import HsdtError

# Vietnam has kept UTC+7 without daylight saving since 1975 (as in signing.certcheck).
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


class AccountError(HsdtError):
    code = "account.error"


class InvalidAccountData(AccountError):
    """A field of a new account or password is unacceptable (says which and why)."""

    code = "account.invalid"


class DuplicateAccount(AccountError):
    """The person or the username already has an account: accounts are personal (Điều 10)."""

    code = "account.duplicate"


class UnknownAccount(AccountError):
    code = "account.unknown"


class LoginFailed(AccountError):
    """Wrong username or password; deliberately does not say which."""

    code = "login.failed"

    def __init__(self) -> None:
        super().__init__(
            "Sai tên đăng nhập hoặc mật khẩu.",
            hint="Kiểm tra lại (chú ý bộ gõ tiếng Việt và phím Caps Lock); nhập sai nhiều lần "
            "liên tiếp, tài khoản sẽ bị tạm khoá.",
        )


class AccountLocked(AccountError):
    code = "login.locked"

    def __init__(self, until: datetime) -> None:
        local = until.astimezone(VIETNAM_TIME)
        super().__init__(
            "Tài khoản đang tạm khoá vì nhập sai nhiều lần liên tiếp, đến "
            f"{local:%H:%M} ngày {local:%d/%m/%Y} (giờ Việt Nam).",
            hint="Chờ hết thời gian khoá rồi đăng nhập lại, hoặc nhờ quản trị viên mở khoá.",
        )
        self.until = until


class AccountDisabled(AccountError):
    code = "login.disabled"

    def __init__(self) -> None:
        super().__init__(
            "Tài khoản đã bị vô hiệu hoá.",
            hint="Liên hệ quản trị viên của đơn vị nếu bạn vẫn cần dùng hệ thống.",
        )


class SecondFactorRequired(AccountError):
    """The password was right; the account has TOTP enabled and no code was given."""

    code = "login.totp_required"

    def __init__(self) -> None:
        super().__init__(
            "Tài khoản đã bật xác thực hai bước: cần nhập mã 6 chữ số từ ứng dụng xác thực.",
            hint="Mở ứng dụng xác thực trên điện thoại và nhập mã đang hiển thị.",
        )


class SecondFactorFailed(AccountError):
    code = "login.totp_failed"

    def __init__(self) -> None:
        super().__init__(
            "Mã xác thực hai bước không đúng, đã hết hạn hoặc đã được dùng.",
            hint="Chờ mã mới trên ứng dụng xác thực rồi nhập lại; kiểm tra giờ của điện thoại.",
        )


class TokenRejected(AccountError):
    """An access token that is expired, altered, revoked or not ours (HTTP 401)."""

    code = "token.rejected"

    def __init__(self, why: str) -> None:
        super().__init__(f"Phiên đăng nhập không còn hiệu lực ({why}).", hint="Đăng nhập lại.")
        self.why = why


class CertificateBindingError(AccountError):
    code = "account.certificate"
