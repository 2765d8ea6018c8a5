"""Bảng tổng hợp kết quả đánh giá giáo dục của lớp (tiểu học, TT27), one assessment point —
forms.md §3 ("Mẫu số 1 – TT27" in secondary sources).

One row per student: STT, mã học sinh, họ và tên, giới tính, ngày sinh; per subject the level
(M) and, where the point has a periodic test, the score (Đ); the five qualities; general and
specific competences; at the year end the educational result and rewards; the comment. Level
columns are narrow, with turned headers; a legend spells out every abbreviation. A3 landscape
unless the columns fit A4 landscape. Homeroom teacher and principal sign at the end.
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Spacer

from render.common import (
    A3_LANDSCAPE,
    A4_LANDSCAPE,
    PageGeometry,
    VerticalText,
    grid,
    homeroom_and_principal,
    info_line,
    national_header,
    para,
    styles,
)
from render.fields import FieldRecorder
from render.fonts import BOLD
from render.text import date_vn, upper, value_text

LEVEL_W = 6 * mm
ID_WIDTHS = (
    7 * mm,
    17 * mm,
    34 * mm,
    9 * mm,
    15.5 * mm,
)  # STT, mã HS, họ tên, giới tính, ngày sinh
RESULT_WIDTHS = (20 * mm, 26 * mm)  # kết quả giáo dục, khen thưởng (year end only)
MIN_COMMENT_W = 42 * mm
FONT_SIZE = 8


def _has_score(subject: dict[str, Any], point: str) -> bool:
    return point in subject["test_points"]


def _level_columns(payload: dict[str, Any]) -> int:
    point = payload["point"]["code"]
    subjects = sum(2 if _has_score(s, point) else 1 for s in payload["subjects"])
    return subjects + len(payload["qualities"]) + len(payload["competences"])


def _is_year_end(payload: dict[str, Any]) -> bool:
    return bool(payload["point"]["code"] == "CN")


def _fixed_width(payload: dict[str, Any]) -> float:
    extra = sum(RESULT_WIDTHS) if _is_year_end(payload) else 0
    return float(sum(ID_WIDTHS) + _level_columns(payload) * LEVEL_W + extra)


def geometry(payload: dict[str, Any]) -> PageGeometry:
    fits_a4 = _fixed_width(payload) + MIN_COMMENT_W <= A4_LANDSCAPE.width
    return A4_LANDSCAPE if fits_a4 else A3_LANDSCAPE


def title(payload: dict[str, Any]) -> str:
    return (
        f"Bảng tổng hợp kết quả đánh giá giáo dục – {payload['point']['label']} – "
        f"lớp {payload['class']['name']} – năm học {payload['school_year']}"
    )


def story(payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry) -> list[Flowable]:
    st = styles()
    c = payload["class"]
    w = page.width
    out: list[Flowable] = [
        national_header(payload, min(w, 250 * mm)),
        Spacer(1, 5 * mm),
        para(
            f"BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ GIÁO DỤC – {upper(payload['point']['label'])}",
            st.subtitle,
        ),
        Spacer(1, 2 * mm),
        info_line(
            [
                ("Trường", payload["school"]["name"]),
                ("Lớp", c["name"]),
                ("Năm học", payload["school_year"]),
            ],
            st.center,
        ),
        info_line(
            [
                ("Giáo viên chủ nhiệm", c["homeroom_teacher"]["full_name"]),
                ("Sĩ số", str(c["size"])),
            ],
            st.center,
        ),
        Spacer(1, 3 * mm),
        _table(payload, w),
        Spacer(1, 2 * mm),
        *_legend(payload),
        Spacer(1, 4 * mm),
        _signatures(payload, fields, w),
    ]
    return out


def _table(payload: dict[str, Any], width: float) -> Flowable:
    st = styles()
    point = payload["point"]["code"]
    year_end = _is_year_end(payload)
    subjects = payload["subjects"]
    qualities = payload["qualities"]
    general = [q for q in payload["competences"] if q["group"] == "năng lực chung"]
    specific = [q for q in payload["competences"] if q["group"] != "năng lực chung"]
    competences = general + specific
    head = st.head_small

    # header: 3 rows; columns built left to right with their spans
    r0: list[Any] = [
        para(t, head) for t in ("STT", "Mã học sinh", "Họ và tên", "Giới tính", "Ngày sinh")
    ]
    r1: list[Any] = [""] * 5
    r2: list[Any] = [""] * 5
    spans: list[tuple[Any, ...]] = [("SPAN", (i, 0), (i, 2)) for i in range(5)]
    col = 5
    r0.append(para("Môn học và hoạt động giáo dục", head))
    first = col
    for s in subjects:
        scored = _has_score(s, point)
        fits = stringWidth(s["short_name"], BOLD, head.fontSize) <= (2 if scored else 1) * (
            LEVEL_W - 2
        )
        r1.append(para(s["short_name"], head) if fits else VerticalText(s["short_name"]))
        r2.append(para("M", head))
        if scored:
            r1.append("")
            r2.append(para("Đ", head))
            spans.append(("SPAN", (col, 1), (col + 1, 1)))
            col += 2
        else:
            col += 1
    r0.extend([""] * (col - first - 1))
    spans.append(("SPAN", (first, 0), (col - 1, 0)))

    # turned names sit in the last header row, never in a spanned cell (reportlab sizes rows
    # from unspanned cells only, so a turned text in a span could overflow the header)
    r0.append(para("Phẩm chất chủ yếu", head))
    r0.extend([""] * (len(qualities) - 1))
    r1.extend([""] * len(qualities))
    spans.append(("SPAN", (col, 0), (col + len(qualities) - 1, 1)))
    for q in qualities:
        r2.append(VerticalText(q["name"]))
        col += 1

    r0.append(para("Năng lực cốt lõi", head))
    r0.extend([""] * (len(competences) - 1))
    spans.append(("SPAN", (col, 0), (col + len(competences) - 1, 0)))
    for group, items in (("Năng lực chung", general), ("Năng lực đặc thù", specific)):
        if not items:
            continue
        r1.append(para(group, head))
        r1.extend([""] * (len(items) - 1))
        spans.append(("SPAN", (col, 1), (col + len(items) - 1, 1)))
        for q in items:
            r2.append(VerticalText(q["name"]))
            col += 1

    tail_widths: list[float] = []
    if year_end:
        for label, cw in zip(("Kết quả giáo dục", "Khen thưởng"), RESULT_WIDTHS, strict=True):
            r0.append(para(label, head))
            r1.append("")
            r2.append("")
            spans.append(("SPAN", (col, 0), (col, 2)))
            tail_widths.append(cw)
            col += 1
    r0.append(para("Nhận xét", head))
    r1.append("")
    r2.append("")
    spans.append(("SPAN", (col, 0), (col, 2)))

    fixed = sum(ID_WIDTHS) + (col - 5 - len(tail_widths)) * LEVEL_W + sum(tail_widths)
    widths = [
        *ID_WIDTHS,
        *[LEVEL_W] * (col - 5 - len(tail_widths)),
        *tail_widths,
        max(width - fixed, MIN_COMMENT_W),
    ]

    rows: list[list[Any]] = [r0, r1, r2]
    small = st.cell_small
    for row in payload["rows"]:
        cells: list[Any] = [
            str(row["stt"]),
            row["student"],
            para(row["full_name"], small),
            row["gender"],
            date_vn(row["birth_date"]),
        ]
        for s in subjects:
            mark = row["subjects"][s["code"]]
            cells.append(value_text(mark["level"]))
            if _has_score(s, point):
                cells.append(value_text(mark["score"]))
        cells += [value_text(row["qualities"][q["code"]]) for q in qualities]
        cells += [value_text(row["competences"][q["code"]]) for q in competences]
        if year_end:
            cells.append(para(row["result"] or "", small))
            cells.append(para("; ".join(x for x in (row["title"], row["rewards"]) if x), small))
        cells.append(para(row["comment"], small))
        rows.append(cells)
    return grid(
        rows,
        widths,
        header_rows=3,
        font_size=FONT_SIZE,
        extra=[
            *spans,
            ("ALIGN", (0, 3), (0, -1), "CENTER"),
            ("VALIGN", (0, 0), (-1, 2), "MIDDLE"),
            ("LEFTPADDING", (5, 0), (-1, -1), 1),
            ("RIGHTPADDING", (5, 0), (-1, -1), 1),
        ],
    )


def _legend(payload: dict[str, Any]) -> list[Flowable]:
    st = styles()
    names = "; ".join(f"{s['short_name']} – {s['name']}" for s in payload["subjects"])
    return [
        para(
            "Ghi chú: M – mức đạt được của môn học, hoạt động giáo dục: T – Hoàn thành tốt, "
            "H – Hoàn thành, C – Chưa hoàn thành. Đ – điểm bài kiểm tra định kì. Phẩm chất, "
            "năng lực: T – Tốt, Đ – Đạt, C – Cần cố gắng.",
            st.small,
        ),
        para(f"Môn học và hoạt động giáo dục: {names}.", st.small),
    ]


def _signatures(payload: dict[str, Any], fields: FieldRecorder, width: float) -> Flowable:
    return homeroom_and_principal(payload, fields, 90 * mm, width)
