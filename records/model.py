"""The canonical school-year dataset: what a school submits, as plain typed data.

One dataset = one school, one school year: its classes, students, teachers, subjects taught and the
raw assessments. Computed results (averages, learning results, promotion, titles) are *not* trusted
from input: a dataset may carry the values the teacher submitted (``submitted``), and the validator
recomputes them with the rule set and reports any disagreement (Article 11 of the Lào Cai
regulation: results in the system must match the teacher's book).

Scores are ``Decimal`` (exact). JSON input is parsed with ``parse_float=Decimal``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

FORMAT_NAME = "hsdt/school-year"
FORMAT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Level(StrEnum):
    """School level (cấp học)."""

    TH = "TH"  # tiểu học, grades 1–5, TT27/2020
    THCS = "THCS"  # trung học cơ sở, grades 6–9, TT22/2021
    THPT = "THPT"  # trung học phổ thông, grades 10–12, TT22/2021

    @property
    def grades(self) -> range:
        return {Level.TH: range(1, 6), Level.THCS: range(6, 10), Level.THPT: range(10, 13)}[self]

    @staticmethod
    def of_grade(grade: int) -> Level:
        for level in Level:
            if grade in level.grades:
                return level
        raise ValueError(f"grade {grade} is not a school grade (1–12)")


class Gender(StrEnum):
    NAM = "Nam"
    NU = "Nữ"


# ---------------------------------------------------------------- organisation


class Province(_Model):
    code: str
    name: str


class District(_Model):
    """Phòng GD&ĐT tier (huyện/thị xã/thành phố)."""

    code: str
    name: str


class School(_Model):
    code: str  # mã trường in the sector database
    name: str  # e.g. "Trường THCS Kim Tân"
    levels: list[Level]  # a multi-level school lists several
    commune: str  # xã/phường where the school is
    authority: str  # tên cơ quan chủ quản, e.g. "UBND THÀNH PHỐ LÀO CAI" / "SỞ GD&ĐT LÀO CAI"
    principal: str  # teacher id of the principal (Hiệu trưởng)
    vice_principals: list[str] = Field(default_factory=list)


class Teacher(_Model):
    id: str  # school-local id, e.g. "GV007"
    full_name: str
    national_id: str | None = None  # 12-digit mã định danh (CCCD)
    email: str | None = None


class SchoolYear(_Model):
    """A school year such as 2025-2026; ``start`` is the first calendar year."""

    start: int

    @property
    def label(self) -> str:
        return f"{self.start}-{self.start + 1}"

    @staticmethod
    def parse(text: str) -> SchoolYear:
        a, _, b = text.partition("-")
        if not (a.isdigit() and b.isdigit() and int(b) == int(a) + 1):
            raise ValueError(f"school year must look like 2025-2026, got {text!r}")
        return SchoolYear(start=int(a))


# ---------------------------------------------------------------- students


class Student(_Model):
    code: str  # mã học sinh (sector code), unique within the dataset
    national_id: str | None = None  # mã định danh cá nhân, 12 digits
    full_name: str
    gender: Gender
    birth_date: date
    birth_place: str = ""
    ethnicity: str = "Kinh"  # dân tộc
    nationality: str = "Việt Nam"
    home_town: str = ""  # quê quán
    address: str = ""  # chỗ ở hiện tại
    priority_group: str = ""  # đối tượng ưu tiên / chính sách
    father_name: str = ""
    father_job: str = ""
    mother_name: str = ""
    mother_job: str = ""
    guardian_name: str = ""
    guardian_job: str = ""
    enrolment_no: str = ""  # số đăng bộ


# ---------------------------------------------------------------- secondary assessments (TT22)

Score = Decimal


class Pass(StrEnum):
    """Comment-only subject level (TT22): Đạt / Chưa đạt."""

    D = "Đ"
    CD = "CĐ"


class Rating(StrEnum):
    """Four-level rating used for conduct and learning results (TT22)."""

    TOT = "Tốt"
    KHA = "Khá"
    DAT = "Đạt"
    CHUA_DAT = "Chưa đạt"


class TermScores(_Model):
    """One term of a scored subject: ĐĐGtx (regular), ĐĐGgk (mid-term), ĐĐGck (end of term)."""

    regular: list[Score] = Field(default_factory=list)
    midterm: Score | None = None
    final: Score | None = None
    # what the teacher's book says the term average is (ĐTBmhk); checked, never trusted
    submitted_average: Score | None = None


class TermComment(_Model):
    """One term of a comment-only subject: the level for the term, optional comment."""

    level: Pass | None = None
    comment: str = ""


class SubjectAssessment(_Model):
    """A student's assessments in one subject for the year.

    Scored subjects use ``term1``/``term2`` as :class:`TermScores`; comment-only subjects use
    ``comment1``/``comment2``. Mixing them is a validation finding (a score on a comment-only
    subject), not a parse error, so the user hears which subject is wrong.
    """

    term1: TermScores | None = None
    term2: TermScores | None = None
    comment1: TermComment | None = None
    comment2: TermComment | None = None
    submitted_year_average: Score | None = None  # ĐTBmcn as written by the teacher
    submitted_year_level: Pass | None = None  # comment subjects: year level as written
    retest_score: Score | None = None  # điểm kiểm tra lại (summer re-test)
    retest_level: Pass | None = None
    comment: str = ""  # subject teacher's comment


class SecondaryStudentYear(_Model):
    """Everything a secondary student's học bạ/sổ theo dõi needs for one school year."""

    subjects: dict[str, SubjectAssessment] = Field(default_factory=dict)  # subject code → ...
    conduct_term1: Rating | None = None  # kết quả rèn luyện, decided by the GVCN
    conduct_term2: Rating | None = None
    conduct_year: Rating | None = None
    # after summer conduct training (rèn luyện trong kì nghỉ hè), decided by the GVCN
    conduct_year_reevaluated: Rating | None = None
    absences_term1: int = 0  # số buổi nghỉ học (excused + unexcused)
    absences_term2: int = 0
    homeroom_comment: str = ""
    rewards: str = ""  # khen thưởng (other than the title computed by the rules)
    competitions: str = ""
    # submitted computed values, checked against the rule set
    submitted_learning_term1: Rating | None = None
    submitted_learning_term2: Rating | None = None
    submitted_learning_year: Rating | None = None
    submitted_promotion: str | None = None  # PromotionOutcome value
    submitted_title: str | None = None  # Title value or "" for none


