"""What a signature is made against: the trust roots, the TSA, and the development PKI in demo mode.

Trust comes from :func:`service.trust.trust_store` (production: ``[pki] trust_roots``; demo:
also the home's development PKI). The TSA: in demo mode the development PKI's, served from this
process for the duration of the command when nothing answers on its port yet (another process, a
test fixture or a running server may already serve it); in production ``[pki] tsa_url`` in
``hsdt.toml``.
"""

from __future__ import annotations

import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cryptography import x509

from records.model import Dataset
from service.context import Context
from service.errors import HsdtError
from service.trust import trust_store
from signing.devpki import DevPki, PersonSpec, create_dev_pki, load_dev_pki, serve_dev_pki
from signing.pades import SigningServices

__all__ = ["SigningEnvironment", "dev_pki_people", "ensure_dev_pki", "signing_environment"]

_DEV_PKI_BANNER = b"hsdt DEVELOPMENT PKI"


@dataclass(frozen=True)
class SigningEnvironment:
    trust_roots: tuple[x509.Certificate, ...]
    tsa_url: str
    demo_mode: bool

    def services(self) -> SigningServices:
        """TSA and revocation fetching over one HTTP session: enter it once per batch."""
        return SigningServices(tsa_url=self.tsa_url, trust_roots=self.trust_roots)


@contextmanager
def signing_environment(ctx: Context) -> Iterator[SigningEnvironment]:
    store = trust_store(ctx.home)
    if not store.roots:
        raise HsdtError(
            "Chưa có chứng thư gốc nào được tin cậy: không kiểm tra được chứng thư số người ký.",
            hint="Cấu hình [pki] trust_roots trong hsdt.toml (hoặc chạy «hsdt demo» để thử).",
        )
    if ctx.settings.pki_mode != "demo":
        yield SigningEnvironment(store.roots, _configured_tsa(ctx), store.demo_mode)
        return
    pki = _home_dev_pki(ctx)
    environment = SigningEnvironment(store.roots, pki.tsa_url, True)
    if _answers(pki):
        yield environment
        return
    with serve_dev_pki(pki):
        yield environment


def dev_pki_people(dataset: Dataset) -> list[PersonSpec]:
    """Every teacher of the dataset, plus the school seal (an organisation certificate)."""
    school = dataset.school
    people = [PersonSpec(t.id, t.full_name, "person", school.name) for t in dataset.teachers]
    people.append(PersonSpec(school.code, school.name, "organisation", school.name))
    return people


def ensure_dev_pki(ctx: Context, dataset: Dataset) -> DevPki:
    """The home's development PKI, with a certificate for everyone who signs the dataset's records.

    Idempotent: people already there keep their keys. Demo mode only.
    """
    if ctx.settings.pki_mode != "demo":
        raise HsdtError(
            "PKI phát triển chỉ dùng ở chế độ thử (demo); hệ thống đang ở chế độ vận hành.",
            hint="Người ký dùng chứng thư số thật do tổ chức chứng thực cấp.",
        )
    return create_dev_pki(ctx.home.pki_dir, dev_pki_people(dataset))


def _home_dev_pki(ctx: Context) -> DevPki:
    if not (ctx.home.pki_dir / "pki.json").is_file():
        raise HsdtError(
            f"Chế độ thử (demo) cần PKI phát triển trong {ctx.home.pki_dir}, nhưng chưa có.",
            hint="Chạy «hsdt demo» để tạo dữ liệu mẫu và chứng thư số thử nghiệm.",
        )
    return load_dev_pki(ctx.home.pki_dir)


def _answers(pki: DevPki) -> bool:
    """Whether this development PKI is already served (by another process or thread)."""
    try:
        with urllib.request.urlopen(f"{pki.base_url}/", timeout=2) as response:
            return bytes(response.read(64)).startswith(_DEV_PKI_BANNER)
    except (urllib.error.URLError, OSError):
        return False


def _configured_tsa(ctx: Context) -> str:
    try:
        config = tomllib.loads(ctx.home.config_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise HsdtError(f"Không đọc được {ctx.home.config_path}: {exc}") from exc
    url = str(config.get("pki", {}).get("tsa_url", "")).strip()
    if not url:
        raise HsdtError(
            "Chưa cấu hình máy chủ cấp dấu thời gian (TSA): chữ ký số cần dấu thời gian tin cậy.",
            hint='Thêm tsa_url = "https://…" vào mục [pki] của hsdt.toml.',
        )
    return url
