"""Học bạ tiểu học (TT27/2020): one student, one school year — forms.md §2.

Page 1: national header, "HỌC BẠ", the student's identity, QUÁ TRÌNH HỌC TẬP.
Page 2 (and on): height/weight/absences, 1. subjects (mức, điểm KTĐK, nhận xét), 2. phẩm chất,
3. năng lực (chung, đặc thù), 4. kết quả giáo dục, 5. khen thưởng, 6. hoàn thành chương trình,
then the principal's block with the seal box (left) and the homeroom teacher's block (right).
"""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, PageBreak, Spacer

from render.common import (
    A4_PORTRAIT,
    SIGN_HINT,
    PageGeometry,
    grid,
    info_line,
    national_header,
    para,
    place_date,
    plain,
    principal_with_seal,
    rich,
    section,
    signature_block,
    styles,
)
from render.fields import FieldRecorder
from render.text import DOTS, date_vn, markup, value_text

LEVELS = "Mức: T – Hoàn thành tốt, H – Hoàn thành, C – Chưa hoàn thành."
TRAIT_LEVELS = "Mức: T – Tốt, Đ – Đạt, C – Cần cố gắng."


def geometry(payload: dict[str, Any]) -> PageGeometry:
    return A4_PORTRAIT


def title(payload: dict[str, Any]) -> str:
    return (
        f"Học bạ tiểu học – {payload['student']['full_name']} – lớp {payload['class']['name']}"
        f" – năm học {payload['school_year']}"
    )


def story(payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry) -> list[Flowable]:
    return [*identity_page(payload, page), PageBreak(), *year_pages(payload, fields, page)]