# ---------------------------------------------------------------- primary assessments (TT27)


class PrimaryLevel(StrEnum):
    """Subject/activity level (TT27): Hoàn thành tốt / Hoàn thành / Chưa hoàn thành."""

    T = "T"
    H = "H"
    C = "C"


class QualityLevel(StrEnum):
    """Quality/competence level (TT27): Tốt / Đạt / Cần cố gắng."""

    T = "T"
    D = "Đ"
    C = "C"


class AssessmentPoint(StrEnum):
    """Primary assessment points: giữa kì I, cuối kì I, giữa kì II, cuối năm."""

    GK1 = "GK1"
    CK1 = "CK1"
    GK2 = "GK2"
    CN = "CN"


class PrimarySubjectMark(_Model):
    level: PrimaryLevel | None = None
    score: int | None = None  # periodic test, integer 1–10 where the subject has one
    comment: str = ""


class PrimaryPointAssessment(_Model):
    subjects: dict[str, PrimarySubjectMark] = Field(default_factory=dict)
    qualities: dict[str, QualityLevel] = Field(default_factory=dict)  # quality code → level
    competences: dict[str, QualityLevel] = Field(default_factory=dict)  # competence code → level
    comment: str = ""


class PrimaryStudentYear(_Model):
    points: dict[AssessmentPoint, PrimaryPointAssessment] = Field(default_factory=dict)
    height_cm: Decimal | None = None
    weight_kg: Decimal | None = None
    absences_excused: int = 0
    absences_unexcused: int = 0
    rewards: str = ""
    submitted_result: str | None = None  # PrimaryYearResult value
    submitted_title: str | None = None


# ---------------------------------------------------------------- classes


class ClassSubject(_Model):
    """A subject taught in a class this year: who teaches it and for how many periods."""

    code: str  # subject code from the rule set's catalogue, e.g. "TOAN"
    periods_per_year: int
    teachers: list[str]  # teacher ids; several when the subject is shared


class ClassStudent(_Model):
    """A student enrolled in a class, with their assessments for the year."""

    student: Student
    secondary: SecondaryStudentYear | None = None
    primary: PrimaryStudentYear | None = None


class SchoolClass(_Model):
    id: str  # e.g. "8A1"
    name: str
    grade: Annotated[int, Field(ge=1, le=12)]
    homeroom_teacher: str  # teacher id
    subjects: list[ClassSubject]
    students: list[ClassStudent]

    @property
    def level(self) -> Level:
        return Level.of_grade(self.grade)


class Dataset(_Model):
    """One school's data for one school year: the unit that is imported, checked and rendered."""

    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    province: Province
    district: District
    school: School
    school_year: str  # "2025-2026"
    teachers: list[Teacher]
    classes: list[SchoolClass]

    @property
    def year(self) -> SchoolYear:
        return SchoolYear.parse(self.school_year)

    def teacher(self, teacher_id: str) -> Teacher | None:
        return next((t for t in self.teachers if t.id == teacher_id), None)
