"""Synthetic student identities: name, family, birth, identifiers and address, never assessments."""

from __future__ import annotations

import random
from datetime import date, timedelta

from records.model import Gender, Level, SchoolYear, Student
from records.sample import places
from records.sample.names import (
    KINH,
    STUDENT_MIX,
    NamePool,
    draw_name,
    draw_pool,
    given_of,
    pick,
    surname_of,
)

# Parents' jobs as families state them on the học bạ. In the commune almost every minority family
# farms; Kinh families in the commune centre trade, work or serve (border guards, teachers).
_JOBS_MINORITY_FATHER = (
    ("Làm ruộng", 80), ("Tự do", 4), ("Công nhân", 5), ("Buôn bán", 3), ("Cán bộ xã", 3),
    ("Lái xe", 2), ("Giáo viên", 2),
)  # fmt: skip
_JOBS_MINORITY_MOTHER = (
    ("Làm ruộng", 85), ("Buôn bán", 4), ("Nội trợ", 4), ("Công nhân", 3), ("Giáo viên", 2),
    ("Nhân viên y tế", 1), ("Tự do", 1),
)  # fmt: skip
_JOBS_KINH_FATHER = (
    ("Buôn bán", 20), ("Công nhân", 15), ("Làm ruộng", 15), ("Giáo viên", 12), ("Tự do", 10),
    ("Cán bộ xã", 8), ("Bộ đội biên phòng", 8), ("Lái xe", 8), ("Nhân viên y tế", 4),
)  # fmt: skip
_JOBS_KINH_MOTHER = (
    ("Buôn bán", 25), ("Giáo viên", 15), ("Công nhân", 12), ("Làm ruộng", 12), ("Nội trợ", 12),
    ("Tự do", 10), ("Nhân viên y tế", 8), ("Cán bộ xã", 6),
)  # fmt: skip

MINORITY_BOARDING = "Dân tộc thiểu số, bán trú"  # PTDTBT: semi-boarding pupils from far villages
MINORITY = "Dân tộc thiểu số"


class IdentityRegistry:
    """Hands out identifiers that are unique across the whole dataset, deterministically."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._codes: set[str] = set()
        self._national_ids: set[str] = set()
        self._enrolled: dict[tuple[Level, int], int] = {}

    def student_code(self) -> str:
        """Mã học sinh: 10 digits. The sector database's own layout is not published; random."""
        while True:
            code = f"{self._rng.randrange(10**9, 10**10)}"
            if code not in self._codes:
                self._codes.add(code)
                return code

    def national_id(self, prefix: str, birth: date, gender: Gender) -> str:
        """Mã định danh cá nhân: province (3) + gender/century (1) + birth year (2) + 6 digits."""
        century = 0 if birth.year < 2000 else 2  # 1900s: Nam 0, Nữ 1; 2000s: Nam 2, Nữ 3
        sex = century + (1 if gender is Gender.NU else 0)
        while True:
            nid = f"{prefix}{sex}{birth.year % 100:02d}{self._rng.randrange(10**6):06d}"
            if nid not in self._national_ids:
                self._national_ids.add(nid)
                return nid

    def enrolment_no(self, level: Level, entry_year: int) -> str:
        """Số đăng bộ: running number in the register of the year the student entered the level."""
        n = self._enrolled.get((level, entry_year), 0) + 1
        self._enrolled[(level, entry_year)] = n
        return f"{n:03d}/{entry_year}"


def birth_year_on_time(grade: int, year: SchoolYear) -> int:
    """Children start grade 1 in the calendar year they turn six."""
    return year.start - 5 - grade


def make_student(
    rng: random.Random, ids: IdentityRegistry, *, grade: int, year: SchoolYear
) -> Student:
    pool = draw_pool(rng, STUDENT_MIX)
    minority = pool is not KINH
    gender = Gender.NAM if rng.random() < 0.51 else Gender.NU
    father = draw_name(rng, pool, Gender.NAM)
    mother = _mother_name(rng, pool, surname_of(father))
    name = _child_name(rng, pool, gender, father, mother)
    # Some minority children start school late or repeat a year: one year older than the grade.
    late = rng.random() < (0.10 if minority else 0.03)
    born = birth_year_on_time(grade, year) - (1 if late else 0)
    birth = date(born, 1, 1) + timedelta(days=rng.randrange(365))
    level = Level.of_grade(grade)
    first_grade = level.grades[0]
    father_job = pick(rng, _JOBS_MINORITY_FATHER if minority else _JOBS_KINH_FATHER)
    guardian_name, guardian_job = "", ""
    if rng.random() < 0.03:  # father away or dead: a grandfather is the guardian
        guardian_name = draw_name(rng, pool, Gender.NAM, surname=surname_of(father))
        guardian_job = "Làm ruộng"
        father, father_job = "", ""
    if minority:
        birth_place = home_town = places.LOCAL_PLACE
        priority = MINORITY_BOARDING if rng.random() < 0.55 else MINORITY
    else:
        birth_place = rng.choice((places.LOCAL_PLACE, "Thành phố Lào Cai, tỉnh Lào Cai"))
        home_town = rng.choice(places.LOWLAND_HOME_TOWNS)
        priority = ""
    return Student(
        code=ids.student_code(),
        national_id=ids.national_id(places.ID_PREFIX_LAO_CAI, birth, gender),
        full_name=name,
        gender=gender,
        birth_date=birth,
        birth_place=birth_place,
        ethnicity=pool.ethnicity,
        home_town=home_town,
        address=places.address(rng, year),
        priority_group=priority,
        father_name=father,
        father_job=father_job,
        mother_name=mother,
        mother_job=pick(rng, _JOBS_MINORITY_MOTHER if minority else _JOBS_KINH_MOTHER),
        guardian_name=guardian_name,
        guardian_job=guardian_job,
        enrolment_no=ids.enrolment_no(level, year.start - (grade - first_grade)),
    )


def _mother_name(rng: random.Random, pool: NamePool, father_surname: str) -> str:
    # Mông, Dao and Hà Nhì marry outside their clan; a different họ is the norm for Kinh too.
    while True:
        mother = draw_name(rng, pool, Gender.NU)
        if surname_of(mother) != father_surname:
            return mother


def _child_name(
    rng: random.Random, pool: NamePool, gender: Gender, father: str, mother: str
) -> str:
    # The father's họ; never a parent's given name (a child is not named after a living parent).
    while True:
        name = draw_name(rng, pool, gender, surname=surname_of(father))
        if given_of(name) not in (given_of(father), given_of(mother)):
            return name
