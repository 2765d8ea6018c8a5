"""The job routes on a real app: a school administrator submits a render job over HTTP (it runs
after the response, in the server process), follows it and lists it; a teacher of another class
sees neither; a finished job cannot be cancelled."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from jobs.conftest import School
from service.accounts import AccountPolicy, NewAccount, bootstrap_admin, create_account
from service.accounts.policy import Argon2idParameters
from service.authz import Grant, Principal, Role, Scope
from service.context import Context

FAST = AccountPolicy(hashing=Argon2idParameters(time_cost=1, memory_kib=1024, parallelism=1))
PASSWORD = "mật khẩu thử nghiệm 2026"


def _login(
    client: TestClient, ctx: Context, admin: Principal, n: int, grant: Grant
) -> dict[str, str]:
    account = NewAccount(f"nguoi.{n}", f"Người {n}", f"{880_000_000_000 + n:012d}", PASSWORD)
    username = create_account(ctx, admin, account, [grant], policy=FAST)
    r = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_render_job_over_http(home: Context, school: School) -> None:
    ds = school.dataset
    client = TestClient(create_app(home))
    province = ds.province.code
    bootstrap_admin(
        home,
        NewAccount("hoang.van.son", "Hoàng Văn Sơn", "010203040506", PASSWORD),
        province,
        policy=FAST,
    )
    admin = Principal("hoang.van.son", (Grant(Role.PROVINCE_ADMIN, Scope(province)),))
    where = Scope(province, ds.district.code, ds.school.code)
    school_admin = _login(client, home, admin, 1, Grant(Role.SCHOOL_ADMIN, where))
    other = Scope(
        province, ds.district.code, ds.school.code, year=ds.school_year, classes=frozenset({"9Z"})
    )
    teacher = _login(client, home, admin, 2, Grant(Role.HOMEROOM_TEACHER, other, person_id="GV099"))

    r = client.post("/api/v1/jobs/render", json={"school": school.code}, headers=school_admin)
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["kind"] == "render" and job["requested_by"] == "nguoi.1"
    assert job["progress"]["total"] == 3

    r = client.get(f"/api/v1/jobs/{job['id']}", headers=school_admin)
    assert r.status_code == 200
    done = r.json()
    assert done["state"] == "done" and done["progress"]["done"] == 3  # ran after the response
    assert {t["state"] for t in done["tasks"]} == {"done"}
    listed = client.get("/api/v1/jobs", headers=school_admin).json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]

    assert client.get(f"/api/v1/jobs/{job['id']}", headers=teacher).status_code == 403
    assert client.get("/api/v1/jobs", headers=teacher).json()["items"] == []
    r = client.post(f"/api/v1/jobs/render/{job['id']}/cancel", headers=school_admin)
    assert r.status_code == 409 and r.json()["code"] == "job.finished"
    r = client.post(f"/api/v1/jobs/archive/{job['id']}/resume", headers=school_admin)
    assert r.status_code in (403, 404)  # another kind's route never runs this job
    assert client.get("/api/v1/jobs/999", headers=school_admin).status_code == 404
