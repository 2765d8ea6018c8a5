"""The small, valid school behind tests/fixtures/good/small-school.json.

One THCS class (8A1, 4 students, 13 subjects) and one primary class (3A, 3 students) of a Lào Cai
boarding school, with Mông, Giáy and Thái names. Submitted averages and results are the rule sets'
own recomputation, so the file has no finding at all. Scores are chosen, not random, so that the
four secondary students land on four different learning results (Tốt, Khá, Đạt, Chưa đạt).

Regenerate the JSON after changing this module:
    .venv/bin/python tests/importers/small_school.py
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from records.canonical import pretty_json
from records.model import (
    AssessmentPoint,
    ClassStudent,
    ClassSubject,
    Dataset,
    District,
    Gender,
    Level,
    Pass,
    PrimaryLevel,
    PrimaryPointAssessment,
    PrimaryStudentYear,
    PrimarySubjectMark,
    Province,
    QualityLevel,
    Rating,
    School,
    SchoolClass,
    SecondaryStudentYear,
    Student,
    SubjectAssessment,
    Teacher,
    TermComment,
    TermScores,
)
from records.rules import AssessmentKind, primary_rules, secondary_rules

YEAR = "2025-2026"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "good" / "small-school.json"

TEACHERS = [
    Teacher(id="GV001", full_name="Hoàng Văn Thắng", national_id="010080001234"),
    Teacher(id="GV002", full_name="Lê Thị Thu Hường", email="huonglt@banxeo.edu.vn"),
    Teacher(id="GV003", full_name="Sùng Seo Chư"),
    Teacher(id="GV004", full_name="Đỗ Minh Quân"),
    Teacher(id="GV005", full_name="Vũ Thị Ngọc Ánh"),
    Teacher(id="GV006", full_name="Bùi Đức Thịnh"),
    Teacher(id="GV007", full_name="Tẩn Thị Mẩy"),
    Teacher(id="GV008", full_name="Phùng Văn Tường"),
    Teacher(id="GV009", full_name="Lù Thị Dung"),
]

# Secondary: (code, teacher). Periods are the catalogue's defaults.
SECONDARY_SUBJECTS = [
    ("NGU_VAN", "GV003"),
    ("TOAN", "GV004"),
    ("NN1", "GV005"),
    ("GDCD", "GV003"),
    ("LICH_SU_DIA_LI", "GV006"),
    ("KHTN", "GV004"),
    ("CONG_NGHE", "GV006"),
    ("TIN_HOC", "GV004"),
    ("NN2", "GV005"),
    ("GDTC", "GV008"),
    ("NGHE_THUAT", "GV007"),
    ("HDTN_HN", "GV003"),
    ("GDDP", "GV008"),
]

# name, gender, ethnicity, birth date, base score (tenths), comment-subject levels term II
SECONDARY_STUDENTS = [
    ("Lù Thị Mỷ", Gender.NU, "Giáy", date(2012, 3, 14), 88, Pass.D),
    ("Sùng A Páo", Gender.NAM, "Mông", date(2012, 7, 2), 72, Pass.D),
    ("Giàng Seo Chứ", Gender.NAM, "Mông", date(2012, 11, 23), 58, Pass.D),
    ("Nguyễn Thị Ánh Tuyết", Gender.NU, "Kinh", date(2012, 1, 5), 41, Pass.CD),
]
PRIMARY_STUDENTS = [
    ("Hảng Thị Dua", Gender.NU, "Mông", date(2017, 4, 9), PrimaryLevel.T, QualityLevel.T, 9),
    ("Lò Văn Pếnh", Gender.NAM, "Thái", date(2017, 9, 30), PrimaryLevel.T, QualityLevel.D, 8),
    ("Vàng A Dính", Gender.NAM, "Mông", date(2017, 12, 1), PrimaryLevel.H, QualityLevel.D, 6),
]


def _score(base: int, k: int) -> Decimal:
    """A score near ``base`` tenths that varies by position but stays on the 0–10 scale."""
    tenths = base + (k * 7) % 13 - 6
    return Decimal(min(max(tenths, 0), 100)) / 10


def _secondary_class() -> SchoolClass:
    rules = secondary_rules(8, YEAR)
    subjects = []
    for code, teacher in SECONDARY_SUBJECTS:
        spec = rules.subject(code)
        assert spec is not None
        subjects.append(
            ClassSubject(code=code, periods_per_year=spec.default_periods, teachers=[teacher])
        )
    cls = SchoolClass(
        id="8A1", name="8A1", grade=8, homeroom_teacher="GV003", subjects=subjects, students=[]
    )
    students = []
    for i, (name, gender, ethnicity, born, base, level2) in enumerate(SECONDARY_STUDENTS):
        assessments: dict[str, SubjectAssessment] = {}
        for j, cs in enumerate(subjects):
            spec = rules.subject(cs.code)
            assert spec is not None
            if spec.kind is AssessmentKind.COMMENT:
                second = level2 if cs.code == "GDTC" else Pass.D
                assessments[cs.code] = SubjectAssessment(
                    comment1=TermComment(level=Pass.D, comment="Tích cực, tự giác."),
                    comment2=TermComment(level=second),
                    submitted_year_level=second,
                )
                continue
            n = rules.required_regular_count(cs.periods_per_year)
            terms = []
            for t in range(2):
                seed = 31 * j + 11 * t + i
                regular = [_score(base, seed + k) for k in range(n)]
                midterm, final = _score(base, seed + 5), _score(base + 4, seed + 9)
                average = rules.term_average(regular, midterm, final)
                terms.append(
                    TermScores(
                        regular=regular, midterm=midterm, final=final, submitted_average=average
                    )
                )
            year_avg = rules.year_average(
                terms[0].submitted_average or Decimal(0), terms[1].submitted_average or Decimal(0)
            )
            assessments[cs.code] = SubjectAssessment(
                term1=terms[0],
                term2=terms[1],
                submitted_year_average=year_avg,
                comment="Nắm vững kiến thức cơ bản." if base >= 70 else "Cần cố gắng hơn.",
            )
        conduct = Rating.TOT if base >= 70 else Rating.KHA
        year = SecondaryStudentYear(
            subjects=assessments,
            conduct_term1=conduct,
            conduct_term2=conduct,
            conduct_year=conduct,
            absences_term1=i,
            absences_term2=2 * i,
            homeroom_comment="Em ngoan, lễ phép, chăm chỉ; cần mạnh dạn phát biểu hơn.",
            rewards="Giải Ba Hội khoẻ Phù Đổng cấp xã" if i == 1 else "",
        )
        computed = rules.compute(cls, year)
        year = year.model_copy(
            update={
                "submitted_learning_term1": computed.learning_term1,
                "submitted_learning_term2": computed.learning_term2,
                "submitted_learning_year": computed.learning_year,
                "submitted_promotion": computed.promotion.value,
                "submitted_title": computed.title.value if computed.title else "",
            }
        )
        students.append(
            ClassStudent(
                student=Student(
                    code=f"1008300{i + 1:03d}",
                    national_id=f"01021200{i + 1:04d}",
                    full_name=name,
                    gender=gender,
                    birth_date=born,
                    birth_place="Xã Bản Xèo, tỉnh Lào Cai",
                    ethnicity=ethnicity,
                    home_town="Xã Bản Xèo, tỉnh Lào Cai",
                    address="Thôn Pạc Ngà, xã Bản Xèo, tỉnh Lào Cai",
                    father_name="Sùng Seo Lử" if ethnicity == "Mông" else "Lù Văn Sình",
                    father_job="Làm nương",
                    mother_name="Thào Thị Mai",
                    mother_job="Làm nương",
                    enrolment_no=f"{i + 1:03d}/2023",
                ),
                secondary=year,
            )
        )
    return cls.model_copy(update={"students": students})


def _primary_class() -> SchoolClass:
    grade = 3
    rules = primary_rules(grade, YEAR)
    specs = [s for s in rules.subjects if grade in s.grades]
    subjects = [
        ClassSubject(code=s.code, periods_per_year=s.default_periods, teachers=["GV002"])
        for s in specs
    ]
    cls = SchoolClass(
        id="3A", name="3A", grade=grade, homeroom_teacher="GV002", subjects=subjects, students=[]
    )
    qualities = [q.code for q in rules.qualities if grade in q.grades]
    competences = [c.code for c in rules.competences if grade in c.grades]
    students = []
    for i, (name, gender, ethnicity, born, level, trait, score) in enumerate(PRIMARY_STUDENTS):
        points = {}
        for p, point in enumerate(AssessmentPoint):
            marks = {
                s.code: PrimarySubjectMark(
                    level=level,
                    score=min(score + (p + k) % 2, 10)
                    if point in s.test_points_for(grade)
                    else None,
                    comment="Đọc to, rõ ràng; viết đúng chính tả."
                    if s.code == "TIENG_VIET"
                    else "",
                )
                for k, s in enumerate(specs)
            }
            points[point] = PrimaryPointAssessment(
                subjects=marks,
                qualities=dict.fromkeys(qualities, trait),
                competences=dict.fromkeys(competences, trait),
                comment="Em chăm ngoan, hoà đồng với bạn bè.",
            )
        year = PrimaryStudentYear(
            points=points,
            height_cm=Decimal("121.5") + i,
            weight_kg=Decimal("23.0") + i,
            absences_excused=i,
            rewards="Học sinh tích cực tham gia phong trào Đội" if i == 0 else "",
        )
        outcome = rules.compute(cls, year)
        year = year.model_copy(
            update={
                "submitted_result": outcome.result.value if outcome.result else None,
                "submitted_title": outcome.title.value if outcome.title else "",
            }
        )
        students.append(
            ClassStudent(
                student=Student(
                    code=f"1008310{i + 1:03d}",
                    full_name=name,
                    gender=gender,
                    birth_date=born,
                    birth_place="Xã Bản Xèo, tỉnh Lào Cai",
                    ethnicity=ethnicity,
                    address="Thôn Ná Lùng, xã Bản Xèo, tỉnh Lào Cai",
                    guardian_name="Hảng A Sử" if i == 0 else "",
                    guardian_job="Làm nương" if i == 0 else "",
                ),
                primary=year,
            )
        )
    return cls.model_copy(update={"students": students})


def build_small_school() -> Dataset:
    return Dataset(
        province=Province(code="10", name="Lào Cai"),
        district=District(code="083", name="Bát Xát"),
        school=School(
            code="10083501",
            name="Trường PTDTBT Tiểu học và THCS Bản Xèo",
            levels=[Level.TH, Level.THCS],
            commune="Xã Bản Xèo",
            authority="UBND XÃ BẢN XÈO",
            principal="GV001",
            vice_principals=["GV002"],
        ),
        school_year=YEAR,
        teachers=TEACHERS,
        classes=[_secondary_class(), _primary_class()],
    )


if __name__ == "__main__":
    FIXTURE.write_bytes(pretty_json(build_small_school().model_dump(mode="python")))
    print(f"wrote {FIXTURE}")
