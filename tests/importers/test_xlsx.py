"""The class workbook: template → import gives the dataset back; cells are read as people type."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.canonical import dataset_from_json
from records.check import check_file
from records.importers import load, load_bytes
from records.model import Dataset, TermScores
from records.template import TemplateError, write_xlsx_template, xlsx_template_bytes

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
SMALL = dataset_from_json((GOOD / "small-school.json").read_bytes())


def only(ds: Dataset, class_id: str) -> Dataset:
    return ds.model_copy(update={"classes": [c for c in ds.classes if c.id == class_id]})


@pytest.mark.parametrize("class_id", ["8A1", "3A"])
def test_dataset_to_workbook_to_dataset_is_lossless(class_id: str, tmp_path: Path) -> None:
    path = tmp_path / f"{class_id}.xlsx"
    write_xlsx_template(path, dataset=SMALL, class_id=class_id)
    result = load(path)
    assert result.findings == []
    assert result.dataset == only(SMALL, class_id)


score = st.decimals(min_value=0, max_value=10, places=1) | st.decimals(
    min_value=-20, max_value=20, places=2
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    regular=st.lists(score, max_size=4),
    midterm=st.none() | score,
    final=st.none() | score,
    average=st.none() | score,
)
def test_any_scores_survive_the_workbook(
    regular: list[Decimal], midterm: Decimal | None, final: Decimal | None, average: Decimal | None
) -> None:
    ds = only(SMALL, "8A1")
    cls = ds.classes[0]
    first = cls.students[0]
    assert first.secondary is not None
    term = TermScores(regular=regular, midterm=midterm, final=final, submitted_average=average)
    toan = first.secondary.subjects["TOAN"].model_copy(
        update={"term1": None if term == TermScores() else term}
    )
    year = first.secondary.model_copy(
        update={"subjects": {**first.secondary.subjects, "TOAN": toan}}
    )
    students = [first.model_copy(update={"secondary": year}), *cls.students[1:]]
    changed = ds.model_copy(update={"classes": [cls.model_copy(update={"students": students})]})
    back = load_bytes(xlsx_template_bytes(dataset=changed), "8A1.xlsx").dataset
    assert back == changed  # out-of-range or two-decimal scores too: they are findings, not losses


def edited(tmp_path: Path, edit: dict[tuple[str, str], object], name: str = "8A1.xlsx") -> Path:
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_template_bytes(dataset=SMALL, class_id="8A1")))
    for (sheet, cell), value in edit.items():
        wb[sheet][cell] = value
    path = tmp_path / name
    wb.save(path)
    return path


def test_cells_are_read_the_way_people_type_them(tmp_path: Path) -> None:
    path = edited(
        tmp_path,
        {
            ("Toán", "D3"): "9,1",  # decimal comma, typed as text
            ("Toán", "E3"): 8.5,  # a float from Excel
            ("Rèn luyện", "D3"): "t",  # conduct abbreviated, lower case
            ("Học sinh", "B3"): 1008300001,  # a code typed as a number
            ("Học sinh", "F3"): "14/03/2012",  # a date typed as text
        },
    )
    result = load(path)
    assert result.findings == []
    assert result.dataset == only(SMALL, "8A1")


def test_binary_float_artefacts_do_not_hide_a_second_decimal(tmp_path: Path) -> None:
    result = load(edited(tmp_path, {("Toán", "D3"): 8.25, ("Toán", "E3"): 8.1}))
    assert [(f.code, f.location.column, f.location.row) for f in result.findings] == [
        ("score.decimals", "D", 3)
    ]


def test_an_unreadable_cell_reports_once_and_blocks_only_its_subject(tmp_path: Path) -> None:
    result = load(edited(tmp_path, {("Toán", "D3"): "chín", ("Văn", "E4"): 11}))
    assert [(f.code, f.location.sheet, f.location.subject) for f in result.findings] == [
        ("score.not_a_number", "Toán", "TOAN"),
        ("score.out_of_range", "Văn", "NGU_VAN"),
    ]
    assert result.dataset is not None and not result.ok


def test_a_sheet_that_looks_like_scores_but_is_not_listed_is_an_error(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_template_bytes(dataset=SMALL, class_id="8A1")))
    wb.copy_worksheet(wb["Toán"]).title = "Hoá"
    path = tmp_path / "8A1.xlsx"
    wb.save(path)
    assert [(f.code, f.location.sheet) for f in load(path).findings] == [("template.sheet", "Hoá")]


def test_blank_template_layout(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    write_xlsx_template(path, grade=8, school_year="2025-2026")
    wb = openpyxl.load_workbook(path)
    subjects = ["Văn", "Toán", "NN1", "GDCD", "LS&ĐL", "KHTN", "CN", "Tin", "GDTC", "NT", "HĐTN"]
    assert wb.sheetnames == [
        "Thông tin",
        "Giáo viên",
        "Học sinh",
        "Môn học",
        *subjects,
        "GDĐP",
        "Rèn luyện",
        "Danh mục",
    ]
    assert wb["Danh mục"].sheet_state == "hidden"
    toan = wb["Toán"]
    assert [c.value for c in toan[2]][:10] == [
        "STT",
        "Mã học sinh",
        "Họ và tên",
        "HK1 TX1",
        "HK1 TX2",
        "HK1 TX3",
        "HK1 TX4",
        "HK1 GK",
        "HK1 CK",
        "HK1 ĐTB",
    ]
    assert toan.freeze_panes == "D3"
    kinds = {dv.type for dv in toan.data_validations.dataValidation}
    assert kinds == {"decimal"}
    conduct = {dv.formula1 for dv in wb["Rèn luyện"].data_validations.dataValidation}
    assert any("Danh mục" in f for f in conduct if f)
    info = {row[0].value: row[1].value for row in wb["Thông tin"].iter_rows(min_row=2)}
    assert info["Khối lớp"] == 8 and info["Năm học (ví dụ 2025-2026)"] == "2025-2026"
    assert [f.code for f in check_file(path).findings] == ["file.empty"]


def test_primary_blank_template_has_one_sheet_per_assessment_point(tmp_path: Path) -> None:
    data = xlsx_template_bytes(grade=4)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[4:] == [
        "Giữa kì I",
        "Cuối kì I",
        "Giữa kì II",
        "Cuối năm",
        "Tổng hợp năm",
        "Danh mục",
    ]
    headers = [c.value for c in wb["Giữa kì I"][2]]
    # grade 4 has a mid-term test in Tiếng Việt and Toán only
    assert "Tiếng Việt: điểm KTĐK" in headers and "Khoa học: điểm KTĐK" not in headers
    assert "Khoa học: điểm KTĐK" in [c.value for c in wb["Cuối năm"][2]]


def test_data_the_workbook_has_no_cell_for_is_refused() -> None:
    cls = SMALL.classes[0]
    first = cls.students[0]
    assert first.secondary is not None
    gdtc = first.secondary.subjects["GDTC"].model_copy(update={"term1": TermScores(final=8)})
    year = first.secondary.model_copy(
        update={"subjects": {**first.secondary.subjects, "GDTC": gdtc}}
    )
    students = [first.model_copy(update={"secondary": year}), *cls.students[1:]]
    bad = SMALL.model_copy(update={"classes": [cls.model_copy(update={"students": students})]})
    with pytest.raises(TemplateError, match="GDTC"):
        xlsx_template_bytes(dataset=bad)
    with pytest.raises(TemplateError, match="9A9"):
        xlsx_template_bytes(dataset=SMALL, class_id="9A9")
    with pytest.raises(TemplateError, match="HOA_HOC"):
        xlsx_template_bytes(grade=8, subjects=["TOAN", "HOA_HOC"])


def test_the_sample_school_survives_its_workbooks() -> None:
    from records.sample import generate_school

    ds = generate_school(seed=3, primary_classes=1, secondary_classes=1)
    for cls in ds.classes:
        result = load_bytes(xlsx_template_bytes(dataset=ds, class_id=cls.id), f"{cls.id}.xlsx")
        assert result.findings == []
        assert result.dataset == ds.model_copy(update={"classes": [cls]})
