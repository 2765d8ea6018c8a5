"""Scopes: where a grant applies, what a request is about, and whether the one covers the other.

A ``Grant`` is a role held at a scope (province → district → school, then year, classes, subject or
student). A ``ResourceRef`` names what a request touches, with the same dimensions plus the
record's lifecycle state and, for some actions, the signature slot or the correction concerned.
A grant covers a resource when every dimension the grant names has the same value in the resource:
a district grant covers all schools of that district (tier inheritance), a grant naming a class
covers nothing that is not in that class — including a request about the whole school.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from records.slots import SignerRole
from service.authz.roles import Dim, Role, Tier
from service.errors import HsdtError


class InvalidGrant(HsdtError):
    """A grant whose scope does not fit its role (e.g. a homeroom grant without a class)."""


class RecordState(StrEnum):
    """The lifecycle of a record: draft → data confirmed → signing → signed → locked → archived."""

    DRAFT = "draft"
    CONFIRMED = "confirmed"
    SIGNING = "signing"
    SIGNED = "signed"
    LOCKED = "locked"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return {
            RecordState.DRAFT: "nháp",
            RecordState.CONFIRMED: "đã xác nhận dữ liệu",
            RecordState.SIGNING: "đang ký",
            RecordState.SIGNED: "đã ký đủ",
            RecordState.LOCKED: "đã khoá",
            RecordState.ARCHIVED: "đã lưu trữ",
        }[self]


@dataclass(frozen=True)
class Scope:
    """Where a grant applies. Unset narrower dimensions mean "all of them"."""

    province: str
    district: str | None = None
    school: str | None = None
    year: str | None = None  # "2025-2026"
    classes: frozenset[str] = frozenset()
    subject: str | None = None  # subject code, e.g. "TOAN"
    student: str | None = None  # mã học sinh

    @property
    def tier(self) -> Tier:
        if self.school is not None:
            return Tier.SCHOOL
        return Tier.DISTRICT if self.district is not None else Tier.PROVINCE

    def named(self) -> frozenset[Dim]:
        """The narrower-than-tier dimensions this scope names."""
        present = {
            Dim.YEAR: self.year is not None,
            Dim.CLASS: bool(self.classes),
            Dim.SUBJECT: self.subject is not None,
            Dim.STUDENT: self.student is not None,
        }
        return frozenset(d for d, on in present.items() if on)

    def describe(self) -> str:
        """Vietnamese, for messages and listings: «trường 08123, lớp 8A1, năm học 2025-2026»."""
        parts = [f"tỉnh {self.province}"]
        if self.district is not None:
            parts.append(f"Phòng {self.district}")
        if self.school is not None:
            parts.append(f"trường {self.school}")
        if self.classes:
            parts.append("lớp " + ", ".join(sorted(self.classes)))
        if self.subject is not None:
            parts.append(f"môn {self.subject}")
        if self.student is not None:
            parts.append(f"học sinh {self.student}")
        if self.year is not None:
            parts.append(f"năm học {self.year}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Grant:
    """A role held at a scope. ``person_id`` is the teacher id at that school (as in the dataset
    and on the signature slots); a teacher working in two schools holds one grant in each."""

    role: Role
    scope: Scope
    person_id: str | None = None

    def __post_init__(self) -> None:
        spec, scope = self.role.spec, self.scope
        where = f"Vai trò {spec.label} ({scope.describe()})"
        if scope.school is not None and scope.district is None:
            raise InvalidGrant(
                f"{where}: phạm vi trường phải kèm mã Phòng GD&ĐT quản lý trường.",
                hint="Ghi cả mã Phòng của trường.",
            )
        if scope.tier not in spec.tiers:
            allowed = ", ".join(t.label for t in sorted(spec.tiers, key=list(Tier).index))
            raise InvalidGrant(
                f"{where}: vai trò này chỉ giao ở {allowed}, không giao ở {scope.tier.label}.",
                hint="Sửa phạm vi của vai trò cho đúng cấp.",
            )
        named = scope.named()
        if missing := spec.needs - named:
            raise InvalidGrant(
                f"{where}: thiếu {_dims(missing)} trong phạm vi.",
                hint=f"Vai trò {spec.label} phải ghi rõ {_dims(spec.needs)}.",
            )
        if extra := named - spec.needs - spec.allows:
            raise InvalidGrant(
                f"{where}: vai trò này không giới hạn theo {_dims(extra)}.",
                hint="Bỏ các giới hạn đó khỏi phạm vi.",
            )
        if self.person_id is not None and not spec.signs:
            raise InvalidGrant(
                f"{where}: vai trò này không ký hồ sơ bằng chữ ký cá nhân, không gắn mã giáo viên.",
                hint="Bỏ mã giáo viên khỏi vai trò.",
            )
        if self.person_id is None and spec.signs:
            raise InvalidGrant(
                f"{where}: thiếu mã giáo viên (như trong dữ liệu của trường) để đối chiếu ô ký.",
                hint="Ghi mã giáo viên của người được giao, ví dụ GV007.",
            )


def _dims(dims: frozenset[Dim]) -> str:
    return ", ".join(d.label for d in sorted(dims, key=list(Dim).index))


@dataclass(frozen=True)
class SlotRef:
    """The signature slot a ``record.sign`` request wants to fill (from the record's plan)."""

    role: SignerRole
    signer_id: str | None  # teacher id named by the plan; the school code for the seal
    subject: str | None = None  # subject-teacher slots


@dataclass(frozen=True)
class CorrectionRef:
    """The parties of a correction so far (account ids), for separation of duties."""

    requested_by: str
    approved_by: str | None = None
    rejected_by: str | None = None
    witnessed_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResourceRef:
    """What a request is about. Leave a dimension unset when the request covers all of it (a lock
    window over a whole district has no school); ``state`` is unset when no single record is
    concerned (a lock window, an account)."""

    province: str
    district: str | None = None
    school: str | None = None
    year: str | None = None
    class_id: str | None = None
    subject: str | None = None
    student: str | None = None
    state: RecordState | None = None
    slot: SlotRef | None = None  # record.sign
    correction: CorrectionRef | None = None  # correction.approve / reject / witness
    account: str | None = None  # account.manage: the account being managed

    def __post_init__(self) -> None:
        # A school without its district would escape every district grant: refuse it outright.
        if self.school is not None and self.district is None:
            raise ValueError("ResourceRef: a school needs its district (tier inheritance)")
        if self.class_id is not None and self.school is None:
            raise ValueError("ResourceRef: a class needs its school")


def uncovered(grant: Grant, resource: ResourceRef, ignore: frozenset[Dim]) -> Dim | None:
    """The first dimension (widest first) where ``grant`` does not cover ``resource``."""
    g = grant.scope
    checks: tuple[tuple[Dim, bool], ...] = (
        (Dim.PROVINCE, g.province == resource.province),
        (Dim.DISTRICT, g.district is None or g.district == resource.district),
        (Dim.SCHOOL, g.school is None or g.school == resource.school),
        (Dim.YEAR, g.year is None or g.year == resource.year),
        (Dim.CLASS, not g.classes or resource.class_id in g.classes),
        (Dim.SUBJECT, g.subject is None or g.subject == resource.subject),
        (Dim.STUDENT, g.student is None or g.student == resource.student),
    )
    return next((dim for dim, ok in checks if not ok and dim not in ignore), None)


def out_of_scope_message(grant: Grant, resource: ResourceRef, dim: Dim) -> str:
    """Vietnamese: which dimension is outside the grant, what was asked, what is granted."""
    granted = {
        Dim.PROVINCE: grant.scope.province,
        Dim.DISTRICT: grant.scope.district,
        Dim.SCHOOL: grant.scope.school,
        Dim.YEAR: grant.scope.year,
        Dim.CLASS: ", ".join(sorted(grant.scope.classes)),
        Dim.SUBJECT: grant.scope.subject,
        Dim.STUDENT: grant.scope.student,
    }[dim]
    asked = {
        Dim.PROVINCE: resource.province,
        Dim.DISTRICT: resource.district,
        Dim.SCHOOL: resource.school,
        Dim.YEAR: resource.year,
        Dim.CLASS: resource.class_id,
        Dim.SUBJECT: resource.subject,
        Dim.STUDENT: resource.student,
    }[dim]
    role = grant.role.label
    if asked is None:
        return (
            f"Ngoài phạm vi được giao: yêu cầu không giới hạn trong một {dim.label}, còn "
            f"{role} chỉ được giao {dim.label} {granted}."
        )
    return (
        f"Ngoài phạm vi được giao: yêu cầu thuộc {dim.label} {asked}, còn {role} chỉ được giao "
        f"{dim.label} {granted}."
    )
