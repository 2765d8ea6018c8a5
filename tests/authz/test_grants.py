"""A grant's scope must fit its role; the refusal says what is missing and what to do."""

from __future__ import annotations

import unicodedata

import pytest

from service.authz import Grant, InvalidGrant, Role, Scope

SCHOOL = Scope("LC", "BX", "BANXEO")
YEAR = "2025-2026"


@pytest.mark.parametrize(
    ("role", "scope", "person", "says"),
    [
        (Role.HOMEROOM_TEACHER, Scope("LC", "BX", "BANXEO", year=YEAR), "GV003", "thiếu lớp"),
        (
            Role.HOMEROOM_TEACHER,
            Scope("LC", "BX", "BANXEO", classes=frozenset({"8A1"})),
            "GV003",
            "thiếu năm học",
        ),
        (
            Role.SUBJECT_TEACHER,
            Scope("LC", "BX", "BANXEO", year=YEAR, classes=frozenset({"8A1"})),
            "GV004",
            "thiếu môn",
        ),
        (Role.PROVINCE_ADMIN, SCHOOL, None, "chỉ giao ở cấp Sở"),
        (Role.DISTRICT_ADMIN, Scope("LC"), None, "chỉ giao ở cấp Phòng"),
        (Role.PRINCIPAL, Scope("LC", "BX"), "GV001", "chỉ giao ở cấp trường"),
        (
            Role.SCHOOL_ADMIN,
            Scope("LC", "BX", "BANXEO", classes=frozenset({"8A1"})),
            None,
            "không giới hạn theo lớp",
        ),
        (Role.STUDENT, Scope("LC"), None, "thiếu học sinh"),
        (Role.CLERK, SCHOOL, "GV010", "không gắn mã giáo viên"),
        (
            Role.HOMEROOM_TEACHER,
            Scope("LC", "BX", "BANXEO", year=YEAR, classes=frozenset({"8A1"})),
            None,
            "thiếu mã giáo viên",
        ),
        (Role.PRINCIPAL, Scope("LC", school="BANXEO"), "GV001", "mã Phòng"),
    ],
)
def test_scope_must_fit_the_role(role: Role, scope: Scope, person: str | None, says: str) -> None:
    with pytest.raises(InvalidGrant) as caught:
        Grant(role, scope, person)
    message = str(caught.value)
    assert says in message and role.label in message
    assert caught.value.hint  # what to do
    assert unicodedata.is_normalized("NFC", message)


def test_valid_grants_of_every_shape() -> None:
    Grant(Role.BOARD_MEMBER, Scope("LC"))
    Grant(Role.BOARD_MEMBER, Scope("LC", "BX"))
    Grant(Role.BOARD_MEMBER, Scope("LC", "BX", "BANXEO", year=YEAR))
    Grant(Role.PARENT, Scope("LC", "BX", "BANXEO", student="HS0001"))  # narrowed by its school
    Grant(
        Role.SUBJECT_TEACHER,
        Scope("LC", "BX", "BANXEO", year=YEAR, classes=frozenset({"6A", "7A"}), subject="TIN"),
        "GV008",
    )
