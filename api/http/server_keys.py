"""Keys the server holds for server-side signing over HTTP.

Decision (docs/api.md, "Server-side signing"): a person's key stays with the person — on their
USB token, their phone's signing app or a remote signing service — and the API signs for them
through the two-phase endpoints. The server holds keys only in demo mode, where the development
PKI in the home's ``pki/`` already keeps every demo signer's PKCS#12 (as ``hsdt demo`` signs).
In production the server-side endpoints answer 409 ``signing.server_keys_disabled``.
Either way the key's certificate must be bound to the caller's account.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from api.http.problems import ApiProblem
from service.context import Context
from signing.backends import Pkcs12Backend, SignerBackend
from signing.devpki import load_dev_pki


@dataclass(frozen=True)
class ServerKey:
    backend: SignerBackend
    certificate: x509.Certificate


def server_key(ctx: Context, signer_id: str) -> ServerKey:
    if ctx.settings.pki_mode != "demo":
        raise ApiProblem(
            409,
            "signing.server_keys_disabled",
            "Máy chủ không giữ khoá ký của người dùng: ký phía máy chủ chỉ có ở chế độ thử (demo).",
            hint="Ký hai bước: POST /api/v1/records/{document_id}/signatures/prepare lấy mã băm, "
            "ký bằng token USB hoặc dịch vụ ký số từ xa, rồi gửi chữ ký về .../finish.",
        )
    directory = ctx.home.pki_dir
    pki = load_dev_pki(directory) if (directory / "pki.json").is_file() else None
    if pki is None or signer_id not in pki.identity_ids():
        raise ApiProblem(
            409,
            "signing.no_server_key",
            f"Máy chủ không giữ khoá ký nào của {signer_id}.",
            hint="Ký hai bước (.../signatures/prepare rồi .../finish) bằng khoá của bạn.",
        )
    identity = pki.identity(signer_id)
    return ServerKey(Pkcs12Backend(identity.pkcs12_path, identity.passphrase), identity.certificate)
