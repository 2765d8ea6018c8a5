"""The signing package's errors: one root type, each subclass with a stable code.

Messages are Vietnamese and meant for the person at the keyboard: what went wrong, where (file,
token, certificate, signer) and what to do. The API/CLI shells map ``code`` to problem details and
exit codes; they never show a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from signing.certcheck import CertificateCheck


class SigningError(Exception):
    """Root of every error raised by ``signing``: the operation cannot continue."""

    code: ClassVar[str] = "signing.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SignerUnavailableError(SigningError):
    """The key material cannot be reached: missing/unreadable file, PKCS#11 module, token or key."""

    code = "signer.unavailable"


class WrongPassphraseError(SigningError):
    """The passphrase does not open the PKCS#12 file."""

    code = "signer.wrong_passphrase"

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


class WrongPinError(SigningError):
    """The token refused the PIN."""

    code = "signer.wrong_pin"

    def __init__(self, message: str, *, token_label: str) -> None:
        super().__init__(message)
        self.token_label = token_label


class TokenLockedError(WrongPinError):
    """Too many wrong PINs: the token locked the user PIN (only the SO PIN can unlock it)."""

    code = "signer.pin_locked"


class CertificateRejectedError(SigningError):
    """The pre-signing certificate check failed; ``check`` holds every problem found."""

    code = "cert.rejected"

    def __init__(self, check: CertificateCheck) -> None:
        super().__init__("\n".join(problem.message for problem in check.problems))
        self.check = check

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(problem.code for problem in self.check.problems)


class DevPkiError(SigningError):
    """The development PKI cannot be created, loaded or served as asked."""

    code = "devpki.error"
