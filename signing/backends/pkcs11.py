"""PKCS#11 signer backend: USB tokens (the school seal in practice) and SoftHSM2 in tests."""

from __future__ import annotations

import contextlib
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import pkcs11
from pkcs11 import exceptions as p11_errors
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, find_token

from signing.errors import (
    SignerUnavailableError,
    TokenLockedError,
    WrongPinError,
)

if TYPE_CHECKING:
    from pkcs11._pkcs11 import lib as Pkcs11Library


def softhsm_module_candidates() -> list[Path]:
    """Where Debian/Ubuntu (and a source build) put SoftHSM2's PKCS#11 module."""
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    candidates = [Path("/usr/lib/softhsm/libsofthsm2.so")]
    if multiarch:
        candidates.append(Path(f"/usr/lib/{multiarch}/softhsm/libsofthsm2.so"))
    candidates.append(Path("/usr/local/lib/softhsm/libsofthsm2.so"))
    return candidates


def find_softhsm_module() -> Path:
    for candidate in softhsm_module_candidates():
        if candidate.is_file():
            return candidate
    raise SignerUnavailableError(
        "Không tìm thấy thư viện PKCS#11 của SoftHSM2 (libsofthsm2.so). Hãy cài gói Debian "
        "«softhsm2» (sudo apt-get install softhsm2)."
    )


class TokenSigner(PKCS11Signer):
    """A pyHanko PKCS#11 signer that owns its session: close it, or use it in a `with` block."""

    def close(self) -> None:
        self.pkcs11_session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def load_module(module_path: Path) -> Pkcs11Library:
    """Load and initialise a PKCS#11 module (once per process: python-pkcs11 caches it)."""
    if not module_path.is_file():
        raise SignerUnavailableError(
            f"Không tìm thấy thư viện PKCS#11 «{module_path}». Hãy cài phần mềm (driver) của "
            "token USB hoặc sửa đường dẫn thư viện trong cấu hình ký số."
        )
    try:
        # The cache is keyed by path string: resolve, so two spellings of one file (the
        # multiarch symlink) do not initialise the same module twice.
        return pkcs11.lib(str(module_path.resolve()))
    except p11_errors.PKCS11Error as exc:
        raise SignerUnavailableError(
            f"Không nạp được thư viện PKCS#11 «{module_path}» ({exc}). Hãy kiểm tra đó đúng "
            "là thư viện PKCS#11 của token và cài lại driver nếu cần."
        ) from exc


def open_pkcs11_signer(
    module_path: Path, token_label: str, pin: str, key_label: str
) -> TokenSigner:
    """Log in to the token labelled `token_label` and return a signer for key `key_label`.

    The certificate with the same label signs along, and every other certificate on the token
    (the issuing CAs) goes into the signer's registry. Close the signer when done.
    """
    lib = load_module(module_path)
    try:
        token = find_token(
            lib.get_slots(token_present=True), token_criteria=TokenCriteria(label=token_label)
        )
    except p11_errors.PKCS11Error as exc:
        raise SignerUnavailableError(
            f"Không đọc được danh sách token từ «{module_path}» ({exc})."
        ) from exc
    if token is None:
        raise SignerUnavailableError(
            f"Không thấy token «{token_label}». Hãy cắm token USB vào máy (hoặc kiểm tra tên "
            "token trong cấu hình ký số) rồi thử lại."
        )
    try:
        session = token.open(user_pin=pin)
    except p11_errors.PinLocked as exc:
        raise TokenLockedError(
            f"Token «{token_label}» đã bị khoá do nhập sai PIN quá số lần cho phép. Hãy liên hệ "
            "người quản lý token (có mã PIN quản trị/SO PIN) để mở khoá.",
            token_label=token_label,
        ) from exc
    except (p11_errors.PinIncorrect, p11_errors.PinLenRange, p11_errors.PinInvalid) as exc:
        raise WrongPinError(
            f"Mã PIN của token «{token_label}» không đúng. Hãy nhập lại; lưu ý token sẽ bị "
            "khoá nếu nhập sai nhiều lần liên tiếp.",
            token_label=token_label,
        ) from exc
    except p11_errors.PKCS11Error as exc:
        raise SignerUnavailableError(
            f"Không mở được phiên làm việc với token «{token_label}» ({exc})."
        ) from exc
    signer = TokenSigner(session, key_label=key_label, other_certs_to_pull=None)
    try:
        signer.signing_cert  # noqa: B018 — loads key and certificates now, to fail here
    except Exception as exc:
        session.close()
        raise SignerUnavailableError(
            f"Token «{token_label}» không có khoá bí mật kèm chứng thư số mang nhãn «{key_label}». "
            "Hãy kiểm tra nhãn khoá trong cấu hình ký số."
        ) from exc
    return signer


@dataclass
class Pkcs11Backend:
    """A key on a PKCS#11 token; each `open_signer` logs in and closes the session afterwards."""

    module_path: Path
    token_label: str
    key_label: str
    pin: str = field(repr=False)

    def describe(self) -> str:
        return f"token PKCS#11 «{self.token_label}» (khoá «{self.key_label}»)"

    @contextlib.contextmanager
    def open_signer(self) -> Iterator[TokenSigner]:
        with open_pkcs11_signer(
            self.module_path, self.token_label, self.pin, self.key_label
        ) as signer:
            yield signer
