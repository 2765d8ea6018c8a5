"""The navigation: only what the signed-in person may do somewhere in their grants' scopes."""

from __future__ import annotations

from dataclasses import dataclass

from api.web.data import SLOT_OF_ROLE
from api.web.session import User
from service.authz import (
    Action,
    CorrectionRef,
    RecordState,
    ResourceRef,
    Role,
    Scope,
    authorize,
)

TEACHING = {Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER}


@dataclass(frozen=True)
class MenuItem:
    href: str
    label: str


def scope_ref(
    scope: Scope, state: RecordState | None = None, correction: CorrectionRef | None = None
) -> ResourceRef:
    """A resource inside the scope itself: what a grant may do anywhere in its reach."""
    return ResourceRef(
        scope.province,
        scope.district,
        scope.school,
        year=scope.year,
        class_id=min(scope.classes) if scope.classes else None,
        subject=scope.subject,
        student=scope.student,
        state=state,
        correction=correction,
    )


def can(
    user: User,
    action: Action,
    state: RecordState | None = None,
    correction: CorrectionRef | None = None,
) -> bool:
    """Whether some grant of the user allows ``action`` within its own scope."""
    return any(
        authorize(user.principal, action, scope_ref(g.scope, state, correction)).allowed
        for g in user.principal.grants
    )


def roles(user: User) -> set[Role]:
    return {g.role for g in user.principal.grants}


def menu(user: User) -> list[MenuItem]:
    held = roles(user)
    items = [MenuItem("/", "Trang chính")]
    if can(user, Action.RECORD_VIEW) and held - {Role.STUDENT, Role.PARENT}:
        items.append(MenuItem("/lop", "Lớp của tôi" if held <= TEACHING else "Các lớp"))
    if held & set(SLOT_OF_ROLE):
        items.append(MenuItem("/ky", "Hàng đợi ký"))
    if can(user, Action.PROGRESS_VIEW) and held - TEACHING:
        items.append(MenuItem("/tien-do", "Tiến độ"))
    someone_elses = CorrectionRef(requested_by="")  # a request by another person
    if (
        can(user, Action.CORRECTION_APPROVE, RecordState.LOCKED, someone_elses)
        or can(user, Action.CORRECTION_REQUEST, RecordState.LOCKED)
        or held & {Role.BOARD_MEMBER, Role.HOMEROOM_TEACHER}  # the witnesses
    ):
        items.append(MenuItem("/dinh-chinh", "Đính chính"))
    if can(user, Action.ACCOUNT_MANAGE):
        items.append(MenuItem("/quan-tri/tai-khoan", "Tài khoản"))
        items.append(MenuItem("/quan-tri/truong", "Trường"))
    if can(user, Action.RECORD_LOCK):
        items.append(MenuItem("/quan-tri/khoa-so", "Khoá sổ"))
    if can(user, Action.AUDIT_VERIFY):
        items.append(MenuItem("/quan-tri/nhat-ky", "Nhật ký"))
    if can(user, Action.RECORD_ARCHIVE, RecordState.LOCKED) or can(user, Action.ARCHIVE_AUDIT):
        items.append(MenuItem("/luu-tru", "Lưu trữ"))
    if can(user, Action.EXPORT_ISSUE, RecordState.ARCHIVED):
        items.append(MenuItem("/xuat-ban", "Bản xuất"))
    return items
