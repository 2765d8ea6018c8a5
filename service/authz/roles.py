"""Roles of the regulation (Quyết định 3020/QĐ-SGDĐT, Articles 4–13) and the scope each one needs.

A role alone grants nothing: it is always held *at* a scope (see ``scopes.Grant``). What a role's
scope must name is data here (``ROLE_SPECS``), checked whenever a grant is built, so a homeroom
grant without its class or a subject-teacher grant without its subject cannot exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    """Where a grant sits in the tenancy tree: Sở (province) → Phòng (district) → school."""

    PROVINCE = "province"
    DISTRICT = "district"
    SCHOOL = "school"

    @property
    def label(self) -> str:
        return {
            Tier.PROVINCE: "cấp Sở",
            Tier.DISTRICT: "cấp Phòng",
            Tier.SCHOOL: "cấp trường",
        }[self]


class Dim(StrEnum):
    """A dimension a scope can narrow: a grant that names it covers only resources with that
    value."""

    PROVINCE = "province"
    DISTRICT = "district"
    SCHOOL = "school"
    YEAR = "year"
    CLASS = "class"
    SUBJECT = "subject"
    STUDENT = "student"

    @property
    def label(self) -> str:
        return {
            Dim.PROVINCE: "tỉnh",
            Dim.DISTRICT: "Phòng GD&ĐT",
            Dim.SCHOOL: "trường",
            Dim.YEAR: "năm học",
            Dim.CLASS: "lớp",
            Dim.SUBJECT: "môn",
            Dim.STUDENT: "học sinh",
        }[self]


class Role(StrEnum):
    PROVINCE_ADMIN = "province_admin"
    DISTRICT_ADMIN = "district_admin"
    SCHOOL_ADMIN = "school_admin"
    BOARD_MEMBER = "board_member"
    PRINCIPAL = "principal"
    VICE_PRINCIPAL = "vice_principal"
    HOMEROOM_TEACHER = "homeroom_teacher"
    SUBJECT_TEACHER = "subject_teacher"
    CLERK = "clerk"
    STUDENT = "student"
    PARENT = "parent"

    @property
    def spec(self) -> RoleSpec:
        return ROLE_SPECS[self]

    @property
    def label(self) -> str:
        return ROLE_SPECS[self].label


@dataclass(frozen=True)
class RoleSpec:
    label: str  # Vietnamese, as the regulation names the role
    basis: str  # where the regulation defines it
    tiers: frozenset[Tier]  # where a grant of this role may sit
    needs: frozenset[Dim] = frozenset()  # narrower dimensions a grant must name
    allows: frozenset[Dim] = frozenset()  # narrower dimensions a grant may name
    signs: bool = False  # holds a personal signature slot: the grant names the teacher id


_SCHOOL = frozenset({Tier.SCHOOL})
# Students and parents see their own records in any school of the province; a school that
# creates their account may narrow the grant to itself (the school admin's scope).
_ANY_TIER = frozenset(Tier)

ROLE_SPECS: dict[Role, RoleSpec] = {
    Role.PROVINCE_ADMIN: RoleSpec(
        "Quản trị hệ thống cấp Sở", "Điều 13.1", frozenset({Tier.PROVINCE})
    ),
    Role.DISTRICT_ADMIN: RoleSpec(
        "Quản trị hệ thống cấp Phòng", "Điều 13.1", frozenset({Tier.DISTRICT})
    ),
    Role.SCHOOL_ADMIN: RoleSpec(
        "Quản trị hệ thống cấp trường", "Điều 13.2", _SCHOOL, allows=frozenset({Dim.YEAR})
    ),
    Role.BOARD_MEMBER: RoleSpec(
        "Thành viên Ban quản trị HSĐT",
        "Điều 4.1, 5.1, 6.1",
        _ANY_TIER,
        allows=frozenset({Dim.YEAR}),
    ),
    Role.PRINCIPAL: RoleSpec(
        "Hiệu trưởng", "Điều 6, 9, 12.1", _SCHOOL, allows=frozenset({Dim.YEAR}), signs=True
    ),
    Role.VICE_PRINCIPAL: RoleSpec(
        "Phó hiệu trưởng", "Điều 9", _SCHOOL, allows=frozenset({Dim.YEAR}), signs=True
    ),
    Role.HOMEROOM_TEACHER: RoleSpec(
        "Giáo viên chủ nhiệm",
        "Điều 7",
        _SCHOOL,
        needs=frozenset({Dim.YEAR, Dim.CLASS}),
        signs=True,
    ),
    Role.SUBJECT_TEACHER: RoleSpec(
        "Giáo viên bộ môn",
        "Điều 8",
        _SCHOOL,
        needs=frozenset({Dim.YEAR, Dim.CLASS, Dim.SUBJECT}),
        signs=True,
    ),
    Role.CLERK: RoleSpec("Văn thư", "Điều 12.3, 14", _SCHOOL, allows=frozenset({Dim.YEAR})),
    Role.STUDENT: RoleSpec(
        "Học sinh", "yêu cầu của dự án", _ANY_TIER, needs=frozenset({Dim.STUDENT})
    ),
    Role.PARENT: RoleSpec(
        "Cha mẹ học sinh", "yêu cầu của dự án", _ANY_TIER, needs=frozenset({Dim.STUDENT})
    ),
}
