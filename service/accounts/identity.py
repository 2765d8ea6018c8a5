"""Who an account belongs to: username and national identification number rules.

An account is a person's (Điều 10: nobody lets others work in their name). The personal
identification number (mã định danh cá nhân, 12 digits) is unique across accounts, and usernames
that name a function rather than a person ("vanthu", "admin") are refused, because those are
the logins offices end up sharing.
"""

from __future__ import annotations

import re
import unicodedata

from service.accounts.errors import InvalidAccountData

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
_NATIONAL_ID = re.compile(r"\d{12}")

# Function names (no Vietnamese syllable among them): "van-thu", "vanthu2", "gvcn.8a1",
# "admin.truong" all hit, whether written as one word or split by separators and digits.
_FUNCTION_NAMES = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "quantri",
        "qtv",
        "vanthu",
        "hieutruong",
        "phohieutruong",
        "gvcn",
        "gvbm",
        "giaovien",
        "hocsinh",
        "phuhuynh",
        "banquantri",
        "ketoan",
        "test",
        "user",
        "guest",
    }
)


def normalise_username(username: str) -> str:
    name = unicodedata.normalize("NFC", username).strip().casefold()
    if not _USERNAME.fullmatch(name):
        raise InvalidAccountData(
            f"Tên đăng nhập «{name}» không hợp lệ: 3–64 ký tự gồm chữ thường không dấu, chữ số, "
            "dấu chấm, gạch ngang hoặc gạch dưới, bắt đầu bằng chữ hoặc số.",
            hint="Ví dụ: nguyenthimai.kt hoặc mai.nguyen",
        )
    words = [w for w in re.split(r"[^a-z]+", name) if w]
    if "".join(words) in _FUNCTION_NAMES or any(w in _FUNCTION_NAMES for w in words):
        raise InvalidAccountData(
            f"Tên đăng nhập «{name}» là tên một chức danh, không phải của một người: tài khoản "
            "dùng chung bị cấm (Điều 10).",
            hint="Đặt tên đăng nhập theo họ tên của người dùng tài khoản.",
        )
    return name


def check_national_id(national_id: str) -> str:
    nid = national_id.strip()
    if not _NATIONAL_ID.fullmatch(nid):
        raise InvalidAccountData(
            "Mã định danh cá nhân phải gồm đúng 12 chữ số (số căn cước công dân).",
            hint="Nhập số trên thẻ căn cước của người dùng tài khoản.",
        )
    return nid


def mask_national_id(national_id: str) -> str:
    """For messages and the audit log: the last four digits only (personal data, Nghị định 13)."""
    return "********" + national_id[-4:]


def check_full_name(full_name: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", full_name).split())
    if not name:
        raise InvalidAccountData("Thiếu họ và tên người dùng tài khoản.", hint="Nhập đủ họ tên.")
    return name
