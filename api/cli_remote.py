"""``hsdt remote-sign``: on the teacher's PC, sign the server's pending hashes with a USB token.

    hsdt remote-sign --server URL --user U --pkcs11-module M --token-label L [--key-label K]
    hsdt remote-sign --server URL --user U --p12 FILE
        [--document ID … | --all] [--list] [--pin-file F | --passphrase-file F] [--json]

Signs in to the server's API (the password from $HSDT_PASSWORD or a hidden prompt, never an
argument; the 6-digit code when the account has a second factor), reads the caller's signing
queue, and for each chosen record runs two-phase signing (docs/signing-workflow.md): ``prepare``
with the certificate read from the token (and the CAs it carries), signs the returned hash on
the token — the private key never leaves it — and sends the raw signature to ``finish``. The
server verifies the signature against the certificate before embedding anything and adds the
timestamp. Each record's outcome is printed in Vietnamese.

Exit status: 0 everything chosen was signed (or already was); 1 a record was refused or failed
(the table says which and why); 2 sign-in, the server, the token or the key file is not usable
(nothing was signed after that point).
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import click
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import pkcs12
from rich.markup import escape
from rich.table import Table

from api.cli import _guard, cli, err, out
from api.cli_sign import _secret
from service.errors import HsdtError

PASSWORD_ENV = "HSDT_PASSWORD"
API = "/api/v1"
PAGE = 500  # the API's largest page
# DER prefix of DigestInfo (RFC 8017 §9.2, note 1): a token's raw RSA_PKCS signs DigestInfo
_DIGEST_INFO = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
}
_HASHES: dict[str, hashes.HashAlgorithm] = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}
# refusals that no other record would escape: stop at the first one
_FATAL = {"signing.certificate_not_bound", "signing.certificate_unreadable"}
STATUS_LABELS = {
    "signed": "[green]Đã ký[/]",
    "skipped": "Bỏ qua",
    "refused": "[red]Từ chối[/]",
    "failed": "[red]Lỗi[/]",
}


class RemoteError(HsdtError):
    """The server refused or could not be reached; its message and hint, in Vietnamese."""

    def __init__(
        self, message: str, *, hint: str | None = None, status: int = 0, code: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.status, self.code = status, code


# ---------------------------------------------------------------------------- the server


class Server:
    """The server's API as the signed-in person: a bearer token, renewed once when it expires
    (tokens live 15 minutes; a long queue outlasts one)."""

    def __init__(self, base: str, username: str, password: str, *, timeout: float = 120) -> None:
        self.base = base.rstrip("/")
        self.username, self._password = username, password
        self._totp: str | None = None
        self._token = ""
        self.http = httpx.Client(base_url=self.base, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def login(self) -> None:
        body: dict[str, Any] = {"username": self.username, "password": self._password}
        if self._totp:
            body["totp_code"] = self._totp
        try:
            answer = self._send("POST", f"{API}/auth/login", body, auth=False)
        except RemoteError as exc:
            if exc.code != "login.totp_required" or self._totp:
                raise
            self._totp = str(click.prompt("Mã xác thực 6 chữ số (ứng dụng xác thực)")).strip()
            return self.login()
        self._totp = None  # a code is accepted once: a renewal asks again
        self._token = str(answer["access_token"])

    def get(self, path: str) -> Any:
        return self._authorised("GET", path, None)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._authorised("POST", path, body)

    def _authorised(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        try:
            return self._send(method, path, body)
        except RemoteError as exc:
            if exc.code != "token.rejected":
                raise
        self.login()  # the session expired meanwhile: sign in again, once
        return self._send(method, path, body)

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None, *, auth: bool = True
    ) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if auth else {}
        try:
            response = self.http.request(method, path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"Không kết nối được máy chủ {self.base} ({type(exc).__name__}).",
                hint="Kiểm tra địa chỉ máy chủ (--server) và kết nối mạng rồi chạy lại.",
            ) from None
        if response.status_code < 400:
            return response.json()
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        raise RemoteError(
            str(problem.get("detail") or f"Máy chủ trả lỗi HTTP {response.status_code}."),
            hint=problem.get("hint"),
            status=response.status_code,
            code=str(problem.get("code") or ""),
        )


# ---------------------------------------------------------------------------- the local key


class LocalKey(Protocol):
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def sign_digest(self, digest: bytes, algorithm: str) -> bytes: ...


def _algorithm(name: str) -> hashes.HashAlgorithm:
    found = _HASHES.get(name.lower())
    if found is None:
        raise RemoteError(f"Máy chủ yêu cầu thuật toán băm «{name}» chưa được hỗ trợ.")
    return found


@dataclass
class FileKey:
    """A PKCS#12 file (a soft certificate): the key is read into memory for the run only."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @staticmethod
    def load(path: Path, passphrase: str) -> FileKey:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(
                path.read_bytes(), passphrase.encode("utf-8")
            )
        except OSError as exc:
            raise HsdtError(f"Không đọc được tệp {path}: {exc.strerror}.") from None
        except ValueError:
            raise HsdtError(
                f"Không mở được tệp {path.name}: sai mật khẩu hoặc không phải tệp PKCS#12.",
                hint="Nhập lại mật khẩu của tệp chứng thư số (.p12/.pfx).",
            ) from None
        if cert is None or not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise HsdtError(f"Tệp {path.name} không chứa khoá RSA/ECDSA kèm chứng thư số.")
        return FileKey(key, cert, tuple(extra))

    def sign_digest(self, digest: bytes, algorithm: str) -> bytes:
        prehashed = Prehashed(_algorithm(algorithm))
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(digest, padding.PKCS1v15(), prehashed)
        return self.key.sign(digest, ec.ECDSA(prehashed))


