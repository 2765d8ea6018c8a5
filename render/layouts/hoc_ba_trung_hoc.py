"""Học bạ THCS/THPT (TT22): one student, one school year — forms.md §1.

Page 1: national header, "HỌC BẠ", the student's identity, QUÁ TRÌNH HỌC TẬP.
Page 2: subjects table with a signature field per subject teacher in the teacher column, and the
corrections footnote.
Page 3: year summary (rèn luyện/học tập per term, absences), promotion lines, rewards,
NHẬN XÉT CỦA GIÁO VIÊN CHỦ NHIỆM with the homeroom teacher's field, PHÊ DUYỆT CỦA HIỆU TRƯỞNG with
the principal's field and the school seal's box beside it.
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
from render.fonts import BOLD
from render.text import DOTS, date_vn, markup, tick, value_text

LEVEL_NAMES = {"THCS": "trung học cơ sở", "THPT": "trung học phổ thông"}
FINAL_GRADES = {9, 12}
SUBJECT_FIELD_HEIGHT = 8 * mm


def geometry(payload: dict[str, Any]) -> PageGeometry:
    return A4_PORTRAIT


def title(payload: dict[str, Any]) -> str:
    c = payload["class"]
    return (
        f"Học bạ {LEVEL_NAMES[c['level']]} – {payload['student']['full_name']} – "
        f"lớp {c['name']} – năm học {payload['school_year']}"
    )


def story(payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry) -> list[Flowable]:
    return [
        *identity_page(payload, page),
        PageBreak(),
        *subjects_page(payload, fields, page),
        PageBreak(),
        *summary_page(payload, fields, page),
    ]


def _student_line(payload: dict[str, Any]) -> Flowable:
    return info_line(
        [
            ("Họ và tên", payload["student"]["full_name"]),
            ("Lớp", payload["class"]["name"]),
            ("Năm học", payload["school_year"]),
        ]
    )


def identity_page(payload: dict[str, Any], page: PageGeometry) -> list[Flowable]:
    st = styles()
    s = payload["student"]
    c = payload["class"]
    w = page.width
    label = [0.2 * w, 0.36 * w, 0.17 * w, 0.27 * w]

    def v(text: str | None) -> Any:
        return para(text or "", st.cell)

    rows = [
        [
            "Họ và tên",
            rich(f"<b>{markup(s['full_name'])}</b>", st.cell),
            "Giới tính",
            v(s["gender"]),
        ],
        ["Ngày sinh", v(date_vn(s["birth_date"])), "Dân tộc", v(s["ethnicity"])],
        ["Nơi sinh", v(s["birth_place"]), "", ""],
        ["Đối tượng", v(s["priority_group"]), "Mã học sinh", v(s["code"])],
        ["Chỗ ở hiện tại", v(s["address"]), "", ""],
        ["Họ và tên cha", v(s["father_name"]), "Nghề nghiệp", v(s["father_job"])],
        ["Họ và tên mẹ", v(s["mother_name"]), "Nghề nghiệp", v(s["mother_job"])],
        ["Người giám hộ", v(s["guardian_name"]), "Nghề nghiệp", v(s["guardian_job"])],
        ["Số đăng bộ", v(s["enrolment_no"]), "Mã định danh", v(s.get("national_id"))],
    ]
    identity = grid(
        rows,
        label,
        header_rows=0,
        extra=[
            ("SPAN", (1, 2), (3, 2)),
            ("SPAN", (1, 4), (3, 4)),
            ("ALIGN", (0, 0), (-1, -1), "LEFT"),
            ("TOPPADDING", (0, 0), (-1, -1), 3.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ],
    )
    grades = range(6, 10) if c["level"] == "THCS" else range(10, 13)
    history = [[para("Năm học", st.head), para("Lớp", st.head), para("Tên trường", st.head)]]
    for g in grades:
        current = g == c["grade"]
        history.append(
            [
                payload["school_year"] if current else "",
                c["name"] if current else "",
                para(payload["school"]["name"], st.cell) if current else "",
            ]
        )
    history_table = grid(
        history, [0.22 * w, 0.16 * w, 0.62 * w], row_heights=[None] + [9 * mm] * len(grades)
    )
    return [
        national_header(payload, w),
        Spacer(1, 16 * mm),
        para("HỌC BẠ", st.title),
        para(LEVEL_NAMES[c["level"]].upper(), st.subtitle),
        Spacer(1, 12 * mm),
        section("THÔNG TIN HỌC SINH"),
        identity,
        Spacer(1, 8 * mm),
        section("QUÁ TRÌNH HỌC TẬP"),
        history_table,
    ]


def subjects_page(
    payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry
) -> list[Flowable]:
    st = styles()
    w = page.width
    widths = [0.29 * w, 0.1 * w, 0.1 * w, 0.1 * w, 0.13 * w, 0.28 * w]
    field_w = widths[5] - 4
    rows: list[list[Any]] = [
        [
            para("Môn học/Hoạt động giáo dục", st.head),
            para("Điểm trung bình hoặc mức đánh giá", st.head),
            "",
            "",
            para("Điểm hoặc mức đánh giá lại (nếu có)", st.head),
            para("Giáo viên môn học ký xác nhận và ghi rõ họ tên", st.head),
        ],
        [
            "",
            para("Học kì I", st.head),
            para("Học kì II", st.head),
            para("Cả năm", st.head),
            "",
            "",
        ],
    ]
    for subject in payload["subjects"]:
        name = f"gvbm_{subject['code']}"
        slot = fields.slot(name)
        teachers = subject["teachers"]
        signer = slot.signer_name if slot else (teachers[0]["full_name"] if teachers else "")
        rows.append(
            [
                para(subject["name"], st.cell),
                value_text(subject["term1"]),
                value_text(subject["term2"]),
                rich(f"<b>{markup(value_text(subject['year']))}</b>", st.cell_center),
                value_text(subject["retest"]),
                [fields.box(name, field_w, SUBJECT_FIELD_HEIGHT), para(signer, st.cell_small)],
            ]
        )
    table = grid(
        rows,
        widths,
        header_rows=2,
        extra=[
            ("SPAN", (0, 0), (0, 1)),
            ("SPAN", (1, 0), (3, 0)),
            ("SPAN", (4, 0), (4, 1)),
            ("SPAN", (5, 0), (5, 1)),
            ("VALIGN", (5, 2), (5, -1), "TOP"),
            ("LEFTPADDING", (5, 2), (5, -1), 2),
            ("RIGHTPADDING", (5, 2), (5, -1), 2),
        ],
    )
    return [
        _student_line(payload),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 3 * mm),
        para(
            f"Trong trang này có sửa chữa ở {DOTS} chỗ, thuộc môn học, hoạt động giáo dục: "
            f"{DOTS}{DOTS}",
            st.italic,
        ),
    ]


def summary_page(
    payload: dict[str, Any], fields: FieldRecorder, page: PageGeometry
) -> list[Flowable]:
    st = styles()
    w = page.width
    s = payload["summary"]
    c = payload["class"]
    head = st.head
    rows = [
        [
            para("Học kì", head),
            para("Mức đánh giá", head),
            "",
            para("Tổng số buổi nghỉ học", head),
            para("Mức đánh giá lại (nếu có)", head),
            "",
        ],
        [
            "",
            para("Kết quả rèn luyện", head),
            para("Kết quả học tập", head),
            "",
            para("Kết quả rèn luyện", head),
            para("Kết quả học tập", head),
        ],
    ]
    for key, label in (("term1", "Học kì I"), ("term2", "Học kì II"), ("year", "Cả năm")):
        rows.append(
            [
                label,
                value_text(s["conduct"][key]),
                value_text(s["learning"][key]),
                value_text(s["absences"][key]),
                "",
                "",
            ]
        )
    summary = grid(
        rows,
        [0.16 * w, 0.17 * w, 0.17 * w, 0.16 * w, 0.17 * w, 0.17 * w],
        header_rows=2,
        extra=[
            ("SPAN", (0, 0), (0, 1)),
            ("SPAN", (1, 0), (2, 0)),
            ("SPAN", (3, 0), (3, 1)),
            ("SPAN", (4, 0), (5, 0)),
            ("FONT", (0, 4), (-1, 4), BOLD, 10),
        ],
    )
    promotion = s["promotion"]
    lines = [
        ("Được lên lớp", promotion == "Được lên lớp"),
        ("Được lên lớp sau khi kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè", False),
        ("Không được lên lớp", promotion == "Không được lên lớp"),
    ]
    out: list[Flowable] = [
        _student_line(payload),
        Spacer(1, 3 * mm),
        summary,
        Spacer(1, 3 * mm),
    ]
    out += [para(f"- {text}: {tick(checked)}", st.body) for text, checked in lines]
    if c["grade"] in FINAL_GRADES:
        level = LEVEL_NAMES[c["level"]]
        done = {
            "Hoàn thành chương trình": "Hoàn thành",
            "Chưa hoàn thành chương trình": "Không hoàn thành",
        }.get(promotion, DOTS)
        out.append(
            rich(f"- Hoàn thành hay không hoàn thành chương trình {level}: <b>{done}</b>", st.body)
        )
    if promotion == "Kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè":
        out.append(
            para(
                "  (Phải kiểm tra, đánh giá lại hoặc rèn luyện trong kì nghỉ hè; kết quả "
                "ghi sau kì nghỉ hè.)",
                st.italic,
            )
        )
    for note in s["notes"]:
        out.append(para(f"  Ghi chú: {note}", st.italic))
    rewards = "; ".join(x for x in (s["title"], s["rewards"]) if x)
    out += [
        para(f"- Kết quả tham gia các cuộc thi (nếu có): {s['competitions'] or DOTS}", st.body),
        para(f"- Khen thưởng (nếu có): {rewards or DOTS}", st.body),
    ]
    homeroom = fields.slot("gvcn")
    principal = fields.slot("hieu_truong")
    half = w / 2
    gvcn = signature_block(
        fields,
        "gvcn",
        ["Giáo viên chủ nhiệm"],
        SIGN_HINT,
        homeroom.signer_name if homeroom else c["homeroom_teacher"]["full_name"],
        half,
    )
    head_w = w * 0.72
    head_block = principal_with_seal(
        fields,
        ["HIỆU TRƯỞNG"],
        principal.signer_name if principal else payload["principal"]["full_name"],
        head_w,
        above=[place_date(payload)],
    )
    out.append(
        KeepTogether(
            [
                section("NHẬN XÉT CỦA GIÁO VIÊN CHỦ NHIỆM"),
                plain(
                    [[para(s["homeroom_comment"] or DOTS, st.body)]],
                    [w],
                    extra=[("BOTTOMPADDING", (0, 0), (-1, -1), 2)],
                ),
                plain([["", gvcn]], [w - half, half]),
            ]
        )
    )
    out.append(
        KeepTogether(
            [
                section("PHÊ DUYỆT CỦA HIỆU TRƯỞNG"),
                plain([["", head_block]], [w - head_w, head_w]),
            ]
        )
    )
    return out
