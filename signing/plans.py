"""Signing plans: who signs which record, in which order.

The default plans follow the Lào Cai regulation (Điều 7–9, 12): subject teachers (any order among
themselves) → homeroom teacher → principal → school seal.
"""

from __future__ import annotations

from records.documents import RecordDocument, RecordType
from records.slots import SignatureSlot, SignerRole


def default_slots(doc: RecordDocument) -> list[SignatureSlot]:
    """The default plan's slots for a record document, from its payload."""
    p = doc.payload
    homeroom = p["class"]["homeroom_teacher"]
    principal = p["principal"]
    slots: list[SignatureSlot] = []
    if doc.record_type in (RecordType.HOC_BA_TRUNG_HOC, RecordType.SO_THEO_DOI):
        for subject in p["subjects"]:
            teachers = subject["teachers"]
            if not teachers:
                continue
            t = teachers[0]
            slots.append(
                SignatureSlot(
                    field_name=f"gvbm_{subject['code']}",
                    role=SignerRole.SUBJECT_TEACHER,
                    label=f"{SignerRole.SUBJECT_TEACHER.label} {subject['name']}",
                    signer_id=t["id"],
                    signer_name=t["full_name"],
                    subject=subject["code"],
                    order=1,
                )
            )
    slots.append(
        SignatureSlot(
            "gvcn",
            SignerRole.HOMEROOM_TEACHER,
            SignerRole.HOMEROOM_TEACHER.label,
            homeroom["id"],
            homeroom["full_name"],
            order=2,
        )
    )
    slots.append(
        SignatureSlot(
            "hieu_truong",
            SignerRole.PRINCIPAL,
            SignerRole.PRINCIPAL.label,
            principal["id"],
            principal["full_name"],
            order=3,
        )
    )
    if doc.record_type in (RecordType.HOC_BA_TRUNG_HOC, RecordType.HOC_BA_TIEU_HOC):
        slots.append(
            SignatureSlot(
                "con_dau",
                SignerRole.SCHOOL_SEAL,
                SignerRole.SCHOOL_SEAL.label,
                p["school"]["code"],
                p["school"]["name"],
                order=4,
            )
        )
    return slots