@dataclass
class TokenKey:
    """A key on a PKCS#11 token (USB token, SoftHSM2): the hash goes to the token, which signs."""

    session: Any = field(repr=False)  # pkcs11.Session (untyped upstream)
    key: Any = field(repr=False)
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    def sign_digest(self, digest: bytes, algorithm: str) -> bytes:
        from pkcs11 import KeyType, Mechanism
        from pkcs11.exceptions import PKCS11Error
        from pkcs11.util.ec import encode_ecdsa_signature

        _algorithm(algorithm)
        try:
            if self.key.key_type == KeyType.RSA:
                info = _DIGEST_INFO[algorithm.lower()] + digest
                return bytes(self.key.sign(info, mechanism=Mechanism.RSA_PKCS))
            raw = self.key.sign(digest, mechanism=Mechanism.ECDSA)
            return bytes(encode_ecdsa_signature(raw))  # the server expects DER (r, s)
        except PKCS11Error as exc:
            raise HsdtError(
                f"Token không ký được ({type(exc).__name__}).",
                hint="Rút token ra cắm lại rồi chạy lại lệnh; các hồ sơ đã ký vẫn giữ nguyên.",
            ) from None


@contextmanager
def token_key(module: Path, token_label: str, key_label: str, pin: str) -> Iterator[TokenKey]:
    from pkcs11 import ObjectClass
    from pkcs11.exceptions import PKCS11Error

    from signing.backends.base import signer_certificates
    from signing.backends.pkcs11 import open_pkcs11_signer

    # logs in, finds the key and its certificate, with Vietnamese errors (PIN, missing token)
    with open_pkcs11_signer(module, token_label, pin, key_label) as signer:
        certificate, chain = signer_certificates(signer)
        try:
            key = signer.pkcs11_session.get_key(
                object_class=ObjectClass.PRIVATE_KEY, label=key_label
            )
        except PKCS11Error:
            raise HsdtError(
                f"Token «{token_label}» không có khoá bí mật mang nhãn «{key_label}».",
                hint="Kiểm tra nhãn khoá (--key-label).",
            ) from None
        yield TokenKey(signer.pkcs11_session, key, certificate, chain)


# ---------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class Outcome:
    document_id: str
    field: str
    status: str  # signed, skipped, refused, failed
    message: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "field": self.field,
            "status": self.status,
            "message": self.message,
            "code": self.code,
        }


