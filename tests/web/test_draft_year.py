"""A year whose data is not confirmed yet: the homeroom teacher uploads a subject's score sheet
(the findings in place) and confirms the class; the principal approves a correction of last
year's locked book."""

from __future__ import annotations

from dataclasses import replace

from playwright.sync_api import Page, expect
from sqlalchemy import select
from web_world import FAST, PREVIOUS_YEAR, World, snap

from records.template import csv_template_bytes
from service.accounts import NewAccount, add_grant, create_account
from service.authz import Grant, Principal, Role, Scope
from service.db.models import DatasetRow, DocumentRow


def test_homeroom_uploads_a_score_sheet_and_confirms_the_class(
    draft_world: World, page: Page
) -> None:
    world = draft_world
    cls = world.ds.classes[0]
    world.login(page, "homeroom")
    page.goto(f"{world.base}/lop/{cls.id}")
    expect(page.get_by_test_id("data-state")).to_have_text("Nháp")
    # the mathematics sheet with two regular scores of the first student swapped: new data,
    # same averages (a changed average would be an error finding, and nothing stored)
    sheet = csv_template_bytes(grade=cls.grade, subject="TOAN", dataset=world.ds).decode()
    name = cls.students[0].student.full_name
    changed = sheet.replace(f"{name},8.0,7.5,", f"{name},7.5,8.0,", 1)
    assert changed != sheet
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "toan.csv", "mimeType": "text/csv", "buffer": changed.encode()}],
    )
    page.click("text=Kiểm tra và nhập")
    expect(page.get_by_test_id("import-result")).to_contain_text("Đã nhập dữ liệu mới")
    expect(page.get_by_test_id("data-state")).to_have_text("Nháp")
    snap(page, "17-chu-nhiem-nhap-diem")
    page.get_by_test_id("confirm").click()
    expect(page.locator("p.notice")).to_have_text("Đã xác nhận dữ liệu của lớp.")
    expect(page.get_by_test_id("data-state")).to_have_text("Đã xác nhận")
    expect(page.get_by_test_id("confirm")).to_have_count(0)  # confirmed data: nothing to confirm
    snap(page, "18-chu-nhiem-xac-nhan")


def test_a_subject_teacher_cannot_confirm_the_whole_class(draft_world: World, page: Page) -> None:
    """The confirm form of another role is refused by the matrix, with its reason."""
    world = draft_world
    cls = world.ds.classes[0]
    math = next(s for s in cls.subjects if s.code == "TOAN").teachers[0]
    teacher = next(u for u in world.accounts if u.endswith("." + math.lower()))
    world.login(page, teacher)
    page.goto(f"{world.base}/lop/{cls.id}")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    response = page.request.post(f"{world.base}/lop/{cls.id}/xac-nhan", form={"csrf": csrf or ""})
    assert response.status == 403
    assert "Không có quyền" in response.text()


def test_principal_approves_a_correction(draft_world: World, page: Page) -> None:
    world = draft_world
    world.login(page, "principal")
    page.click("nav.menu >> text=Đính chính")
    card = page.locator("section[data-testid^=correction-]").first
    expect(card).to_contain_text("chờ Hiệu trưởng duyệt")
    expect(card).to_contain_text("Nhập nhầm điểm cuối kì I môn Toán")
    snap(page, "19-dinh-chinh")
    card.locator("input[name=note]").fill("Đồng ý, đã đối chiếu sổ điểm giấy")
    card.locator("button[value=duyet]").click()
    card = page.locator("section[data-testid^=correction-]").first
    expect(card).to_contain_text("đã duyệt")
    expect(card.locator("button")).to_have_count(0)


