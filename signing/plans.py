"""Signing plans: who signs which record, in which order, and what each signature locks.

Plans are plain data (JSON-compatible dicts), so a province or a school can configure its own
(``plans/*.json`` in the home) without code. The default plans follow the Lào Cai regulation
(Điều 7–9, 12, 14): subject teachers (any order among themselves) → homeroom teacher → principal →
school seal (organisation certificate), and a document timestamp after the last signature (B-LTA).

Resolution order for a record: a plan for the school, then for the province, then the default.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from records.documents import RecordDocument, RecordType
from records.slots import SignatureSlot, SignerRole

Locks = Literal["none", "own", "previous", "all"]


class PlanError(ValueError):
    """A plan definition is malformed (names the plan and the problem)."""


@dataclass(frozen=True)
class SlotRule:
    """One step of a plan. ``per_subject`` expands into one slot per subject the record has."""

    role: SignerRole
    order: int  # slots with the same order sign in any order among themselves
    required: bool = True
    per_subject: bool = False
    # FieldMDP: "own" locks nothing but the field itself; "previous" locks every field of earlier
    # orders (they can no longer be signed or cleared); "all" locks every field of the form.
    locks: Locks = "previous"


@dataclass(frozen=True)
class SigningPlan:
    id: str
    record_types: frozenset[RecordType]
    steps: tuple[SlotRule, ...]
    document_timestamp: bool = True  # B-LTA after the last required signature
    scope: Mapping[str, str] = field(default_factory=dict)  # {"province": "10"} / {"school": ...}

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> SigningPlan:
        name = str(data.get("id", "?"))
        try:
            steps = tuple(
                SlotRule(
                    role=SignerRole(s["role"]),
                    order=int(s["order"]),
                    required=bool(s.get("required", True)),
                    per_subject=bool(s.get("per_subject", False)),
                    locks=s.get("locks", "previous"),
                )
                for s in data["steps"]
            )
            types = frozenset(RecordType(t) for t in data["record_types"])
        except (KeyError, ValueError, TypeError) as exc:
            raise PlanError(f"Signing plan {name!r} is malformed: {exc!r}") from exc
        for s in steps:
            if s.locks not in ("none", "own", "previous", "all"):
                raise PlanError(f"Signing plan {name!r}: unknown locks value {s.locks!r}")
            if s.per_subject and s.role is not SignerRole.SUBJECT_TEACHER:
                raise PlanError(f"Signing plan {name!r}: only subject teachers sign per subject")
        if not steps:
            raise PlanError(f"Signing plan {name!r} has no steps")
        return SigningPlan(
            id=name,
            record_types=types,
            steps=steps,
            document_timestamp=bool(data.get("document_timestamp", True)),
            scope=dict(data.get("scope", {})),
        )


# The defaults as data: what a province file would contain.
DEFAULT_PLANS: tuple[dict[str, Any], ...] = (
    {
        "id": "default-hoc-ba-trung-hoc",
        "record_types": ["hoc-ba-trung-hoc"],
        "steps": [
            {"role": "subject_teacher", "order": 1, "per_subject": True, "locks": "own"},
            {"role": "homeroom_teacher", "order": 2, "locks": "previous"},
            {"role": "principal", "order": 3, "locks": "previous"},
            {"role": "school_seal", "order": 4, "locks": "all"},
        ],
    },
    {
        "id": "default-so-theo-doi",
        "record_types": ["so-theo-doi"],
        "steps": [
            {"role": "subject_teacher", "order": 1, "per_subject": True, "locks": "own"},
            {"role": "homeroom_teacher", "order": 2, "locks": "previous"},
            {"role": "principal", "order": 3, "locks": "all"},
        ],
    },
    {
        "id": "default-hoc-ba-tieu-hoc",
        "record_types": ["hoc-ba-tieu-hoc"],
        "steps": [
            {"role": "homeroom_teacher", "order": 2, "locks": "own"},
            {"role": "principal", "order": 3, "locks": "previous"},
            {"role": "school_seal", "order": 4, "locks": "all"},
        ],
    },
    {
        "id": "default-bang-tong-hop",
        "record_types": ["bang-tong-hop"],
        "steps": [
            {"role": "homeroom_teacher", "order": 2, "locks": "own"},
            {"role": "principal", "order": 3, "locks": "all"},
        ],
    },
)


@dataclass(frozen=True)
class PlanRegistry:
    plans: tuple[SigningPlan, ...]

    @staticmethod
    def load(extra: Sequence[Mapping[str, Any]] = ()) -> PlanRegistry:
        return PlanRegistry(tuple(SigningPlan.from_data(d) for d in (*DEFAULT_PLANS, *extra)))

    def resolve(self, record_type: RecordType, *, province: str, school: str) -> SigningPlan:
        candidates = [p for p in self.plans if record_type in p.record_types]

        def rank(p: SigningPlan) -> int:
            if p.scope.get("school") == school:
                return 0
            if p.scope.get("province") == province and "school" not in p.scope:
                return 1
            return 2 if not p.scope else 9

        best = sorted(candidates, key=rank)
        if not best or rank(best[0]) == 9:
            raise PlanError(f"No signing plan covers {record_type.value}")
        return best[0]


def slots_for(doc: RecordDocument, plan: SigningPlan) -> list[SignatureSlot]:
    """Expand a plan into the concrete slots of one record document."""
    p = doc.payload
    homeroom, principal = p["class"]["homeroom_teacher"], p["principal"]
    slots: list[SignatureSlot] = []
    for step in plan.steps:
        if step.role is SignerRole.SUBJECT_TEACHER:
            for subject in p.get("subjects", []):
                if not subject.get("teachers"):
                    continue
                t = subject["teachers"][0]
                slots.append(
                    SignatureSlot(
                        field_name=f"gvbm_{subject['code']}",
                        role=step.role,
                        label=f"{step.role.label} {subject['name']}",
                        signer_id=t["id"],
                        signer_name=t["full_name"],
                        subject=subject["code"],
                        required=step.required,
                        order=step.order,
                    )
                )
        elif step.role is SignerRole.HOMEROOM_TEACHER:
            slots.append(_slot("gvcn", step, homeroom["id"], homeroom["full_name"]))
        elif step.role is SignerRole.PRINCIPAL:
            slots.append(_slot("hieu_truong", step, principal["id"], principal["full_name"]))
        else:
            slots.append(_slot("con_dau", step, p["school"]["code"], p["school"]["name"]))
    return _with_locks(slots, plan)


def _slot(name: str, step: SlotRule, signer_id: str, signer_name: str) -> SignatureSlot:
    return SignatureSlot(
        name,
        step.role,
        step.role.label,
        signer_id,
        signer_name,
        required=step.required,
        order=step.order,
    )


def _with_locks(slots: list[SignatureSlot], plan: SigningPlan) -> list[SignatureSlot]:
    locks_of = {s.order: s.locks for s in plan.steps}
    out: list[SignatureSlot] = []
    for slot in slots:
        mode = locks_of[slot.order]
        if mode == "all":
            locked = tuple(s.field_name for s in slots)
        elif mode == "previous":
            earlier = [s.field_name for s in slots if s.order < slot.order]
            locked = (*earlier, slot.field_name)
        elif mode == "own":
            locked = (slot.field_name,)
        else:
            locked = ()
        out.append(
            SignatureSlot(
                slot.field_name,
                slot.role,
                slot.label,
                slot.signer_id,
                slot.signer_name,
                slot.subject,
                slot.required,
                slot.order,
                locked,
            )
        )
    return out


def plan_for(doc: RecordDocument, registry: PlanRegistry) -> SigningPlan:
    """The plan that governs a record document: its school's, its province's, or the default."""
    p = doc.payload
    return registry.resolve(
        doc.record_type, province=p["province"]["code"], school=p["school"]["code"]
    )


def default_slots(doc: RecordDocument) -> list[SignatureSlot]:
    """The slots of the default plan for a record document."""
    return slots_for(doc, plan_for(doc, PlanRegistry.load()))


class PlanViolation(ValueError):
    """A signature the plan does not allow now: names the slot and the reason (Vietnamese)."""

    def __init__(self, field_name: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field_name, self.code, self.message = field_name, code, message


def check_signature_allowed(
    slots: Sequence[SignatureSlot], signed: set[str], field_name: str, signer_id: str
) -> SignatureSlot:
    """The slot ``signer_id`` may sign now, or a PlanViolation saying why not.

    Order: every *required* slot of a lower order must be signed first; slots of the same order
    sign in any order among themselves. Scope: the signer must be the person the slot names
    (a teacher cannot sign another subject's row; only the school seal signs the seal slot).
    """
    slot = next((s for s in slots if s.field_name == field_name), None)
    if slot is None:
        raise PlanViolation(
            field_name,
            "plan.no_such_slot",
            f"Hồ sơ không có ô ký «{field_name}» trong kế hoạch ký.",
        )
    if field_name in signed:
        raise PlanViolation(
            field_name, "plan.already_signed", f"Ô ký «{slot.label}» đã được ký; không ký lại."
        )
    if slot.signer_id != signer_id:
        raise PlanViolation(
            field_name,
            "plan.out_of_scope",
            f"Ô ký «{slot.label}» dành cho {slot.signer_name} ({slot.signer_id}), "
            f"không phải {signer_id}.",
        )
    missing = [
        s for s in slots if s.order < slot.order and s.required and s.field_name not in signed
    ]
    if missing:
        names = ", ".join(f"«{s.label}» ({s.signer_name})" for s in missing[:5])
        more = f" và {len(missing) - 5} ô khác" if len(missing) > 5 else ""
        raise PlanViolation(
            field_name,
            "plan.out_of_order",
            f"Chưa thể ký ô «{slot.label}»: còn chờ {names}{more} ký trước.",
        )
    later = [s for s in slots if s.order > slot.order and s.field_name in signed]
    if later:
        raise PlanViolation(
            field_name,
            "plan.out_of_order",
            f"Không thể ký ô «{slot.label}» sau khi «{later[0].label}» đã ký.",
        )
    return slot


def plan_complete(slots: Sequence[SignatureSlot], signed: set[str]) -> bool:
    return all(s.field_name in signed for s in slots if s.required)
