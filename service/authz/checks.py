"""Conditions some rules add beyond scope and state: the signature slot, separation of duties in
the correction workflow, no self-administration. Each is a named, described predicate so that the
permission matrix (docs/permissions.md) can list them; each denial has a stable code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from records.slots import SignerRole
from service.authz.roles import Role, Tier
from service.authz.scopes import Grant, ResourceRef


@dataclass(frozen=True)
class Denial:
    code: str  # stable, e.g. "deny.sod.requester"
    reason: str  # Vietnamese, for the user


@dataclass(frozen=True)
class Check:
    name: str
    description: str  # Vietnamese, shown in the matrix
    test: Callable[[str, Grant, ResourceRef], Denial | None]  # (account id, grant, resource)


# The slot role each grant role may fill. The vice principal fills the principal's slot only when
# the plan names them (delegation decided by the school, Điều 9: "lãnh đạo" signs).
_SLOT_ROLE = {
    Role.SUBJECT_TEACHER: SignerRole.SUBJECT_TEACHER,
    Role.HOMEROOM_TEACHER: SignerRole.HOMEROOM_TEACHER,
    Role.PRINCIPAL: SignerRole.PRINCIPAL,
    Role.VICE_PRINCIPAL: SignerRole.PRINCIPAL,
    Role.CLERK: SignerRole.SCHOOL_SEAL,
}


def _own_slot(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    slot = r.slot
    if slot is None:
        return Denial("deny.slot.missing", "Yêu cầu ký phải chỉ rõ ô chữ ký trên hồ sơ.")
    if _SLOT_ROLE.get(grant.role) is not slot.role:
        return Denial(
            "deny.slot.role",
            f"Ô «{slot.role.label}» không dành cho {grant.role.label}; mỗi người chỉ ký ô "
            "của vai trò mình.",
        )
    # the seal slot names the school, every other slot a person
    expected = r.school if slot.role is SignerRole.SCHOOL_SEAL else grant.person_id
    if slot.signer_id != expected:
        return Denial(
            "deny.slot.signer",
            f"Ô «{slot.role.label}» được phân cho {slot.signer_id or 'chưa ai'}, không phải "
            f"{expected}; chỉ người được phân trong quy trình ký mới ký ô này.",
        )
    if slot.role is SignerRole.SUBJECT_TEACHER and slot.subject != grant.scope.subject:
        return Denial(
            "deny.slot.subject",
            f"Ô ký môn {slot.subject} không thuộc môn được giao ({grant.scope.subject}).",
        )
    return None


def _correction(r: ResourceRef) -> Denial | None:
    if r.correction is None:
        return Denial("deny.correction.missing", "Yêu cầu phải chỉ rõ đề nghị đính chính nào.")
    return None


def _undecided(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if (d := _correction(r)) is not None:
        return d
    c = r.correction
    assert c is not None
    if c.approved_by is not None or c.rejected_by is not None:
        return Denial(
            "deny.workflow.decided",
            "Đề nghị đính chính này đã được phê duyệt hoặc từ chối; không quyết định lại.",
        )
    return None


def _approved(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if (d := _correction(r)) is not None:
        return d
    c = r.correction
    assert c is not None
    if c.rejected_by is not None:
        return Denial("deny.workflow.rejected", "Đề nghị đính chính này đã bị từ chối.")
    if c.approved_by is None:
        return Denial(
            "deny.workflow.not_approved",
            "Đề nghị đính chính chưa được Hiệu trưởng phê duyệt: chưa thể chứng kiến (Điều 11.4).",
        )
    return None


def _not_requester(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if r.correction is not None and r.correction.requested_by == account:
        return Denial(
            "deny.sod.requester",
            "Người đề nghị đính chính không được tự phê duyệt, từ chối hay chứng kiến đề nghị "
            "của chính mình (Điều 11.4).",
        )
    return None


def _not_approver(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if r.correction is not None and r.correction.approved_by == account:
        return Denial(
            "deny.sod.approver",
            "Người phê duyệt đính chính không được đồng thời làm người chứng kiến (Điều 11.4).",
        )
    return None


def _not_witnessed(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if r.correction is not None and account in r.correction.witnessed_by:
        return Denial(
            "deny.sod.witness_twice",
            "Tài khoản này đã chứng kiến việc đính chính; cần người chứng kiến thứ hai "
            "(Ban quản trị và giáo viên chủ nhiệm là hai người khác nhau).",
        )
    return None


def _school_board(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if grant.scope.tier is not Tier.SCHOOL:
        return Denial(
            "deny.tier",
            "Chỉ thành viên Ban quản trị HSĐT của nhà trường chứng kiến việc đính chính; "
            f"vai trò này ở {grant.scope.tier.label}.",
        )
    return None


def _not_self(account: str, grant: Grant, r: ResourceRef) -> Denial | None:
    if r.account is not None and r.account == account:
        return Denial(
            "deny.sod.self",
            "Không ai tự cấp, thu hồi quyền hay mở khoá tài khoản của chính mình; hãy nhờ một "
            "quản trị viên khác.",
        )
    return None


OWN_SLOT = Check(
    "own_slot",
    "chỉ ô ký của vai trò mình, được quy trình ký phân đích danh (môn mình với GVBM; "
    "ô con dấu với văn thư)",
    _own_slot,
)
UNDECIDED = Check("undecided", "đề nghị chưa được phê duyệt hay từ chối", _undecided)
APPROVED = Check("approved", "đề nghị đã được Hiệu trưởng phê duyệt", _approved)
NOT_REQUESTER = Check("not_requester", "không phải người đề nghị", _not_requester)
NOT_APPROVER = Check("not_approver", "không phải người phê duyệt", _not_approver)
NOT_WITNESSED = Check("not_witnessed", "chưa chứng kiến đề nghị này", _not_witnessed)
SCHOOL_BOARD = Check("school_board", "chỉ Ban quản trị cấp trường", _school_board)
NOT_SELF = Check("not_self", "không áp dụng cho tài khoản của chính mình", _not_self)