def signing_queue(server: Server) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    path: str | None = f"{API}/me/signing-queue?limit={PAGE}"
    while path:
        page = server.get(path)
        items.extend(page["items"])
        following = page.get("next")
        path = str(httpx.URL(following).raw_path.decode("ascii")) if following else None
    return items


def _pem(key: LocalKey) -> str:
    return "".join(
        c.public_bytes(serialization.Encoding.PEM).decode("ascii")
        for c in (key.certificate, *key.chain)
    )


def sign_one(server: Server, key: LocalKey, item: dict[str, Any]) -> Outcome:
    """Prepare on the server, sign the hash locally, finish on the server."""
    document_id, slot = str(item["document_id"]), str(item["field"])
    try:
        pending = server.post(
            f"{API}/records/{document_id}/signatures/prepare",
            {"field": slot, "certificate_pem": _pem(key)},
        )
        digest = _b64decode(str(pending["digest_base64"]))
        signature = key.sign_digest(digest, str(pending["algorithm"]))
        done = server.post(
            f"{API}/signatures/{pending['pending_id']}/finish",
            {"signature_base64": _b64encode(signature)},
        )
    except RemoteError as exc:
        if exc.status in (0, 401) or exc.code in _FATAL:
            raise  # the server, the session or the certificate: nothing more would work
        message = exc.message + (f" {exc.hint}" if exc.hint else "")
        status = "failed" if exc.status >= 500 else "refused"
        return Outcome(document_id, slot, status, message, exc.code or None)
    return Outcome(
        document_id, slot, str(done["status"]), str(done["message"]), done.get("code") or None
    )


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def choose(
    queue: Sequence[dict[str, Any]], documents: Sequence[str], take_all: bool
) -> list[dict[str, Any]]:
    if take_all:
        return list(queue)
    if documents:
        wanted = set(documents)
        chosen = [q for q in queue if q["document_id"] in wanted]
        missing = wanted - {q["document_id"] for q in chosen}
        if missing:
            raise HsdtError(
                f"Không có trong hàng đợi ký của bạn: {', '.join(sorted(missing))}.",
                hint="Hồ sơ chưa đến lượt ký của bạn, hoặc bạn đã ký; xem «--list».",
            )
        return chosen
    _print_queue(queue)
    answer = str(click.prompt("Chọn hồ sơ để ký (ví dụ 1,3-5; «tat-ca» để ký tất cả)"))
    return [queue[i] for i in _indices(answer, len(queue))]


def _indices(answer: str, size: int) -> list[int]:
    text = answer.strip().lower()
    if text in ("tat-ca", "tất cả", "all", "*"):
        return list(range(size))
    chosen: list[int] = []
    try:
        for part in filter(None, (p.strip() for p in text.split(","))):
            low, _, high = part.partition("-")
            first, last = int(low), int(high or low)
            chosen.extend(range(first - 1, last))
    except ValueError:
        raise HsdtError(f"Không hiểu lựa chọn «{answer}».", hint="Ví dụ: 1,3-5") from None
    if any(i < 0 or i >= size for i in chosen):
        raise HsdtError(f"Lựa chọn «{answer}» có số ngoài danh sách 1–{size}.")
    return list(dict.fromkeys(chosen))


def _print_queue(queue: Sequence[dict[str, Any]]) -> None:
    table = Table(title=f"Hàng đợi ký: {len(queue)} ô ký")
    for column in ("#", "Hồ sơ", "Lớp", "Học sinh", "Ô ký"):
        table.add_column(column)
    for number, q in enumerate(queue, 1):
        table.add_row(
            str(number),
            escape(str(q["document_id"])),
            escape(str(q["class_id"])),
            escape(str(q.get("student_code") or "—")),
            escape(str(q["label"])),
        )
    out.print(table)


