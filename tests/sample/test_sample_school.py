"""The sample school's shape: determinism, classes, subjects and periods, staff, options."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from records.canonical import dataset_from_json, dataset_to_json
from records.model import Dataset, Level
from records.rules import NoRuleSetError
from records.sample import SampleOptions, generate_school

THCS_GRADE_8 = {
    "NGU_VAN": 140,
    "TOAN": 140,
    "NN1": 105,
    "GDCD": 35,
    "LICH_SU_DIA_LI": 105,
    "KHTN": 140,
    "CONG_NGHE": 52,
    "TIN_HOC": 35,
    "GDTC": 70,
    "NGHE_THUAT": 70,
    "HDTN_HN": 105,
    "GDDP": 35,
}
PRIMARY_GRADE_5 = {
    "TIENG_VIET": 245,
    "TOAN": 175,
    "NN1": 140,
    "DAO_DUC": 35,
    "LICH_SU_DIA_LI": 70,
    "KHOA_HOC": 70,
    "TIN_HOC_CONG_NGHE": 70,
    "GDTC": 70,
    "AM_NHAC": 35,
    "MI_THUAT": 35,
    "HDTN": 105,
}


def test_same_seed_gives_the_same_bytes(default_school: Dataset) -> None:
    assert dataset_to_json(generate_school(seed=2026)) == dataset_to_json(default_school)


def test_another_seed_gives_other_students(default_school: Dataset) -> None:
    other = generate_school(seed=2027)
    names = {s.student.full_name for c in default_school.classes for s in c.students}
    other_names = {s.student.full_name for c in other.classes for s in c.students}
    assert names != other_names


def test_generation_does_not_touch_the_global_random_state() -> None:
    import random

    random.seed(5)
    expected = random.random()
    random.seed(5)
    generate_school(seed=1)
    assert random.random() == expected


def test_canonical_json_round_trip_is_exact(school: Dataset) -> None:
    assert dataset_from_json(dataset_to_json(school)) == school


def test_default_is_one_grade_5_and_one_grade_8_class(default_school: Dataset) -> None:
    assert [(c.id, c.grade) for c in default_school.classes] == [("5A", 5), ("8A", 8)]
    assert default_school.school.levels == [Level.TH, Level.THCS]
    assert default_school.school.name == "Trường PTDTBT Tiểu học và THCS Suối Mây"
    assert default_school.school_year == "2025-2026"


def test_classes_spread_over_every_grade_with_numbered_ids(large_school: Dataset) -> None:
    per_grade = Counter(c.grade for c in large_school.classes)
    assert per_grade == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 2, 8: 3, 9: 3}
    ids = [c.id for c in large_school.classes]
    assert ids[:2] == ["1A1", "1A2"] and "8A3" in ids and len(set(ids)) == len(ids)


def test_class_sizes_are_35_to_45(school: Dataset) -> None:
    sizes = [len(c.students) for c in school.classes]
    assert all(35 <= n <= 45 for n in sizes), sizes


def test_grade_8_has_the_tt22_subjects_and_periods(default_school: Dataset) -> None:
    grade_8 = default_school.classes[1]
    assert {s.code: s.periods_per_year for s in grade_8.subjects} == THCS_GRADE_8


def test_grade_5_has_the_tt27_subjects(default_school: Dataset) -> None:
    grade_5 = default_school.classes[0]
    assert {s.code: s.periods_per_year for s in grade_5.subjects} == PRIMARY_GRADE_5


def test_lower_grades_have_their_own_subjects(large_school: Dataset) -> None:
    grade_1 = next(c for c in large_school.classes if c.grade == 1)
    periods = {s.code: s.periods_per_year for s in grade_1.subjects}
    assert periods["TIENG_VIET"] == 420 and periods["TOAN"] == 105
    assert "TNXH" in periods and "NN1" not in periods and "KHOA_HOC" not in periods
    grade_6 = next(c for c in large_school.classes if c.grade == 6)
    assert {s.code: s.periods_per_year for s in grade_6.subjects}["CONG_NGHE"] == 35


def test_province_district_commune_and_authority(default_school: Dataset) -> None:
    assert (default_school.province.code, default_school.province.name) == ("10", "Lào Cai")
    assert default_school.district.name == "Bát Xát"
    assert default_school.school.commune == "Mường Hum"
    # 2025-2026 is after the district tier was abolished (1 July 2025)
    assert default_school.school.authority == "UBND XÃ MƯỜNG HUM"


def test_before_july_2025_the_district_education_office_manages_the_school() -> None:
    ds = generate_school(school_year="2024-2025")
    assert ds.school.authority == "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO HUYỆN BÁT XÁT"
    address = ds.classes[0].students[0].student.address
    assert address.endswith("xã Mường Hum, huyện Bát Xát, tỉnh Lào Cai")


def test_every_referenced_teacher_exists_and_names_are_unique(school: Dataset) -> None:
    ids = {t.id for t in school.teachers}
    assert school.school.principal in ids
    assert set(school.school.vice_principals) <= ids
    assert len(ids) == len(school.teachers)
    assert len({t.full_name for t in school.teachers}) == len(school.teachers)
    for c in school.classes:
        assert c.homeroom_teacher in ids
        for s in c.subjects:
            assert s.teachers and set(s.teachers) <= ids, (c.id, s.code)
    homerooms = [c.homeroom_teacher for c in school.classes]
    assert len(set(homerooms)) == len(homerooms)  # nobody is GVCN of two classes


def test_thcs_teachers_teach_one_or_two_subjects_across_classes(large_school: Dataset) -> None:
    subjects: dict[str, set[str]] = {}
    classes: dict[str, set[str]] = {}
    for c in large_school.classes:
        if c.level is not Level.THCS:
            continue
        for s in c.subjects:
            if s.code == "HDTN_HN":  # led by the homeroom teacher of each class
                assert s.teachers == [c.homeroom_teacher]
                continue
            for t in s.teachers:
                subjects.setdefault(t, set()).add(s.code)
                classes.setdefault(t, set()).add(c.id)
    assert all(1 <= len(codes) <= 2 for codes in subjects.values()), subjects
    assert max(len(ids) for ids in classes.values()) > 1  # teachers are shared between classes
    thcs = [c for c in large_school.classes if c.level is Level.THCS]
    for c in thcs:  # a THCS homeroom teacher also teaches the class a subject
        taught = {t for s in c.subjects if s.code != "HDTN_HN" for t in s.teachers}
        assert c.homeroom_teacher in taught, c.id


def test_integrated_subjects_are_shared_by_specialists(default_school: Dataset) -> None:
    grade_8 = {s.code: s.teachers for s in default_school.classes[1].subjects}
    assert len(grade_8["KHTN"]) == 3 and len(grade_8["LICH_SU_DIA_LI"]) == 2
    assert len(set(grade_8["NGHE_THUAT"])) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"primary_classes": -1}, "Số lớp tiểu học phải từ 0 đến 60"),
        ({"secondary_classes": 61}, "Số lớp THCS phải từ 0 đến 60"),
        ({"primary_classes": 0, "secondary_classes": 0}, "ít nhất một lớp"),
        ({"school_year": "2025"}, "2025-2026"),
    ],
)
def test_impossible_options_say_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_school(**options)


def test_a_year_before_the_circulars_reached_the_grade_is_refused() -> None:
    with pytest.raises(NoRuleSetError):
        generate_school(primary_classes=0, school_year="2022-2023")  # TT22 grade 8: 2023-2024


def test_one_level_only_makes_a_single_level_school() -> None:
    ds = generate_school(primary_classes=0, secondary_classes=2)
    assert ds.school.levels == [Level.THCS]
    assert ds.school.name == "Trường PTDTBT THCS Suối Mây"
    assert [c.id for c in ds.classes] == ["8A", "9A"]


def test_options_object_matches_keyword_defaults() -> None:
    assert SampleOptions() == SampleOptions(
        seed=2026, primary_classes=1, secondary_classes=1, school_year="2025-2026"
    )