def identity_page(payload: dict[str, Any], page: PageGeometry) -> list[Flowable]:
    st = styles()
    s = payload["student"]
    c = payload["class"]
    w = page.width

    def v(text: str | None) -> Any:
        return para(text or "", st.cell)

    rows = [
        [
            "Họ và tên học sinh",
            rich(f"<b>{markup(s['full_name'])}</b>", st.cell),
            "Giới tính",
            v(s["gender"]),
        ],
        ["Ngày, tháng, năm sinh", v(date_vn(s["birth_date"])), "Dân tộc", v(s["ethnicity"])],
        ["Quốc tịch", v(s["nationality"]), "Mã học sinh", v(s["code"])],
        ["Nơi sinh", v(s["birth_place"]), "", ""],
        ["Quê quán", v(s["home_town"]), "", ""],
        ["Nơi ở hiện nay", v(s["address"]), "", ""],
        ["Họ và tên cha", v(s["father_name"]), "Nghề nghiệp", v(s["father_job"])],
        ["Họ và tên mẹ", v(s["mother_name"]), "Nghề nghiệp", v(s["mother_job"])],
        ["Người giám hộ (nếu có)", v(s["guardian_name"]), "Nghề nghiệp", v(s["guardian_job"])],
    ]
    identity = grid(
        rows,
        [0.24 * w, 0.36 * w, 0.15 * w, 0.25 * w],
        header_rows=0,
        extra=[
            *[("SPAN", (1, r), (3, r)) for r in (3, 4, 5)],
            ("ALIGN", (0, 0), (-1, -1), "LEFT"),
            ("TOPPADDING", (0, 0), (-1, -1), 3.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )
    head = st.head
    history: list[list[Any]] = [
        [
            para("Năm học", head),
            para("Lớp", head),
            para("Tên trường", head),
            para("Số đăng bộ", head),
            para("Ngày nhập học/ chuyển đến", head),
        ]
    ]
    for grade in range(1, 6):
        current = grade == c["grade"]
        history.append(
            [
                payload["school_year"],
                c["name"],
                para(payload["school"]["name"], st.cell),
                s["enrolment_no"],
                "",
            ]
            if current
            else ["", "", "", "", ""]
        )
    history_table = grid(
        history,
        [0.17 * w, 0.1 * w, 0.43 * w, 0.13 * w, 0.17 * w],
        row_heights=[None] + [9 * mm] * 5,
        extra=[("ALIGN", (0, 1), (0, -1), "CENTER")],
    )
    return [
        national_header(payload, w),
        Spacer(1, 16 * mm),
        para("HỌC BẠ", st.title),
        para("TIỂU HỌC", st.subtitle),
        Spacer(1, 12 * mm),
        section("THÔNG TIN HỌC SINH"),
        identity,
        Spacer(1, 8 * mm),
        section("QUÁ TRÌNH HỌC TẬP"),
        history_table,
    ]


def _measure(value: Any, unit: str) -> str:
    text = value_text(value)
    return f"{text} {unit}" if text else DOTS


def year_pages(
    payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry
) -> list[Flowable]:
    st = styles()
    w = page.width
    s = payload["summary"]
    c = payload["class"]
    head = st.head
    out: list[Flowable] = [
        info_line(
            [
                ("Họ và tên học sinh", payload["student"]["full_name"]),
                ("Lớp", c["name"]),
                ("Năm học", payload["school_year"]),
            ]
        ),
        info_line(
            [
                ("Chiều cao", _measure(s["height_cm"], "cm")),
                ("Cân nặng", _measure(s["weight_kg"], "kg")),
                ("Số ngày nghỉ có phép", str(s["absences_excused"])),
                ("Số ngày nghỉ không phép", str(s["absences_unexcused"])),
            ]
        ),
        section("1. Các môn học và hoạt động giáo dục"),
    ]
    rows: list[list[Any]] = [
        [
            para("Môn học và hoạt động giáo dục", head),
            para("Mức đạt được", head),
            para("Điểm KTĐK", head),
            para("Nhận xét", head),
        ]
    ]
    for subject in payload["subjects"]:
        rows.append(
            [
                para(subject["name"], st.cell),
                value_text(subject["level"]),
                value_text(subject["score"]),
                para(subject["comment"], st.cell_small),
            ]
        )
    out.append(grid(rows, [0.3 * w, 0.12 * w, 0.11 * w, 0.47 * w]))
    out.append(Spacer(1, 1 * mm))
    out.append(para(LEVELS, st.small))

    def traits(items: list[dict[str, Any]], label: str) -> list[list[Any]]:
        return [[para(label, head), para("Mức đạt được", head)]] + [
            [para(q["name"], st.cell), value_text(q["level"])] for q in items
        ]

    general = [q for q in payload["competences"] if q["group"] == "năng lực chung"]
    specific = [q for q in payload["competences"] if q["group"] != "năng lực chung"]
    half = (w - 6 * mm) / 2
    cols = [half * 0.72, half * 0.28]
    qualities = grid(traits(payload["qualities"], "Phẩm chất"), cols)
    general_t = grid(traits(general, "3.1. Năng lực chung"), cols)
    specific_t = grid(traits(specific, "3.2. Năng lực đặc thù"), cols)
    out.append(
        plain(
            [
                [section("2. Những phẩm chất chủ yếu"), "", section("3. Những năng lực cốt lõi")],
                [[qualities, Spacer(1, 2 * mm), general_t], "", specific_t],
            ],
            [half, 6 * mm, half],
        )
    )
    out.append(Spacer(1, 1 * mm))
    out.append(para(TRAIT_LEVELS, st.small))

    completes = s["completes_grade"]
    program = "chương trình tiểu học" if c["grade"] == 5 else f"chương trình lớp {c['grade']}"
    completion = f"{'Hoàn thành' if completes else 'Chưa hoàn thành'} {program}"
    rewards = "; ".join(x for x in (s["title"], s["rewards"]) if x)
    out += [
        section("4. Đánh giá kết quả giáo dục"),
        rich(f"<b>{markup(s['result'] or DOTS)}</b>", st.body),
        para(s["comment"], st.body) if s["comment"] else Spacer(1, 0),
        *[para(f"Ghi chú: {note}", st.italic) for note in s["notes"]],
        section("5. Khen thưởng"),
        para(rewards or DOTS, st.body),
        section("6. Hoàn thành chương trình lớp học/chương trình tiểu học"),
        rich(f"<b>{markup(completion)}</b>", st.body),
        Spacer(1, 5 * mm),
    ]
    left_w = w * 0.56
    right_w = w - left_w
    principal = fields.slot("hieu_truong")
    homeroom = fields.slot("gvcn")
    head_block = principal_with_seal(
        fields,
        ["Xác nhận của Hiệu trưởng"],
        principal.signer_name if principal else payload["principal"]["full_name"],
        left_w,
        above=[""],
    )
    gvcn = signature_block(
        fields,
        "gvcn",
        ["Giáo viên chủ nhiệm"],
        SIGN_HINT,
        homeroom.signer_name if homeroom else c["homeroom_teacher"]["full_name"],
        right_w,
        above=[place_date(payload)],
    )
    out.append(KeepTogether([plain([[head_block, gvcn]], [left_w, right_w])]))
    return out
