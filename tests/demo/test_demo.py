"""``hsdt demo`` end to end on a one-class school, through the real CLI (a subprocess): every
step names its person, the correction chain is in the record's history, the exported học bạ is
"Hợp lệ" through the public endpoint (and its superseded first version is not), the audit log
verifies, the printed credentials sign in, and running the demo again changes nothing.

SQLite only: the demo runs on the home's default database; the use cases it calls have their own
suites on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from records.model import Dataset
from records.sample import generate_school
from service.audit_log import events_table
from service.audit_verify import verify_audit_log
from service.context import Context
from service.corrections import list_corrections, record_history
from service.db.account_models import AccountRow
from service.db.models import DatasetRow, DocumentRow
from service.demo_accounts import CREDENTIALS_FILE, slug
from service.demo_correction import hoc_ba_id
from service.demo_people import read_credentials
from service.demo_public import bundle_path, pdf_in_bundle, verify_publicly
from service.demo_second import MADE_UP, second_school, waiting_for
from service.exports import export_register

ARGS = ("demo", "--primary-classes", "1", "--secondary-classes", "0", "--workers", "2")


def hsdt(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("HSDT_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


@dataclass(frozen=True)
class Demo:
    home: Path
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]
    ds: Dataset


def counts(ctx: Context) -> dict[str, int]:
    with ctx.sessions() as s:
        return {
            "events": s.scalar(select(func.count()).select_from(events_table)) or 0,
            "accounts": s.scalar(select(func.count()).select_from(AccountRow)) or 0,
            "documents": s.scalar(select(func.count()).select_from(DocumentRow)) or 0,
        }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("demo") / "home"
    first = hsdt(home, *ARGS)
    assert first.returncode == 0, first.stdout + first.stderr
    after_first = counts_in(home)
    second = hsdt(home, *ARGS)
    assert second.returncode == 0, second.stdout + second.stderr
    ds = generate_school(seed=2026, primary_classes=1, secondary_classes=0)
    yield Demo(home, first, second, after_first, counts_in(home), ds)


def counts_in(home: Path) -> dict[str, int]:
    ctx = Context.open(home)
    try:
        return counts(ctx)
    finally:
        ctx.close()


@pytest.fixture
def ctx(demo: Demo) -> Iterator[Context]:
    context = Context.open(demo.home)
    yield context
    context.close()


def line(output: str, label: str) -> str:
    found = [ln for ln in output.splitlines() if f" {label} — " in ln]
    assert found, f"no line «{label}» in:\n{output}"
    return found[0]


def username(ds: Dataset, teacher_id: str) -> str:
    teacher = ds.teacher(teacher_id)
    assert teacher is not None
    return f"{slug(teacher.full_name)}.{teacher_id.lower()}"


def actors(ctx: Context, action: str) -> set[str]:
    with ctx.sessions() as s:
        rows = s.execute(
            select(events_table.c.actor).where(events_table.c.action == action)
        ).scalars()
        return set(rows)


def test_each_step_is_printed_with_its_person(demo: Demo) -> None:
    out, ds = demo.first.stdout, demo.ds
    c = ds.classes[0]
    homeroom = ds.teacher(c.homeroom_teacher)
    principal = ds.teacher(ds.school.principal)
    assert homeroom is not None and principal is not None
    assert "Quản trị hệ thống cấp trường Vàng Thị Dung" in line(out, "Nhập dữ liệu năm học")
    assert f"Giáo viên chủ nhiệm {homeroom.full_name}" in line(out, "Xác nhận dữ liệu lớp")
    assert f"Hiệu trưởng {principal.full_name}" in line(out, "Ký duyệt: hiệu trưởng")
    assert "Văn thư (con dấu số) Lường Thị Thu" in line(out, "Ký: con dấu số của trường")
    assert "Vàng Thị Dung — khoá năm học" in line(out, "Khoá sổ cuối năm học")
    assert "Lường Thị Thu" in line(out, "Kiểm tra chữ ký và lưu trữ")
    assert "Lường Thị Thu" in line(out, "Xuất gói hồ sơ cho học sinh")
    assert "Hợp lệ — bản hiện hành" in line(out, "Xác minh công khai một hồ sơ")
    assert "ĐẠT" in line(out, "Kiểm tra nhật ký kiểm toán")
    for label in ("Ký: giáo viên bộ môn", "Ký lại: hiệu trưởng", "Lưu trữ phiên bản đính chính"):
        assert line(out, label).startswith("✓")
    assert "Kết luận: Hợp lệ" in out and "http://127.0.0.1:8000/xac-minh" in out
    assert str(bundle_path_of(demo)) in out


def bundle_path_of(demo: Demo) -> Path:
    return (
        demo.home.resolve() / "exports" / f"ho-so-{demo.ds.classes[0].students[0].student.code}.zip"
    )


def test_the_audit_trail_names_the_people(demo: Demo, ctx: Context) -> None:
    ds, c = demo.ds, demo.ds.classes[0]
    admin, clerk = "vang.thi.dung", "luong.thi.thu"
    # the second school's administrator imports it; its teachers (GVB…) sign it
    assert actors(ctx, "dataset.imported") == {admin, slug(MADE_UP.admin)}
    assert actors(ctx, "dataset.confirmed") >= {username(ds, c.homeroom_teacher)}
    signers = {u for u in actors(ctx, "document.signed") if ".gvb" not in u}
    teachers = {t for s in c.subjects for t in s.teachers} | {ds.school.principal}
    # everyone signs under their own account; a primary class's books are signed by the
    # homeroom teacher, the principal and the seal (the clerk)
    assert signers <= {username(ds, t) for t in teachers} | {clerk}
    assert {username(ds, c.homeroom_teacher), username(ds, ds.school.principal), clerk} <= signers
    assert actors(ctx, "lock.opened") == {admin} and actors(ctx, "lock.closed") == set()
    # the corrected versions are signed while the year stays locked; archiving locks them
    assert actors(ctx, "lock.applied") == {clerk}
    assert actors(ctx, "document.archived") == {clerk}
    assert actors(ctx, "export.issued") == {clerk}
    assert "system" not in signers | actors(ctx, "document.archived")


def test_the_correction_chain_is_in_the_history(demo: Demo, ctx: Context) -> None:
    ds = demo.ds
    student = ds.classes[0].students[0].student.code
    history = record_history(ctx, hoc_ba_id(ds, student))
    v1, v2 = history.versions
    assert (v1.state, v2.state) == ("archived", "archived")
    assert (v1.superseded_by, v2.supersedes) == (2, 1)
    assert v2.archive is not None and v2.archive.completed and v2.timestamped
    (correction,) = history.corrections
    steps = [(s.step, s.actor, s.role) for s in correction.steps]
    requester = steps[0][1]
    assert steps == [
        ("request", requester, None),
        ("approve", username(ds, ds.school.principal), None),
        ("witness", username(ds, ds.school.vice_principals[0]), "board_member"),
        ("witness", username(ds, ds.classes[0].homeroom_teacher), "homeroom_teacher"),
        ("apply", requester, None),
    ]
    assert requester != username(ds, ds.classes[0].homeroom_teacher)


def test_the_export_verifies_publicly_and_the_old_version_is_superseded(
    demo: Demo, ctx: Context
) -> None:
    ds = demo.ds
    student = ds.classes[0].students[0].student.code
    (entry,) = export_register(ctx, student_code=student)
    assert entry.issued_by == "luong.thi.thu"
    document_id = hoc_ba_id(ds, student)
    current = verify_publicly(ctx, pdf_in_bundle(bundle_path(ctx, student), document_id))
    assert (current.verdict, current.current) == ("valid", True)
    assert len(current.signers) == 3  # homeroom teacher, principal, school seal
    with ctx.sessions() as s:
        old = s.scalar(
            select(DocumentRow.pdf).where(
                DocumentRow.document_id == document_id, DocumentRow.version == 1
            )
        )
    assert old is not None
    superseded = verify_publicly(ctx, old)
    assert superseded.verdict == "superseded" and not superseded.current


def test_audit_verify_passes(demo: Demo, ctx: Context) -> None:
    report = verify_audit_log(ctx)
    assert report.ok, [f.to_json() for f in report.findings]
    assert report.anchors and report.unanchored == 0
    cli = hsdt(demo.home, "audit", "verify")
    assert cli.returncode == 0, cli.stdout + cli.stderr


def test_the_printed_credentials_sign_in_and_scope_holds(demo: Demo, ctx: Context) -> None:
    from api.app import create_app

    ds = demo.ds
    path = demo.home / CREDENTIALS_FILE
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "demo only" in path.read_text(encoding="utf-8")
    saved = read_credentials(path)
    homeroom = username(ds, ds.classes[0].homeroom_teacher)
    for printed in (homeroom, username(ds, ds.school.principal), "vang.thi.dung"):
        assert f"{printed}" in demo.first.stdout and saved[printed] in demo.first.stdout
    student = ds.classes[0].students[0].student.code
    pupil = next(u for u in saved if u.endswith(f".{student}"))
    other = hoc_ba_id(ds, ds.classes[0].students[1].student.code)

    async def run() -> tuple[int, int, int]:
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def token(user: str) -> dict[str, str]:
                r = await client.post(
                    "/api/v1/auth/login", json={"username": user, "password": saved[user]}
                )
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            teacher = await token(homeroom)
            queue = await client.get("/api/v1/me/signing-queue", headers=teacher)
            own_pupil = await token(pupil)
            mine = await client.get(f"/api/v1/records/{hoc_ba_id(ds, student)}", headers=own_pupil)
            theirs = await client.get(f"/api/v1/records/{other}", headers=own_pupil)
            return queue.status_code, mine.status_code, theirs.status_code

    assert asyncio.run(run()) == (200, 200, 403)


def test_running_again_changes_nothing(demo: Demo, ctx: Context) -> None:
    assert demo.counts_after_second == demo.counts_after_first
    assert "không thay đổi gì" in demo.second.stdout
    changed = [ln for ln in demo.second.stdout.splitlines() if ln.startswith("✓ ")]
    assert changed == []
    assert len(list_corrections(ctx)) == 1


# ------------------------------------------------ the second school: something to countersign
# These run last: the countersignature writes to the home the tests above read.


def second_school_of(demo: Demo) -> Dataset:
    return second_school(demo.ds, 2026)


def test_the_last_line_invites_the_newcomer_to_countersign(demo: Demo, ctx: Context) -> None:
    second = second_school_of(demo)
    saved = read_credentials(demo.home / CREDENTIALS_FILE)
    principal = username(second, second.school.principal)
    dataset_id = dataset_of(ctx, second.school.code)
    waiting = waiting_for(ctx, dataset_id, "5A", second.school.principal)
    assert waiting == len(second.classes[0].students) + 4  # every record of the class
    for run in (demo.first, demo.second):
        last = run.stdout.strip().splitlines()[-1]
        assert last.startswith("Ký duyệt thử: đăng nhập http://127.0.0.1:8000/"), last
        assert f"{principal} / {saved[principal]}" in last and second.school.name in last
        assert f"lớp 5A — {waiting} hồ sơ chờ Hiệu trưởng ký duyệt." in last
    # both schools' people are in the credentials file (the second did not overwrite the first)
    assert username(demo.ds, demo.ds.school.principal) in saved and "sung.a.pao" in saved
    with ctx.sessions() as s:  # teachers signed; no countersignature, no seal, no lock
        states = set(
            s.scalars(select(DocumentRow.state).where(DocumentRow.dataset_id == dataset_id))
        )
    assert states == {"signing"}
    assert second.school.code != demo.ds.school.code
    assert (second.province, second.district) == (demo.ds.province, demo.ds.district)


def dataset_of(ctx: Context, school: str) -> int:
    with ctx.sessions() as s:
        found = s.scalar(select(DatasetRow.id).where(DatasetRow.school_code == school))
    assert found is not None
    return found


async def web_login(client: httpx.AsyncClient, user: str, password: str) -> None:
    form = await client.get("/dang-nhap")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
    assert nonce, form.text
    r = await client.post(
        "/dang-nhap", data={"username": user, "password": password, "nonce": nonce[1]}
    )
    assert r.status_code == 303, r.text


async def api_token(client: httpx.AsyncClient, user: str, password: str) -> dict[str, str]:
    r = await client.post("/api/v1/auth/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_each_school_sees_only_its_own(demo: Demo, ctx: Context) -> None:
    from api.app import create_app

    first, second = demo.ds, second_school_of(demo)
    saved = read_credentials(demo.home / CREDENTIALS_FILE)
    theirs = f"HB-{second.school.code}-2025-{second.classes[0].students[0].student.code}"
    # the same class name (5A) at both schools: scope is the school, not the class's name
    first_teacher = username(first, first.classes[0].homeroom_teacher)
    second_teachers = {username(second, t) for s in second.classes[0].subjects for t in s.teachers}

    async def run() -> None:
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            mine = await api_token(client, first_teacher, saved[first_teacher])
            listed = await client.get(
                "/api/v1/records", params={"school": second.school.code}, headers=mine
            )
            assert listed.status_code == 200 and listed.json()["items"] == []
            refused = await client.get(f"/api/v1/records/{theirs}", headers=mine)
            assert refused.status_code in (403, 404), refused.text
            for teacher in sorted(second_teachers):
                token = await api_token(client, teacher, saved[teacher])
                items = (
                    await client.get("/api/v1/records", params={"limit": 200}, headers=token)
                ).json()["items"]
                assert items, teacher
                assert {(i["school"], i["class_id"]) for i in items} == {(second.school.code, "5A")}
            # the web app's «Lớp của tôi»: one class, of the second school
            homeroom = username(second, second.classes[0].homeroom_teacher)
            await web_login(client, homeroom, saved[homeroom])
            page = (await client.get("/lop")).text
            assert page.count('href="/lop/') == 1 and second.school.name in page
            assert first.school.name not in page

    asyncio.run(run())


def test_the_principal_countersigns_in_the_web_app_and_a_rerun_keeps_it(
    demo: Demo, ctx: Context
) -> None:
    """What the last line invites: the second school's principal signs in to the web app and
    countersigns class 5A (the page's durable sign job with the server-held dev key); every
    record of the class ends countersigned by them, and ``hsdt demo`` again neither undoes it
    nor fails."""
    from api.app import create_app

    second = second_school_of(demo)
    saved = read_credentials(demo.home / CREDENTIALS_FILE)
    principal = username(second, second.school.principal)
    dataset_id = dataset_of(ctx, second.school.code)
    documents = len(second.classes[0].students) + 4

    async def run() -> dict[str, object]:
        transport = httpx.ASGITransport(app=create_app(ctx))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            await web_login(client, principal, saved[principal])
            form = await client.get("/ky-duyet", params={"lop": "5A", "truong": second.school.code})
            assert form.status_code == 200, form.text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf, form.text
            submitted = await client.post(
                "/ky-duyet", data={"lop": "5A", "truong": second.school.code, "csrf": csrf[1]}
            )
            assert submitted.status_code == 303, submitted.text
            job = submitted.headers["location"]
            for _ in range(120):  # the progress bar's poll
                state: dict[str, object] = (await client.get(f"{job}/trang-thai")).json()
                if state["finished"]:
                    return state
                await asyncio.sleep(0.5)
            raise AssertionError(f"the job did not finish: {state}")

    state = asyncio.run(run())
    assert (state["state"], state["percent"], state["done"]) == ("done", 100, documents), state
    assert waiting_for(ctx, dataset_id, "5A", second.school.principal) == 0
    with ctx.sessions() as s:
        signed = s.execute(
            select(events_table.c.subject).where(
                events_table.c.action == "document.signed", events_table.c.actor == principal
            )
        ).scalars()
        ids = set(
            s.scalars(select(DocumentRow.document_id).where(DocumentRow.dataset_id == dataset_id))
        )
    assert len(ids) == documents and ids <= {str(subject) for subject in signed}

    again = hsdt(demo.home, *ARGS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Trường thứ hai: chờ ký duyệt" in again.stdout
    assert again.stdout.strip().splitlines()[-1].startswith("Lớp 5A của ")
    assert [ln for ln in again.stdout.splitlines() if ln.startswith("✓ ")] == []
    assert waiting_for(ctx, dataset_id, "5A", second.school.principal) == 0