@cli.command(name="remote-sign")
@click.option("--server", "server_url", required=True, help="Server address, e.g. https://…")
@click.option("--user", "username", required=True, help="Your personal username on the server.")
@click.option("--p12", type=click.Path(dir_okay=False, path_type=Path), help="PKCS#12 file.")
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File whose first line is the .p12 passphrase (default: ask, hidden).",
)
@click.option(
    "--pkcs11-module", type=click.Path(dir_okay=False, path_type=Path), help="Token library (.so)."
)
@click.option("--token-label", help="Label of the PKCS#11 token (USB token).")
@click.option("--key-label", help="Label of the key (and its certificate) on the token.")
@click.option(
    "--pin-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File whose first line is the token PIN (default: ask, hidden).",
)
@click.option("--document", "documents", multiple=True, help="Sign these records (repeatable).")
@click.option("--all", "take_all", is_flag=True, help="Sign everything in the queue.")
@click.option("--list", "list_only", is_flag=True, help="Only list the queue.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable outcomes on stdout.")
def remote_sign(
    server_url: str,
    username: str,
    p12: Path | None,
    passphrase_file: Path | None,
    pkcs11_module: Path | None,
    token_label: str | None,
    key_label: str | None,
    pin_file: Path | None,
    documents: tuple[str, ...],
    take_all: bool,
    list_only: bool,
    as_json: bool,
) -> None:
    """Sign your pending records on a server with your USB token or PKCS#12 file.

    The password comes from $HSDT_PASSWORD or a hidden prompt. The key never leaves this PC:
    only the hash of each record comes here, and only the signature goes back.
    """
    with _guard(None):
        if not list_only and (p12 is None) == (token_label is None):
            raise click.UsageError(
                "Chọn đúng một nơi giữ khoá: --p12 FILE (tệp chứng thư số) hoặc --token-label "
                "(token USB PKCS#11)."
            )
        if token_label is not None and (pkcs11_module is None or key_label is None):
            raise click.UsageError(
                "Token PKCS#11 cần --pkcs11-module (thư viện .so của token) và --key-label "
                "(nhãn khoá trên token)."
            )
        password = os.environ.get(PASSWORD_ENV) or str(
            click.prompt(f"Mật khẩu của {username}", hide_input=True)
        )
        server = Server(server_url, username, password)
        try:
            server.login()
            queue = signing_queue(server)
            if list_only:
                _print_queue(queue)
                return
            if not queue:
                out.print("Không có hồ sơ nào chờ bạn ký.")
                return
            chosen = choose(queue, documents, take_all)
            with _local_key(
                p12, passphrase_file, pkcs11_module, token_label, key_label, pin_file
            ) as key:
                outcomes = [_signed(server, key, item, as_json) for item in chosen]
        finally:
            server.close()
        _report(outcomes, as_json)
        if any(o.status in ("refused", "failed") for o in outcomes):
            sys.exit(1)


@contextmanager
def _local_key(
    p12: Path | None,
    passphrase_file: Path | None,
    module: Path | None,
    token_label: str | None,
    key_label: str | None,
    pin_file: Path | None,
) -> Iterator[LocalKey]:
    if p12 is not None:
        yield FileKey.load(p12, _secret(passphrase_file, f"Mật khẩu tệp {p12.name}"))
        return
    assert module is not None and token_label is not None and key_label is not None
    pin = _secret(pin_file, f"Mã PIN của token «{token_label}»")
    with token_key(module, token_label, key_label, pin) as key:
        yield key


def _signed(server: Server, key: LocalKey, item: dict[str, Any], quiet: bool) -> Outcome:
    outcome = sign_one(server, key, item)
    if not quiet:  # one line per record as it goes: a long queue shows progress
        label = STATUS_LABELS.get(outcome.status, outcome.status)
        out.print(
            f"{label} {escape(outcome.document_id)} ({escape(outcome.field)}): "
            f"{escape(outcome.message)}",
            markup=True,
        )
    return outcome


def _report(outcomes: Sequence[Outcome], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([o.to_json() for o in outcomes], ensure_ascii=False, indent=2))
        return
    signed = sum(1 for o in outcomes if o.status == "signed")
    bad = sum(1 for o in outcomes if o.status in ("refused", "failed"))
    line = f"Đã ký {signed}/{len(outcomes)} hồ sơ."
    if bad:
        err.print(f"[bold red]{line} {bad} hồ sơ không ký được (xem lí do ở trên).[/]", markup=True)
    else:
        out.print(f"[green]{line}[/]", markup=True)