def test_a_correction_from_request_to_applied_with_its_history(
    draft_world: World, page: Page
) -> None:
    """The mathematics teacher requests a correction of last year's locked book (an invalid
    score first: the findings in place), the principal approves, a board member and the
    homeroom teacher witness (nobody plays two parts), the teacher applies; the record page
    shows the whole chain."""
    world, ds = draft_world, draft_world.ds
    cls = ds.classes[0]
    student = cls.students[1]
    assert student.secondary is not None
    old = str(student.secondary.subjects["TOAN"].term1.final).replace(".", ",")
    math = next(s for s in cls.subjects if s.code == "TOAN").teachers[0]
    teacher = next(u for u in world.accounts if u.endswith("." + math.lower()))
    place = (ds.province.code, ds.district.code, ds.school.code)
    admin = Principal(world.roles["admin"], (Grant(Role.SCHOOL_ADMIN, Scope(*place)),))
    # last year the same teachers had the class; the school has a board member
    last_year = Scope(*place, year=PREVIOUS_YEAR, classes=frozenset({cls.id}))
    add_grant(
        world.ctx,
        admin,
        teacher,
        Grant(Role.SUBJECT_TEACHER, replace(last_year, subject="TOAN"), math),
    )
    add_grant(
        world.ctx,
        admin,
        world.roles["homeroom"],
        Grant(Role.HOMEROOM_TEACHER, last_year, cls.homeroom_teacher),
    )
    board = NewAccount("le.van.hung", "Lê Văn Hùng", "079300005678", "ban quản trị 2026 HSĐT")
    create_account(world.ctx, admin, board, [Grant(Role.BOARD_MEMBER, Scope(*place))], policy=FAST)
    world.passwords[board.username] = board.password
    with world.ctx.sessions() as s:
        document_id = s.scalars(
            select(DocumentRow.document_id)
            .join(DatasetRow, DatasetRow.id == DocumentRow.dataset_id)
            .where(
                DatasetRow.school_year == PREVIOUS_YEAR,
                DocumentRow.student_code == student.student.code,
            )
        ).one()

    world.login(page, teacher)
    page.goto(f"{world.base}/ho-so/{document_id}")
    expect(page.get_by_test_id("version-1")).to_contain_text("Đã khoá")
    page.get_by_test_id("request-correction").click()
    form = page.get_by_test_id("correction-form")
    form.locator("textarea[name=reason]").fill("Nhập nhầm điểm cuối kì I môn Toán")
    row = form.locator("tbody tr").first
    row.locator("input[name=subject]").fill("TOAN")
    row.locator("input[name=field]").fill("term1.final")
    row.locator("input[name=old]").fill(old)
    row.locator("input[name=new]").fill("15")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("không hợp lệ")
    expect(page.get_by_test_id("findings")).to_contain_text("ngoài thang điểm 0–10")
    snap(page, "25-dinh-chinh-sai")
    # the teacher adds the subject comment that was left out instead (no average depends on it)
    form = page.get_by_test_id("correction-form")
    row = form.locator("tbody tr").first
    expect(row.locator("input[name=new]")).to_have_value("15")  # the form kept what was typed
    row.locator("input[name=field]").fill("comment")
    row.locator("input[name=old]").fill("")
    row.locator("input[name=new]").fill("Chăm chỉ, tiến bộ rõ trong học kì II.")
    form.locator("textarea[name=reason]").fill("Bỏ sót nhận xét môn Toán")
    form.locator("button[type=submit]").click()
    card = page.locator("section[data-testid^=correction-]", has_text=document_id)
    expect(card.get_by_test_id("correction-state")).to_have_text("chờ Hiệu trưởng duyệt")
    snap(page, "26-dinh-chinh-de-nghi")
    world.logout(page)

    world.login(page, "principal")
    page.click("nav.menu >> text=Đính chính")
    card = page.locator("section[data-testid^=correction-]", has_text=document_id)
    card.locator("input[name=note]").fill("Đồng ý")
    card.locator("button[value=duyet]").click()
    card = page.locator("section[data-testid^=correction-]", has_text=document_id)
    expect(card.get_by_test_id("correction-state")).to_have_text("đã duyệt, chờ chứng kiến")
    world.logout(page)

    for witness in (board.username, "homeroom"):
        world.login(page, witness)
        page.click("nav.menu >> text=Đính chính")
        card = page.locator("section[data-testid^=correction-]", has_text=document_id)
        card.locator("button[value=chung-kien]").click()
        card = page.locator("section[data-testid^=correction-]", has_text=document_id)
        expect(card.locator("button[value=chung-kien]")).to_have_count(0)
        world.logout(page)
    world.login(page, teacher)
    page.click("nav.menu >> text=Đính chính")
    card = page.locator("section[data-testid^=correction-]", has_text=document_id)
    expect(card.get_by_test_id("correction-state")).to_have_text("đủ người chứng kiến, chờ áp dụng")
    snap(page, "27-dinh-chinh-chung-kien")
    page.once("dialog", lambda dialog: dialog.accept())
    card.locator("button[value=ap-dung]").click()
    card = page.locator("section[data-testid^=correction-]", has_text=document_id)
    expect(card.get_by_test_id("correction-state")).to_have_text("đã tạo phiên bản mới, chờ ký lại")

    page.goto(f"{world.base}/ho-so/{document_id}")
    expect(page.get_by_test_id("version-1")).to_contain_text("bị thay thế bởi phiên bản 2")
    expect(page.get_by_test_id("version-2")).to_contain_text("thay thế phiên bản 1")
    chain = page.locator("section[data-testid^=history-correction-]")
    expect(chain).to_contain_text("Đề nghị")
    expect(chain).to_contain_text("Phê duyệt")
    expect(chain).to_contain_text("Chứng kiến (Ban quản trị) — le.van.hung")
    expect(chain).to_contain_text("Chứng kiến (GV chủ nhiệm)")
    expect(chain).to_contain_text("Áp dụng")
    snap(page, "28-lich-su-ho-so")
