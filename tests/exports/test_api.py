"""The export routes on the real app (``api/routes/exports.py``): a clerk issues a bundle, an
extract and reads the register; a student downloads their own bundle and not a classmate's, and
may not issue exports."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from exports.conftest import ExportHome
from service.accounts import AccountPolicy, NewAccount, bootstrap_admin, create_account
from service.accounts.admin import bind_certificate
from service.accounts.policy import Argon2idParameters
from service.authz import Grant, Principal, Role, Scope

# The routes are thin shells: one database suffices (the use cases run on both elsewhere).
pytestmark = pytest.mark.parametrize("export_home", ["sqlite"], indirect=True)

FAST = AccountPolicy(hashing=Argon2idParameters(time_cost=1, memory_kib=1024, parallelism=1))
PASSWORD = "mật khẩu thử nghiệm 2026"


class Api:
    def __init__(self, home: ExportHome) -> None:
        self.home = home
        app = create_app(home.ctx)
        self.client = TestClient(app)
        ds = home.dataset
        province = ds.province.code
        bootstrap_admin(
            home.ctx,
            NewAccount("hoang.van.son", "Hoàng Văn Sơn", "010203040506", PASSWORD),
            province,
            policy=FAST,
        )
        self.admin = Principal("hoang.van.son", (Grant(Role.PROVINCE_ADMIN, Scope(province)),))
        self.n = 0

    def person(self, grant: Grant) -> dict[str, str]:
        self.n += 1
        account = NewAccount(
            f"nguoi.{self.n}", f"Người {self.n}", f"{880_000_000_000 + self.n:012d}", PASSWORD
        )
        username = create_account(self.home.ctx, self.admin, account, [grant], policy=FAST)
        if grant.role is Role.CLERK:  # the clerk keeps the school seal (demo: the server's key)
            pki = self.home.template.pki.identity(self.home.dataset.school.code)
            bind_certificate(self.home.ctx, self.admin, username, pki.certificate)
        r = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def api(export_home: ExportHome) -> Iterator[Api]:
    yield Api(export_home)


def _scope(home: ExportHome, **kw: str) -> Scope:
    ds = home.dataset
    return Scope(ds.province.code, ds.district.code, ds.school.code, **kw)


BODY = {"recipient": "Nguyễn Thị Lan", "purpose": "Chuyển trường", "delivery": "tai-xuong"}


def _hoc_ba(home: ExportHome, n: int) -> str:
    return next(d for d in home.template.documents if d.endswith(home.student(n)))


def test_clerk_issues_bundle_extract_and_reads_register(api: Api) -> None:
    home = api.home
    clerk = api.person(Grant(Role.CLERK, _scope(home)))
    doc = _hoc_ba(home, 0)
    r = api.client.post(f"/api/v1/records/{doc}/exports", json=BODY, headers=clerk)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert f"ho-so/{doc}.pdf" in names
    bundle_id = r.headers["X-Hsdt-Export-Id"]

    r = api.client.post(f"/api/v1/records/{doc}/extracts", json=BODY, headers=clerk)
    assert r.status_code == 200, r.text
    files = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(files.read("manifest.json"))
    assert manifest["kind"] == "extract" and manifest["documents"][0]["document_id"].startswith(
        "TL-"
    )

    r = api.client.get(f"/api/v1/records/{doc}/exports", headers=clerk)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    by_id = {i["export_id"]: i for i in items}  # the clock is fixed: same time, any order
    assert by_id[bundle_id]["kind"] == "bundle" and by_id[bundle_id]["issued_by"].startswith(
        "nguoi."
    )
    extract = by_id[manifest["export_id"]]
    assert extract["items"][0]["role"] == "source" and extract["items"][0]["archive"]["index_key"]


def test_student_downloads_own_bundle_only(api: Api) -> None:
    home = api.home
    me = api.person(Grant(Role.STUDENT, _scope(home, student=home.student(1))))
    r = api.client.post(f"/api/v1/records/{_hoc_ba(home, 1)}/copies", json=BODY, headers=me)
    assert r.status_code == 200, r.text
    r = api.client.post(f"/api/v1/records/{_hoc_ba(home, 0)}/copies", json=BODY, headers=me)
    assert r.status_code == 403
    assert r.json()["code"].startswith("deny.scope.student")
    r = api.client.post(f"/api/v1/records/{_hoc_ba(home, 1)}/exports", json=BODY, headers=me)
    assert r.status_code == 403 and r.json()["code"] == "deny.role"
