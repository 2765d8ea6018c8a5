"""Signature slots: which signature fields a record book carries and who is expected in each.

Plain data shared by the renderer (which draws an empty field per slot) and the signing engine
(which fills them in the plan's order). Plans that decide the slots live in ``signing.plans``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SignerRole(StrEnum):
    SUBJECT_TEACHER = "subject_teacher"
    HOMEROOM_TEACHER = "homeroom_teacher"
    PRINCIPAL = "principal"
    SCHOOL_SEAL = "school_seal"

    @property
    def label(self) -> str:
        return {
            SignerRole.SUBJECT_TEACHER: "Giáo viên bộ môn",
            SignerRole.HOMEROOM_TEACHER: "Giáo viên chủ nhiệm",
            SignerRole.PRINCIPAL: "Hiệu trưởng",
            SignerRole.SCHOOL_SEAL: "Chữ ký số của nhà trường",
        }[self]


@dataclass(frozen=True)
class SignatureSlot:
    field_name: str  # PDF signature field name: "gvbm_TOAN", "gvcn", "hieu_truong", "con_dau"
    role: SignerRole
    label: str  # caption shown on the form, e.g. "Giáo viên bộ môn Toán"
    signer_id: str | None  # teacher id expected in this slot; the school code for the seal
    signer_name: str  # printed under the signature ("Ký và ghi rõ họ tên")
    subject: str | None = None  # subject code for subject-teacher slots
    required: bool = True
    order: int = 0  # slots with the same order may sign in any order among themselves
    locks: tuple[str, ...] = ()  # form fields this signature locks (FieldMDP)
