"""Signing plans: expansion into slots, FieldMDP lock sets, order and scope enforcement."""

from __future__ import annotations

from typing import Any

import pytest

from records.documents import RecordDocument, RecordType
from records.slots import SignerRole
from signing.plans import (
    PlanError,
    PlanRegistry,
    PlanViolation,
    SigningPlan,
    check_signature_allowed,
    default_slots,
    plan_complete,
    slots_for,
)


def _doc(record_type: RecordType = RecordType.HOC_BA_TRUNG_HOC) -> RecordDocument:
    payload: dict[str, Any] = {
        "province": {"code": "10", "name": "Lào Cai"},
        "school": {"code": "LC01", "name": "Trường THCS Bản Xèo"},
        "class": {"homeroom_teacher": {"id": "GV9", "full_name": "Lò Thị Dung"}},
        "principal": {"id": "HT", "full_name": "Trần Thị Hoa"},
        "subjects": [
            {
                "code": "TOAN",
                "name": "Toán",
                "teachers": [{"id": "GV1", "full_name": "Nguyễn Văn An"}],
            },
            {
                "code": "NGU_VAN",
                "name": "Ngữ văn",
                "teachers": [{"id": "GV2", "full_name": "Giàng Thị Mai"}],
            },
            {"code": "GDDP", "name": "Nội dung giáo dục của địa phương", "teachers": []},
        ],
    }
    return RecordDocument("HB-LC01-2025-1", record_type, "8A1", "1", None, payload)


def test_default_secondary_hoc_ba_plan() -> None:
    slots = default_slots(_doc())
    assert [s.field_name for s in slots] == [
        "gvbm_TOAN",
        "gvbm_NGU_VAN",
        "gvcn",
        "hieu_truong",
        "con_dau",
    ]
    assert [s.order for s in slots] == [1, 1, 2, 3, 4]
    by = {s.field_name: s for s in slots}
    assert by["gvbm_TOAN"].label == "Giáo viên bộ môn Toán" and by["gvbm_TOAN"].signer_id == "GV1"
    assert by["gvcn"].locks == ("gvbm_TOAN", "gvbm_NGU_VAN", "gvcn")
    assert set(by["con_dau"].locks) == set(by)  # the seal locks the whole form
    assert by["con_dau"].role is SignerRole.SCHOOL_SEAL and by["con_dau"].signer_id == "LC01"


def test_primary_and_class_summary_plans_have_no_subject_slots() -> None:
    assert [s.field_name for s in default_slots(_doc(RecordType.HOC_BA_TIEU_HOC))] == [
        "gvcn",
        "hieu_truong",
        "con_dau",
    ]
    assert [s.field_name for s in default_slots(_doc(RecordType.BANG_TONG_HOP))] == [
        "gvcn",
        "hieu_truong",
    ]


def test_order_and_scope_are_enforced() -> None:
    slots = default_slots(_doc())
    with pytest.raises(PlanViolation) as e:
        check_signature_allowed(slots, set(), "hieu_truong", "HT")
    assert e.value.code == "plan.out_of_order" and "Nguyễn Văn An" in e.value.message
    with pytest.raises(PlanViolation) as e:
        check_signature_allowed(slots, set(), "gvbm_TOAN", "GV2")  # another subject's teacher
    assert e.value.code == "plan.out_of_scope" and "Toán" in e.value.message
    # subject teachers in any order among themselves
    check_signature_allowed(slots, set(), "gvbm_NGU_VAN", "GV2")
    check_signature_allowed(slots, {"gvbm_NGU_VAN"}, "gvbm_TOAN", "GV1")
    signed = {"gvbm_NGU_VAN", "gvbm_TOAN"}
    check_signature_allowed(slots, signed, "gvcn", "GV9")
    with pytest.raises(PlanViolation) as e:
        check_signature_allowed(slots, signed | {"gvcn"}, "gvcn", "GV9")
    assert e.value.code == "plan.already_signed"
    with pytest.raises(PlanViolation) as e:
        check_signature_allowed(slots, signed | {"gvcn", "hieu_truong", "con_dau"}, "x", "GV9")
    assert e.value.code == "plan.no_such_slot"
    assert not plan_complete(slots, signed | {"gvcn", "hieu_truong"})
    assert plan_complete(slots, signed | {"gvcn", "hieu_truong", "con_dau"})


def test_a_school_plan_overrides_the_default_and_optional_slots_do_not_block() -> None:
    school_plan = {
        "id": "ban-xeo",
        "scope": {"school": "LC01"},
        "record_types": ["hoc-ba-trung-hoc"],
        "steps": [
            {"role": "subject_teacher", "order": 1, "per_subject": True, "required": False},
            {"role": "homeroom_teacher", "order": 2},
            {"role": "principal", "order": 3},
        ],
    }
    registry = PlanRegistry.load([school_plan])
    plan = registry.resolve(RecordType.HOC_BA_TRUNG_HOC, province="10", school="LC01")
    assert plan.id == "ban-xeo"
    other = registry.resolve(RecordType.HOC_BA_TRUNG_HOC, province="10", school="LC99")
    assert other.id == "default-hoc-ba-trung-hoc"
    slots = slots_for(_doc(), plan)
    check_signature_allowed(slots, set(), "gvcn", "GV9")  # optional subject slots skipped


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "x", "record_types": ["hoc-ba-trung-hoc"], "steps": []},
        {
            "id": "x",
            "record_types": ["no-such-record"],
            "steps": [{"role": "principal", "order": 1}],
        },
        {
            "id": "x",
            "record_types": ["hoc-ba-trung-hoc"],
            "steps": [{"role": "rector", "order": 1}],
        },
        {
            "id": "x",
            "record_types": ["hoc-ba-trung-hoc"],
            "steps": [{"role": "principal", "order": 1, "per_subject": True}],
        },
    ],
)
def test_malformed_plans_are_rejected_with_the_plan_name(bad: dict[str, Any]) -> None:
    with pytest.raises(PlanError, match="'x'"):
        SigningPlan.from_data(bad)
