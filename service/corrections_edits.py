"""The proposed change of a correction, expressed against the data (never the PDF): field edits.

An edit names a student of the record's class, optionally a subject and (primary schools) an
assessment point, a field path inside that part of the dataset, the value stored now and the new
value. Pure: ``apply_edits`` checks every old value against the stored dataset (``StaleEdit``),
builds the corrected dataset and validates it with the records rules (``InvalidCorrection`` with
the findings, located in the dataset). Nothing is stored here.

Field paths (dotted, list positions as numbers), relative to:

- secondary, with a subject: ``secondary.subjects[SUBJECT]`` — ``term1.final``, ``term2.midterm``,
  ``term1.regular.0``, ``comment1.level``, ``retest_score``, ``comment``, ``submitted_year_average``
- secondary, no subject: ``secondary`` — ``conduct_year``, ``absences_term1``, ``homeroom_comment``
- primary, with a point and a subject: ``primary.points[POINT].subjects[SUBJECT]`` — ``level``,
  ``score``, ``comment``; with a point only: ``qualities.TU_CHU``, ``comment``; neither:
  ``absences_excused``, ``height_cm``…
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, cast

from pydantic import ValidationError

from records.documents import RecordDocument, all_documents
from records.findings import Finding, Severity
from records.model import Dataset
from records.validate import validate_dataset
from service.errors import HsdtError

__all__ = [
    "FieldEdit",
    "InvalidCorrection",
    "StaleEdit",
    "affected_documents",
    "apply_edits",
    "parse_target",
]

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class FieldEdit:
    student: str
    field: str  # dotted path, see the module docstring
    old: str  # the value stored now, as text ("" = empty)
    new: str  # the value it should have ("" = empty; removes a regular score)
    subject: str | None = None
    point: str | None = None  # primary assessment point: GK1, CK1, GK2, CN

    @property
    def target(self) -> str:
        """``HS001@CK1/TOAN/level``: how the CLI writes it and messages show it."""
        student = self.student + (f"@{self.point}" if self.point else "")
        return "/".join([student, *([self.subject] if self.subject else []), self.field])

    def to_json(self) -> dict[str, Any]:
        return {
            "student": self.student,
            "subject": self.subject,
            "point": self.point,
            "field": self.field,
            "old": self.old,
            "new": self.new,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> FieldEdit:
        return FieldEdit(
            student=str(data["student"]),
            field=str(data["field"]),
            old=_nfc(str(data.get("old") if data.get("old") is not None else "")),
            new=_nfc(str(data.get("new") if data.get("new") is not None else "")),
            subject=data.get("subject") or None,
            point=data.get("point") or None,
        )


class StaleEdit(HsdtError):
    """An old value does not match the stored data: the request was made against other data."""

    code = "correction.stale"


class InvalidCorrection(HsdtError):
    """The edits do not apply, or the corrected data does not pass validation; nothing stored."""

    exit_code = 1
    code = "correction.invalid"

    def __init__(
        self, message: str, *, hint: str | None = None, findings: tuple[Finding, ...] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.findings = findings


def parse_target(target: str, old: str, new: str) -> FieldEdit:
    """``STUDENT[@POINT][/SUBJECT]/FIELD`` with its old and new value (CLI form)."""
    parts = [p.strip() for p in target.split("/")]
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidCorrection(
            f"Không hiểu chỗ cần sửa «{target}».",
            hint="Viết HỌC_SINH/TRƯỜNG hoặc HỌC_SINH/MÔN/TRƯỜNG, ví dụ HS0001/TOAN/term1.final; "
            "tiểu học thêm đợt đánh giá: HS0001@CK1/TOAN/level.",
        )
    student, _, point = parts[0].partition("@")
    subject = parts[1] if len(parts) == 3 else None
    return FieldEdit(student, parts[-1], _nfc(old), _nfc(new), subject, point or None)


def apply_edits(
    ds: Dataset, class_id: str, edits: tuple[FieldEdit, ...], *, student: str | None = None
) -> Dataset:
    """The dataset with ``edits`` applied to class ``class_id`` (and, for a one-student record,
    only ``student``), validated. Raises ``StaleEdit`` or ``InvalidCorrection``."""
    if not edits:
        raise InvalidCorrection(
            "Đề nghị đính chính chưa có thay đổi nào.",
            hint="Ghi ít nhất một thay đổi: chỗ cần sửa, giá trị cũ, giá trị mới.",
        )
    data = ds.model_dump(mode="python")
    classes = [c for c in data["classes"] if c["id"] == class_id]
    if not classes:
        raise InvalidCorrection(f"Dữ liệu đã lưu không có lớp {class_id}.")
    seen: set[tuple[str, str | None, str | None, str]] = set()
    for edit in edits:
        key = (edit.student, edit.point, edit.subject, edit.field)
        if key in seen:
            raise InvalidCorrection(f"{edit.target}: ghi hai lần trong cùng một đề nghị.")
        seen.add(key)
        if student is not None and edit.student != student:
            raise InvalidCorrection(
                f"{edit.target}: hồ sơ này là của học sinh {student}, không phải {edit.student}.",
                hint="Mỗi đề nghị chỉ sửa dữ liệu có trên hồ sơ được đính chính.",
            )
        _apply_one(classes[0], edit)
    try:
        corrected = Dataset.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidCorrection(
            f"Giá trị mới «{first.get('input')}» không đúng kiểu của trường ({where}); "
            "không lưu gì.",
            hint="Kiểm tra giá trị mới: điểm là số (ví dụ 8,5), mức đánh giá đúng như trong "
            "sổ (Tốt, Khá, Đạt, Chưa đạt; Đ, CĐ; T, H, C).",
        ) from None
    errors = tuple(f for f in validate_dataset(corrected) if f.severity is Severity.ERROR)
    if errors:
        listed = "\n".join(f"  - {f.describe()}" for f in errors[:10])
        more = f"\n  (và {len(errors) - 10} lỗi khác)" if len(errors) > 10 else ""
        raise InvalidCorrection(
            f"Dữ liệu sau khi đính chính không hợp lệ ({len(errors)} lỗi); không lưu gì:\n"
            f"{listed}{more}",
            hint="Sửa đề nghị cho đúng; nếu điểm thay đổi làm lệch điểm trung bình hay kết quả "
            "đã ghi trong sổ (submitted_…), ghi cả thay đổi của các giá trị đó.",
            findings=errors,
        )
    return corrected


def affected_documents(
    before: Dataset, after: Dataset, class_id: str
) -> tuple[RecordDocument, ...]:
    """The record documents of the class whose content the correction changes."""
    old = {d.document_id: d.payload for d in _class_documents(before, class_id)}
    return tuple(
        d for d in _class_documents(after, class_id) if old.get(d.document_id) != d.payload
    )


def _class_documents(ds: Dataset, class_id: str) -> list[RecordDocument]:
    only = ds.model_copy(update={"classes": [c for c in ds.classes if c.id == class_id]})
    return list(all_documents(only))


# ------------------------------------------------------------------ one edit


def _apply_one(cls: dict[str, Any], edit: FieldEdit) -> None:
    enrolled = next((s for s in cls["students"] if s["student"]["code"] == edit.student), None)
    if enrolled is None:
        raise InvalidCorrection(
            f"{edit.target}: lớp {cls['id']} không có học sinh {edit.student}.",
            hint="Ghi đúng mã học sinh như trên hồ sơ.",
        )
    base = _base(enrolled, edit)
    steps: list[str | int] = [int(p) if p.isdigit() else p for p in edit.field.split(".")]
    parent: Any = base
    for i, step in enumerate(steps[:-1]):
        child = _get(parent, step, edit)
        if child is None:  # e.g. term2 not yet filled in: created by the edit
            child = [] if isinstance(steps[i + 1], int) else {}
            _set(parent, step, child, edit)
        parent = child
    last = steps[-1]
    stored = _get(parent, last, edit)
    if not _same(stored, edit.old):
        raise StaleEdit(
            f"{edit.target}: dữ liệu đang lưu là «{_text(stored)}», đề nghị ghi giá trị cũ là "
            f"«{edit.old}» — đề nghị được lập trên dữ liệu khác.",
            hint="Xem dữ liệu hiện hành của hồ sơ («hsdt history MÃ_HỒ_SƠ») và lập lại đề nghị "
            "với đúng giá trị đang lưu.",
        )
    if _same(stored, edit.new) and (stored is not None or edit.new == ""):
        raise InvalidCorrection(
            f"{edit.target}: giá trị mới «{edit.new}» giống giá trị đang lưu.",
            hint="Bỏ thay đổi này khỏi đề nghị.",
        )
    if isinstance(parent, list) and isinstance(last, int) and edit.new == "":
        del parent[last]  # a regular score removed
        return
    _set(parent, last, _value(stored, edit.new), edit)


def _base(enrolled: dict[str, Any], edit: FieldEdit) -> dict[str, Any]:
    secondary, primary = enrolled.get("secondary"), enrolled.get("primary")
    if secondary is not None:
        if edit.point is not None:
            raise InvalidCorrection(
                f"{edit.target}: đợt đánh giá ({edit.point}) chỉ dùng cho tiểu học.",
                hint="Bỏ phần @ĐỢT khỏi chỗ cần sửa.",
            )
        if edit.subject is None:
            result: dict[str, Any] = secondary
            return result
        return _entry(secondary["subjects"], edit.subject, edit, "môn")
    if primary is not None:
        if edit.point is None:
            if edit.subject is not None:
                raise InvalidCorrection(
                    f"{edit.target}: ghi đợt đánh giá trước môn, ví dụ {edit.student}@CK1/"
                    f"{edit.subject}/{edit.field}."
                )
            return cast(dict[str, Any], primary)
        point = _entry(primary["points"], edit.point, edit, "đợt đánh giá")
        if edit.subject is None:
            return point
        return _entry(point["subjects"], edit.subject, edit, "môn")
    raise InvalidCorrection(f"{edit.target}: học sinh {edit.student} chưa có dữ liệu đánh giá.")


def _entry(mapping: dict[Any, Any], key: str, edit: FieldEdit, what: str) -> dict[str, Any]:
    for k, v in mapping.items():
        if str(getattr(k, "value", k)) == key:
            if v is None:
                raise InvalidCorrection(f"{edit.target}: {what} {key} chưa có dữ liệu.")
            return cast(dict[str, Any], v)
    raise InvalidCorrection(
        f"{edit.target}: học sinh {edit.student} không có {what} {key} trong dữ liệu đã lưu.",
        hint=f"Ghi đúng mã {what} như trong dữ liệu (ví dụ TOAN, NGU_VAN; CK1, CN).",
    )


def _get(parent: Any, step: str | int, edit: FieldEdit) -> Any:
    if isinstance(parent, list) and isinstance(step, int):
        return parent[step] if step < len(parent) else None
    if isinstance(parent, dict) and isinstance(step, str):
        return parent.get(step)
    raise InvalidCorrection(
        f"{edit.target}: không có trường «{edit.field}» ở chỗ này.",
        hint="Xem tên các trường trong docs/corrections.md (ví dụ term1.final, conduct_year).",
    )


def _set(parent: Any, step: str | int, value: Any, edit: FieldEdit) -> None:
    if isinstance(parent, list) and isinstance(step, int):
        if step < len(parent):
            parent[step] = value
        elif step == len(parent):
            parent.append(value)
        else:
            raise InvalidCorrection(
                f"{edit.target}: vị trí {step} vượt quá {len(parent)} điểm đang có.",
                hint=f"Thêm điểm mới ở vị trí {len(parent)}.",
            )
        return
    if isinstance(parent, dict) and isinstance(step, str):
        parent[step] = value
        return
    raise InvalidCorrection(f"{edit.target}: không có trường «{edit.field}» ở chỗ này.")


def _value(stored: Any, text: str) -> Any:
    """The new value as the model takes it; pydantic converts and checks the type."""
    if isinstance(stored, str):
        return text
    if text == "":
        return None
    if _NUMBER.fullmatch(text):
        return text.replace(",", ".")
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return _nfc(str(value))


def _same(stored: Any, text: str) -> bool:
    shown = _text(stored)
    if not isinstance(stored, str) and _NUMBER.fullmatch(text) and _NUMBER.fullmatch(shown):
        try:
            return Decimal(shown.replace(",", ".")) == Decimal(text.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return False
    return shown == _nfc(text)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())
