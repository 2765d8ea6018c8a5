"""Sổ theo dõi và đánh giá học sinh (theo lớp học), THCS/THPT, one class and year — forms.md §4.

Cover, then the class roster (sơ yếu lý lịch), then per subject a "PHẦN II – GHI ĐIỂM" block:
scored subjects ĐĐGtx 1..n, ĐĐGgk, ĐĐGck, ĐTBmhk for each term, ĐTBmcn and the re-test; comment
subjects Đ/CĐ per term and year. Each subject teacher's signature field follows the subject's
student list (the book's rule: the teacher signs at the end of the list). Then the year summary
(subject results, KQRL, KQHT, absences, promotion, titles) and the homeroom teacher's and the
principal's blocks. A4 landscape.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, PageBreak, Spacer

from render.common import (
    A4_LANDSCAPE,
    SIGN_HINT,
    PageGeometry,
    VerticalText,
    grid,
    homeroom_and_principal,
    info_line,
    national_header,
    para,
    plain,
    section,
    signature_block,
    styles,
)
from render.fields import FieldRecorder
from render.fonts import BOLD
from render.text import date_vn, upper, value_text

LEVEL_NAMES = {"THCS": "trung học cơ sở", "THPT": "trung học phổ thông"}
FINAL_GRADES = {9, 12}
FONT_SIZE = 8.5
SUBJECT_FIELD = (52 * mm, 14 * mm)
MIN_NOTE_W = 30 * mm  # "Ghi chú" column


def geometry(payload: dict[str, Any]) -> PageGeometry:
    return A4_LANDSCAPE


def title(payload: dict[str, Any]) -> str:
    return (
        f"Sổ theo dõi và đánh giá học sinh – lớp {payload['class']['name']} – "
        f"năm học {payload['school_year']}"
    )


def story(payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry) -> list[Flowable]:
    names = {s["code"]: s for s in payload["students"]}
    out: list[Flowable] = [*cover(payload, page), PageBreak(), *roster(payload, page)]
    for subject in payload["subjects"]:
        out.append(PageBreak())
        out.extend(subject_block(payload, subject, names, fields, page))
    out.append(PageBreak())
    out.extend(year_summary(payload, fields, page))
    return out


def cover(payload: dict[str, Any], page: PageGeometry) -> list[Flowable]:
    st = styles()
    c = payload["class"]
    return [
        national_header(payload, page.width * 0.7),
        Spacer(1, 28 * mm),
        para("SỔ THEO DÕI VÀ ĐÁNH GIÁ HỌC SINH", st.title),
        para("(Theo lớp học)", st.italic_center),
        Spacer(1, 3 * mm),
        para(f"CẤP {upper(LEVEL_NAMES[c['level']])}", st.subtitle),
        Spacer(1, 14 * mm),
        info_line([("Trường", payload["school"]["name"])], st.center),
        info_line([("Lớp", c["name"]), ("Năm học", payload["school_year"])], st.center),
        info_line(
            [
                ("Giáo viên chủ nhiệm", c["homeroom_teacher"]["full_name"]),
                ("Sĩ số", str(c["size"])),
            ],
            st.center,
        ),
    ]


def _parents(s: dict[str, Any]) -> str:
    parts = []
    for name, job, role in (
        (s["father_name"], s["father_job"], "Cha"),
        (s["mother_name"], s["mother_job"], "Mẹ"),
        (s["guardian_name"], s["guardian_job"], "Người giám hộ"),
    ):
        if name:
            parts.append(f"{role}: {name}" + (f", {job}" if job else ""))
    return "\n".join(parts)


def roster(payload: dict[str, Any], page: PageGeometry) -> list[Flowable]:
    st = styles()
    head, small = st.head_small, st.cell_small
    w = page.width
    rows: list[list[Any]] = [
        [
            para(t, head)
            for t in (
                "Số TT",
                "Họ và tên học sinh",
                "Ngày, tháng, năm sinh",
                "Nơi sinh",
                "Nam/ Nữ",
                "Dân tộc",
                "Đối tượng ưu tiên",
                "Địa chỉ gia đình",
                "Họ và tên cha/mẹ, nghề nghiệp (hoặc người giám hộ)",
                "Những thay đổi cần chú ý trong năm học",
            )
        ]
    ]
    for s in payload["students"]:
        rows.append(
            [
                str(s["stt"]),
                para(s["full_name"], small),
                date_vn(s["birth_date"]),
                para(s["birth_place"], small),
                s["gender"],
                s["ethnicity"],
                para(s["priority_group"], small),
                para(s["address"], small),
                para(_parents(s), small),
                "",
            ]
        )
    widths = [9 * mm, 40 * mm, 18 * mm, 38 * mm, 10 * mm, 14 * mm, 18 * mm, 45 * mm, 50 * mm]
    widths.append(w - sum(widths))
    return [
        section("SƠ YẾU LÝ LỊCH HỌC SINH"),
        grid(rows, widths, font_size=FONT_SIZE, extra=[("ALIGN", (0, 1), (0, -1), "CENTER")]),
    ]


def _teacher_names(subject: dict[str, Any]) -> str:
    return ", ".join(t["full_name"] for t in subject["teachers"]) or "…"


def subject_block(
    payload: dict[str, Any],
    subject: dict[str, Any],
    names: dict[str, Any],
    fields: FieldRecorder,
    page: PageGeometry,
) -> list[Flowable]:
    table = (
        _scored_table(subject, names, page)
        if subject["scored"]
        else _comment_table(subject, names, page)
    )
    field_name = f"gvbm_{subject['code']}"
    slot = fields.slot(field_name)
    signer = (
        slot.signer_name
        if slot
        else (subject["teachers"][0]["full_name"] if subject["teachers"] else "")
    )
    col = 80 * mm
    block = signature_block(
        fields, field_name, ["Giáo viên bộ môn"], SIGN_HINT, signer, col, field_size=SUBJECT_FIELD
    )
    return [
        section("PHẦN II – GHI ĐIỂM"),
        info_line(
            [
                ("Môn học", subject["name"]),
                ("Giáo viên", _teacher_names(subject)),
                ("Lớp", payload["class"]["name"]),
                ("Năm học", payload["school_year"]),
            ]
        ),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 2 * mm),
        CondPageBreak(40 * mm),
        KeepTogether([plain([["", block]], [page.width - col, col])]),
    ]


def _scored_table(subject: dict[str, Any], names: dict[str, Any], page: PageGeometry) -> Flowable:
    st = styles()
    head = st.head_small
    n = max(
        subject["regular_count"],
        *(len(t["regular"]) for e in subject["entries"] for t in e["terms"]),
    )
    per_term = n + 3
    r0: list[Any] = [para("Số TT", head), para("Họ và tên", head)]
    r1: list[Any] = ["", ""]
    r2: list[Any] = ["", ""]
    spans: list[tuple[Any, ...]] = [("SPAN", (0, 0), (0, 2)), ("SPAN", (1, 0), (1, 2))]
    col = 2
    for roman in ("I", "II"):
        r0 += [para(f"Học kì {roman}", head)] + [""] * (per_term - 1)
        spans.append(("SPAN", (col, 0), (col + per_term - 1, 0)))
        r1 += [para("ĐĐGtx", head)] + [""] * (n - 1)
        spans.append(("SPAN", (col, 1), (col + n - 1, 1)))
        r2 += [para(str(i + 1), head) for i in range(n)]
        for label in ("ĐĐGgk", "ĐĐGck", f"ĐTBmhk {roman}"):
            r1.append(para(label, head))
            r2.append("")
            spans.append(("SPAN", (col + n, 1), (col + n, 2)))
            col += 1
        col += n
    for label in ("ĐTBmcn", "Đánh giá lại", "Ghi chú"):
        r0.append(para(label, head))
        r1.append("")
        r2.append("")
        spans.append(("SPAN", (col, 0), (col, 2)))
        col += 1
    rows: list[list[Any]] = [r0, r1, r2]
    for i, e in enumerate(subject["entries"]):
        cells: list[Any] = [str(i + 1), para(names[e["student"]]["full_name"], st.cell_small)]
        for term in e["terms"]:
            regular = [value_text(v) for v in term["regular"]]
            cells += regular + [""] * (n - len(regular))
            cells += [value_text(term["midterm"]), value_text(term["final"])]
            cells.append(value_text(e["term1"] if term is e["terms"][0] else e["term2"]))
        cells += [value_text(e["year"]), value_text(e["retest"]), ""]
        rows.append(cells)
    w = page.width
    # averages get room for their headers ("ĐTBmcn"); the assessments share what is left
    avg_w = 12.5 * mm
    value_cols = 2 * (n + 2) + 1  # ĐĐGtx 1..n, ĐĐGgk, ĐĐGck per term; đánh giá lại
    value_w = min(12 * mm, (w - 8 * mm - 46 * mm - MIN_NOTE_W - 3 * avg_w) / value_cols)
    term = [value_w] * (n + 2) + [avg_w]
    widths = [8 * mm, 46 * mm, *term, *term, avg_w, value_w]
    widths.append(w - sum(widths))
    bold_cols = [2 + n + 2, 2 + 2 * (n + 3) - 1, 2 + 2 * (n + 3)]
    return grid(
        rows,
        widths,
        header_rows=3,
        font_size=FONT_SIZE,
        extra=[
            *spans,
            ("ALIGN", (0, 3), (0, -1), "CENTER"),
            ("LEFTPADDING", (2, 0), (-1, 2), 1),
            ("RIGHTPADDING", (2, 0), (-1, 2), 1),
            *[("FONT", (c, 3), (c, -1), BOLD, FONT_SIZE) for c in bold_cols],
        ],
    )


def _comment_table(subject: dict[str, Any], names: dict[str, Any], page: PageGeometry) -> Flowable:
    st = styles()
    head = st.head_small
    r0 = [para(t, head) for t in ("Số TT", "Họ và tên", "Mức đánh giá: Đạt (Đ), Chưa đạt (CĐ)")]
    r0 += ["", "", para("Mức đánh giá lại", head), para("Ghi chú", head)]
    r1 = ["", "", para("Học kì I", head), para("Học kì II", head), para("Cả năm", head), "", ""]
    spans = [
        ("SPAN", (0, 0), (0, 1)),
        ("SPAN", (1, 0), (1, 1)),
        ("SPAN", (2, 0), (4, 0)),
        ("SPAN", (5, 0), (5, 1)),
        ("SPAN", (6, 0), (6, 1)),
    ]
    rows: list[list[Any]] = [r0, r1]
    for i, e in enumerate(subject["entries"]):
        rows.append(
            [
                str(i + 1),
                para(names[e["student"]]["full_name"], st.cell_small),
                value_text(e["term1"]),
                value_text(e["term2"]),
                value_text(e["year"]),
                value_text(e["retest"]),
                "",
            ]
        )
    widths = [8 * mm, 42 * mm, 20 * mm, 20 * mm, 20 * mm, 22 * mm]
    widths.append(page.width - sum(widths))
    return grid(
        rows,
        widths,
        header_rows=2,
        font_size=FONT_SIZE,
        extra=[*spans, ("ALIGN", (0, 2), (0, -1), "CENTER")],
    )


def year_summary(
    payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry
) -> list[Flowable]:
    st = styles()
    head = st.head_small
    c = payload["class"]
    final = c["grade"] in FINAL_GRADES
    subjects = payload["subjects"]
    results = {s["code"]: {e["student"]: e["year"] for e in s["entries"]} for s in subjects}
    names = {s["code"]: s for s in payload["students"]}
    outcome_labels = (
        (
            "Hoàn thành chương trình",
            "Kiểm tra, đánh giá lại hoặc rèn luyện hè",
            "Chưa hoàn thành chương trình",
        )
        if final
        else ("Được lên lớp", "Kiểm tra, đánh giá lại hoặc rèn luyện hè", "Không được lên lớp")
    )
    outcome_values = (
        (
            "Hoàn thành chương trình",
            "Kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè",
            "Chưa hoàn thành chương trình",
        )
        if final
        else (
            "Được lên lớp",
            "Kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè",
            "Không được lên lớp",
        )
    )
    r0: list[Any] = [
        para("Số TT", head),
        para("Họ và tên", head),
        para("Kết quả đánh giá cả năm các môn học, hoạt động giáo dục", head),
    ]
    r0 += [""] * (len(subjects) - 1)
    r0 += [para("Mức đánh giá", head), "", para("Tổng số buổi nghỉ học", head)]
    r0 += [para(label, head) for label in outcome_labels] + [para("Khen thưởng", head)]
    r1: list[Any] = ["", ""] + [VerticalText(s["short_name"]) for s in subjects]
    r1 += [para("Rèn luyện", head), para("Học tập", head), ""] + [""] * 3 + [""]
    k = len(subjects)
    tail = 2 + k
    spans = [
        ("SPAN", (0, 0), (0, 1)),
        ("SPAN", (1, 0), (1, 1)),
        ("SPAN", (2, 0), (1 + k, 0)),
        ("SPAN", (tail, 0), (tail + 1, 0)),
        *[("SPAN", (col, 0), (col, 1)) for col in range(tail + 2, tail + 7)],
    ]
    rows: list[list[Any]] = [r0, r1]
    for i, summary in enumerate(payload["summaries"]):
        code = summary["student"]
        outcome = summary["promotion"]
        rows.append(
            [str(i + 1), para(names[code]["full_name"], st.cell_small)]
            + [value_text(results[s["code"]].get(code)) for s in subjects]
            + [
                value_text(summary["conduct"]["year"]),
                value_text(summary["learning"]["year"]),
                value_text(summary["absences"]["year"]),
            ]
            + ["x" if outcome == v else "" for v in outcome_values]
            + [
                para(
                    "; ".join(x for x in (summary["title"], summary["rewards"]) if x), st.cell_small
                )
            ]
        )
    w = page.width
    fixed = 8 * mm + 40 * mm + 2 * 13 * mm + 12 * mm + 3 * 15 * mm + 28 * mm
    subject_w = min(11 * mm, (w - fixed) / max(k, 1))
    widths = [8 * mm, 40 * mm] + [subject_w] * k + [13 * mm, 13 * mm, 12 * mm] + [15 * mm] * 3
    widths.append(w - sum(widths))
    table = grid(
        rows,
        widths,
        header_rows=2,
        font_size=FONT_SIZE,
        extra=[
            *spans,
            ("ALIGN", (0, 2), (0, -1), "CENTER"),
            ("LEFTPADDING", (2, 0), (-2, -1), 1),
            ("RIGHTPADDING", (2, 0), (-2, -1), 1),
        ],
    )
    return [
        section("TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CẢ NĂM HỌC"),
        info_line([("Lớp", c["name"]), ("Năm học", payload["school_year"])]),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 4 * mm),
        CondPageBreak(55 * mm),
        homeroom_and_principal(payload, fields, 95 * mm, w),
    ]
