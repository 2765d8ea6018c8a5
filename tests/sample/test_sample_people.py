"""The sample's people: names by each group's custom, NFC text, identifiers, ages, roll order."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

from records.model import Dataset, Gender, Student
from records.sample.names import KINH, MONG, POOLS, NamePool, roll_order_key
from records.text import is_vietnamese_syllable

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
VOWELS = "aăâeêioôơuưy"
CONSONANTS = "bcdđghklmnpqrstvx"
LETTERS = {unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES} | set(CONSONANTS)
LETTERS |= {ch.upper() for ch in LETTERS}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _people(ds: Dataset) -> Iterator[Student]:
    for c in ds.classes:
        for s in c.students:
            yield s.student


def _all_names(ds: Dataset) -> Iterator[str]:
    yield from (t.full_name for t in ds.teachers)
    for st in _people(ds):
        yield from (
            n for n in (st.full_name, st.father_name, st.mother_name, st.guardian_name) if n
        )


def test_every_string_in_the_dataset_is_nfc(school: Dataset) -> None:
    bad = [
        s
        for s in _strings(school.model_dump(mode="json"))
        if unicodedata.is_normalized("NFC", s) is False
    ]
    assert bad == []


def test_names_are_vietnamese_letters_and_well_formed_syllables(school: Dataset) -> None:
    for name in _all_names(school):
        words = name.split(" ")
        assert 3 <= len(words) <= 4, name
        assert all(set(w) <= LETTERS for w in words), name
        assert all(is_vietnamese_syllable(w) and w[0].isupper() for w in words), name


def _fits(pool: NamePool, name: str, gender: Gender) -> bool:
    surname, middle, given = name.split(" ")
    return (
        surname in dict(pool.surnames)
        and middle in dict(pool.middles(gender))
        and given in pool.given_names(gender)
    )


def test_each_student_name_follows_the_custom_of_their_recorded_ethnicity(school: Dataset) -> None:
    for st in _people(school):
        pools = [p for p in POOLS if p.ethnicity == st.ethnicity]
        assert pools, st.ethnicity
        assert any(_fits(p, st.full_name, st.gender) for p in pools), (st.full_name, st.ethnicity)
        if st.father_name:  # the child carries the father's họ, the mother is of another clan
            assert st.full_name.split()[0] == st.father_name.split()[0]
            assert any(_fits(p, st.father_name, Gender.NAM) for p in pools)
        assert st.mother_name.split()[0] != st.full_name.split()[0]
        parents_given = {n.split()[-1] for n in (st.father_name, st.mother_name) if n}
        assert st.full_name.split()[-1] not in parents_given  # not named after a parent
        assert any(_fits(p, st.mother_name, Gender.NU) for p in pools)


def test_mong_boys_are_a_or_seo_or_van_and_girls_thi(large_school: Dataset) -> None:
    mong = [st for st in _people(large_school) if st.ethnicity == MONG.ethnicity]
    middles = Counter((st.gender, st.full_name.split()[1]) for st in mong)
    allowed = {(Gender.NAM, "A"), (Gender.NAM, "Seo"), (Gender.NAM, "Văn"), (Gender.NU, "Thị")}
    assert set(middles) <= allowed
    assert middles[(Gender.NAM, "A")] > middles[(Gender.NAM, "Văn")]


def test_the_commune_mix_is_mostly_minorities(large_school: Dataset) -> None:
    mix = Counter(st.ethnicity for st in _people(large_school))
    total = sum(mix.values())
    assert {"Mông", "Dao", "Giáy", "Hà Nhì", "Kinh", "Tày", "Nùng", "Phù Lá"} <= set(mix)
    assert mix["Mông"] / total > 0.2 and mix[KINH.ethnicity] / total < 0.25
    assert "H'Mông" not in mix  # recorded with the official name


def test_national_ids_encode_lao_cai_gender_century_and_birth_year(school: Dataset) -> None:
    ids = [st.national_id for st in _people(school)]
    assert len(set(ids)) == len(ids)
    for st in _people(school):
        nid = st.national_id
        assert nid is not None and len(nid) == 12 and nid.isdigit()
        assert nid[:3] == "010"
        assert nid[3] == ("3" if st.gender is Gender.NU else "2")  # born 2000–2099
        assert nid[4:6] == f"{st.birth_date.year % 100:02d}"


def test_teacher_ids_use_the_1900s_digits_when_born_then(default_school: Dataset) -> None:
    for t in default_school.teachers:
        assert t.national_id is not None and len(t.national_id) == 12
        assert t.national_id[3] in "0123"
        assert t.email is not None and t.email.endswith("@suoimay.example") and t.email.isascii()


def test_student_codes_are_ten_unique_digits(school: Dataset) -> None:
    codes = [st.code for st in _people(school)]
    assert all(len(c) == 10 and c.isdigit() for c in codes)
    assert len(set(codes)) == len(codes)


def test_ages_fit_the_grade(school: Dataset) -> None:
    start = school.year.start
    for c in school.classes:
        on_time = start - 5 - c.grade  # grade 1 in the year a child turns six
        years = Counter(s.student.birth_date.year for s in c.students)
        assert set(years) <= {on_time, on_time - 1}, (c.id, years)
        assert years[on_time] > years[on_time - 1]


def test_class_lists_are_in_vietnamese_alphabetical_order_of_given_names(school: Dataset) -> None:
    for c in school.classes:
        names = [s.student.full_name for s in c.students]
        assert names == sorted(names, key=roll_order_key)


def test_roll_order_puts_letters_before_tones_and_given_names_first() -> None:
    names = ["Lê Ăn", "Hà Văn Ánh", "Trần Thị An", "Lù Đức Đạt", "Giàng A Bảo", "Hà Anh"]
    assert sorted(names, key=roll_order_key) == [
        "Trần Thị An",
        "Hà Anh",
        "Hà Văn Ánh",
        "Lê Ăn",
        "Giàng A Bảo",
        "Lù Đức Đạt",
    ]


def test_parents_have_jobs_and_students_have_addresses_in_the_commune(school: Dataset) -> None:
    for c in school.classes:
        entered = school.year.start - (c.grade - (1 if c.grade <= 5 else 6))
        for st in (s.student for s in c.students):
            assert st.address.startswith("Thôn ") and "xã Mường Hum" in st.address
            assert st.mother_job
            assert bool(st.father_name) == bool(st.father_job)
            assert bool(st.father_name) != bool(st.guardian_name)  # a guardian stands in
            assert st.enrolment_no.endswith(f"/{entered}")  # số đăng bộ of the entry year


def test_minority_students_carry_the_policy_group(school: Dataset) -> None:
    for st in _people(school):
        assert bool(st.priority_group) == (st.ethnicity != "Kinh")
