"""The Vietnamese text form of a check report, for the terminal (``hsdt check FILE``).

Findings come first, grouped by severity, each with its code, where it is, what is wrong and what
to do; then a compact table of the recomputed results, class by class; the counts last, so the
bottom line is what stays on screen.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from records.check import CheckReport, ClassResults
from records.findings import Finding, Severity
from records.importers import FileKind, SubjectSheet
from records.results import PromotionOutcome
from records.text import vn_number

MAX_PER_CODE = 20  # more of one code is noise on a terminal; --json has them all
PROMOTION_SHORT = {  # the table is narrow; the full wording is in the JSON and the records
    PromotionOutcome.PROMOTED: "Được lên lớp",
    PromotionOutcome.REEVALUATE: "Đánh giá lại trong hè",
    PromotionOutcome.NOT_PROMOTED: "Không được lên lớp",
    PromotionOutcome.COMPLETED: "Hoàn thành chương trình",
    PromotionOutcome.NOT_COMPLETED: "Chưa hoàn thành CT",
    PromotionOutcome.PENDING: "Chưa đủ dữ liệu",
}
KIND_LABELS = {
    FileKind.JSON: "JSON chuẩn hsdt",
    FileKind.XLSX: "bảng tính mẫu của một lớp",
    FileKind.CSV: "bảng điểm CSV của một môn",
}


def format_check_report(report: CheckReport) -> str:
    lines: list[str] = []
    kind = KIND_LABELS.get(report.kind, "không xác định") if report.kind else "không đọc được"
    lines.append(f"Kiểm tra tệp {report.file} ({kind})")
    lines.append("")
    for severity, heading in ((Severity.ERROR, "LỖI"), (Severity.WARNING, "CẢNH BÁO")):
        group = [f for f in report.findings if f.severity is severity]
        if group:
            lines.append(f"{heading} ({len(group)})")
            lines += _findings(group)
            lines.append("")
    if report.classes:
        lines.append("KẾT QUẢ TÍNH LẠI THEO QUY ĐỊNH")
        for cls in report.classes:
            lines += _class_table(cls)
            lines.append("")
    if report.sheet is not None:
        lines.append("KẾT QUẢ TÍNH LẠI THEO QUY ĐỊNH")
        lines += _sheet_table(report.sheet)
        lines.append("")
    lines.append(_bottom_line(report))
    return "\n".join(lines)


def _findings(group: list[Finding]) -> list[str]:
    out: list[str] = []
    shown: Counter[str] = Counter()
    hidden: Counter[str] = Counter()
    for f in group:
        if shown[f.code] >= MAX_PER_CODE:
            hidden[f.code] += 1
            continue
        shown[f.code] += 1
        out.append(f"  • [{f.code}] {f.info.title}")
        out.append(f"    Ở đâu:    {f.location.describe()}")
        out.append(f"    Chi tiết: {f.detail}")
        out.append(f"    Cách sửa: {f.info.hint}")
    for code, n in hidden.items():
        out.append(f"  … và {n} phát hiện khác mã [{code}] (xem đủ bằng «hsdt check --json»).")
    return out


def _cell(value: object, width: int) -> str:
    text = "—" if value is None or value == "" else str(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.ljust(width)


def _row(values: list[tuple[object, int]]) -> str:
    return "  " + " ".join(_cell(v, w) for v, w in values).rstrip()


def _class_table(cls: ClassResults) -> list[str]:
    rule = cls.rule_set or "chưa có quy định đánh giá"
    out = [f"Lớp {cls.id} — khối {cls.grade} — {rule} — {len(cls.students)} học sinh"]
    if cls.rule_set is None:
        return [*out, "  (không tính được kết quả: xem lỗi rules.none ở trên)"]
    primary = any(s.primary is not None for s in cls.students)
    if primary:
        out.append(
            _row([("Mã HS", 12), ("Họ và tên", 24), ("Kết quả giáo dục", 20), ("Danh hiệu", 30)])
        )
        for s in cls.students:
            p = s.primary
            out.append(
                _row(
                    [
                        (s.code, 12),
                        (s.full_name, 24),
                        (p.result.value if p and p.result else "chưa đủ dữ liệu", 20),
                        (p.title.value if p and p.title else "", 30),
                    ]
                )
            )
        return out
    out.append(
        _row(
            [
                ("Mã HS", 12),
                ("Họ và tên", 24),
                ("Học tập CN", 10),
                ("Rèn luyện CN", 12),
                ("Lên lớp", 23),
                ("Danh hiệu", 18),
            ]
        )
    )
    for s in cls.students:
        r = s.secondary
        if r is None:
            out.append(_row([(s.code, 12), (s.full_name, 24), ("chưa có dữ liệu", 20)]))
            continue
        out.append(
            _row(
                [
                    (s.code, 12),
                    (s.full_name, 24),
                    (r.learning_year.value if r.learning_year else None, 10),
                    (r.conduct_year.value if r.conduct_year else None, 12),
                    (PROMOTION_SHORT.get(r.promotion, r.promotion.value), 23),
                    (r.title.value if r.title else "", 18),
                ]
            )
        )
    return out


def _num(value: Decimal | None) -> str | None:
    return vn_number(value) if value is not None else None


def _sheet_table(sheet: SubjectSheet) -> list[str]:
    out = [
        f"Lớp {sheet.class_id} — khối {sheet.grade} — môn {sheet.subject} — "
        f"{sheet.rule_set or 'chưa có quy định đánh giá'} — {len(sheet.rows)} học sinh"
    ]
    out.append(_row([("Mã HS", 12), ("Họ và tên", 24), ("HK I", 6), ("HK II", 6), ("Cả năm", 6)]))
    for r in sheet.rows:
        c = r.computed
        if c is None:
            values: list[object] = [None, None, None]
        elif c.scored:
            values = [_num(c.term1_average), _num(c.term2_average), _num(c.year_average)]
        else:
            values = [c.term1_level, c.term2_level, c.year_level]
        out.append(_row([(r.code, 12), (r.full_name, 24), *((v, 6) for v in values)]))
    return out


def _bottom_line(report: CheckReport) -> str:
    errors, warnings = len(report.errors), len(report.warnings)
    students = sum(len(c.students) for c in report.classes)
    if report.sheet is not None:
        students = len(report.sheet.rows)
    size = (
        f"{len(report.classes)} lớp, {students} học sinh; "
        if report.classes
        else (f"{students} học sinh; " if report.sheet else "")
    )
    if report.ok:
        tail = "có thể nhập." if not warnings else "có thể nhập; nên xem lại các cảnh báo."
        return f"KẾT LUẬN: ĐẠT — {size}0 lỗi, {warnings} cảnh báo: {tail}"
    return (
        f"KẾT LUẬN: KHÔNG ĐẠT — {size}{errors} lỗi, {warnings} cảnh báo. "
        "Tệp có lỗi sẽ không được nhập (không lưu gì); sửa các lỗi rồi kiểm tra lại."
    )
