"""The staff's pages in a real headless Chromium: each role signs in, does its main task end to
end, and the test checks what the page shows. Screenshots go to tests/artifacts/web/."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from playwright.sync_api import Browser, Page, expect
from web_world import FAST, World, sign_role, snap

from records.slots import SignerRole
from service.accounts import (
    NewAccount,
    begin_totp_enrolment,
    confirm_totp_enrolment,
    create_account,
)
from service.authz import Grant, Principal, Role, Scope
from signing.devpki import load_dev_pki

TRACEBACK = re.compile(r"Traceback|File \"/|Exception", re.IGNORECASE)


def _no_traceback(page: Page) -> None:
    assert not TRACEBACK.search(page.content())


def test_login_refused_then_signed_in_and_out(world: World, page: Page) -> None:
    page.goto(f"{world.base}/")
    expect(page).to_have_url(re.compile(r"/dang-nhap\?tiep=%2F$"))
    snap(page, "01-dang-nhap")
    page.fill("input[name=username]", world.roles["principal"])
    page.fill("input[name=password]", "sai mật khẩu")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_contain_text("Sai tên đăng nhập hoặc mật khẩu")
    world.login(page, "principal")
    cookie = next(c for c in page.context.cookies() if c["name"] == "hsdt_phien")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    world.logout(page)
    page.goto(f"{world.base}/lop")
    expect(page).to_have_url(re.compile(r"/dang-nhap"))


def test_teacher_sees_own_class_uploads_previews_and_signs(world: World, page: Page) -> None:
    cls = world.ds.classes[0]
    world.login(page, "homeroom")
    snap(page, "02-giao-vien-trang-chinh")
    menu = page.locator("nav.menu")
    expect(menu).to_contain_text("Lớp của tôi")
    expect(menu).to_contain_text("Hàng đợi ký")
    expect(menu).not_to_contain_text("Tài khoản")
    expect(menu).not_to_contain_text("Khoá sổ")
    page.click("nav.menu >> text=Lớp của tôi")
    rows = page.get_by_test_id("classes").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(cls.name)
    expect(rows.first).to_contain_text("Chủ nhiệm")
    rows.first.locator("a").click()
    expect(page.get_by_test_id("data-state")).to_have_text("Đã xác nhận")
    # who has not signed: the homeroom teacher herself, the principal, the seal
    expect(page.get_by_test_id("not-signed")).to_contain_text("hồ sơ")
    snap(page, "03-lop")
    # a score sheet with errors: the findings in place, nothing stored
    page.set_input_files(
        "input[name=file]",
        files=[{
            "name": "bang-diem-toan.csv",
            "mimeType": "text/csv",
            "buffer": "mã học sinh;điểm\nHS-KHONG-CO;11\n".encode(),
        }],
    )  # fmt: skip
    page.click("text=Kiểm tra và nhập")
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("không lưu gì")
    expect(page.get_by_test_id("findings").locator("tbody tr").first).to_contain_text("Lỗi")
    _no_traceback(page)
    snap(page, "04-nhap-diem-loi")
    # preview a record
    page.get_by_test_id("records").locator("tbody a").first.click()
    expect(page.get_by_test_id("slots")).to_contain_text("Giáo viên chủ nhiệm")
    pdf = page.request.get(page.url + "/pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    snap(page, "05-xem-ho-so")
    # the signing queue: sign everything waiting
    page.click("nav.menu >> text=Hàng đợi ký")
    queue = page.get_by_test_id("queue").locator("tbody tr")
    waiting = queue.count()
    assert waiting >= 1
    snap(page, "06-hang-doi-ky")
    page.get_by_test_id("sign").click()
    outcomes = page.get_by_test_id("outcomes").locator("tbody tr")
    expect(outcomes).to_have_count(waiting)
    for i in range(waiting):
        expect(outcomes.nth(i)).to_contain_text("Đã ký")
    snap(page, "07-ket-qua-ky")
    page.click("nav.menu >> text=Hàng đợi ký")
    expect(page.get_by_test_id("queue-empty")).to_be_visible()


def test_teacher_of_another_class_is_refused(world: World, page: Page) -> None:
    cls = world.ds.classes[0]
    world.login(page, "other_teacher")
    page.goto(f"{world.base}/lop")
    expect(page.get_by_test_id("no-classes")).to_be_visible()
    response = page.goto(f"{world.base}/lop/{cls.id}")
    assert response is not None and response.status == 403
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("Không có quyền")
    expect(error).to_contain_text("lớp")
    _no_traceback(page)
    snap(page, "08-tu-choi-lop-khac")


def test_principal_countersigns_a_class_in_one_batch(world: World, page: Page) -> None:
    pki = load_dev_pki(world.ctx.home.pki_dir)
    sign_role(world.ctx, pki, world.ds, SignerRole.HOMEROOM_TEACHER)  # no-op after the teacher
    cls = world.ds.classes[0]
    world.login(page, "principal")
    menu = page.locator("nav.menu")
    expect(menu).to_contain_text("Tiến độ")
    expect(menu).not_to_contain_text("Tài khoản")
    page.click("nav.menu >> text=Tiến độ")
    expect(page.get_by_test_id("progress")).to_contain_text(cls.name)
    snap(page, "09-tien-do")
    page.get_by_test_id(f"countersign-{cls.id}").click()
    summary = page.get_by_test_id("countersign-summary")
    expect(summary).to_contain_text("sẵn sàng")
    snap(page, "10-ky-duyet-xac-nhan")
    page.get_by_test_id("confirm-countersign").click()
    expect(page).to_have_url(re.compile(r"/cong-viec/\d+$"))
    expect(page.get_by_test_id("job-percent")).to_have_text("100 %", timeout=60_000)
    expect(page.get_by_test_id("job-state")).to_have_text("Hoàn tất")
    tasks = page.get_by_test_id("job-tasks").locator("tbody tr")
    assert tasks.count() >= 1
    for i in range(tasks.count()):
        expect(tasks.nth(i)).to_contain_text("Xong")
    snap(page, "11-ky-duyet-xong")
    page.goto(f"{world.base}/lop/{cls.id}")
    expect(page.get_by_test_id("not-signed")).not_to_contain_text(
        world.ds.teacher(world.ds.school.principal).full_name  # type: ignore[union-attr]
    )


def test_admin_opens_and_closes_a_lock_window(world: World, page: Page) -> None:
    world.login(page, "admin")
    menu = page.locator("nav.menu")
    expect(menu).to_contain_text("Tài khoản")
    expect(menu).not_to_contain_text("Hàng đợi ký")
    page.click("nav.menu >> text=Tài khoản")
    expect(page.get_by_test_id("accounts")).to_contain_text(world.roles["principal"])
    snap(page, "12-tai-khoan")
    page.click("nav.menu >> text=Khoá sổ")
    form = page.get_by_test_id("open-lock")
    form.locator("select[name=term]").select_option("HK1")
    form.locator("input[name=reason]").fill("Khoá sổ cuối học kì I")
    form.locator("button").click()
    row = page.get_by_test_id("locks").locator("tbody tr").first
    expect(row).to_contain_text("Đang khoá")
    expect(row).to_contain_text("Khoá sổ cuối học kì I")
    snap(page, "13-khoa-so")
    row.locator("input[name=reason]").fill("Mở lại để sửa sai sót nhập liệu")
    row.locator("text=Đóng đợt khoá").click()
    row = page.get_by_test_id("locks").locator("tbody tr").first
    expect(row).to_contain_text("Đã đóng")
    page.click("nav.menu >> text=Nhật ký")
    expect(page.get_by_test_id("audit")).to_contain_text("lock")
    snap(page, "14-nhat-ky")


def test_clerk_sees_archive_status_and_export_register(world: World, page: Page) -> None:
    world.login(page, "clerk")
    menu = page.locator("nav.menu")
    expect(menu).to_contain_text("Lưu trữ")
    expect(menu).to_contain_text("Bản xuất")
    page.click("nav.menu >> text=Lưu trữ")
    expect(page.get_by_test_id("archive-status")).to_contain_text("Gói đã lưu trữ")
    expect(page.get_by_test_id("fixity")).to_be_visible()
    snap(page, "15-luu-tru")
    page.click("nav.menu >> text=Bản xuất")
    expect(page.get_by_test_id("export-register")).to_contain_text("Chưa cấp bản xuất nào")
    snap(page, "16-ban-xuat")
    # nothing archived yet: a readable refusal, not a traceback
    student = world.ds.classes[0].students[0].student.code
    form = page.get_by_test_id("export-form")
    form.locator("input[name=student]").fill(student)
    form.locator("input[name=recipient]").fill("Phụ huynh học sinh")
    form.locator("input[name=purpose]").fill("Chuyển trường")
    form.locator("button").click()
    expect(page.get_by_test_id("error")).to_be_visible()
    _no_traceback(page)


def test_forms_without_csrf_token_are_refused(world: World, page: Page) -> None:
    world.login(page, "admin")
    response = page.request.post(
        f"{world.base}/quan-tri/khoa-so",
        form={"school": world.ds.school.code, "term": "HK1", "reason": "x"},
    )
    assert response.status == 403
    assert "Biểu mẫu không hợp lệ" in response.text()
    response = page.request.get(f"{world.base}/ho-so/KHONG-CO")
    assert response.status == 404
    assert "Không có hồ sơ" in response.text()


def test_a_phone_shows_the_class_page_without_sideways_scrolling(
    world: World, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        world.login(phone, "homeroom")
        phone.goto(f"{world.base}/lop/{world.ds.classes[0].id}")
        expect(phone.get_by_test_id("records")).to_be_visible()
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        snap(phone, "20-dien-thoai-lop")
    finally:
        context.close()


def test_a_second_factor_is_asked_for_and_an_expired_session_goes_back_to_login(
    world: World, page: Page
) -> None:
    ds = world.ds
    admin = Principal(
        world.roles["admin"],
        (Grant(Role.SCHOOL_ADMIN, Scope(ds.province.code, ds.district.code, ds.school.code)),),
    )
    account = NewAccount("can.bo.totp", "Cán Bộ Hai Bước", "888000000002", "mật khẩu hai bước 26")
    grant = Grant(Role.CLERK, Scope(ds.province.code, ds.district.code, ds.school.code))
    create_account(world.ctx, admin, account, [grant], policy=FAST)
    enrolment = begin_totp_enrolment(world.ctx, account.username)
    totp = pyotp.TOTP(enrolment.secret)
    now = world.ctx.clock.now()
    confirm_totp_enrolment(world.ctx, account.username, totp.at(now), policy=FAST)
    page.goto(f"{world.base}/dang-nhap")
    page.fill("input[name=username]", account.username)
    page.fill("input[name=password]", account.password)
    page.click("button[type=submit]")
    expect(page.get_by_test_id("login-error")).to_contain_text("xác thực hai bước")
    snap(page, "21-dang-nhap-hai-buoc")
    page.fill("input[name=password]", account.password)
    page.fill("input[name=totp_code]", totp.at(now + timedelta(seconds=30)))  # a new step
    page.click("button[type=submit]")
    expect(page.get_by_test_id("who")).to_contain_text("Cán Bộ Hai Bước")
    # a session the server no longer accepts: back to the login form, then to the same page
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "hsdt_phien", "value": "het.han", "url": world.base}])
    page.goto(f"{world.base}/luu-tru")
    expect(page).to_have_url(re.compile(r"/dang-nhap\?tiep=%2Fluu-tru&het-han=1$"))
    expect(page.get_by_test_id("login-error")).to_contain_text("Phiên làm việc đã hết hạn")


def _certificate_pem(common_name: str) -> bytes:
    """A person's certificate as the administrator receives it (self-issued here: binding
    checks validity dates and that it belongs to nobody else; trust is checked at signing)."""
    from datetime import UTC, datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def test_admin_creates_an_account_grants_a_role_and_binds_a_certificate(
    world: World, page: Page
) -> None:
    ds, cls = world.ds, world.ds.classes[0]
    world.login(page, "admin")
    page.click("nav.menu >> text=Trường")
    row = page.get_by_test_id(f"school-{ds.school.code}")
    expect(row).to_contain_text(ds.school_year)
    expect(row).to_contain_text(cls.id)
    snap(page, "20-truong")
    page.click("nav.menu >> text=Tài khoản")
    page.get_by_test_id("create-account").click()
    form = page.get_by_test_id("new-account")
    form.locator("input[name=username]").fill("tran.thi.mai")
    form.locator("input[name=full_name]").fill("Trần Thị Mai")
    form.locator("input[name=national_id]").fill("079300001234")
    # a homeroom grant without its class: the scope does not fit the role, nothing is stored
    form.locator("select[name=role]").select_option("homeroom_teacher")
    form.locator("input[name=year]").fill(ds.school_year)
    form.locator("input[name=person_id]").fill("GV777")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("thiếu lớp trong phạm vi")
    snap(page, "21-tao-tai-khoan-sai")
    form = page.get_by_test_id("new-account")
    expect(form.locator("input[name=full_name]")).to_have_value("Trần Thị Mai")  # kept
    form.locator("select[name=role]").select_option("subject_teacher")
    form.locator("input[name=classes]").fill(cls.id)
    form.locator("input[name=subject]").fill("TOAN")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("new-username")).to_have_text("tran.thi.mai")
    password = page.get_by_test_id("initial-password").inner_text().strip()
    assert len(password) >= 16
    snap(page, "22-tai-khoan-moi")

    page.click("text=Giao thêm vai trò, gắn chứng thư số")
    page.locator("summary", has_text="Giao thêm vai trò").click()
    grant = page.get_by_test_id("add-grant")
    grant.locator("select[name=role]").select_option("homeroom_teacher")
    grant.locator("input[name=year]").fill(ds.school_year)
    grant.locator("input[name=classes]").fill(cls.id)
    grant.locator("input[name=person_id]").fill("GV777")
    grant.locator("button[type=submit]").click()
    expect(page.locator("p.notice")).to_have_text("Đã giao vai trò.")
    expect(page.get_by_test_id("grants")).to_contain_text("Giáo viên chủ nhiệm")
    # she no longer teaches mathematics there: the subject grant is revoked
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("grants").locator("tr", has_text="Giáo viên bộ môn").locator(
        "button"
    ).click()
    expect(page.locator("p.notice")).to_have_text("Đã thu hồi vai trò.")
    expect(page.get_by_test_id("grants")).not_to_contain_text("Giáo viên bộ môn")
    page.get_by_test_id("bind-certificate").locator("input[name=certificate]").set_input_files(
        files=[
            {
                "name": "tran-thi-mai.pem",
                "mimeType": "application/x-pem-file",
                "buffer": _certificate_pem("Trần Thị Mai"),
            }
        ]
    )
    page.get_by_test_id("bind-certificate").locator("button").click()
    expect(page.locator("p.notice")).to_have_text("Đã gắn chứng thư số.")
    expect(page.get_by_test_id("certificates")).to_contain_text("Trần Thị Mai")
    snap(page, "23-tai-khoan-vai-tro-chung-thu")
    # a forgotten password: a new one, shown once; the first one no longer works
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("reset-password-form").locator("button").click()
    reset = page.get_by_test_id("reset-password").locator("code").inner_text().strip()
    assert len(reset) >= 16 and reset != password
    # the administrator does not manage their own account (separation of duties)
    own = page.request.get(f"{world.base}/quan-tri/tai-khoan/{world.roles['admin']}")
    assert own.status == 403 and "deny.sod.self" in own.text()
    world.logout(page)

    world.passwords["tran.thi.mai"] = reset
    world.login(page, "tran.thi.mai")
    expect(page.locator("main")).to_contain_text("Giáo viên chủ nhiệm")
    expect(page.locator("nav.menu")).not_to_contain_text("Tài khoản")
    page.click("nav.menu >> text=Lớp của tôi")
    rows = page.get_by_test_id("classes").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(cls.name)
    expect(rows.first).to_contain_text("Chủ nhiệm")
    forbidden = page.request.get(f"{world.base}/quan-tri/tai-khoan")
    assert forbidden.status == 403
    snap(page, "24-tai-khoan-moi-dang-nhap")
    _no_traceback(page)
