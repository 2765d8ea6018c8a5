"""Which certificate authorities this installation trusts.

Production: only the roots listed in ``hsdt.toml`` ([pki] trust_roots, paths relative to the home,
PEM or DER) — e.g. the Vietnamese national root CA and the Government Cipher Committee (VGCA) roots.
Demo mode: additionally the home's development PKI, and every report says so. A development root is
refused in production mode even when listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from service.errors import HsdtError
from service.home import Home
from signing.devpki import is_dev_pki_certificate, load_dev_pki


@dataclass(frozen=True)
class TrustStore:
    roots: tuple[x509.Certificate, ...]
    demo_mode: bool


def load_certificate(path: Path) -> x509.Certificate:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HsdtError(f"Không đọc được chứng thư gốc {path}: {exc.strerror}.") from exc
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise HsdtError(
            f"{path} không phải là chứng thư số X.509 (PEM hoặc DER).",
            hint="Kiểm tra lại tệp chứng thư gốc trong cấu hình [pki] trust_roots.",
        ) from exc


def trust_store(home: Home, extra: tuple[Path, ...] = ()) -> TrustStore:
    settings = home.settings()
    demo = settings.pki_mode == "demo"
    roots = [load_certificate(home.absolute(p)) for p in settings.trust_roots]
    roots += [load_certificate(p) for p in extra]
    if not demo:
        dev = [r for r in roots if is_dev_pki_certificate(r)]
        if dev:
            raise HsdtError(
                "Chứng thư gốc thử nghiệm (development PKI) không được tin cậy ở chế độ vận hành.",
                hint='Xoá nó khỏi [pki] trust_roots, hoặc đặt mode = "demo" chỉ khi chạy thử.',
            )
    elif home.pki_dir.joinpath("pki.json").exists():
        roots += load_dev_pki(home.pki_dir).trust_roots()
    return TrustStore(tuple(roots), demo or any(is_dev_pki_certificate(r) for r in roots))
